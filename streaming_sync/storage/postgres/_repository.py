"""``PostgresRepository``: the PostgreSQL storage backend (a ``Repository`` with group
commit and streamed saves, a ``CheckpointStore`` and the GitHub source's HTTP cache), on
an asyncpg pool.

Install with ``pip install 'streaming_sync[postgres]'``. The schema is that of the SQLite
backend with PostgreSQL types (see ``_schema``), created or upgraded on open under an
advisory lock. Each ``save_file`` (or ``write_batch``) is one transaction that first takes
``pg_advisory_xact_lock`` on its ontology id, so writes to one ontology -- from any
number of tasks, processes and machines -- are serialised (see :meth:`save_file`).
asyncpg errors are translated here, at the edge, into the library's storage errors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import asyncpg

from ..._aio import AsyncClosing, run_to_completion
from ..._change_counts import ChangeSummary
from ..._changes import current_run_id, report_commit
from ..._errors import DatabaseLockedError, FatalStorageError, ServiceClosedError, StorageError
from ..._model import FileEntry, FileFailure, FileWrite, OntologyData, SyncReport
from ..._snapshot import OntologySnapshot
from ._driver import notify, read_snapshot, write_batch, write_parts
from ._feed import DEFAULT_CHANNEL, Listener, PostgresChangeFeed
from ._schema import TEMP_DDL, migrate, quote

logger = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[asyncpg.Connection], Awaitable[T]]

DEFAULT_SCHEMA = "public"
DEFAULT_POOL_SIZE = 10


class PostgresRepository(PostgresChangeFeed, AsyncClosing):
    """Stores each file's rows in PostgreSQL, one transaction per file.

    Open with ``await PostgresRepository.open("postgresql://user@host/db")``; use as an
    async context manager or call ``aclose()``. ``schema`` picks the PostgreSQL schema
    (namespace) that holds the tables, created if missing (default ``public``).
    ``notify_channel``: every commit that changes rows sends ``NOTIFY`` there (run and
    position, never rows; None sends none), and ``wait_for_changes`` listens there.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        schema: str,
        notify_channel: str | None = DEFAULT_CHANNEL,
    ) -> None:
        """Use :meth:`open`; this wraps an already prepared pool."""
        self._pool: asyncpg.Pool | None = pool
        self._where = redact(dsn)
        self._dsn = dsn
        self.schema = schema
        self.notify_channel = notify_channel
        self._listener: Listener | None = None
        self._saves = 0

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        schema: str | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        notify_channel: str | None = DEFAULT_CHANNEL,
    ) -> PostgresRepository:
        """Connect, and create or upgrade the schema (concurrent openers wait for each
        other). ``schema`` defaults to the URL's ``?schema=NAME``, else ``public``.
        Raises ``FatalStorageError`` when the server cannot be reached or refuses us,
        ``SchemaError`` for a schema newer than this version knows."""
        dsn, in_url = split_schema(dsn)
        schema = schema or in_url or DEFAULT_SCHEMA
        where = redact(dsn)

        async def setup(conn: asyncpg.Connection) -> None:
            await conn.execute(TEMP_DDL)

        try:
            first = await asyncpg.connect(dsn, server_settings={"search_path": schema})
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise connect_error(exc, where) from exc
        try:
            await migrate(first, schema, where)
        except asyncpg.PostgresError as exc:
            raise translate_error(exc, where, "creating the schema") from exc
        finally:
            await first.close()
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=pool_size,
                server_settings={"search_path": schema},
                init=setup,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise connect_error(exc, where) from exc
        return cls(pool, dsn, schema, notify_channel)

    @property
    def dsn(self) -> str:
        """The connection string the repository was opened with."""
        return self._dsn

    @property
    def listener(self) -> Listener:
        """The connection listening on ``notify_channel`` (made on first use)."""
        self._require_open()
        if self._listener is None:
            self._listener = Listener(
                self._dsn, self.notify_channel or DEFAULT_CHANNEL, self.schema
            )
        return self._listener

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool (shared with ``PostgresCoordinator``)."""
        return self._require_open()

    def __repr__(self) -> str:
        state = "closed" if self._pool is None else f"{self._saves} files saved"
        return f"<PostgresRepository {self._where} schema={self.schema!r} [{state}]>"

    async def aclose(self) -> None:
        """Wait for the transactions in progress, then close the pool. Idempotent."""
        pool, self._pool = self._pool, None
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.aclose()
        if pool is not None:
            await pool.close()

    # -- Repository ------------------------------------------------------------------

    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
        """Replace ``entry.path``'s rows with ``data`` and record ``entry.sha``, atomically.

        The transaction holds ``pg_advisory_xact_lock`` on the ontology id: saves of one
        ontology run one at a time (across processes), which is what makes concurrent
        participants that share class IRIs, edges and page links never deadlock nor
        interleave their recomputations. The cost: writing is not parallel within one
        ontology -- fine while parsing dominates (a save takes milliseconds); different
        ontologies write in parallel."""
        await self._write(
            ontology_id,
            [FileWrite(entry, data)],
            f"saving {entry.path!r} of ontology {ontology_id!r}",
        )

    # save_file and remove_file are batches of one here as in SqliteRepository; each
    # backend keeps its own two lines, which say what its lock and thread guarantee.
    async def remove_file(self, ontology_id: str, path: str) -> None:
        """Remove ``path``'s rows and record (nothing happens for an unknown path)."""
        await self._write(
            ontology_id,
            [FileWrite(FileEntry(path, 0, ""), None)],
            f"removing {path!r} of ontology {ontology_id!r}",
        )

    async def write_batch(self, ontology_id: str, items: Sequence[FileWrite]) -> None:
        """Write every file of ``items`` (a save, or a removal when its ``data`` is None)
        in ONE transaction under the ontology's lock, recomputing the public rows once
        (``BatchWriter``). On any error (or cancellation) nothing of the batch is
        committed."""
        if items:
            await self._write(
                ontology_id, items, f"writing {_files(items)} of ontology {ontology_id!r}"
            )

    async def save_file_parts(
        self, ontology_id: str, entry: FileEntry, parts: AsyncIterator[OntologyData]
    ) -> None:
        """Save ``entry.path`` from its rows in ``parts`` (``StreamWriter``): each part is
        inserted as it comes, in ONE transaction under the ontology's lock, committed
        when the parts end. Until then other writers of the ontology wait. If ``parts``
        raises or the caller is cancelled, the transaction rolls back."""
        run = current_run_id()

        async def work(conn: asyncpg.Connection) -> ChangeSummary:
            changed = await write_parts(conn, ontology_id, entry, parts, run)
            await self._notify(conn, ontology_id, run, changed)
            return changed

        changed = await self._locked(
            ontology_id, f"saving {entry.path!r} of ontology {ontology_id!r} in parts", work
        )
        self._saves += 1
        await report_commit((entry.path,), changed)

    async def committed_files(self, ontology_id: str) -> Mapping[str, str]:
        rows = await self._fetch(
            "reading committed files",
            "SELECT path, blob_sha FROM sync_files WHERE ontology_id = $1",
            ontology_id,
        )
        return {str(r["path"]): str(r["blob_sha"]) for r in rows}

    async def snapshot(self, ontology_id: str) -> OntologySnapshot:
        """The public rows of ``ontology_id``, read in one repeatable-read transaction."""
        return await self._transaction(
            f"reading ontology {ontology_id!r}",
            lambda conn: read_snapshot(conn, ontology_id),
            isolation="repeatable_read",
            readonly=True,
        )

    # -- CheckpointStore -------------------------------------------------------------

    async def record_failures(self, ontology_id: str, failures: Sequence[FileFailure]) -> None:
        """Replace the set of failing files of ``ontology_id`` (under the ontology's lock,
        so two participants' replacements never merge)."""
        rows = [
            (ontology_id, f.path, f.error_type, f.message, f.retryable, f.attempts, f.sha)
            for f in failures
        ]

        async def work(conn: asyncpg.Connection) -> None:
            await conn.execute("DELETE FROM sync_failures WHERE ontology_id = $1", ontology_id)
            if rows:
                await conn.executemany(
                    "INSERT INTO sync_failures (ontology_id, path, error_type, message, "
                    "retryable, attempts, sha, recorded_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, now()) ON CONFLICT DO NOTHING",
                    rows,
                )

        await self._locked(ontology_id, f"recording failures of {ontology_id!r}", work)

    async def record_run(self, report: SyncReport) -> None:
        """Store ``report``, replacing the one with the same ``started_at`` (it becomes
        the latest); completes even if the caller is cancelled meanwhile."""
        params = (
            report.ontology_id,
            report.started_at,
            str(report.outcome),
            json.dumps(report.to_dict(), ensure_ascii=False),
        )

        async def work(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO sync_runs (ontology_id, started_at, outcome, report, recorded_at)"
                " VALUES ($1, $2, $3, $4::jsonb, now()) ON CONFLICT (ontology_id, started_at)"
                " DO UPDATE SET outcome = excluded.outcome, report = excluded.report,"
                " seq = excluded.seq, recorded_at = excluded.recorded_at",
                *params,
            )

        await run_to_completion(
            self._transaction(f"recording the run of {report.ontology_id!r}", work)
        )

    async def load(self, ontology_id: str) -> tuple[list[FileFailure], SyncReport | None]:
        """The failing files of ``ontology_id`` (by path) and its latest recorded report."""
        failures = await self._fetch(
            "loading failures",
            "SELECT path, error_type, message, retryable, attempts, sha FROM sync_failures "
            "WHERE ontology_id = $1 ORDER BY path",
            ontology_id,
        )
        runs = await self._fetch(
            "loading the latest run",
            "SELECT report::text FROM sync_runs WHERE ontology_id = $1 ORDER BY seq DESC LIMIT 1",
            ontology_id,
        )
        report = SyncReport.from_dict(json.loads(runs[0][0])) if runs else None
        return [FileFailure(*row) for row in failures], report

    async def history(self, ontology_id: str, limit: int = 20) -> list[SyncReport]:
        """The ``limit`` latest reports of ``ontology_id``, newest first (by start time)."""
        rows = await self._fetch(
            "loading the run history",
            "SELECT report::text FROM sync_runs WHERE ontology_id = $1 "
            "ORDER BY started_at DESC, seq DESC LIMIT $2",
            ontology_id,
            max(limit, 0),
        )
        return [SyncReport.from_dict(json.loads(raw)) for (raw,) in rows]

    # -- HTTP cache --------------------------------------------------------------------

    async def cache_get(self, key: str) -> tuple[str, bytes] | None:
        """The (etag, body) stored for ``key``, or None."""
        rows = await self._fetch(
            "reading the HTTP cache", "SELECT etag, body FROM http_cache WHERE key = $1", key
        )
        return (str(rows[0][0]), bytes(rows[0][1])) if rows else None

    async def cache_put(self, key: str, etag: str, body: bytes) -> None:
        """Store (or replace) the response ``body`` with ``etag`` for ``key``."""
        await self._transaction(
            "writing the HTTP cache",
            lambda conn: conn.execute(
                "INSERT INTO http_cache (key, etag, body, stored_at) VALUES ($1, $2, $3, now())"
                " ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, body = excluded.body,"
                " stored_at = excluded.stored_at",
                key,
                etag,
                body,
            ),
        )

    # -- maintenance -------------------------------------------------------------------

    async def drop_schema(self) -> None:
        """``DROP SCHEMA ... CASCADE`` of this repository's schema, then close (for tests
        and tear-down; refuses ``public``)."""
        if self.schema == DEFAULT_SCHEMA:
            raise ValueError("refusing to drop the public schema")
        await self._transaction(
            "dropping the schema",
            lambda conn: conn.execute(f"DROP SCHEMA IF EXISTS {quote(self.schema)} CASCADE"),
        )
        await self.aclose()

    # -- plumbing ----------------------------------------------------------------------

    def _require_open(self) -> asyncpg.Pool:
        if self._pool is None:
            raise ServiceClosedError(
                f"PostgresRepository({self._where}) is closed; "
                "open a new one with PostgresRepository.open()"
            )
        return self._pool

    async def _fetch(self, doing: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        pool = self._require_open()
        try:
            return list(await pool.fetch(sql, *args))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise translate_error(exc, self._where, doing) from exc

    async def _write(self, ontology_id: str, items: Sequence[FileWrite], doing: str) -> None:
        """One transaction of ``items``, tagged with the current run, its notification
        when it changed rows, and its ``RowsChanged`` once committed."""
        run = current_run_id()

        async def work(conn: asyncpg.Connection) -> ChangeSummary:
            changed = await write_batch(conn, ontology_id, items, run_id=run)
            await self._notify(conn, ontology_id, run, changed)
            return changed

        changed = await self._locked(ontology_id, doing, work)
        self._saves += sum(item.data is not None for item in items)
        await report_commit([item.entry.path for item in items], changed)

    async def _notify(
        self, conn: asyncpg.Connection, oid: str, run: str | None, changed: ChangeSummary
    ) -> None:
        """``NOTIFY`` (sent when the transaction commits) if it changed rows."""
        if changed.total and self.notify_channel is not None:
            await notify(conn, self.notify_channel, oid, run)

    async def _locked(self, ontology_id: str, doing: str, work: Work[T]) -> T:
        """``work`` in a transaction holding the ontology's advisory lock."""

        async def locked(conn: asyncpg.Connection) -> T:
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1)", lock_key(self.schema, ontology_id)
            )
            return await work(conn)

        return await self._transaction(doing, locked)

    async def _transaction(
        self,
        doing: str,
        work: Work[T],
        *,
        isolation: str = "read_committed",
        readonly: bool = False,
    ) -> T:
        """Run ``work`` in one transaction on a pooled connection; on any exception
        (cancellation included) it rolls back -- to completion -- and asyncpg errors are
        translated."""
        pool = self._require_open()
        started = time.perf_counter()
        try:
            return await _in_transaction(pool, work, isolation, readonly)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise translate_error(exc, self._where, doing) from exc
        finally:
            logger.debug(
                "%s: %s took %.2f ms", self._where, doing, (time.perf_counter() - started) * 1e3
            )


async def _in_transaction(pool: asyncpg.Pool, work: Work[T], isolation: str, readonly: bool) -> T:
    async with pool.acquire() as conn, conn.transaction(isolation=isolation, readonly=readonly):
        return await work(conn)


# SQLSTATE classes: 40 transaction rollback (serialization failure, deadlock) and 55P03
# (lock not available) are worth retrying; 08 connection, 28 authorization, 3D no such
# database, 53 insufficient resources (disk full, out of memory), 57 operator
# intervention (shutdown) and XX internal (data corrupted) stop the sync.
_RETRYABLE_STATES = ("40", "55P03")
_FATAL_STATES = ("08", "28", "3D", "53", "57", "58", "XX")


def _files(items: Sequence[FileWrite]) -> str:
    """How an error names a batch: its one file, or the first and how many."""
    if len(items) == 1:
        return repr(items[0].entry.path)
    return f"{len(items)} files ({items[0].entry.path!r}, ...)"


def split_schema(dsn: str) -> tuple[str, str | None]:
    """``dsn`` without its ``schema`` query parameter (ours, not libpq's), and its value."""
    parts = urllib.parse.urlsplit(dsn)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "schema"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), schema


def redact(dsn: str) -> str:
    """``dsn`` without its password, for messages and logs."""
    scheme, sep, rest = dsn.partition("://")
    if not sep or "@" not in rest:
        return dsn
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


def lock_key(schema: str, ontology_id: str) -> int:
    """The advisory lock key serialising writes of one ontology in one schema (a stable
    64-bit hash, the same in every process)."""
    digest = hashlib.blake2b(f"{schema}\0{ontology_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def translate_error(exc: BaseException, where: str, doing: str) -> StorageError:
    """The library error for an asyncpg (or socket) error met while ``doing`` something."""
    state = str(getattr(exc, "sqlstate", "") or "")
    if state.startswith(_RETRYABLE_STATES):
        return DatabaseLockedError(
            f"{where}: {doing}: {exc} (SQLSTATE {state}); another writer held a lock, retry"
        )
    lost = isinstance(exc, OSError | asyncpg.InterfaceError) and not state
    if lost or state.startswith(_FATAL_STATES):
        return FatalStorageError(
            f"{where}: {doing}: {exc}{f' (SQLSTATE {state})' if state else ''}. The server is"
            " unreachable, refused us, or ran out of disk or memory: fix that and run the"
            " sync again (committed files are kept)"
        )
    return StorageError(f"{where}: {doing}: {exc}{f' (SQLSTATE {state})' if state else ''}")


def connect_error(exc: BaseException, where: str) -> StorageError:
    """The error for a failed connection: always fatal (nothing can be synced)."""
    error = translate_error(exc, where, "connecting")
    if isinstance(error, FatalStorageError):
        return error
    return FatalStorageError(f"{where}: connecting: {exc}; check the URL and the server")


__all__ = [
    "DEFAULT_SCHEMA",
    "PostgresRepository",
    "lock_key",
    "redact",
    "split_schema",
    "translate_error",
]
