"""The conventions of the command line (issue 16): ``--version``; every option from a
``STREAMING_SYNC_*`` variable or a TOML file, the command line first, then the
environment, then the file, then the default; logging levels and JSON log lines. The
real entry point as a subprocess, and the settings layer itself (``_cli_settings``,
private) for the rule over every option."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
from pathlib import Path

import pytest

import streaming_sync
from streaming_sync._cli import build_cli
from streaming_sync._cli_settings import SettingsFile, env_name, setting_actions
from streaming_sync._errors import ConfigError

from .cli_support import SAMPLE, cli

METAVERSE = SAMPLE / "metaverse"


def test_version_prints_the_package_version() -> None:
    """``--version``: the one version the package, its metadata and the CLI share."""
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"streaming-sync {streaming_sync.__version__}"
    assert streaming_sync.__version__ == importlib.metadata.version("streaming_sync")


def report_of(done: object) -> dict[str, object]:
    assert getattr(done, "returncode", None) == 0, getattr(done, "stderr", "")
    report: dict[str, object] = json.loads(getattr(done, "stdout", ""))
    return report


def test_a_sync_can_come_entirely_from_the_environment(tmp_path: Path) -> None:
    """SOURCE, --db, --ontology-id, --include (a comma list) and switches as
    ``STREAMING_SYNC_*`` variables: ``streaming-sync sync`` with no argument runs it."""
    env = {
        "STREAMING_SYNC_SOURCE": str(SAMPLE),
        "STREAMING_SYNC_DB": str(tmp_path / "env.db"),
        "STREAMING_SYNC_ONTOLOGY_ID": "from-env",
        "STREAMING_SYNC_INCLUDE": "metaverse/*.md, *.ttl",
        "STREAMING_SYNC_JSON": "yes",
        "STREAMING_SYNC_QUIET": "1",
    }
    report = report_of(cli("sync", env=env))
    assert report["ontology_id"] == "from-env"
    listed = cli("sync", "--dry-run", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    # --dry-run against the database just written: everything is unchanged now
    preview = json.loads(listed.stdout)
    assert preview["listed"] == report["files"]["listed"]  # type: ignore[index]
    assert preview["add"] == preview["change"] == [] and preview["unchanged"] == preview["listed"]


def write_settings(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_precedence_is_flag_then_environment_then_file_then_default(tmp_path: Path) -> None:
    """The same setting in all places: the flag wins over the variable, the variable
    over the file, the file over the default; ``--no-full`` turns off a switch that the
    environment turned on."""
    db = tmp_path / "x.db"
    config = write_settings(
        tmp_path / "settings.toml",
        f'source = "{METAVERSE}"\ndb = "{db}"\nontology-id = "from-file"\n'
        "json = true\nquiet = true\n",
    )
    env = {"STREAMING_SYNC_ONTOLOGY_ID": "from-env", "STREAMING_SYNC_FULL": "true"}
    assert report_of(cli("sync", "--config", str(config)))["ontology_id"] == "from-file"
    assert report_of(cli("sync", "--config", str(config), env=env))["ontology_id"] == "from-env"
    flagged = report_of(cli("sync", "--config", str(config), "--ontology-id", "from-flag", env=env))
    assert flagged["ontology_id"] == "from-flag"
    again = report_of(cli("sync", "--config", str(config), "--ontology-id", "from-flag", env=env))
    assert again["files"]["unchanged"] == 0  # type: ignore[index]  # full, from the environment
    off = cli("sync", "--config", str(config), "--ontology-id", "from-flag", "--no-full", env=env)
    assert report_of(off)["files"]["unchanged"] == again["files"]["listed"]  # type: ignore[index]
    default = write_settings(tmp_path / "bare.toml", f'source = "{METAVERSE}"\ndb = "{db}"\n')
    plain = cli("sync", "--config", str(default), "--json")
    assert report_of(plain)["ontology_id"] == "default"


def test_the_settings_file_is_found_in_pyproject_or_named_by_the_environment(
    tmp_path: Path,
) -> None:
    """``[tool.streaming_sync]`` of ``./pyproject.toml`` is read without ``--config``;
    ``$STREAMING_SYNC_CONFIG`` names another file; a ``pyproject.toml`` without the
    table gives nothing (SOURCE is then missing)."""
    project = tmp_path / "project"
    project.mkdir()
    write_settings(
        project / "pyproject.toml",
        f'[project]\nname = "x"\n\n[tool.streaming_sync]\nsource = "{METAVERSE}"\n'
        'db = "onto.db"\nontology_id = "from-pyproject"\njson = true\n',
    )
    assert report_of(cli("sync", cwd=project))["ontology_id"] == "from-pyproject"
    other = write_settings(tmp_path / "other.toml", 'ontology-id = "named"\n')
    named = cli("sync", "--json", cwd=project, env={"STREAMING_SYNC_CONFIG": str(other)})
    assert named.returncode == 2 and "SOURCE is required" in named.stderr
    write_settings(project / "pyproject.toml", '[project]\nname = "x"\n')
    bare = cli("sync", cwd=project)
    assert bare.returncode == 2
    assert "STREAMING_SYNC_SOURCE" in bare.stderr and "source in the settings file" in bare.stderr


@pytest.mark.parametrize(
    ("env", "settings", "expected"),
    [
        (
            {"STREAMING_SYNC_WORKERS": "many"},
            "",
            "STREAMING_SYNC_WORKERS='many': 'many': must be a whole number",
        ),
        ({"STREAMING_SYNC_FULL": "perhaps"}, "", "STREAMING_SYNC_FULL='perhaps': use one of"),
        ({"STREAMING_SYNC_INCLUDE": "["}, "", "STREAMING_SYNC_INCLUDE='[': '[' is not a usable"),
        ({}, "wokers = 4\n", "'wokers': no command has such a setting; the settings are:"),
        ({}, "workers = true\n", "workers = True: must be a string or a number"),
        ({}, "full = 1\n", "full = 1: must be true or false"),
        ({}, "workers = [\n", "not valid TOML"),
    ],
)
def test_a_bad_setting_is_a_usage_error_naming_where_it_came_from(
    tmp_path: Path, env: dict[str, str], settings: str, expected: str
) -> None:
    """A value from the environment or the file goes through the same checks as on the
    command line; a wrong one stops the command (exit 2, one line) naming the variable
    or the file and key -- and a key no command knows is refused, not ignored."""
    config = write_settings(tmp_path / "s.toml", settings)
    done = cli(
        "sync", str(METAVERSE), "--db", str(tmp_path / "x.db"), "--config", str(config), env=env
    )
    assert done.returncode == 2
    assert expected in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.db").exists()


def test_a_missing_settings_file_is_a_usage_error(tmp_path: Path) -> None:
    done = cli("status", "--config", str(tmp_path / "nope.toml"), "--db", "x.db")
    assert done.returncode == 2
    assert f"--config {tmp_path / 'nope.toml'}: no such file" in done.stderr


def test_every_option_of_every_command_is_a_setting() -> None:
    """The rule over every option (the settings layer, private): each one a command
    takes -- except ``--config`` and ``--yes`` -- is read from its ``STREAMING_SYNC_*``
    variable when the command line leaves it out, and from the file when the environment
    does too."""
    cli_ = build_cli()
    needed = {"STREAMING_SYNC_SOURCE": "src", "STREAMING_SYNC_DB": "x.db"}
    needed["STREAMING_SYNC_BACKUP"] = "b.db"
    checked = set()
    for command, parser in cli_.commands.items():
        for action in setting_actions(parser):
            text, value = sample_value(action)
            args = cli_.parser.parse_args([command])
            origins = cli_.settings.resolve(
                args, parser, {**needed, env_name(action.dest): text}, SettingsFile()
            )
            got = (getattr(args, action.dest), origins[action.dest])
            assert got == (value, "environment"), (command, action.dest)
            args = cli_.parser.parse_args([command])
            file = SettingsFile("s.toml", {action.dest: value})
            origins = cli_.settings.resolve(args, parser, needed, file)
            if action.dest not in ("source", "db", "backup"):  # those the environment gives
                assert (getattr(args, action.dest), origins[action.dest]) == (value, "file")
            checked.add(action.dest)
    sync_options = {a.dest for a in setting_actions(cli_.commands["sync"])}
    assert {"source", "db", "workers", "include", "token_env", "events", "full"} <= sync_options
    assert sync_options <= checked


def sample_value(action: argparse.Action) -> tuple[str, object]:
    """A valid text for ``action`` and the value it gives."""
    if action.dest in (
        "verbose", "workers", "limit", "metrics_port", "health_port", "webhook_port",
        "webhook_max_bytes", "keep_runs", "since",
    ):  # fmt: skip
        return "3", 3
    if action.nargs == 0:
        return "true", True
    if action.choices:
        choice = sorted(action.choices)[-1]  # type: ignore[call-overload]
        return str(choice).lower(), choice
    if action.dest in ("include", "exclude"):
        return "*.md,*.ttl", ["*.md", "*.ttl"]
    if action.dest in ("lease", "interval", "safety_interval", "keep_days"):
        return "2.5", 2.5
    return "some-value", "some-value"


def test_settings_resolution_refuses_a_required_setting_left_out() -> None:
    """SOURCE and --db may come from anywhere, but must come from somewhere."""
    cli_ = build_cli()
    args = cli_.parser.parse_args(["check", "x"])
    with pytest.raises(ConfigError, match="--db is required"):
        cli_.settings.resolve(args, cli_.commands["check"], {}, SettingsFile())


def test_json_log_lines_carry_the_run_id_and_the_file_path(tmp_path: Path) -> None:
    """``--log-format json -v``: every stderr line is one JSON object with an ISO 8601
    time, the same run id, and -- on the lines about one file -- its path as a field."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "good.ttl").write_text("<http://ex/a> a <http://www.w3.org/2002/07/owl#Class> .\n")
    (folder / "bad.ttl").write_text("this is not turtle\n")
    done = cli("sync", str(folder), "--db", str(tmp_path / "x.db"), "--log-format", "json", "-v")
    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert len({line["run_id"] for line in lines}) == 1 and lines[0]["run_id"]
    assert all(line["time"].endswith("Z") for line in lines)
    by_path = {line["path"]: line for line in lines if line["path"]}
    assert by_path["bad.ttl"]["level"] == "WARNING" and by_path["bad.ttl"]["stage"] == "parse"
    assert by_path["good.ttl"]["event"] == "sync.file_succeeded"  # a debug line (-v)


def test_log_levels(tmp_path: Path) -> None:
    """Without flags the progress lines show (INFO) but no per-file lines; ``-v`` adds
    this library's debug lines; ``--log-level WARNING`` (or ``--quiet``) leaves only
    warnings. ``-v`` works before the command too."""
    db = str(tmp_path / "x.db")
    plain = cli("sync", str(METAVERSE), "--db", db, "--full")
    assert "INFO streaming_sync.progress: sync of" in plain.stderr
    assert "DEBUG" not in plain.stderr
    verbose = cli("-v", "sync", str(METAVERSE), "--db", db, "--full")
    assert "DEBUG streaming_sync.progress: synced " in verbose.stderr
    quiet = cli("sync", str(METAVERSE), "--db", db, "--full", "--log-level", "warning")
    assert "INFO" not in quiet.stderr and "DEBUG" not in quiet.stderr
