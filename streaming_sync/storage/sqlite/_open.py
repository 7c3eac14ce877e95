"""Opening a SQLite database: the schema check (reading only), the pragmas, creating
what is missing, and opening read-only for the commands that only read."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ..._errors import SchemaError
from ..._model import iri_list_json
from . import _schema as schema
from ._connection import Connection, cannot_write, translate_error
from ._sql import IRI_LIST_FUNCTION

logger = logging.getLogger(__name__)

MEMORY = ":memory:"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iri_list(raw: str | None) -> str:
    """``streaming_sync_iri_list(json_array)``: sorted, de-duplicated JSON array text
    (``_model.iri_list_json`` of the array), for the property upsert of ``_sql``."""
    return iri_list_json(json.loads(raw) if raw else [])


async def open_database(database: str, busy_timeout: float) -> Connection:
    """A connection to ``database`` (created if missing) with our schema and pragmas."""
    return await _prepared(
        Connection.open(database),
        lambda conn: prepare(conn, database, busy_timeout),
    )


async def open_read_only(database: str, busy_timeout: float) -> Connection:
    """A connection that never writes to ``database`` (``mode=ro``), for what only reads
    (``status``, ``history``, the read API); its schema is checked, nothing is created.

    A WAL database whose ``-wal``/``-shm`` files are absent and cannot be created (a
    read-only folder or file system) cannot be opened ``mode=ro``; it is then opened
    ``immutable=1`` (no locking, no side files). That is safe there: a writer would
    need those same files, which nobody can create, so nobody writes meanwhile."""
    absolute = os.path.abspath(database)  # noqa: ASYNC240 -- reads only the cwd, no file
    base = "file:" + quote(absolute) + "?mode=ro"
    try:
        return await _read_only(base, database, busy_timeout)
    except _SideFilesMissingError as exc:
        logger.info("%s: cannot open it read-only (%s); opening it immutable", database, exc)
    return await _read_only(base + "&immutable=1", database, busy_timeout)


class _SideFilesMissingError(Exception):
    """``mode=ro`` failed because the side files of a WAL database cannot be made."""


async def _read_only(uri: str, database: str, busy_timeout: float) -> Connection:
    def check(conn: sqlite3.Connection) -> None:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        except sqlite3.Error as exc:
            if cannot_write(exc) and "immutable" not in uri:
                raise _SideFilesMissingError(str(exc)) from exc
            raise translate_error(exc, database, "opening read-only") from exc
        prepare(conn, database, busy_timeout, read_only=True)

    return await _prepared(Connection.open(uri, database=database, uri=True), check)


async def _prepared(
    opening: Awaitable[Connection], prepare_it: Callable[[sqlite3.Connection], None]
) -> Connection:
    """The connection ``opening`` gives, once ``prepare_it`` ran on it (closed, with its
    thread joined, when that fails)."""
    conn = await opening
    try:
        await conn.call(prepare_it, "opening")
    except BaseException:
        await conn.aclose()
        raise
    return conn


def prepare(
    conn: sqlite3.Connection, database: str, busy_timeout: float, *, read_only: bool = False
) -> None:
    """Check the schema (reading only), then -- unless ``read_only`` -- set the pragmas
    and create what is missing. Runs on the connection's thread."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    columns, version = read_shape(conn)
    problem = schema.schema_problem(columns, version)
    if problem is not None:
        raise SchemaError(
            f"{database}: {problem}. Nothing was changed; run `streaming-sync migrate "
            f"--db {database}` to upgrade it, or use another database file"
        )
    if read_only:
        return  # what exists is read as it is; nothing is created or set
    _set_pragmas(conn, database)
    if not schema.is_complete(columns):
        try:
            _create_schema(conn)
        except sqlite3.Error as exc:
            raise translate_error(exc, database, "creating the schema") from exc
    conn.executescript(schema.TEMP_SCRIPT)
    conn.create_function(IRI_LIST_FUNCTION, 1, iri_list, deterministic=True)


def read_shape(conn: sqlite3.Connection) -> tuple[dict[str, set[str]], Any]:
    """The tables of the database with their columns, and its ``schema_version``."""
    columns: dict[str, set[str]] = {}
    for table, column in conn.execute(schema.COLUMNS_QUERY):
        columns.setdefault(str(table), set()).add(str(column))
    version = None
    if "schema_version" in columns:
        version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    return columns, version


def _set_pragmas(conn: sqlite3.Connection, database: str) -> None:
    # wal_autocheckpoint: a large file write dirties a few hundred pages; checkpointing
    # every 10,000 pages instead of 1,000 copies each hot page back far less often
    # (measured: about a quarter less time per 300-row file).
    if database != MEMORY:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 10000")
    conn.execute("PRAGMA foreign_keys = ON")


def _create_schema(conn: sqlite3.Connection) -> None:
    try:
        conn.executescript(schema.CREATE_SCRIPT)
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            logger.debug("no transaction to roll back after a failed schema creation")
        raise


__all__ = [
    "MEMORY",
    "iri_list",
    "now_iso",
    "open_database",
    "open_read_only",
    "prepare",
    "read_shape",
]
