"""Runs the dialect-neutral write and snapshot read (``storage._write``) on a stdlib
``sqlite3`` connection, synchronously: the repository calls these on the connection's
thread, so a file's whole write is one call there -- one thread hop, not one per
statement."""

from __future__ import annotations

import functools
import re
import sqlite3

from ..._change_counts import ChangeSummary
from ..._model import FileEntry, OntologyData
from ..._snapshot import OntologySnapshot
from .. import _write
from ._sql import SQL

_NAMED = re.compile(r":([a-z_]+)\b")


@functools.cache
def numbered(sql: str, columns: tuple[str, ...]) -> str:
    """``sql`` with each ``:name`` turned into ``?N``, N the name's place in ``columns``
    (a batch's rows are tuples in that order)."""
    return _NAMED.sub(lambda match: f"?{columns.index(match.group(1)) + 1}", sql)


def execute(conn: sqlite3.Connection, step: _write.Statement | _write.Batch) -> int:
    """Run ``step``; the number of rows it changed (for a batch, the rows given)."""
    if isinstance(step, _write.Batch):
        conn.executemany(numbered(SQL[step.key], step.columns), step.rows)
        return len(step.rows)
    return conn.execute(SQL[step.key], step.params).rowcount


def write_file(
    conn: sqlite3.Connection,
    oid: str,
    path: str,
    entry: FileEntry | None,
    data: OntologyData,
    now: str,
    run: str | None = None,
) -> ChangeSummary:
    """``storage._write.write_file`` on ``conn``, inside the caller's transaction; ``now``
    is the ISO-8601 timestamp of the rows it writes, ``run`` the run id of the change
    feed's records. Returns what the write changed (the feed's counts)."""
    steps = _write.write_file(oid, path, entry, data, now, run)
    changed: dict[str, int] = {}
    try:
        step = next(steps)
        while True:
            count = execute(conn, step)
            changed[step.key] = changed.get(step.key, 0) + count
            step = steps.send(count)
    except StopIteration:
        pass
    return _write.feed_summary(changed)


def read_snapshot(conn: sqlite3.Connection, oid: str) -> OntologySnapshot:
    """The public rows of ``oid``, inside the caller's (read) transaction."""
    rows = {
        key: conn.execute(sql, {"oid": oid}).fetchall()
        for key, sql in _write.SNAPSHOT_QUERIES.items()
    }
    return _write.assemble_snapshot(rows)


__all__ = ["execute", "numbered", "read_snapshot", "write_file"]
