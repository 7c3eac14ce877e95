"""Runs the dialect-neutral write and snapshot read (``storage._write``) with asyncpg:
each statement's SQL from ``_sql``, its named parameters numbered the way asyncpg wants
them (``:oid`` -> ``$1``), inside the caller's transaction."""

from __future__ import annotations

import functools
import re

import asyncpg

from ..._change_counts import ChangeSummary
from ..._model import FileEntry, OntologyData
from ..._snapshot import OntologySnapshot
from .. import _write
from ._feed_sql import NOTIFY
from ._sql import SQL

_NAMED = re.compile(r"(?<!:):([a-z_]+)\b")


@functools.cache
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with ``:name`` parameters turned into ``$n`` (asyncpg's style), and the
    names in ``$n`` order (each name once; ``::type`` casts are left alone)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED.sub(number, sql), tuple(names)


async def execute(conn: asyncpg.Connection, step: _write.Statement | _write.Batch) -> int:
    """Run ``step``; the number of rows it changed (for a batch, the number of rows
    given: asyncpg reports none). A key whose SQL is empty needs nothing on PostgreSQL
    (no round trip)."""
    if not SQL[step.key]:
        return 0
    text, names = positional(SQL[step.key])
    if isinstance(step, _write.Batch):
        # The columns the SQL uses, in its $n order (a row's "now" may be unused).
        places = [step.columns.index(n) for n in names]
        await conn.executemany(text, [[row[i] for i in places] for row in step.rows])
        return len(step.rows)
    status = str(await conn.execute(text, *(step.params[n] for n in names)))
    return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0


async def write_file(
    conn: asyncpg.Connection,
    oid: str,
    path: str,
    entry: FileEntry | None,
    data: OntologyData,
    run: str | None = None,
) -> ChangeSummary:
    """``storage._write.write_file`` on ``conn``, inside the caller's transaction (which
    holds the ontology's advisory lock). Timestamps are the transaction's ``now()``;
    ``run`` tags the change feed's records. Returns what the write changed."""
    steps = _write.write_file(oid, path, entry, data, now=None, run=run)
    changed: dict[str, int] = {}
    try:
        step = next(steps)
        while True:
            count = await execute(conn, step)
            changed[step.key] = changed.get(step.key, 0) + count
            step = steps.send(count)
    except StopIteration:
        pass
    return _write.feed_summary(changed)


async def notify(conn: asyncpg.Connection, channel: str, oid: str, run: str | None) -> None:
    """``pg_notify`` on ``channel`` that ``oid``'s feed grew (run and newest position; the
    rows stay in the table), inside the caller's transaction: sent if it commits."""
    text, names = positional(NOTIFY)
    params = {"channel": channel, "oid": oid, "run": run}
    await conn.execute(text, *(params[n] for n in names))


async def read_snapshot(conn: asyncpg.Connection, oid: str) -> OntologySnapshot:
    """The public rows of ``oid``, inside the caller's (read) transaction."""
    params = {"oid": oid}
    rows = {}
    for key, sql in _write.SNAPSHOT_QUERIES.items():
        text, names = positional(sql)
        rows[key] = await conn.fetch(text, *(params[n] for n in names))
    return _write.assemble_snapshot(rows)


__all__ = ["execute", "notify", "positional", "read_snapshot", "write_file"]
