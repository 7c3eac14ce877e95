"""A new user's first session, as the README and docs/cli.md tell it (issue 16): the
installed ``streaming-sync`` command in a fresh folder holding the bundled sample --
``--version``, ``check``, ``sync --dry-run``, the README's sync, ``status``,
``ontologies``, a settings file and an environment variable -- and the README's second
command's equivalent (the test suite runs), each output checked."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import streaming_sync
from streaming_sync import PathFilter

from .cli_support import SAMPLE, clean_env
from .conftest import ROOT

COMMAND = Path(sys.executable).parent / "streaming-sync"


def run(folder: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """``streaming-sync ARGS`` in ``folder`` as a user types it; its stdout (exit 0)."""
    done = subprocess.run(
        [str(COMMAND), *args],
        cwd=folder,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"streaming-sync {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


@pytest.mark.skipif(not COMMAND.exists(), reason="streaming-sync is not installed here")
def test_a_new_user_s_first_session(tmp_path: Path) -> None:
    """Each step of the walk-through gives what the docs say it gives."""
    sample = tmp_path / "examples" / "sample"
    shutil.copytree(SAMPLE, sample)
    default_filter = PathFilter()
    files = sum(default_filter(p.relative_to(sample).as_posix()) for p in sample.rglob("*.*"))
    assert run(tmp_path, "--version").strip() == f"streaming-sync {streaming_sync.__version__}"

    check = run(tmp_path, "check", "examples/sample", "--db", "sample.db")
    match = re.search(r"^ok +source: examples/sample: (\d+) files listed", check, re.M)
    assert match is not None, check
    listed = int(match.group(1))
    assert listed == files
    assert "does not exist yet; a sync creates it" in check
    assert not (tmp_path / "sample.db").exists()

    preview = run(tmp_path, "sync", "examples/sample", "--db", "sample.db", "--dry-run")
    assert f"would add {listed}, change 0, delete 0; 0 unchanged" in preview
    assert not (tmp_path / "sample.db").exists()

    synced = run(tmp_path, "sync", "examples/sample", "--db", "sample.db")  # the README's
    assert synced.startswith(f"succeeded: {listed} listed, 0 unchanged, ")
    status = run(tmp_path, "status", "--db", "sample.db")
    assert status.startswith("succeeded:") and "0 file(s) failing now" in status
    again = run(tmp_path, "sync", "examples/sample", "--db", "sample.db", "--dry-run")
    assert f"would add 0, change 0, delete 0; {listed} unchanged" in again

    (tmp_path / "streaming-sync.toml").write_text(
        'db = "sample.db"\nontology-id = "metaverse"\ninclude = ["*.md"]\nquiet = true\n'
    )
    env = {"STREAMING_SYNC_SOURCE": "examples/sample/metaverse", "STREAMING_SYNC_JSON": "1"}
    report = json.loads(run(tmp_path, "sync", "--config", "streaming-sync.toml", env=env))
    assert report["ontology_id"] == "metaverse" and report["outcome"] == "succeeded"
    pages = len(list((tmp_path / "examples" / "sample" / "metaverse").glob("*.md")))
    assert report["files"]["listed"] == pages

    ontologies = run(tmp_path, "ontologies", "--db", "sample.db").splitlines()
    assert [line.split(":")[0] for line in ontologies] == ["default", "metaverse"]
    assert ontologies[0].startswith(f"default: {listed} files, ")
    assert ontologies[1].startswith(f"metaverse: {pages} files, ")
    assert all(line.endswith("succeeded") for line in ontologies)


def test_the_readme_s_second_command_runs_the_test_suite(tmp_path: Path) -> None:
    """The README's second command installs the test tools and runs pytest; here pytest
    runs one file of the suite from the checkout, as that command would."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_public_api.py",
        ],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d+ passed", done.stdout)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "streaming-sync sync examples/sample --db sample.db" in readme
    assert "pip install -q -e '.[test,fast]' && .venv/bin/pytest" in readme
