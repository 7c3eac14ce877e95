"""Configuration values: defaults, and errors that name the setting."""

from __future__ import annotations

import re

import pytest

from streaming_sync import ConfigError, PathFilter, RetryPolicy, SyncConfig


def test_defaults_follow_the_design() -> None:
    """Workers min(2*cores, 8); retries 3 attempts, base 0.5 s, factor 2, cap 30 s."""
    config = SyncConfig()
    assert 1 <= config.workers <= 8
    policy = config.retry
    assert (policy.max_attempts, policy.base, policy.factor, policy.cap) == (3, 0.5, 2.0, 30.0)
    assert [policy.wait(n) for n in (1, 2, 3, 8)] == [0.5, 1.0, 2.0, 30.0]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"workers": 0}, "workers=0"),
        ({"ontology_id": "has space"}, "ontology_id='has space'"),
        ({"ontology_id": ""}, "ontology_id=''"),
        ({"max_file_size": -1}, "max_file_size=-1"),
        ({"parse_processes": -2}, "parse_processes=-2"),
        ({"file_timeout": 0}, "file_timeout=0"),
    ],
)
def test_wrong_values_name_the_setting(options: dict[str, object], named: str) -> None:
    """Each invalid option raises ConfigError naming the field and its value."""
    with pytest.raises(ConfigError, match=named.replace("(", r"\(")):
        SyncConfig(**options)  # type: ignore[arg-type]


def test_retry_policy_validates() -> None:
    """A retry policy with no attempts is refused."""
    with pytest.raises(ConfigError, match="max_attempts=0"):
        RetryPolicy(max_attempts=0)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ontology_id", "abc\n"),  # "$" of re.match accepts a trailing newline
        ("ontology_id", "\nabc"),
        ("ontology_id", 7),
        ("ontology_id", None),
        ("workers", "4"),
        ("workers", None),
        ("workers", 4.0),
        ("workers", INF),
        ("workers", True),  # a bool is not a number of workers
        ("queue_factor", 2.5),
        ("queue_factor", False),
        ("parse_processes", 1.5),
        ("parse_processes", "0"),
        ("parse_processes", True),
        ("retry", "bad"),
        ("retry", None),
        ("retry", {"max_attempts": 3}),
        ("full", "yes"),
        ("full", 1),
        ("full", None),
        ("max_file_size", 1e6),
        ("max_file_size", "50MB"),
        ("max_file_size", True),
        ("file_timeout", INF),
        ("file_timeout", NAN),
        ("file_timeout", "30"),
        ("file_timeout", True),
        ("file_timeout", None),
    ],
)
def test_every_sync_config_field_refuses_wrong_types_naming_itself(
    field: str, value: object
) -> None:
    """Every field of SyncConfig: a value of the wrong type (a bool is not an int, inf
    and NaN are not finite numbers, a string is not a number) is a ConfigError naming
    the field and the value -- never a TypeError, an AttributeError or silence."""
    with pytest.raises(ConfigError, match=rf"^{field}={re.escape(repr(value))}: "):
        SyncConfig(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_attempts", 2.5),
        ("max_attempts", "3"),
        ("max_attempts", True),
        ("max_attempts", INF),
        ("base", INF),
        ("base", NAN),
        ("base", "0.5"),
        ("base", None),
        ("base", True),
        ("factor", INF),
        ("factor", "2"),
        ("cap", NAN),
        ("cap", -1.0),
        ("cap", False),
    ],
)
def test_every_retry_policy_field_refuses_wrong_values_naming_itself(
    field: str, value: object
) -> None:
    """Every field of RetryPolicy: wrong types, bools, non-finite or non-positive values
    are a ConfigError naming the field."""
    with pytest.raises(ConfigError, match=rf"^{field}={re.escape(repr(value))}: "):
        RetryPolicy(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("include", "*.md"),  # a lone string, not a list of patterns
        ("exclude", "drafts/*"),
        ("include", None),
        ("include", [1, 2]),
        ("exclude", ["ok/*", None]),
        ("include", b"*.md"),
    ],
)
def test_path_filter_refuses_what_is_not_a_list_of_patterns(field: str, value: object) -> None:
    """PathFilter's include/exclude must be lists of strings: a lone string (which would
    otherwise become one pattern per character) or a non-string is a ConfigError."""
    with pytest.raises(ConfigError, match=rf"^{field}=.*: give a list of glob patterns"):
        PathFilter(**{field: value})  # type: ignore[arg-type]


def test_right_values_of_other_numeric_types_are_accepted() -> None:
    """Ints where numbers are asked for, and lists where tuples are, are fine; the
    ontology id may use every character it documents."""
    config = SyncConfig(
        ontology_id="a-b_c.d:e/f", workers=3, file_timeout=5, retry=RetryPolicy(base=1, cap=2)
    )
    assert (config.workers, config.file_timeout, config.retry.wait(1)) == (3, 5, 1.0)
    assert PathFilter(include=["*.md"], exclude=[]).include == ("*.md",)
