"""Configuration values: defaults, and errors that name the setting."""

from __future__ import annotations

import pytest

from streaming_sync._config import RetryPolicy, SyncConfig
from streaming_sync._errors import ConfigError


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
