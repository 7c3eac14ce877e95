"""``.ci/run`` picks the newest Python for its second test run: among ``python3.N`` on
PATH and pyenv's versions folder, the highest final release of 3.12 or later that runs
(a pyenv shim for an inactive version fails and is skipped), or none. Fake interpreters
(shell scripts printing what the real ones print) stand in for the machine's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fake(path: Path, prints: str | None) -> None:
    """An executable at ``path`` that prints ``prints`` (None: fails like a pyenv shim)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "echo 'pyenv: not active' >&2; exit 127" if prints is None else f"echo '{prints}'"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def newest(tmp_path: Path) -> str:
    """What ``newest_python`` of .ci/run prints with only the fakes on PATH (and the
    few tools it uses, so that the machine's own pythons stay out of sight)."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("sed", "grep", "sort", "tail"):
        found = shutil.which(tool)
        assert found is not None, tool
        (tools / tool).symlink_to(found)
    script = "source <(sed -n '/^newest_python()/,/^}/p' .ci/run) && newest_python"
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run(
        [bash, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": f"{tmp_path / 'bin'}:{tools}", "PYENV_ROOT": str(tmp_path / "pyenv")},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_highest_final_release_that_runs_wins(tmp_path: Path) -> None:
    """A working python3.12 on PATH loses to pyenv's 3.13; a shim that fails (3.14 here)
    and an interpreter answering nothing (a pre-release or an old version: the probe
    prints "" for those) are skipped; -config files beside them are not interpreters."""
    fake(tmp_path / "bin" / "python3.12", "3.12.1")
    fake(tmp_path / "bin" / "python3.14", None)
    fake(tmp_path / "bin" / "python3.15", "")
    fake(tmp_path / "pyenv" / "versions" / "3.13.0" / "bin" / "python3.13", "3.13.0")
    fake(tmp_path / "pyenv" / "versions" / "3.13.0" / "bin" / "python3.13-config", "9.9.9")
    pyenv_13 = tmp_path / "pyenv" / "versions" / "3.13.0" / "bin" / "python3.13"
    assert newest(tmp_path) == f"3.13.0 {pyenv_13}"


def test_nothing_when_only_older_pythons_run(tmp_path: Path) -> None:
    """Without a 3.12 or later the function prints nothing (CI then says the suite ran
    on the oldest Python only) and still succeeds."""
    fake(tmp_path / "bin" / "python3.11", "")
    assert newest(tmp_path) == ""
