"""The admin commands that could lose data (issue 12, points 7 and 10).

``restore`` refuses a backup that is empty, foreign or of a schema this version cannot
use, with the database left byte for byte as it was, and keeps the database it replaces
beside it unless ``--no-keep``. ``unlock`` never removes the lock of a live sync on this
host, and removes another host's lock only with ``--force``. Real SQLite files, the real
CLI as a subprocess, and a real process holding the lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streaming_sync import SqliteRepository
from streaming_sync.storage.sqlite import restore

from .conftest import ROOT

SAMPLE = ROOT / "examples" / "sample" / "metaverse"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "streaming_sync", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def synced_db(tmp_path: Path, pages: int, name: str = "sync.db") -> Path:
    """A database the real CLI synced from the first ``pages`` sample pages."""
    folder = tmp_path / f"src-{pages}"
    folder.mkdir()
    for page in sorted(SAMPLE.glob("*.md"))[:pages]:
        (folder / page.name).write_bytes(page.read_bytes())
    db = tmp_path / name
    done = cli("sync", str(folder), "--db", str(db), "--quiet")
    assert done.returncode == 0, done.stderr
    return db


def committed(db: Path) -> set[str]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT path FROM sync_files")}
    finally:
        connection.close()


def beside(db: Path) -> set[str]:
    """The files next to ``db`` named after it (a WAL reader's -wal/-shm aside)."""
    return {
        p.name
        for p in db.parent.iterdir()
        if p.name.startswith(db.name + ".") and not p.name.endswith(("-wal", "-shm"))
    }


def foreign_database(path: Path, script: str) -> Path:
    connection = sqlite3.connect(path)
    try:
        connection.executescript(script)
    finally:
        connection.close()
    return path


FOREIGN = {
    "another application's database": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"
    "INSERT INTO users (name) VALUES ('ada');",
    "another tool's schema_version table": "CREATE TABLE schema_version (version INTEGER);"
    "INSERT INTO schema_version VALUES (1); CREATE TABLE notes (body TEXT);",
    "an empty SQLite database": "PRAGMA user_version = 7;",
}


@pytest.mark.parametrize("kind", ["a 0-byte file", *FOREIGN])
def test_restore_refuses_an_empty_or_foreign_backup(tmp_path: Path, kind: str) -> None:
    """A 0-byte backup (cut short by a full disk) or an intact SQLite file that is not a
    streaming_sync database: exit 2 naming the backup and why, the database's bytes
    unchanged, and no file written beside it."""
    db = synced_db(tmp_path, 3)
    backup = tmp_path / "backup.db"
    if kind in FOREIGN:
        foreign_database(backup, FOREIGN[kind])
    else:
        backup.write_bytes(b"")
    before, files = digest(db), beside(db)
    done = cli("restore", "--db", str(db), "--backup", str(backup))
    assert done.returncode == 2, done.stdout
    assert str(backup) in done.stderr and "nothing was changed" in done.stderr
    assert ("empty" if kind == "a 0-byte file" else "not a streaming_sync database") in done.stderr
    assert "Traceback" not in done.stderr
    assert digest(db) == before and beside(db) == files


async def test_restore_refuses_a_schema_this_version_cannot_use(tmp_path: Path) -> None:
    """A streaming_sync backup from a future schema version is refused (it could not be
    opened afterwards), nothing changed."""
    db = synced_db(tmp_path, 2)
    future = tmp_path / "future.db"
    await asyncio.to_thread(shutil.copyfile, db, future)  # the sync that wrote it has ended
    with sqlite3.connect(future) as connection:
        connection.execute("UPDATE schema_version SET version = 99")
    connection.close()
    before = digest(db)
    done = await asyncio.to_thread(cli, "restore", "--db", str(db), "--backup", str(future))
    assert done.returncode == 2 and "schema version 99" in done.stderr
    assert digest(db) == before


def test_restore_keeps_the_replaced_database_and_says_where(tmp_path: Path) -> None:
    """A good backup (3 pages) restored over a healthy database (6 pages): exit 0, the
    database holds the backup's files, and the replaced one is kept beside it as
    ``NAME.replaced-<timestamp>`` -- a working database with its 6 files -- named in the
    message. ``--no-keep`` keeps nothing."""
    backup = synced_db(tmp_path, 3, "old.db")
    db = synced_db(tmp_path, 6)
    done = cli("restore", "--db", str(db), "--backup", str(backup))
    assert done.returncode == 0, done.stderr
    (kept,) = beside(db)
    assert kept.startswith("sync.db.replaced-") and kept in done.stdout
    assert committed(db) == committed(backup) and len(committed(db)) == 3
    assert len(committed(tmp_path / kept)) == 6
    done = cli("restore", "--db", str(db), "--backup", str(tmp_path / kept), "--no-keep")
    assert done.returncode == 0, done.stderr
    assert "is kept as" not in done.stdout and beside(db) == {kept}
    assert len(committed(db)) == 6


async def test_restore_through_the_library_reports_what_it_kept(tmp_path: Path) -> None:
    """``restore()`` returns where the replaced database went; an unusable target is
    moved aside as ``.unusable-<timestamp>`` (with keep) or removed (``keep=False``)."""
    backup = synced_db(tmp_path, 2, "good.db")
    db = synced_db(tmp_path, 4)
    result = await restore(db, backup)
    assert result.kept is not None and Path(result.kept).name.startswith("sync.db.replaced-")
    assert not result.unusable
    garbage = b"not a database at all" * 100
    db.write_bytes(garbage)
    result = await restore(db, backup)
    assert result.unusable and result.kept is not None and ".unusable-" in result.kept
    assert await asyncio.to_thread(Path(result.kept).read_bytes) == garbage
    db.write_bytes(garbage)
    result = await restore(db, backup, keep=False)
    assert result.unusable and result.kept is None
    assert committed(db) == committed(backup)


# -- unlock ---------------------------------------------------------------------------

HOLDER = """
import asyncio, sys
from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync._runlock import run_lock

async def main() -> None:
    async with await SqliteRepository.open(sys.argv[1]) as repo:
        async with run_lock(repo, "default"):
            print("held", flush=True)
            await asyncio.to_thread(sys.stdin.readline)

asyncio.run(main())
"""


async def lock_row(db: Path) -> tuple[str, float] | None:
    async with await SqliteRepository.open(db) as repo:
        rows = await repo._read("test", "SELECT holder, acquired_at FROM sync_locks", ())
    return (str(rows[0][0]), float(rows[0][1])) if rows else None


async def test_unlock_never_removes_a_live_sync_s_lock(tmp_path: Path) -> None:
    """A real process of this host holds the run lock (the service's own ``run_lock``):
    ``unlock`` and ``unlock --force`` exit 2 naming its pid and start time and leave the
    lock, so a second sync still refuses; once the holder is SIGKILLed, ``unlock`` (no
    --force needed) removes its lock."""
    db = synced_db(tmp_path, 2)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(db), cwd=ROOT, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"held\n"
        row = await lock_row(db)
        assert row is not None and f":{holder.pid}:" in row[0]
        for extra in ([], ["--force"]):
            done = await asyncio.to_thread(cli, "unlock", "--db", str(db), *extra)
            assert done.returncode == 2, done.stdout
            assert (
                f"process {holder.pid}" in done.stderr and "live sync on this host" in done.stderr
            )
            assert "running since" in done.stderr and "nothing was changed" in done.stderr
            assert await lock_row(db) == row
        second = await asyncio.to_thread(cli, "sync", str(SAMPLE), "--db", str(db), "--quiet")
        assert second.returncode == 2 and f"process {holder.pid}" in second.stderr
    finally:
        holder.kill()
        await holder.wait()
    done = await asyncio.to_thread(cli, "unlock", "--db", str(db))
    assert done.returncode == 0 and f":{holder.pid}:" in done.stdout
    assert await lock_row(db) is None


async def test_unlock_of_another_host_needs_force_and_warns(tmp_path: Path) -> None:
    """A lock of another host, whose liveness this host cannot check: refused without
    --force (exit 2, saying so); with --force removed, with a warning on stderr."""
    db = tmp_path / "sync.db"
    async with await SqliteRepository.open(db) as repo:
        await repo.acquire_run_lock("default", f"far-away:77:{time.time():.6f}")
    done = await asyncio.to_thread(cli, "unlock", "--db", str(db))
    assert done.returncode == 2 and "--force" in done.stderr and "far-away" in done.stderr
    assert await lock_row(db) is not None
    done = await asyncio.to_thread(cli, "unlock", "--db", str(db), "--force")
    assert done.returncode == 0, done.stderr
    assert "warning" in done.stderr and "two syncs can now run at once" in done.stderr
    assert await lock_row(db) is None


def backdate_lock(db: Path, seconds: float) -> None:
    """Make the lock look taken ``seconds`` earlier (as a lock left long ago)."""
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE sync_locks SET acquired_at = acquired_at - ?", (seconds,))
    connection.close()


async def test_a_reused_pid_does_not_keep_a_dead_sync_s_lock(tmp_path: Path) -> None:
    """A lock naming a pid of this host that now belongs to a process started after the
    lock was taken (the pid was reused) is the lock of a sync that is gone: a new sync
    takes it over, and ``unlock`` removes it without --force."""
    db = tmp_path / "sync.db"
    sleeper = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; sys.stdin.read()", stdin=asyncio.subprocess.PIPE
    )
    try:
        old = f"{socket.gethostname()}:{sleeper.pid}:{time.time() - 3600:.6f}"
        new = f"{socket.gethostname()}:{os.getpid()}:{time.time():.6f}"
        async with await SqliteRepository.open(db) as repo:
            await repo.acquire_run_lock("default", old)
        backdate_lock(db, 3600)
        async with await SqliteRepository.open(db) as repo:
            await repo.acquire_run_lock("default", new)  # taken over, not refused
            await repo.release_run_lock("default", new)
            await repo.acquire_run_lock("default", old)
        backdate_lock(db, 3600)
        done = await asyncio.to_thread(cli, "unlock", "--db", str(db))
        assert done.returncode == 0, done.stderr
        assert await lock_row(db) is None
    finally:
        sleeper.kill()
        await sleeper.wait()
