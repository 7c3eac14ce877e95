"""Runs the dialect-neutral write and snapshot read (``storage._write``) on a stdlib
``sqlite3`` connection, synchronously: the repository calls these on the connection's
thread, so a whole transaction is one call there -- one thread hop, not one per
statement (a stream's parts come to that call through a queue, see ``_stream``)."""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterable, Mapping

from ..._model import FileEntry, FileWrite, OntologyData
from ..._snapshot import OntologySnapshot
from .. import _write
from ._sql import SQL

_NAMED = re.compile(r":([a-z_]+)\b")


@functools.cache
def numbered(sql: str, columns: tuple[str, ...]) -> str:
    """``sql`` with each ``:name`` turned into ``?N``, N the name's place in ``columns``
    (a batch's rows are tuples in that order)."""
    return _NAMED.sub(lambda match: f"?{columns.index(match.group(1)) + 1}", sql)


def execute(
    conn: sqlite3.Connection, step: _write.Statement | _write.Batch, sql: Mapping[str, str] = SQL
) -> int:
    """Run ``step``; the number of rows it changed (for a batch, the rows given)."""
    if isinstance(step, _write.Batch):
        conn.executemany(numbered(sql[step.key], step.columns), step.rows)
        return len(step.rows)
    return conn.execute(sql[step.key], step.params).rowcount


def run(conn: sqlite3.Connection, steps: _write.Steps, sql: Mapping[str, str] = SQL) -> None:
    """Drive ``steps`` on ``conn`` to their end, inside the caller's transaction."""
    try:
        step = next(steps)
        while True:
            step = steps.send(execute(conn, step, sql))
    except StopIteration:
        pass


def write_batch(
    conn: sqlite3.Connection,
    oid: str,
    items: Iterable[FileWrite],
    now: str,
    hooks: _write.Hooks = _write.HOOKS,
    sql: Mapping[str, str] = SQL,
) -> None:
    """``storage._write.write_batch`` on ``conn``, inside the caller's transaction; ``now``
    is the ISO-8601 timestamp of the rows it writes. ``hooks`` and ``sql`` default to
    what every write runs (tests pass their own)."""
    run(conn, _write.write_batch(oid, items, now, hooks), sql)


def write_file(
    conn: sqlite3.Connection,
    oid: str,
    path: str,
    entry: FileEntry | None,
    data: OntologyData,
    now: str,
) -> None:
    """One file's save (``entry`` given) or removal, as a batch of one."""
    run(conn, _write.write_file(oid, path, entry, data, now))


def write_parts(
    conn: sqlite3.Connection, oid: str, entry: FileEntry, parts: Iterable[OntologyData], now: str
) -> None:
    """Save ``entry.path`` from ``parts`` (each inserted as it comes), inside the caller's
    transaction: the steps of a batch of one, the rows part by part."""
    tx = _write.Transaction(oid, now)
    numbers = _write.RowNumbers()
    run(conn, _write.begin_file(tx, entry.path, entry))
    for part in parts:
        run(conn, _write.file_part(tx, entry.path, part, numbers))
    run(conn, _write.end_file(tx, entry.path))
    run(conn, _write.finish(tx))


def read_snapshot(conn: sqlite3.Connection, oid: str) -> OntologySnapshot:
    """The public rows of ``oid``, inside the caller's (read) transaction."""
    rows = {
        key: conn.execute(sql, {"oid": oid}).fetchall()
        for key, sql in _write.SNAPSHOT_QUERIES.items()
    }
    return _write.assemble_snapshot(rows)


__all__ = [
    "execute",
    "numbered",
    "read_snapshot",
    "run",
    "write_batch",
    "write_file",
    "write_parts",
]
