"""``SqliteRepository``: the SQLite storage backend (a ``Repository`` and a
``CheckpointStore``), on one aiosqlite connection.

aiosqlite runs every call of a connection in order on one thread, so writes are
serialised with an ``asyncio.Lock`` rather than pretending they run in parallel: each
``save_file`` is one ``BEGIN IMMEDIATE ... COMMIT`` whose statements never interleave
with another task's. Reads take the same lock, so they never see a write in progress.
sqlite3 errors are translated here, at the edge, into the library's storage errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import aiosqlite

from ..._aio import AsyncClosing
from ..._errors import ServiceClosedError
from ..._model import EMPTY, FileEntry, FileFailure, OntologyData, SyncReport
from ..._snapshot import OntologySnapshot
from . import _lock as _sqlite_lock
from ._open import (
    close_connection,
    join_worker,
    now_iso,
    on_connection_thread,
    open_read_only,
    prepare,
    read_snapshot,
    run_to_completion,
    translate_error,
)
from ._sql import in_transaction, replace_file

logger = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[aiosqlite.Connection], Awaitable[T]]

DEFAULT_BUSY_TIMEOUT = 5.0


class SqliteRepository(AsyncClosing):
    """Stores each file's rows in SQLite, one transaction per file (see ``docs/schema.md``).

    Open with ``await SqliteRepository.open(path)`` (``":memory:"`` for a private
    in-memory database); use as an async context manager or call ``aclose()``.
    """

    def __init__(self, db: aiosqlite.Connection, database: str, busy_timeout: float) -> None:
        """Use :meth:`open`; this wraps an already prepared connection."""
        self._db: aiosqlite.Connection | None = db
        self._database = database
        self._busy_timeout = busy_timeout
        self._lock = asyncio.Lock()
        self._saves = 0

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        read_only: bool = False,
    ) -> SqliteRepository:
        """Open (creating the schema if missing) the database at ``path``.

        ``read_only``: never write to the file (nor create it, its schema or its side
        files where that is impossible), so a database on a read-only file, folder or
        mount can be read; every write then raises ``FatalStorageError`` saying so.

        Raises ``FatalStorageError`` for a file that is not a usable database (or cannot
        be opened), ``SchemaError`` for a schema this version does not know (nothing is
        changed), and ``DatabaseLockedError`` when creating the schema waited past
        ``busy_timeout``."""
        database = os.fspath(path)
        if read_only:
            return cls(await open_read_only(database, busy_timeout), database, busy_timeout)
        connection = aiosqlite.connect(database, isolation_level=None)
        try:
            db = await connection
        except sqlite3.Error as exc:
            await join_worker(connection)
            raise translate_error(exc, database, "opening") from exc
        try:
            await prepare(db, database, busy_timeout)
        except BaseException:
            await close_connection(db)
            raise
        return cls(db, database, busy_timeout)

    @property
    def database(self) -> str:
        """The path the repository was opened at (or ``":memory:"``)."""
        return self._database

    def __repr__(self) -> str:
        state = "closed" if self._db is None else f"{self._saves} files saved"
        return f"<SqliteRepository {self._database!r} [{state}]>"

    async def aclose(self) -> None:
        """Wait for the write in progress, then close the connection. Idempotent. Runs to
        its end even if the caller is cancelled meanwhile (then re-raises): a connection
        left half-closed keeps a thread that outlives the event loop."""
        await run_to_completion(self._close())

    async def _close(self) -> None:
        async with self._lock:
            db, self._db = self._db, None
            if db is not None:
                await close_connection(db)

    # -- Repository ------------------------------------------------------------------

    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
        """Replace ``entry.path``'s rows with ``data`` and record ``entry.sha``, atomically."""
        now = now_iso()
        await self._write(
            f"saving {entry.path!r} of ontology {ontology_id!r}",
            lambda conn: replace_file(conn, ontology_id, entry.path, entry, data, now),
        )
        self._saves += 1

    async def remove_file(self, ontology_id: str, path: str) -> None:
        """Remove ``path``'s rows and record (nothing happens for an unknown path)."""
        now = now_iso()
        await self._write(
            f"removing {path!r} of ontology {ontology_id!r}",
            lambda conn: replace_file(conn, ontology_id, path, None, EMPTY, now),
        )

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
            lambda db: read_snapshot(db, ontology_id),
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

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute("DELETE FROM sync_failures WHERE ontology_id = ?", (ontology_id,))
            if rows:
                await db.executemany(
                    "INSERT OR REPLACE INTO sync_failures (ontology_id, path, error_type, "
                    "message, retryable, attempts, sha, recorded_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO sync_runs (ontology_id, started_at, outcome, report, seq, "
                "recorded_at) VALUES (?1, ?2, ?3, ?4, "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_runs), ?5) "
                "ON CONFLICT (ontology_id, started_at) DO UPDATE SET outcome = excluded.outcome,"
                " report = excluded.report, seq = excluded.seq, recorded_at = excluded.recorded_at",
                params,
            )

        await run_to_completion(
            self._transaction(f"recording the run of {report.ontology_id!r}", work)
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

    async def runs(self, ontology_id: str) -> list[SyncReport]:
        """Every recorded report of ``ontology_id``, oldest first (the run history)."""
        rows = await self._read(
            "loading the run history",
            "SELECT report FROM sync_runs WHERE ontology_id = ? ORDER BY seq",
            (ontology_id,),
        )
        return [SyncReport.from_dict(json.loads(raw)) for (raw,) in rows]

    async def history(self, ontology_id: str, limit: int = 20) -> list[SyncReport]:
        """The ``limit`` latest reports of ``ontology_id``, newest first (by start time)."""
        rows = await self._read(
            "loading the run history",
            "SELECT report FROM sync_runs WHERE ontology_id = ? "
            "ORDER BY started_at DESC, seq DESC LIMIT ?",
            (ontology_id, max(limit, 0)),
        )
        return [SyncReport.from_dict(json.loads(raw)) for (raw,) in rows]

    # -- HTTP cache --------------------------------------------------------------------

    async def cache_get(self, key: str) -> tuple[str, bytes] | None:
        """The (etag, body) stored for ``key``, or None."""
        rows = await self._read(
            "reading the HTTP cache", "SELECT etag, body FROM http_cache WHERE key = ?", (key,)
        )
        return (str(rows[0][0]), bytes(rows[0][1])) if rows else None

    async def cache_put(self, key: str, etag: str, body: bytes) -> None:
        """Store (or replace) the response ``body`` with ``etag`` for ``key``."""
        params = (key, etag, body, now_iso())

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO http_cache (key, etag, body, stored_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, body = excluded.body, "
                "stored_at = excluded.stored_at",
                params,
            )

        await self._transaction("writing the HTTP cache", work)

    # -- run lock ----------------------------------------------------------------------

    async def acquire_run_lock(
        self, ontology_id: str, holder: str, *, stale_after: float = 30.0
    ) -> None:
        """Take the run lock of ``ontology_id`` for ``holder`` (``host:pid:started``), or
        raise ``SyncInProgress`` naming the live holder. A lock whose heartbeat is older
        than ``stale_after`` seconds, or whose process is gone on this host, is taken over."""
        await self._transaction(
            f"taking the run lock of {ontology_id!r}",
            lambda db: _sqlite_lock.acquire(db, self._database, ontology_id, holder, stale_after),
        )

    async def renew_run_lock(self, ontology_id: str, holder: str) -> None:
        """Refresh the heartbeat of ``holder``'s lock; ``SyncInProgress`` if it was lost."""
        await self._transaction(
            f"renewing the run lock of {ontology_id!r}",
            lambda db: _sqlite_lock.renew(db, self._database, ontology_id, holder),
        )

    async def release_run_lock(self, ontology_id: str, holder: str) -> None:
        """Give the lock back (completes even if the caller is cancelled meanwhile)."""
        await run_to_completion(
            self._transaction(
                f"releasing the run lock of {ontology_id!r}",
                lambda db: _sqlite_lock.release(db, ontology_id, holder),
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
            lambda db: _sqlite_lock.remove(db, self._database, ontology_id, force),
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

    def _require_open(self) -> aiosqlite.Connection:
        if self._db is None:
            raise ServiceClosedError(
                f"SqliteRepository({self._database!r}) is closed; "
                "open a new one with SqliteRepository.open()"
            )
        return self._db

    async def _read(self, doing: str, sql: str, params: Sequence[Any]) -> list[Any]:
        async with self._lock:
            db = self._require_open()
            try:
                return list(await db.execute_fetchall(sql, params))
            except sqlite3.Error as exc:
                raise translate_error(exc, self._database, doing) from exc

    async def _transaction(self, doing: str, work: Work[T], *, begin: str = "BEGIN IMMEDIATE") -> T:
        """Run ``work`` in one transaction; on any exception (cancellation included) roll
        back -- to completion, even if cancelled again -- and translate sqlite3 errors."""
        async with self._lock:
            db = self._require_open()
            started = time.perf_counter()
            try:
                await db.execute(begin)
            except sqlite3.Error as exc:
                raise translate_error(exc, self._database, doing) from exc
            except BaseException:
                # Cancelled while BEGIN ran on the connection's thread: it may have begun,
                # and a transaction left open would break every later call.
                await run_to_completion(self._rollback(db, doing))
                raise
            try:
                result = await work(db)
                await db.execute("COMMIT")
            except BaseException as exc:
                await run_to_completion(self._rollback(db, doing))
                if isinstance(exc, sqlite3.Error):
                    raise translate_error(exc, self._database, doing) from exc
                raise
            logger.debug(
                "%s: %s took %.2f ms", self._database, doing, (time.perf_counter() - started) * 1e3
            )
            return result

    async def _write(self, doing: str, work: Callable[[sqlite3.Connection], None]) -> None:
        """Run ``work`` in one ``BEGIN IMMEDIATE ... COMMIT`` as ONE synchronous call on the
        connection's thread (``in_transaction``: ROLLBACK on any error), not one thread hop
        per statement. Once queued it runs to its end there, so a cancelled caller waits
        for it (one file's write) and the file is either committed or left as it was."""
        async with self._lock:
            db = self._require_open()
            started = time.perf_counter()
            try:
                await run_to_completion(
                    on_connection_thread(
                        db, lambda conn: in_transaction(conn, work, "BEGIN IMMEDIATE")
                    )
                )
            except sqlite3.Error as exc:
                raise translate_error(exc, self._database, doing) from exc
            logger.debug(
                "%s: %s took %.2f ms", self._database, doing, (time.perf_counter() - started) * 1e3
            )

    async def _rollback(self, db: aiosqlite.Connection, doing: str) -> None:
        try:
            await db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            # "no transaction is active": the COMMIT went through before the failure.
            logger.debug("%s: rollback after %s: %s", self._database, doing, exc)


__all__ = ["DEFAULT_BUSY_TIMEOUT", "SqliteRepository", "translate_error"]
