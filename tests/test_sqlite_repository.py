"""SQLite specifics of SqliteRepository: pragmas, atomic per-file writes, cancellation,
error translation, checkpoints, the HTTP cache, and refusing databases it must not touch.
The convergence semantics are pinned down by tests/test_repository_contract.py."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from streaming_sync import (
    DatabaseLockedError,
    FatalStorageError,
    FileCounts,
    FileEntry,
    FileFailure,
    FileSkip,
    OntologyData,
    Outcome,
    RowCounts,
    SchemaError,
    ServiceClosedError,
    StageTimes,
    StorageError,
    SyncReport,
    materialize,
)
from streaming_sync.storage._write import Batch, Statement
from streaming_sync.storage.sqlite import SqliteRepository, _driver
from streaming_sync.storage.sqlite._connection import translate_error
from streaming_sync.testing.contract import assert_same_rows, cls, data

SQLText = Mapping[str, str]

OID = "onto"
OLD = data(cls("ex:Old", "old"), edges=[("ex:Old", "ex:Root")], links=[("ex:Old", "t")], keys=["a"])
OTHER = data(cls("ex:T"), edges=[("ex:Old", "ex:Root")], keys=["t"])
NEW = data(cls("ex:Fine"), cls("ex:Boom"), edges=[("ex:Boom", "ex:Root"), ("ex:Fine", "ex:X")])


@pytest.fixture
async def repo(db_path: Path) -> AsyncIterator[SqliteRepository]:
    async with await SqliteRepository.open(db_path) as repository:
        yield repository


@contextmanager
def connect(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A second, plain connection to the database file (autocommit)."""
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        yield conn


# Small blocking file helpers: test files of a few KB, read outside the event loop's hot path.
def _write(path: Path, content: bytes) -> None:
    path.write_bytes(content)


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def settle_loop() -> None:
    """Let every ready callback of the event loop run (no time passes)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def save(repo: SqliteRepository, path: str, content: OntologyData, sha: str) -> None:
    await repo.save_file(OID, FileEntry(path, 0, sha), content)


async def assert_holds(repo: SqliteRepository, files: dict[str, tuple[str, OntologyData]]) -> None:
    assert_same_rows(await repo.snapshot(OID), materialize(files))
    assert dict(await repo.committed_files(OID)) == {p: sha for p, (sha, _) in files.items()}
    assert await repo.check_integrity() == []


async def test_pragmas_are_set(db_path: Path) -> None:
    """A file database runs in WAL mode with synchronous=NORMAL, foreign keys on and the
    busy timeout given to open()."""
    async with await SqliteRepository.open(db_path, busy_timeout=1.5) as repo:
        assert await repo.pragma("journal_mode") == "wal"
        assert await repo.pragma("synchronous") == 1  # NORMAL
        assert await repo.pragma("foreign_keys") == 1
        assert await repo.pragma("busy_timeout") == 1500
        assert await repo.pragma("wal_autocheckpoint") == 10000


async def test_memory_database_works_without_wal() -> None:
    """':memory:' is accepted; WAL does not apply to it, foreign keys still do."""
    async with await SqliteRepository.open(":memory:") as repo:
        assert await repo.pragma("journal_mode") == "memory"
        assert await repo.pragma("foreign_keys") == 1
        await save(repo, "a.md", OLD, "1")
        assert_same_rows(await repo.snapshot(OID), materialize({"a.md": ("1", OLD)}))


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("file_classes", "class_iri"),  # among the provenance inserts
        ("owl_class_hierarchy", "class_iri"),  # in the public recompute, after the class upsert
        ("link_edges", "class_iri"),
    ],  # while re-resolving page links
)
async def test_failure_inside_a_file_write_rolls_back_all_of_it(
    repo: SqliteRepository, db_path: Path, table: str, column: str
) -> None:
    """A fault injected between two statements of one file's write (a trigger raising on
    one IRI) leaves none of the new rows and the file's previous content intact; the
    error names the database and the path; the repository stays usable."""
    await save(repo, "a.md", OLD, "1")
    await save(repo, "t.md", OTHER, "2")
    with connect(db_path) as conn:
        conn.execute(
            f"CREATE TRIGGER boom BEFORE INSERT ON {table} "
            f"WHEN NEW.{column} = 'ex:Boom' BEGIN SELECT RAISE(ABORT, 'injected'); END"
        )
    bad = data(*NEW.classes, edges=[("ex:Boom", "ex:Root")], links=[("ex:Boom", "t")])
    with pytest.raises(StorageError, match="injected") as caught:
        await save(repo, "a.md", bad, "3")
    assert type(caught.value) is StorageError
    assert str(db_path) in str(caught.value)
    assert "'a.md'" in str(caught.value)
    files = {"a.md": ("1", OLD), "t.md": ("2", OTHER)}
    await assert_holds(repo, files)
    with connect(db_path) as conn:
        conn.execute("DROP TRIGGER boom")
    await save(repo, "b.md", NEW, "4")
    await assert_holds(repo, {**files, "b.md": ("4", NEW)})


# The faults below are injected into a private unit -- the driver that runs the write's
# statements (``storage/sqlite/_driver.py``) -- half-way through a file's write, where no
# public hook reaches: collecting the file's new rows (``collect_new``) runs after its
# provenance rows are written and before the public rows are recomputed.
MIDWAY = "collect_new"


async def test_python_exception_mid_write_rolls_back(
    repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-SQLite exception half-way through a write (injected into the private
    driver) is re-raised as is, after the transaction was rolled back."""
    await save(repo, "a.md", OLD, "1")
    execute = _driver.execute

    def explode(conn: sqlite3.Connection, statement: Statement | Batch, sql: SQLText) -> int:
        if statement.key == MIDWAY:
            raise RuntimeError("boom")
        return execute(conn, statement, sql)

    monkeypatch.setattr(_driver, "execute", explode)
    with pytest.raises(RuntimeError, match="boom"):
        await save(repo, "a.md", NEW, "2")
    monkeypatch.undo()
    await assert_holds(repo, {"a.md": ("1", OLD)})


class Staller:
    """Stands in for the private driver's ``execute``: blocks the connection's thread
    half-way through a file's write (at ``MIDWAY``) until released, then fails or goes
    on."""

    def __init__(self, *, fail: bool = False) -> None:
        self.reached, self.release = threading.Event(), threading.Event()
        self.fail = fail
        self.execute = _driver.execute

    def __call__(self, conn: sqlite3.Connection, statement: Statement | Batch, sql: SQLText) -> int:
        if statement.key == MIDWAY:
            self.reached.set()
            assert self.release.wait(10), "never released"
            if self.fail:
                raise RuntimeError("failed after the cancellation")
        return self.execute(conn, statement, sql)

    async def wait_reached(self) -> None:
        assert await asyncio.to_thread(self.reached.wait, 5)


@pytest.mark.parametrize("fail", [False, True], ids=["completes", "fails"])
async def test_cancelled_save_is_all_or_nothing(
    repo: SqliteRepository, db_path: Path, monkeypatch: pytest.MonkeyPatch, fail: bool
) -> None:
    """A save_file cancelled while its transaction runs on the connection's thread (held
    there by a stall injected into the private driver) waits for that transaction to
    end, then raises CancelledError: the file is then either fully committed (the write
    went on) or untouched (it failed and rolled back), never half written, and the next
    write on the same connection works."""
    await save(repo, "a.md", OLD, "1")
    staller = Staller(fail=fail)
    monkeypatch.setattr(_driver, "execute", staller)
    task = asyncio.create_task(save(repo, "a.md", NEW, "2"))
    await staller.wait_reached()
    task.cancel()
    await settle_loop()
    assert not task.done()  # still waiting for the transaction on the thread
    with connect(db_path) as conn:  # meanwhile other connections see the old content
        assert conn.execute("SELECT blob_sha FROM sync_files").fetchall() == [("1",)]
    staller.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    monkeypatch.undo()
    files = {"a.md": ("1", OLD) if fail else ("2", NEW)}
    await assert_holds(repo, files)
    await save(repo, "b.md", NEW, "3")
    await assert_holds(repo, {**files, "b.md": ("3", NEW)})


async def test_timestamps_created_kept_updated_refreshed(
    repo: SqliteRepository, db_path: Path
) -> None:
    """Re-saving keeps a class row's created_at and refreshes updated_at/last_synced."""
    query = "SELECT created_at, updated_at, last_synced FROM owl_classes WHERE class_iri = ?"
    await save(repo, "a.md", data(cls("ex:A", "one")), "1")
    with connect(db_path) as conn:
        created, updated, synced = conn.execute(query, ("ex:A",)).fetchone()
    await save(repo, "a.md", data(cls("ex:A", "two")), "2")
    with connect(db_path) as conn:
        created2, updated2, synced2 = conn.execute(query, ("ex:A",)).fetchone()
    assert created2 == created
    assert updated2 > updated
    assert synced2 > synced


def _report(oid: str, started_at: float, outcome: Outcome) -> SyncReport:
    return SyncReport(
        ontology_id=oid,
        source="memory:",
        commit="c0ffee",
        outcome=outcome,
        files=FileCounts(listed=3, processed=2, succeeded=1, failed=1),
        rows=RowCounts(classes=5),
        started_at=started_at,
        duration_s=1.5,
        failures=(FileFailure("b.md", "ParseError", "bad", False, 1, "abc"),),
        skipped=(FileSkip("c.md", "empty"),),
        warnings=(("a.md", "odd"),),
        stages=StageTimes(parsing=0.25),
        error=None,
    )


async def test_record_failures_replaces_the_set(repo: SqliteRepository) -> None:
    """record_failures replaces the failing set of its id only; load returns it."""
    first = [
        FileFailure("a.md", "ParseError", "bad", False, 1, "s1"),
        FileFailure("b.md", "TransientFetchError", "503", True, 3),
    ]
    await repo.record_failures(OID, first)
    await repo.record_failures("other", first[:1])
    assert (await repo.load(OID))[0] == first
    await repo.record_failures(OID, first[1:])
    assert (await repo.load(OID))[0] == first[1:]
    await repo.record_failures(OID, [])
    assert (await repo.load(OID))[0] == []
    assert (await repo.load("other"))[0] == first[:1]


async def test_record_run_keeps_history(repo: SqliteRepository) -> None:
    """The final report replaces the RUNNING one of the same started_at; earlier runs
    stay in the history; load returns the latest; ids are separate."""
    await repo.record_run(_report(OID, 100.0, Outcome.RUNNING))
    assert (await repo.load(OID))[1] == _report(OID, 100.0, Outcome.RUNNING)
    await repo.record_run(_report(OID, 100.0, Outcome.PARTIAL))
    await repo.record_run(_report(OID, 200.0, Outcome.RUNNING))
    await repo.record_run(_report(OID, 200.0, Outcome.SUCCEEDED))
    await repo.record_run(_report("other", 300.0, Outcome.ABORTED))
    assert await repo.history(OID) == [
        _report(OID, 200.0, Outcome.SUCCEEDED),
        _report(OID, 100.0, Outcome.PARTIAL),
    ]
    assert (await repo.load(OID))[1] == _report(OID, 200.0, Outcome.SUCCEEDED)
    assert await repo.load("nobody") == ([], None)


async def test_history_is_newest_first_and_limited(repo: SqliteRepository) -> None:
    """history() lists the latest reports by start time, newest first, at most limit."""
    for started in (100.0, 300.0, 200.0):
        await repo.record_run(_report(OID, started, Outcome.SUCCEEDED))
    history = await repo.history(OID, limit=2)
    assert [r.started_at for r in history] == [300.0, 200.0]
    assert await repo.history("nobody") == []


async def test_record_run_survives_cancellation(
    repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """record_run completes its write even when the caller is cancelled while waiting
    for it (here: queued behind a save stalled on the connection's thread by the private
    driver)."""
    await save(repo, "a.md", OLD, "1")
    staller = Staller()
    monkeypatch.setattr(_driver, "execute", staller)
    saving = asyncio.create_task(save(repo, "b.md", NEW, "2"))
    await staller.wait_reached()
    recording = asyncio.create_task(repo.record_run(_report(OID, 1.0, Outcome.ABORTED)))
    await settle_loop()
    recording.cancel()
    staller.release.set()
    with pytest.raises(asyncio.CancelledError):
        await recording
    await saving
    assert (await repo.load(OID))[1] == _report(OID, 1.0, Outcome.ABORTED)


async def test_http_cache(repo: SqliteRepository) -> None:
    """cache_get returns what cache_put stored (binary-safe), the last put wins."""
    assert await repo.cache_get("k") is None
    await repo.cache_put("k", '"etag-1"', b"\x00body\xff")
    assert await repo.cache_get("k") == ('"etag-1"', b"\x00body\xff")
    await repo.cache_put("k", '"etag-2"', b"")
    assert await repo.cache_get("k") == ('"etag-2"', b"")


async def test_data_survives_close_and_reopen(db_path: Path) -> None:
    """Rows, committed SHAs, checkpoints and the cache are all there after reopening."""
    async with await SqliteRepository.open(db_path) as repo:
        await save(repo, "a.md", OLD, "1")
        await save(repo, "t.md", OTHER, "2")
        await repo.record_failures(OID, [FileFailure("x.md", "E", "m", True, 2)])
        await repo.record_run(_report(OID, 5.0, Outcome.SUCCEEDED))
        await repo.cache_put("k", "e", b"b")
    async with await SqliteRepository.open(db_path) as repo:
        await assert_holds(repo, {"a.md": ("1", OLD), "t.md": ("2", OTHER)})
        assert await repo.load(OID) == (
            [FileFailure("x.md", "E", "m", True, 2)],
            _report(OID, 5.0, Outcome.SUCCEEDED),
        )
        assert await repo.cache_get("k") == ("e", b"b")


async def test_closed_repository_refuses_use(db_path: Path) -> None:
    """After aclose() (idempotent) every call raises a clear, fatal error."""
    repo = await SqliteRepository.open(db_path)
    await repo.aclose()
    await repo.aclose()
    with pytest.raises(ServiceClosedError, match="closed") as caught:
        await save(repo, "a.md", OLD, "1")
    assert caught.value.fatal
    assert str(db_path) in str(caught.value)
    with pytest.raises(ServiceClosedError):
        await repo.snapshot(OID)
    assert "closed" in repr(repo)


async def test_corrupt_file_is_fatal_and_untouched(db_path: Path) -> None:
    """A file that is not a database raises FatalStorageError naming it, and is left
    byte for byte as it was (no WAL files either)."""
    garbage = bytes(range(256)) * 64
    _write(db_path, garbage)
    with pytest.raises(FatalStorageError) as caught:
        await SqliteRepository.open(db_path)
    assert str(db_path) in str(caught.value)
    assert _read(db_path) == garbage
    assert _listing(db_path.parent) == [db_path.name]


async def test_unopenable_path_is_fatal(tmp_path: Path) -> None:
    """A database path in a folder that does not exist raises FatalStorageError."""
    with pytest.raises(FatalStorageError, match="missing"):
        await SqliteRepository.open(tmp_path / "missing" / "sync.db")


async def test_locked_database_raises_retryable_error_and_writes_nothing(db_path: Path) -> None:
    """While another connection holds BEGIN IMMEDIATE, save_file waits busy_timeout and
    then raises DatabaseLockedError (retryable); nothing is written; a retry succeeds."""
    async with await SqliteRepository.open(db_path, busy_timeout=0.2) as repo:
        with connect(db_path) as other:
            other.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            with pytest.raises(DatabaseLockedError) as caught:
                await save(repo, "a.md", OLD, "1")
            assert time.monotonic() - started >= 0.15
            assert caught.value.retryable
            assert not caught.value.fatal
            other.execute("ROLLBACK")
        await assert_holds(repo, {})
        await save(repo, "a.md", OLD, "1")
        await assert_holds(repo, {"a.md": ("1", OLD)})


def _schema_of(db_path: Path) -> list[tuple[str, str, str]]:
    with connect(db_path) as conn:
        return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall())


async def test_schema_creation_is_idempotent(db_path: Path) -> None:
    """Opening an existing database changes no schema object and adds no version row."""
    versions = "SELECT version, applied_at FROM schema_version"
    async with await SqliteRepository.open(db_path):
        pass
    first = _schema_of(db_path)
    with connect(db_path) as conn:
        created = conn.execute(versions).fetchall()
    async with await SqliteRepository.open(db_path):
        pass
    assert _schema_of(db_path) == first
    with connect(db_path) as conn:
        assert conn.execute(versions).fetchall() == created and len(created) == 1


@pytest.mark.parametrize(
    "ddl",
    [
        # The legacy schema: one ontology per database, no ontology_id column.
        "CREATE TABLE owl_classes (class_iri TEXT PRIMARY KEY, label TEXT, comment TEXT)",
        # Ours, but a version this code does not know.
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT);"
        "INSERT INTO schema_version VALUES (99, 'later')",
        # Versioned, but a table lacks a column.
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT);"
        "INSERT INTO schema_version VALUES (1, 'x');"
        "CREATE TABLE owl_axioms (id INTEGER PRIMARY KEY, subject TEXT)",
    ],
    ids=["legacy", "newer-version", "missing-column"],
)
async def test_unknown_schema_is_refused_untouched(db_path: Path, ddl: str) -> None:
    """A schema we do not know raises SchemaError naming the file and the migrate
    command, and the file is not modified."""
    with connect(db_path) as conn:
        conn.executescript(ddl)
    before = _read(db_path)
    with pytest.raises(SchemaError) as caught:
        await SqliteRepository.open(db_path)
    assert str(db_path) in str(caught.value)
    assert "streaming-sync migrate" in str(caught.value)
    assert _read(db_path) == before


async def test_unrelated_tables_are_left_alone(db_path: Path) -> None:
    """A database holding only someone else's tables gets our schema beside them."""
    with connect(db_path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    async with await SqliteRepository.open(db_path) as repo:
        await save(repo, "a.md", OLD, "1")
    assert ("table", "notes") in [(t, n) for t, n, _ in _schema_of(db_path)]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sqlite3.OperationalError("database is locked"), DatabaseLockedError),
        (sqlite3.DatabaseError("database disk image is malformed"), FatalStorageError),
        (sqlite3.DatabaseError("file is not a database"), FatalStorageError),
        (sqlite3.OperationalError("database or disk is full"), FatalStorageError),
        (sqlite3.IntegrityError("UNIQUE constraint failed: x.y"), StorageError),
    ],
)
def test_sqlite_errors_are_translated(error: sqlite3.Error, expected: type[StorageError]) -> None:
    """Each sqlite3 error maps to the library error the retry logic expects, naming the
    database file and what was being done. (About a private unit: the translation at
    the edge of the SQLite connection, ``storage/sqlite/_connection.py``; real locked,
    corrupt and full databases are met in the tests above and in test_faults.py.)"""
    translated = translate_error(error, "/data/sync.db", "saving 'a.md'")
    assert type(translated) is expected
    assert "/data/sync.db" in str(translated)
    assert "'a.md'" in str(translated)
