"""Runs the dialect-neutral write and snapshot read (``storage._write``) with asyncpg:
each statement's SQL from ``_sql``, its named parameters numbered the way asyncpg wants
them (``:oid`` -> ``$1``), inside the caller's transaction."""

from __future__ import annotations

import functools
import re

import asyncpg

from ..._model import FileEntry, OntologyData
from ..._snapshot import OntologySnapshot
from .. import _write
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
    given: asyncpg reports none)."""
    text, names = positional(SQL[step.key])
    if isinstance(step, _write.Batch):
        # The columns the SQL uses, in its $n order (a row's "now" may be unused).
        places = [step.columns.index(n) for n in names]
        await conn.executemany(text, [[row[i] for i in places] for row in step.rows])
        return len(step.rows)
    status = str(await conn.execute(text, *(step.params[n] for n in names)))
    return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0


async def write_file(
    conn: asyncpg.Connection, oid: str, path: str, entry: FileEntry | None, data: OntologyData
) -> None:
    """``storage._write.write_file`` on ``conn``, inside the caller's transaction (which
    holds the ontology's advisory lock). Timestamps are the transaction's ``now()``."""
    steps = _write.write_file(oid, path, entry, data, now=None)
    try:
        step = next(steps)
        while True:
            step = steps.send(await execute(conn, step))
    except StopIteration:
        pass


async def read_snapshot(conn: asyncpg.Connection, oid: str) -> OntologySnapshot:
    """The public rows of ``oid``, inside the caller's (read) transaction."""
    params = {"oid": oid}
    rows = {}
    for key, sql in _write.SNAPSHOT_QUERIES.items():
        text, names = positional(sql)
        rows[key] = await conn.fetch(text, *(params[n] for n in names))
    return _write.assemble_snapshot(rows)


__all__ = ["execute", "positional", "read_snapshot", "write_file"]
