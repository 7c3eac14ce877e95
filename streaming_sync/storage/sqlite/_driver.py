"""Runs the dialect-neutral write and snapshot read (``storage._write``) on a stdlib
``sqlite3`` connection, synchronously: the repository calls these on the connection's
thread, so a whole transaction is one call there -- one thread hop, not one per
statement (a stream's parts come to that call through a queue, see ``_stream``)."""

from __future__ import annotations

import functools
import itertools
import json
import operator
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

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

#: The most rows one statement of a batch inserts, and the size below which a rest is
#: inserted by one statement of its exact size (see :class:`RowsInsert`).
MAX_ROWS = 128
EXACT_BELOW = 16
#: The fewest host parameters every SQLite accepts in one statement (3.32 raised its
#: default to 32766; a build may keep 999).
MAX_PARAMETERS = 999


@attrs.frozen
class RowsInsert:
    """A batch's ``INSERT ... VALUES (:a, :b, 0)`` as statements of several rows each:
    ``VALUES (...), (...), ...``, the shared columns (``_write.SHARED_COLUMNS``, one
    value for the whole batch) bound once as ``?1``, ``?2``, ... and each row's other
    values after them.

    One statement per :data:`MAX_ROWS` rows, not one step per row as ``executemany``
    runs: the ``sqlite3`` module lets go of the GIL around every step, and each time
    this thread must win it back from whatever Python the process is running -- under
    a busy parse thread or event loop that wait, up to the interpreter's switch
    interval per row, was most of a sync's write time (docs/performance.md). The
    values are bound as they are (no text encoding to decode again in SQL). A rest of
    fewer rows is inserted by statements of power-of-two sizes down to
    :data:`EXACT_BELOW`, then one of its exact size: few shapes of statement to
    prepare and keep, few statements per batch."""

    sql: str
    columns: tuple[str, ...]
    #: Positions in a row of the shared columns, and of the others.
    shared: tuple[int, ...]
    varying: tuple[int, ...]
    #: The most rows one statement takes here.
    most: int

    @functools.cached_property
    def _pick(self) -> Callable[[tuple[object, ...]], tuple[object, ...]]:
        if len(self.varying) == 1:
            (only,) = self.varying
            return lambda row: (row[only],)
        return operator.itemgetter(*self.varying)

    def sizes(self, count: int) -> Iterator[int]:
        """The number of rows of each statement that inserts ``count`` rows."""
        size = self.most
        while count:
            while size > count and size >= EXACT_BELOW:
                size //= 2
            take = size if size >= EXACT_BELOW else count
            yield take
            count -= take

    def run(self, conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> None:
        shared = tuple(rows[0][i] for i in self.shared)
        values = itertools.chain.from_iterable(map(self._pick, rows))
        for size in self.sizes(len(rows)):
            statement = _rows_sql(self, size)
            conn.execute(statement, (*shared, *itertools.islice(values, size * len(self.varying))))


@functools.cache
def rows_insert(sql: str, columns: tuple[str, ...]) -> RowsInsert | None:
    """``sql`` (``INSERT ... VALUES (:a, :b, 0)``) as a :class:`RowsInsert` over rows of
    ``columns``; None when ``sql`` is not of that shape."""
    if _VALUES.search(sql) is None:
        return None
    shared = tuple(i for i, c in enumerate(columns) if c in _write.SHARED_COLUMNS)
    varying = tuple(i for i in range(len(columns)) if i not in shared)
    most = MAX_ROWS
    while most * len(varying) + len(shared) > MAX_PARAMETERS:
        most //= 2
    return RowsInsert(sql, columns, shared, varying, most)


@functools.cache
def _rows_sql(insert: RowsInsert, count: int) -> str:
    """``insert``'s statement with its ``VALUES`` tuple once per row of ``count`` rows,
    numbered as :meth:`RowsInsert.run` binds them."""
    sql, columns, shared, varying = insert.sql, insert.columns, insert.shared, insert.varying
    match = _VALUES.search(sql)
    assert match is not None  # rows_insert checked the shape

    def tuple_of(row: int) -> str:
        def value(m: re.Match[str]) -> str:
            i = columns.index(m.group(1))
            if i in shared:
                return f"?{1 + shared.index(i)}"
            return f"?{1 + len(shared) + row * len(varying) + varying.index(i)}"

        return f"({_NAMED.sub(value, match.group(1))})"

    return f"{sql[: match.start()]}VALUES {', '.join(tuple_of(r) for r in range(count))}"


def execute(
    conn: sqlite3.Connection, step: _write.Statement | _write.Batch, sql: Mapping[str, str] = SQL
) -> int:
    """Run ``step``; the number of rows it changed (for a batch, the rows given: a
    batch goes by :class:`RowsInsert`, many rows per statement)."""
    if isinstance(step, _write.Batch):
        insert = rows_insert(sql[step.key], step.columns)
        if insert is not None:
            insert.run(conn, step.rows)
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
