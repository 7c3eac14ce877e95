"""Small CLI edges (issue 12, point 12): a healthy database on a read-only file, folder
or mount is read by ``status``/``history`` (and a write to it is refused as read-only,
not as corrupt); three quick SIGINTs end with exit 130 and no traceback; an ontology id
with a trailing newline is refused by every command. The real CLI, as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT

SAMPLE = ROOT / "examples" / "sample"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "streaming_sync", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def healthy_db(folder: Path) -> Path:
    """A database the CLI synced from the sample, closed cleanly (no -wal/-shm left)."""
    folder.mkdir(exist_ok=True)
    db = folder / "sync.db"
    done = cli("sync", str(SAMPLE / "metaverse"), "--db", str(db), "--quiet")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["sync.db"]
    return db


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` (a file or a folder) read-only for everyone, root included, while
    the block runs.

    We run as root in CI, and root ignores permission bits, so ``chmod`` alone proves
    nothing there. As root we set the immutable attribute (``chattr +i``): the kernel
    then refuses every write, create or delete on that file or folder, even to root.
    Where the file system has no such attribute, a read-only bind mount of ``path`` onto
    itself does the same (EROFS). As another user ``chmod`` is real and is used."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if _run("chattr", "+i", str(path)) is None:
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    problem = _run("mount", "--bind", str(path), str(path))
    if problem is not None:
        pytest.skip(f"cannot make {path} read-only for root here: {problem}")
    try:
        problem = _run("mount", "-o", "remount,bind,ro", str(path))
        assert problem is None, problem
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _run(*command: str) -> str | None:
    """Run ``command``; None when it worked, else why not."""
    if shutil.which(command[0]) is None:
        return f"{command[0]} is not installed"
    done = subprocess.run(command, capture_output=True, text=True)
    return None if done.returncode == 0 else done.stderr.strip() or f"exit {done.returncode}"


@contextlib.contextmanager
def read_only_mount(where: Path) -> Iterator[Path]:
    """A real tmpfs at ``where`` holding a healthy database, remounted read-only (EROFS
    stops root too). Needs ``mount`` (root); skipped where it is unavailable."""
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        db = healthy_db(where)
        remount = subprocess.run(
            ["mount", "-o", "remount,ro", str(where)], capture_output=True, text=True
        )
        assert remount.returncode == 0, remount.stderr
        yield db
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def assert_reads(db: Path) -> None:
    """``status`` and ``history`` read the database: exit 0, the report, no talk of
    corruption or deleting; a sync into it is refused as read-only, exit 2."""
    status = cli("status", "--db", str(db))
    assert status.returncode == 0, status.stderr
    assert "succeeded:" in status.stdout and "0 file(s) failing now" in status.stdout
    history = cli("history", "--db", str(db))
    assert history.returncode == 0 and "succeeded" in history.stdout, history.stderr
    as_json = json.loads(cli("status", "--db", str(db), "--json").stdout)
    assert as_json["last_run"]["outcome"] == "succeeded"
    sync = cli("sync", str(SAMPLE / "metaverse"), "--db", str(db), "--quiet", "--full")
    assert sync.returncode == 2
    assert "read-only" in sync.stderr or "cannot open" in sync.stderr.lower(), sync.stderr
    for said in (status.stderr, history.stderr, sync.stderr):
        assert "corrupt" not in said and "delete" not in said and "Traceback" not in said


def test_status_reads_a_database_whose_file_is_read_only(tmp_path: Path) -> None:
    """The database file is read-only (even for root, see ``read_only``), its folder
    writable: status and history read it, the file's bytes are unchanged, and a sync is
    refused naming read-only."""
    db = healthy_db(tmp_path / "data")
    before = digest(db)
    with read_only(db):
        assert_reads(db)
    assert digest(db) == before


def test_status_reads_a_database_in_a_read_only_folder(tmp_path: Path) -> None:
    """The folder is read-only (even for root, see ``read_only``), so SQLite cannot
    create the -wal/-shm files a WAL database is read with and the reader opens it
    immutable: status and history work, nothing is created in the folder, the file's
    bytes are unchanged."""
    db = healthy_db(tmp_path / "data")
    before = digest(db)
    with read_only(db.parent):
        assert_reads(db)
        assert sorted(p.name for p in db.parent.iterdir()) == ["sync.db"]
    assert digest(db) == before


def test_status_reads_a_database_on_a_read_only_mount(tmp_path: Path) -> None:
    """A real read-only file system (a tmpfs remounted ``ro``): the same."""
    with read_only_mount(tmp_path / "mnt") as db:
        before = digest(db)
        assert_reads(db)
        assert digest(db) == before


@pytest.mark.parametrize("gap", [0.0, 0.01, 0.03])
async def test_three_quick_sigints_exit_130_without_a_traceback(
    corpus: Path, tmp_path: Path, gap: float
) -> None:
    """Three SIGINTs in quick succession (``gap`` seconds apart, as fast keypresses)
    once files are landing: exit 130, the "interrupted" line, no traceback (before,
    the later signals cut the closing of the database connection, whose thread then
    failed with "Event loop is closed" -- or the process never exited); the database
    is intact and the next run resumes."""
    db = tmp_path / "live.db"
    command = [
        sys.executable, "-m", "streaming_sync", "sync", str(corpus / "logseq-metaverse"),
        "--db", str(db), "--workers", "1", "--events", "-",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    landed = 0
    while landed < 5:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert line, "the sync ended before 5 files landed"
        landed += json.loads(line)["event"] == "FileSucceeded"
    for _ in range(3):
        process.send_signal(signal.SIGINT)
        await asyncio.sleep(gap)  # the keypress rhythm is the scenario, not a wait
    _, err = await asyncio.wait_for(process.communicate(), 60)
    stderr = err.decode()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr and "Event loop is closed" not in stderr
    resumed = await asyncio.to_thread(
        cli, "sync", str(corpus / "logseq-metaverse"), "--db", str(db), "--quiet", "--json"
    )
    assert resumed.returncode in (0, 1), resumed.stderr
    assert json.loads(resumed.stdout)["files"]["unchanged"] >= 5


@pytest.mark.parametrize(
    "command",
    [
        ["sync", str(SAMPLE / "metaverse")],
        ["status"],
        ["history"],
        ["migrate"],
        ["unlock"],
    ],
)
def test_an_ontology_id_with_a_trailing_newline_is_refused(
    tmp_path: Path, command: list[str]
) -> None:
    """``--ontology-id $'abc\\n'`` is refused by every command (exit 2, naming the
    option) before anything is opened or written."""
    db = tmp_path / "sync.db"
    done = cli(*command, "--db", str(db), "--ontology-id", "abc\n")
    assert done.returncode == 2
    assert "--ontology-id='abc\\n'" in done.stderr
    assert not db.exists()
