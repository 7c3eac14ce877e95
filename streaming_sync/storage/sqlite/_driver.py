"""Runs the dialect-neutral write and snapshot read (``storage._write``) on a stdlib
``sqlite3`` connection, synchronously: the repository calls these on the connection's
thread, so a whole transaction is one call there -- one thread hop, not one per
statement (a stream's parts come to that call through a queue, see ``_stream``)."""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence

import attrs

from ..._change_counts import ChangeSummary
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


_VALUES = re.compile(r"\bVALUES\s*\((.*)\)\s*$", re.DOTALL)


@attrs.frozen
class JsonInsert:
    """A batch's ``INSERT ... VALUES`` as one ``INSERT ... SELECT ... FROM
    json_each(?1)``: ``?1`` is a JSON array of the rows, whose columns are read by
    position (``value ->> i``) -- except those of ``shared``, the same value in every
    row (``_write.SHARED_COLUMNS``), each bound once after it (``?2``, ...) and never
    read from the JSON (rebuilding the rows without them would cost more Python than
    encoding them costs C)."""

    sql: str
    shared: tuple[int, ...]

    def arguments(self, rows: Sequence[tuple[object, ...]]) -> tuple[object, ...] | None:
        """The statement's arguments, None when the rows cannot go this way (a text
        holding a NUL: SQLite's JSON reader would end the text there)."""
        payload = json.dumps(rows, ensure_ascii=False)
        if _NUL in payload:
            return None
        return (payload, *(rows[0][i] for i in self.shared))


@functools.cache
def from_json(sql: str, columns: tuple[str, ...]) -> JsonInsert | None:
    """``sql`` (``INSERT ... VALUES (:a, :b, 0)``) as a :class:`JsonInsert` over rows of
    ``columns``; None when ``sql`` is not of that shape."""
    match = _VALUES.search(sql)
    if match is None:
        return None
    shared = tuple(i for i, c in enumerate(columns) if c in _write.SHARED_COLUMNS)

    def value(m: re.Match[str]) -> str:
        i = columns.index(m.group(1))
        return f"?{2 + shared.index(i)}" if i in shared else f"value ->> {i}"

    select = _NAMED.sub(value, match.group(1))
    return JsonInsert(f"{sql[: match.start()]}SELECT {select} FROM json_each(?1)", shared)


#: ``->>`` came with SQLite 3.38; an older library inserts row by row.
JSON_ROWS = sqlite3.sqlite_version_info >= (3, 38, 0)
_NUL = "\\u0000"  # how json.dumps writes a NUL


def execute(
    conn: sqlite3.Connection, step: _write.Statement | _write.Batch, sql: Mapping[str, str] = SQL
) -> int:
    """Run ``step``; the number of rows it changed (for a batch, the rows given).

    A batch of several rows goes in ONE statement over their JSON (``from_json``), not
    through ``executemany``: the ``sqlite3`` module lets go of the GIL around every row's
    step, and each time this thread must win it back from whatever Python the process is
    running -- under a busy parse thread or event loop that wait, up to the interpreter's
    switch interval per row, was most of a sync's write time (docs/performance.md)."""
    if isinstance(step, _write.Batch):
        insert = from_json(sql[step.key], step.columns) if JSON_ROWS else None
        arguments = insert.arguments(step.rows) if insert and len(step.rows) > 1 else None
        if insert is not None and arguments is not None:
            conn.execute(insert.sql, arguments)
        else:
            conn.executemany(numbered(sql[step.key], step.columns), step.rows)
        return len(step.rows)
    paths = step.params.get("paths")
    params = {**step.params, "paths": json.dumps(paths)} if paths else step.params
    return conn.execute(sql[step.key], params).rowcount


def run(
    conn: sqlite3.Connection,
    steps: _write.Steps,
    sql: Mapping[str, str] = SQL,
    changed: dict[str, int] | None = None,
) -> dict[str, int]:
    """Drive ``steps`` on ``conn`` to their end, inside the caller's transaction; the
    rows each key changed, summed (into ``changed`` when given: a transaction driven in
    several runs)."""
    changed = {} if changed is None else changed
    try:
        step = next(steps)
        while True:
            count = execute(conn, step, sql)
            changed[step.key] = changed.get(step.key, 0) + count
            step = steps.send(count)
    except StopIteration:
        pass
    return changed


def write_batch(
    conn: sqlite3.Connection,
    oid: str,
    items: Iterable[FileWrite],
    now: str,
    hooks: _write.Hooks | None = None,
    sql: Mapping[str, str] = SQL,
    run_id: str | None = None,
) -> ChangeSummary:
    """``storage._write.write_batch`` on ``conn``, inside the caller's transaction; ``now``
    is the ISO-8601 timestamp of the rows it writes, ``run_id`` the run of the change
    feed's records. ``hooks`` and ``sql`` default to what every write runs (tests pass
    their own). Returns what the transaction changed (the feed's counts)."""
    changed = run(conn, _write.write_batch(oid, items, now, hooks, run_id), sql)
    return _write.feed_summary(changed)


def write_file(
    conn: sqlite3.Connection,
    oid: str,
    path: str,
    entry: FileEntry | None,
    data: OntologyData,
    now: str,
    run_id: str | None = None,
) -> ChangeSummary:
    """One file's save (``entry`` given) or removal, as a batch of one."""
    changed = run(conn, _write.write_file(oid, path, entry, data, now, run_id))
    return _write.feed_summary(changed)


def write_parts(
    conn: sqlite3.Connection,
    oid: str,
    entry: FileEntry,
    parts: Iterable[OntologyData],
    now: str,
    run_id: str | None = None,
) -> ChangeSummary:
    """Save ``entry.path`` from ``parts`` (each inserted as it comes), inside the caller's
    transaction: the steps of a batch of one, the rows part by part."""
    tx = _write.Transaction(oid, now, run_id)
    numbers = _write.RowNumbers()
    changed = run(conn, _write.begin_file(tx, entry.path, entry))
    for part in parts:
        run(conn, _write.file_part(tx, entry.path, part, numbers), changed=changed)
    run(conn, _write.end_file(tx, entry.path), changed=changed)
    run(conn, _write.finish(tx), changed=changed)
    return _write.feed_summary(changed)


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
