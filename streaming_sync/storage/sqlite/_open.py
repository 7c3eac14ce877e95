"""Helpers of the SQLite backend: error translation, cancellation-proof awaiting,
opening checks (schema, pragmas) and reading a snapshot."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import quote

import aiosqlite

from ..._aio import run_to_completion
from ..._errors import DatabaseLockedError, FatalStorageError, SchemaError, StorageError
from ..._snapshot import AxiomRow, ClassRow, EdgeRow, OntologySnapshot, OtherAxiomRow, PropertyRow
from . import _schema as schema
from ._sql import IRI_LIST_FUNCTION, iri_list

logger = logging.getLogger(__name__)

T = TypeVar("T")

MEMORY = ":memory:"

# Primary result codes (the low byte of sqlite_errorcode).
_SQLITE_NOMEM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR = 7, 5, 6, 10
_SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN = 8, 11, 13, 14
_SQLITE_NOTADB = 26
_LOCKED_CODES = frozenset({_SQLITE_BUSY, _SQLITE_LOCKED})
_FATAL_CODES = frozenset(
    {_SQLITE_NOMEM, _SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_NOTADB}
)
_LOCKED_TEXT = ("database is locked", "database table is locked")
_FATAL_TEXT = (
    "malformed",
    "file is not a database",
    "disk is full",
    "out of memory",
    "disk i/o error",
)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def translate_error(exc: sqlite3.Error, database: str, doing: str) -> StorageError:
    """The library error for a sqlite3 error met while ``doing`` something to ``database``."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary in _LOCKED_CODES or any(t in text for t in _LOCKED_TEXT):
        return DatabaseLockedError(
            f"{database}: {doing}: the database is locked by another writer ({exc}); "
            "retry later or raise busy_timeout"
        )
    if primary == _SQLITE_READONLY or "readonly database" in text:
        return FatalStorageError(
            f"{database}: {doing}: {exc}. The database is read-only (the file, its folder "
            "or the file system), and this needs to write to it: make it writable, or work "
            "on a copy (`streaming-sync status` and `history` only read)"
        )
    if primary == _SQLITE_CANTOPEN or "unable to open database" in text:
        return FatalStorageError(
            f"{database}: {doing}: {exc}. SQLite cannot open the file: check that it exists "
            "and that you may read it and its folder (SQLite keeps -wal and -shm files "
            "beside it, so writing also needs a writable folder)"
        )
    if primary in _FATAL_CODES or any(t in text for t in _FATAL_TEXT):
        return FatalStorageError(
            f"{database}: {doing}: {exc}. The database file is corrupt, unreadable or the "
            "disk is full: free space or restore the file from a backup (or delete it and "
            "sync again from scratch)"
        )
    return StorageError(f"{database}: {doing}: {exc}")


async def close_connection(db: aiosqlite.Connection) -> None:
    """Close ``db`` and wait for its worker thread to end.

    aiosqlite's ``close()`` returns before its thread has posted its last result; if the
    event loop closes in that gap, the thread fails with "Event loop is closed"
    (omnilib/aiosqlite#241). Joining the thread (a private attribute, checked) closes it.
    """
    await db.close()
    await join_worker(db)


async def join_worker(db: aiosqlite.Connection) -> None:
    """Wait (up to 5 s) for the worker thread of ``db`` to end; it ends on its own after
    a close or a failed connect."""
    thread = getattr(db, "_thread", None)
    if thread is not None and hasattr(thread, "join") and thread.is_alive():
        await asyncio.to_thread(thread.join, 5.0)


#: The private members of ``aiosqlite.Connection`` that ``on_connection_thread`` uses.
_THREAD_API = ("_execute", "_conn")


async def on_connection_thread(
    db: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]
) -> T:
    """Run ``fn(conn)`` on ``db``'s own thread with its stdlib ``sqlite3.Connection``, in
    order with every other call of ``db``; exceptions come back here as raised.

    aiosqlite has no public API to run a function on its thread, so this uses two private
    members, checked at open time by ``prepare``: ``Connection._execute(fn)`` (queues
    ``fn`` on the thread, exactly as each public call does) and ``Connection._conn`` (the
    stdlib connection). aiosqlite's guarantee -- one thread, every call in order -- is
    kept; a whole transaction then costs one thread hop instead of one per statement.
    Once queued, ``fn`` runs to its end even if the awaiting task is cancelled."""
    execute: Callable[[Callable[[], T]], Awaitable[T]] = db._execute
    return await execute(lambda: fn(db._conn))


def _check_thread_api(db: aiosqlite.Connection, database: str) -> None:
    missing = [name for name in _THREAD_API if not hasattr(type(db), name)]
    if missing:
        raise FatalStorageError(
            f"{database}: opening: aiosqlite {aiosqlite.__version__} has no "
            f"Connection.{'/'.join(missing)}, which streaming_sync uses to run a file's "
            "write as one call on the connection's thread; install an aiosqlite version "
            "that has them (0.20 to 0.22 do)"
        )


def _cannot_write(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (_SQLITE_READONLY, _SQLITE_CANTOPEN)


async def open_read_only(database: str, busy_timeout: float) -> aiosqlite.Connection:
    """A connection that never writes to ``database`` (``mode=ro``), checked by
    ``prepare``, for commands that only read (``status``, ``history``).

    A WAL database whose ``-wal``/``-shm`` files are absent and cannot be created (a
    read-only folder or file system) cannot be opened ``mode=ro``; it is then opened
    ``immutable=1`` (no locking, no side files). That is safe there: a writer would
    need those same files, which nobody can create, so nobody writes meanwhile."""
    absolute = os.path.abspath(database)  # noqa: ASYNC240 -- reads only the cwd, no file
    base = "file:" + quote(absolute) + "?mode=ro"
    for uri in (base, base + "&immutable=1"):
        connection = aiosqlite.connect(uri, uri=True, isolation_level=None)
        try:
            db = await connection
        except sqlite3.Error as exc:
            await join_worker(connection)
            raise translate_error(exc, database, "opening read-only") from exc
        try:
            await db.execute_fetchall("SELECT count(*) FROM sqlite_master")
        except sqlite3.Error as exc:
            await close_connection(db)
            if _cannot_write(exc) and "immutable" not in uri:
                logger.info(
                    "%s: cannot open it read-only (%s); opening it immutable", database, exc
                )
                continue
            raise translate_error(exc, database, "opening read-only") from exc
        try:
            await prepare(db, database, busy_timeout, read_only=True)
        except BaseException:
            await close_connection(db)
            raise
        return db
    raise AssertionError("unreachable: the immutable attempt returns or raises")


async def prepare(
    db: aiosqlite.Connection, database: str, busy_timeout: float, *, read_only: bool = False
) -> None:
    """Check the schema (reading only), then -- unless ``read_only`` -- set the pragmas
    and create what is missing."""
    _check_thread_api(db, database)
    doing = "opening"
    try:
        await db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        columns: dict[str, set[str]] = {}
        for table, column in await db.execute_fetchall(schema.COLUMNS_QUERY):
            columns.setdefault(str(table), set()).add(str(column))
        version = None
        if "schema_version" in columns:
            rows = list(await db.execute_fetchall("SELECT MAX(version) FROM schema_version"))
            version = rows[0][0] if rows else None
        problem = schema.schema_problem(columns, version)
        if problem is not None:
            raise SchemaError(
                f"{database}: {problem}. Nothing was changed; run `streaming-sync migrate "
                f"--db {database}` to upgrade it, or use another database file"
            )
        if read_only:
            return  # what exists is read as it is; nothing is created or set
        await _set_pragmas(db, database)
        if not schema.is_complete(columns):
            doing = "creating the schema"
            await _create_schema(db)
        await db.executescript(schema.TEMP_SCRIPT)
        await db.create_function(IRI_LIST_FUNCTION, 1, iri_list, deterministic=True)
    except sqlite3.Error as exc:
        raise translate_error(exc, database, doing) from exc


async def _set_pragmas(db: aiosqlite.Connection, database: str) -> None:
    # wal_autocheckpoint: a large file write dirties a few hundred pages; checkpointing
    # every 10,000 pages instead of 1,000 copies each hot page back far less often
    # (measured: about a quarter less time per 300-row file).
    if database != MEMORY:
        await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute("PRAGMA wal_autocheckpoint = 10000")
    await db.execute("PRAGMA foreign_keys = ON")


async def _create_schema(db: aiosqlite.Connection) -> None:
    try:
        await db.executescript(schema.CREATE_SCRIPT)
    except BaseException:
        await run_to_completion(_quiet_rollback(db))
        raise


async def _quiet_rollback(db: aiosqlite.Connection) -> None:
    try:
        await db.execute("ROLLBACK")
    except sqlite3.Error:
        logger.debug("no transaction to roll back after a failed schema creation")


async def read_snapshot(db: aiosqlite.Connection, oid: str) -> OntologySnapshot:
    params = (oid,)
    classes = await db.execute_fetchall(
        "SELECT class_iri, label, comment, file_sha1, properties FROM owl_classes "
        "WHERE ontology_id = ?",
        params,
    )
    edges = await db.execute_fetchall(
        "SELECT class_iri, parent_iri FROM owl_class_hierarchy WHERE ontology_id = ?", params
    )
    properties = await db.execute_fetchall(
        "SELECT property_iri, label, property_type, domain, range FROM owl_properties "
        "WHERE ontology_id = ?",
        params,
    )
    axioms = await db.execute_fetchall(
        "SELECT axiom_type, subject, object, property_iri, annotations, is_inferred, "
        "source_path FROM owl_axioms WHERE ontology_id = ?",
        params,
    )
    others = await db.execute_fetchall(
        "SELECT source_path, kind, text FROM owl_other_axioms WHERE ontology_id = ?", params
    )
    return OntologySnapshot.build(
        [ClassRow(*row) for row in classes],
        [EdgeRow(*row) for row in edges],
        [PropertyRow(*row) for row in properties],
        [AxiomRow(t, s, o, p, a, bool(i), src) for t, s, o, p, a, i, src in axioms],
        [OtherAxiomRow(*row) for row in others],
    )


__all__ = [
    "MEMORY",
    "now_iso",
    "on_connection_thread",
    "open_read_only",
    "prepare",
    "read_snapshot",
    "run_to_completion",
    "translate_error",
]
