"""``SqliteRepository``: the SQLite storage backend (a ``Repository`` with group commit
and streamed saves, a ``CheckpointStore``, the run lock, the HTTP validator cache and
the run history), on one ``Connection`` (``_connection``): a stdlib ``sqlite3``
connection that owns one thread.

Every transaction is ONE call on that thread -- each ``save_file`` or ``write_batch`` is
one ``BEGIN IMMEDIATE ... COMMIT`` -- and the thread runs the calls in order, so no two
tasks' statements ever interleave and reads never see a write in progress; no lock is
needed beside it. sqlite3 errors are translated at that edge into the library's storage
errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, TypeVar

from ..._aio import AsyncClosing, run_to_completion
from ..._change_counts import ChangeSummary
from ..._changes import current_run_id, report_commit
from ..._errors import ServiceClosedError
from ..._model import FileEntry, FileFailure, FileWrite, OntologyData, SyncReport
from ..._snapshot import OntologySnapshot
from . import _lock
from ._connection import Connection, settle
from ._driver import read_snapshot, write_batch, write_parts
from ._feed import SqliteChangeFeed
from ._handoff import Handoff
from ._open import MEMORY, now_iso, open_database, open_read_only

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BUSY_TIMEOUT = 5.0


class SqliteRepository(SqliteChangeFeed, AsyncClosing):
    """Stores each file's rows in SQLite, one transaction per file (see ``docs/schema.md``).

    Open with ``await SqliteRepository.open(path)`` (``":memory:"`` for a private
    in-memory database); use as an async context manager or call ``aclose()``.
    """

    def __init__(self, db: Connection, database: str) -> None:
        """Use :meth:`open`; this wraps an already prepared connection."""
        self._db: Connection | None = db
        self._database = database
        self._saves = 0

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        read_only: bool = False,
        max_pages: int | None = None,
    ) -> SqliteRepository:
        """Open (creating the schema if missing) the database at ``path``.

        ``read_only``: never write to the file (nor create it, its schema or its side
        files where that is impossible), so a database on a read-only file, folder or
        mount can be read; every write then raises ``FatalStorageError`` saying so.
        ``max_pages``: a quota -- the file may grow to at most this many pages (SQLite's
        ``max_page_count``, 4 KiB each by default) through this repository; a write past
        it fails like a full disk, with ``FatalStorageError``.

        Raises ``FatalStorageError`` for a file that is not a usable database (or cannot
        be opened), ``SchemaError`` for a schema this version does not know (nothing is
        changed), and ``DatabaseLockedError`` when creating the schema waited past
        ``busy_timeout``."""
        database = os.fspath(path)
        if max_pages is not None and (
            isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1
        ):
            raise ValueError(f"max_pages={max_pages!r}: must be a whole number, 1 or more")
        if read_only:
            return cls(await open_read_only(database, busy_timeout), database)
        repository = cls(await open_database(database, busy_timeout), database)
        if max_pages is not None:
            try:
                await repository._read(
                    "setting max_pages", f"PRAGMA max_page_count = {max_pages}", ()
                )
            except BaseException:
                await repository.aclose()
                raise
        return repository

    @property
    def database(self) -> str:
        """The path the repository was opened at (or ``":memory:"``)."""
        return self._database

    def __repr__(self) -> str:
        state = "closed" if self._db is None else f"{self._saves} files saved"
        return f"<SqliteRepository {self._database!r} [{state}]>"

    async def aclose(self) -> None:
        """Wait for the calls in progress, then close the connection and join its thread.
        Idempotent; runs to its end even if the caller is cancelled meanwhile."""
        db, self._db = self._db, None
        if db is not None:
            await db.aclose()

    # -- Repository ------------------------------------------------------------------

    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
        """Replace ``entry.path``'s rows with ``data`` and record ``entry.sha``, atomically.

        The whole write is one call on the connection's thread: a caller cancelled
        meanwhile waits for it (one file's write), so the file is either committed or
        left as it was, never half written."""
        await self._write(
            ontology_id,
            [FileWrite(entry, data)],
            f"saving {entry.path!r} of ontology {ontology_id!r}",
        )

    async def remove_file(self, ontology_id: str, path: str) -> None:
        """Remove ``path``'s rows and record (nothing happens for an unknown path)."""
        await self._write(
            ontology_id,
            [FileWrite(FileEntry(path, 0, ""), None)],
            f"removing {path!r} of ontology {ontology_id!r}",
        )

    async def write_batch(self, ontology_id: str, items: Sequence[FileWrite]) -> None:
        """Write every file of ``items`` (a save, or a removal when its ``data`` is None)
        in ONE transaction, recomputing the public rows once (``BatchWriter``). On any
        error nothing of the batch is committed. Cancellation as for :meth:`save_file`."""
        if items:
            await self._write(
                ontology_id, items, f"writing {_files(items)} of ontology {ontology_id!r}"
            )

    async def save_file_parts(
        self, ontology_id: str, entry: FileEntry, parts: AsyncIterator[OntologyData]
    ) -> None:
        """Save ``entry.path`` from its rows in ``parts`` (``StreamWriter``), inserting
        each part as it comes, in ONE transaction committed when the parts end.

        The transaction is one call on the connection's thread that takes the parts
        from a bounded handoff (``_handoff``) while this task reads them from ``parts``:
        the event loop never blocks, and at most a few parts are held at a time. Until
        the parts end, the repository's other calls wait (one connection, one
        transaction) and other processes cannot write the database. If ``parts`` raises
        or the caller is cancelled before they end, the transaction rolls back and the
        error propagates."""
        doing = f"saving {entry.path!r} of ontology {ontology_id!r} in parts"
        handoff = Handoff(asyncio.get_running_loop())
        now, run = now_iso(), current_run_id()

        def work(conn: sqlite3.Connection) -> ChangeSummary:
            try:
                return write_parts(conn, ontology_id, entry, handoff.parts(), now, run)
            finally:
                handoff.stop()

        job = asyncio.ensure_future(self._transaction(doing, work))
        try:
            async for part in parts:
                if not await handoff.put(part):
                    break  # the write failed: its error is raised below
        except BaseException:
            handoff.abort()
            await settle(job)
            raise
        handoff.end()
        changed = await job
        self._saves += 1
        await report_commit((entry.path,), changed)

    async def committed_files(self, ontology_id: str) -> Mapping[str, str]:
        rows = await self._read(
            "reading committed files",
            "SELECT path, blob_sha FROM sync_files WHERE ontology_id = ?",
            (ontology_id,),
        )
        return {str(path): str(sha) for path, sha in rows}

    async def snapshot(self, ontology_id: str) -> OntologySnapshot:
        """The public rows of ``ontology_id``, read in one transaction."""
        return await self._transaction(
            f"reading ontology {ontology_id!r}",
            lambda conn: read_snapshot(conn, ontology_id),
            begin="BEGIN",
        )

    # -- CheckpointStore -------------------------------------------------------------

    async def record_failures(self, ontology_id: str, failures: Sequence[FileFailure]) -> None:
        """Replace the set of failing files of ``ontology_id``."""
        now = now_iso()
        rows = [
            (ontology_id, f.path, f.error_type, f.message, int(f.retryable), f.attempts, f.sha, now)
            for f in failures
        ]

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM sync_failures WHERE ontology_id = ?", (ontology_id,))
            conn.executemany(
                "INSERT OR REPLACE INTO sync_failures (ontology_id, path, error_type, "
                "message, retryable, attempts, sha, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

        await self._transaction(f"recording failures of {ontology_id!r}", work)

    async def record_run(self, report: SyncReport) -> None:
        """Store ``report``, replacing the one with the same ``started_at``; completes
        even if the caller is cancelled meanwhile."""
        params = (
            report.ontology_id,
            report.started_at,
            str(report.outcome),
            json.dumps(report.to_dict(), ensure_ascii=False),
            now_iso(),
        )
        sql = (
            "INSERT INTO sync_runs (ontology_id, started_at, outcome, report, seq, "
            "recorded_at) VALUES (?1, ?2, ?3, ?4, "
            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_runs), ?5) "
            "ON CONFLICT (ontology_id, started_at) DO UPDATE SET outcome = excluded.outcome,"
            " report = excluded.report, seq = excluded.seq, recorded_at = excluded.recorded_at"
        )
        await run_to_completion(
            self._transaction(
                f"recording the run of {report.ontology_id!r}",
                lambda conn: conn.execute(sql, params).close(),
            )
        )

    async def load(self, ontology_id: str) -> tuple[list[FileFailure], SyncReport | None]:
        """The failing files of ``ontology_id`` (by path) and its latest recorded report."""
        failures = await self._read(
            "loading failures",
            "SELECT path, error_type, message, retryable, attempts, sha FROM sync_failures "
            "WHERE ontology_id = ? ORDER BY path",
            (ontology_id,),
        )
        runs = await self._read(
            "loading the latest run",
            "SELECT report FROM sync_runs WHERE ontology_id = ? ORDER BY seq DESC LIMIT 1",
            (ontology_id,),
        )
        report = SyncReport.from_dict(json.loads(runs[0][0])) if runs else None
        return [
            FileFailure(str(p), str(t), str(m), bool(r), int(a), s) for p, t, m, r, a, s in failures
        ], report

    async def history(self, ontology_id: str, limit: int = 20) -> list[SyncReport]:
        """The ``limit`` latest reports of ``ontology_id``, newest first (by start time)."""
        rows = await self._read(
            "loading the run history",
            "SELECT report FROM sync_runs WHERE ontology_id = ? "
            "ORDER BY started_at DESC, seq DESC LIMIT ?",
            (ontology_id, max(limit, 0)),
        )
        return [SyncReport.from_dict(json.loads(raw)) for (raw,) in rows]

    # -- HTTP validator cache ----------------------------------------------------------

    async def cache_get(self, key: str) -> tuple[str, bytes] | None:
        """The (etag, body) stored for ``key``, or None."""
        rows = await self._read(
            "reading the HTTP cache", "SELECT etag, body FROM http_cache WHERE key = ?", (key,)
        )
        return (str(rows[0][0]), bytes(rows[0][1])) if rows else None

    async def cache_put(self, key: str, etag: str, body: bytes) -> None:
        """Store (or replace) the response ``body`` with ``etag`` for ``key``."""
        params = (key, etag, body, now_iso())
        sql = (
            "INSERT INTO http_cache (key, etag, body, stored_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, body = excluded.body, "
            "stored_at = excluded.stored_at"
        )
        await self._transaction(
            "writing the HTTP cache", lambda conn: conn.execute(sql, params).close()
        )

    # -- run lock ----------------------------------------------------------------------

    async def acquire_run_lock(
        self, ontology_id: str, holder: str, *, stale_after: float = 30.0
    ) -> None:
        """Take the run lock of ``ontology_id`` for ``holder`` (``host:pid:started``), or
        raise ``SyncInProgress`` naming the live holder. A lock whose heartbeat is older
        than ``stale_after`` seconds, or whose process is gone on this host, is taken over."""
        await self._transaction(
            f"taking the run lock of {ontology_id!r}",
            lambda conn: _lock.acquire(conn, self._database, ontology_id, holder, stale_after),
        )

    async def renew_run_lock(self, ontology_id: str, holder: str) -> None:
        """Refresh the heartbeat of ``holder``'s lock; ``SyncInProgress`` if it was lost."""
        await self._transaction(
            f"renewing the run lock of {ontology_id!r}",
            lambda conn: _lock.renew(conn, self._database, ontology_id, holder),
        )

    async def release_run_lock(self, ontology_id: str, holder: str) -> None:
        """Give the lock back (completes even if the caller is cancelled meanwhile)."""
        await run_to_completion(
            self._transaction(
                f"releasing the run lock of {ontology_id!r}",
                lambda conn: _lock.release(conn, ontology_id, holder),
            )
        )

    async def remove_run_lock(self, ontology_id: str, *, force: bool = False) -> str | None:
        """Remove the lock of ``ontology_id``; returns the old holder (None when there was
        no lock). Raises ``SyncInProgress``, removing nothing, when the holder is a live
        process of this host (``force`` or not), and when it is on another host -- whose
        liveness cannot be checked from here -- unless ``force``. A holder of this host
        that is gone (or whose pid now belongs to a newer process) is removed."""
        return await self._transaction(
            f"removing the run lock of {ontology_id!r}",
            lambda conn: _lock.remove(conn, self._database, ontology_id, force),
        )

    # -- maintenance -------------------------------------------------------------------

    async def check_integrity(self) -> list[str]:
        """Problems ``PRAGMA quick_check`` and ``PRAGMA foreign_key_check`` report (an
        empty list for a healthy database)."""
        quick = await self._read("checking integrity", "PRAGMA quick_check", ())
        keys = await self._read("checking foreign keys", "PRAGMA foreign_key_check", ())
        problems = [str(row[0]) for row in quick if row[0] != "ok"]
        return problems + [f"foreign key violation: {tuple(row)}" for row in keys]

    async def pragma(self, name: str) -> object:
        """The value of ``PRAGMA name`` on this repository's connection."""
        if not name.isidentifier():
            raise ValueError(f"not a pragma name: {name!r}")
        rows = await self._read(f"reading PRAGMA {name}", f"PRAGMA {name}", ())
        return rows[0][0] if rows else None

    # -- plumbing ----------------------------------------------------------------------

    async def _write(self, ontology_id: str, items: Sequence[FileWrite], doing: str) -> None:
        """One transaction of ``items``, tagged with the current run; its
        ``RowsChanged`` once committed."""
        now, run = now_iso(), current_run_id()
        changed = await self._transaction(
            doing, lambda conn: write_batch(conn, ontology_id, items, now, run_id=run)
        )
        self._saves += sum(item.data is not None for item in items)
        await report_commit([item.entry.path for item in items], changed)

    def _require_open(self) -> Connection:
        if self._db is None:
            raise ServiceClosedError(
                f"SqliteRepository({self._database!r}) is closed; "
                "open a new one with SqliteRepository.open()"
            )
        return self._db

    async def _read(self, doing: str, sql: str, params: Sequence[Any]) -> list[Any]:
        return await self._require_open().fetchall(sql, params, doing=doing)

    async def _transaction(
        self, doing: str, work: Callable[[sqlite3.Connection], T], *, begin: str = "BEGIN IMMEDIATE"
    ) -> T:
        """``work`` in one transaction, as ONE call on the connection's thread."""
        db = self._require_open()
        started = time.perf_counter()
        result = await db.transaction(work, doing, begin=begin)
        logger.debug(
            "%s: %s took %.2f ms", self._database, doing, (time.perf_counter() - started) * 1e3
        )
        return result


def _files(items: Sequence[FileWrite]) -> str:
    """How an error names a batch: its one file, or the first and how many."""
    if len(items) == 1:
        return repr(items[0].entry.path)
    return f"{len(items)} files ({items[0].entry.path!r}, ...)"


__all__ = ["DEFAULT_BUSY_TIMEOUT", "MEMORY", "SqliteRepository"]
