"""Faults around the database during whole syncs: a lock held by another connection, a
full disk, a corrupt file, and two syncs of the same ontology at once (the run lock).

The run lock's own unit (``_runlock.run_lock``) is tested directly where a test is about
it. Cancellation of ``service.sync()`` by its caller is covered by
tests/test_service.py::test_cancelled_sync_writes_final_checkpoint_and_resumes; signals
to the CLI by tests/test_cli_signals.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streaming_sync import (
    FileRetrying,
    FileStarted,
    OntologySnapshot,
    Outcome,
    PathFilter,
    RetryPolicy,
    StreamingSyncService,
    SyncAborted,
    SyncConfig,
    SyncInProgress,
    git_blob_sha1,
    materialize,
)
from streaming_sync._runlock import run_lock
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync.testing import RecordingSink

from .conftest import ROOT
from .lineformat import LineParser

TXT = PathFilter(include=("*.txt",))


def write_files(folder: Path, n: int, *, label_size: int = 0) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(n):
        label = "L" * label_size if label_size else f"Label{i}"
        (folder / f"f{i:03}.txt").write_text(f"class ex:C{i} {label}\nsub ex:C{i} ex:Root")


def make_service(
    folder: Path,
    repo: SqliteRepository,
    *,
    workers: int = 2,
    sinks: list[object] | None = None,
    retry: RetryPolicy | None = None,
    parser: LineParser | None = None,
) -> StreamingSyncService:
    return StreamingSyncService(
        fetcher=FolderFetcher(folder, path_filter=TXT),
        repository=repo,
        parser=parser or LineParser(),
        sinks=sinks or [],  # type: ignore[arg-type]
        config=SyncConfig(
            workers=workers, parse_processes=0, retry=retry or RetryPolicy(base=0.01, cap=0.05)
        ),
    )


def expected_for(folder: Path, paths: object) -> OntologySnapshot:
    """materialize() of exactly ``paths`` of ``folder``: what committed files must show."""
    parser = LineParser()
    files = {}
    for path in sorted(paths):  # type: ignore[call-overload]
        data = (folder / path).read_bytes()
        files[path] = (git_blob_sha1(data), parser.parse(path, data))
    return materialize(files)


# -- a database locked by another connection --------------------------------------------


class LockOnFirstFile:
    """A sink that, when the first file starts, makes a second sqlite3 connection (in a
    thread) hold ``BEGIN IMMEDIATE`` on the database for ``hold`` seconds."""

    def __init__(self, db: Path, hold: float) -> None:
        self.db, self.hold = db, hold
        self.taken = threading.Event()
        self.thread: threading.Thread | None = None

    def _hold(self) -> None:
        connection = sqlite3.connect(self.db, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        self.taken.set()
        time.sleep(self.hold)
        connection.execute("ROLLBACK")
        connection.close()

    async def emit(self, event: object) -> None:
        if isinstance(event, FileStarted) and self.thread is None:
            self.thread = threading.Thread(target=self._hold)
            self.thread.start()
            await asyncio.to_thread(self.taken.wait, 5)


async def test_lock_released_within_the_retries_lets_every_file_land(tmp_path: Path) -> None:
    """Another connection holds the write lock for 0.3 s: writes wait (busy timeout),
    retry with backoff, and every file lands."""
    folder, db = tmp_path / "src", tmp_path / "sync.db"
    write_files(folder, 6)
    sink = LockOnFirstFile(db, hold=0.3)
    retry = RetryPolicy(max_attempts=6, base=0.1, factor=2, cap=0.4)
    async with await SqliteRepository.open(db, busy_timeout=0.1) as repo:
        report = await make_service(folder, repo, sinks=[sink], retry=retry).sync()
        assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == 6
        assert await repo.snapshot("default") == expected_for(
            folder, [p.name for p in folder.iterdir()]
        )
    assert sink.thread is not None
    sink.thread.join()


async def test_lock_held_past_the_retries_fails_those_files_cleanly(tmp_path: Path) -> None:
    """A lock held longer than busy timeout x retries fails the files in flight with a
    retryable DatabaseLockedError naming the database; nothing is half-written (the rows
    equal exactly the committed files) and the next sync lands the rest."""
    folder, db = tmp_path / "src", tmp_path / "sync.db"
    write_files(folder, 12)
    sink, recorder = LockOnFirstFile(db, hold=1.0), RecordingSink()
    retry = RetryPolicy(max_attempts=2, base=0.02, factor=2, cap=0.05)
    async with await SqliteRepository.open(db, busy_timeout=0.05) as repo:
        service = make_service(folder, repo, workers=1, sinks=[sink, recorder], retry=retry)
        report = await service.sync()
        assert sink.thread is not None
        sink.thread.join()
        assert report.outcome is Outcome.PARTIAL and report.failures
        for failure in report.failures:
            assert failure.error_type == "DatabaseLockedError" and failure.retryable
            assert str(db) in failure.message and "locked" in failure.message
        retried = {e.path for e in recorder.of_type(FileRetrying)}  # type: ignore[attr-defined]
        assert {f.path for f in report.failures} <= retried  # each was tried again first
        committed = await repo.committed_files("default")
        assert set(committed).isdisjoint(f.path for f in report.failures)
        assert await repo.snapshot("default") == expected_for(folder, committed)
        again = await make_service(folder, repo).sync()
        assert again.outcome is Outcome.SUCCEEDED
        assert again.files.processed == len(report.failures)
        assert await repo.snapshot("default") == expected_for(
            folder, [p.name for p in folder.iterdir()]
        )


# -- a full disk ------------------------------------------------------------------------


@pytest.fixture
def tiny_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 768 KiB tmpfs (needs root and mount; skipped where unavailable -- the
    max_page_count variant below runs everywhere): room for the schema and a few files
    with their change records, not for the 60 files below."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=768k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


async def _sync_until_full(folder: Path, db: Path, limit_pages: int | None) -> None:
    # max_pages: the documented fallback, a quota on the file of N pages.
    async with await SqliteRepository.open(db, max_pages=limit_pages) as repo:
        with pytest.raises(SyncAborted) as aborted:
            await make_service(folder, repo, workers=2).sync()
        assert "full" in str(aborted.value)
        assert aborted.value.report is not None
        committed = await repo.committed_files("default")
        assert 0 < len(committed) < 60
        assert await repo.snapshot("default") == expected_for(folder, committed)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()


async def test_full_disk_on_a_tiny_tmpfs_stops_the_sync_cleanly(
    tmp_path: Path, tiny_filesystem: Path
) -> None:
    """A real full disk (tmpfs): SQLITE_FULL is fatal -- SyncAborted --, the files
    committed before stay, and the database passes PRAGMA integrity_check."""
    folder = tmp_path / "src"
    write_files(folder, 60, label_size=20_000)
    await _sync_until_full(folder, tiny_filesystem / "sync.db", None)


async def test_full_database_via_max_page_count_stops_the_sync_cleanly(tmp_path: Path) -> None:
    """The same with PRAGMA max_page_count (works without mount): SQLITE_FULL is fatal,
    committed files stay, integrity holds."""
    folder = tmp_path / "src"
    write_files(folder, 60, label_size=20_000)
    db = tmp_path / "sync.db"
    async with await SqliteRepository.open(db):
        pass  # the schema exists, so the cap below only limits the rows
    pages = file_size(db) // 4096
    await _sync_until_full(folder, db, pages + 40)


# -- a corrupt database file --------------------------------------------------------------


def file_size(path: Path) -> int:
    return path.stat().st_size


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "streaming_sync", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=90)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", ["garbage", "zeroed-pages"])
def test_corrupt_database_is_fatal_named_and_never_rewritten(tmp_path: Path, damage: str) -> None:
    """A file that is not a database, or one whose table pages were zeroed: the CLI exits 2
    with a message naming the file, and the bytes of the file are not changed (nothing
    is repaired or recreated)."""
    folder, db = tmp_path / "src", tmp_path / "sync.db"
    write_files(folder, 30)
    if damage == "garbage":
        db.write_bytes(os.urandom(64 * 1024))
    else:
        assert (
            run_cli(
                "sync", str(folder), "--db", str(db), "--include", "*.txt", "--quiet"
            ).returncode
            == 0
        )
        data = bytearray(db.read_bytes())
        data[4096 * 2 :] = bytes(len(data) - 4096 * 2)  # keep page 1 (the schema), zero the rest
        db.write_bytes(bytes(data))
    before = sha256(db)
    done = run_cli("sync", str(folder), "--db", str(db), "--include", "*.txt", "--quiet", "--full")
    assert done.returncode == 2, done.stderr
    assert str(db) in done.stderr
    assert "corrupt" in done.stderr or "malformed" in done.stderr or "not a database" in done.stderr
    assert sha256(db) == before
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0


# -- two syncs of the same ontology at once ------------------------------------------------


class SlowLineParser(LineParser):
    def parse(self, path: str, data: bytes):  # type: ignore[no-untyped-def]
        time.sleep(0.02)
        return super().parse(path, data)


async def test_second_sync_of_the_same_ontology_refuses_naming_the_first(tmp_path: Path) -> None:
    """While one sync runs, a second into the same database and ontology (another
    connection) refuses with SyncInProgress naming host, pid and start; another ontology
    may sync meanwhile; the first ends with exactly the rows of a clean sync."""
    folder, db = tmp_path / "src", tmp_path / "sync.db"
    write_files(folder, 40)
    started = asyncio.Event()

    class Started:
        async def emit(self, event: object) -> None:
            if isinstance(event, FileStarted):
                started.set()

    async with (
        await SqliteRepository.open(db) as first_repo,
        await SqliteRepository.open(db) as second_repo,
    ):
        first = make_service(folder, first_repo, sinks=[Started()], parser=SlowLineParser())
        running = asyncio.create_task(first.sync())
        await started.wait()
        with pytest.raises(SyncInProgress) as refused:
            await make_service(folder, second_repo).sync()
        message = str(refused.value)
        assert f"process {os.getpid()}" in message and socket.gethostname() in message
        assert "unlock" in message and str(db) in message
        assert refused.value.pid == os.getpid() and refused.value.fatal
        other = StreamingSyncService(
            fetcher=FolderFetcher(folder, path_filter=TXT),
            repository=second_repo,
            parser=LineParser(),
            config=SyncConfig(ontology_id="other", workers=2, parse_processes=0),
        )
        assert (await other.sync()).outcome is Outcome.SUCCEEDED
        report = await running
        assert report.outcome is Outcome.SUCCEEDED
        everything = expected_for(folder, [p.name for p in folder.iterdir()])
        assert await first_repo.snapshot("default") == everything
        assert await first_repo.snapshot("other") == everything
        _, last = await first_repo.load("default")
        assert last is not None and last.started_at == report.started_at  # not the refusal
        again = await make_service(folder, second_repo).sync()  # lock released at the end
        assert again.outcome is Outcome.SUCCEEDED


async def test_stale_locks_are_taken_over_and_live_ones_refused(tmp_path: Path) -> None:
    """A lock of a dead process on this host, or with an old heartbeat on another host,
    is taken over; a fresh one from another host is refused until `unlock --force`
    removes it."""
    db = tmp_path / "sync.db"
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await dead.wait()
    async with await SqliteRepository.open(db) as repo:
        await repo.acquire_run_lock("default", f"{socket.gethostname()}:{dead.pid}:1.0")
        await repo.acquire_run_lock("default", "me:1:2.0")  # the dead pid's lock is stale
        await repo.acquire_run_lock("default", "far-away:77:3.0", stale_after=0.0)
        with pytest.raises(SyncInProgress, match="far-away"):
            await repo.acquire_run_lock("default", "me:1:4.0")
    done = await asyncio.to_thread(run_cli, "unlock", "--db", str(db), "--force")
    assert done.returncode == 0 and "far-away:77:3.0" in done.stdout
    async with await SqliteRepository.open(db) as repo:
        await repo.acquire_run_lock("default", "me:1:4.0")
        await repo.release_run_lock("default", "me:1:4.0")
        assert await repo.remove_run_lock("default") is None


async def test_run_lock_heartbeat_is_renewed_while_the_body_runs() -> None:
    """About the private unit ``_runlock.run_lock``: the heartbeat is refreshed every
    stale_after/3 s (the waits measured with an injected sleep) and the lock released at
    the end, also when the body is cancelled."""
    calls: list[str] = []
    waits: list[float] = []
    renewed = asyncio.Event()

    class Store:
        async def acquire_run_lock(
            self, ontology_id: str, holder: str, *, stale_after: float
        ) -> None:
            calls.append("acquire")

        async def renew_run_lock(self, ontology_id: str, holder: str) -> None:
            calls.append("renew")
            if calls.count("renew") == 3:
                renewed.set()

        async def release_run_lock(self, ontology_id: str, holder: str) -> None:
            calls.append("release")

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    async def never(seconds: float) -> None:
        await asyncio.Event().wait()

    async with run_lock(Store(), "default", stale_after=0.75, sleep=sleep) as holder:
        assert holder is not None
        await renewed.wait()
    assert calls[:4] == ["acquire", "renew", "renew", "renew"] and calls[-1] == "release"
    assert set(waits) == {0.25}

    calls.clear()
    body_started = asyncio.Event()

    async def body() -> None:
        async with run_lock(Store(), "default", sleep=never):
            body_started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(body())
    await body_started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == ["acquire", "release"]
