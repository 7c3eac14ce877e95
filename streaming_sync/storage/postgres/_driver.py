"""Runs the dialect-neutral write and snapshot read (``storage._write``) with asyncpg:
each statement's SQL from ``_sql``, its named parameters numbered the way asyncpg wants
them (``:oid`` -> ``$1``), inside the caller's transaction."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Iterable, Mapping

import asyncpg

from ..._model import FileEntry, FileWrite, OntologyData
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


def batch_arguments(step: _write.Batch, names: tuple[str, ...]) -> list[object]:
    """The arguments of a batch's one statement: a shared column's value once, every
    other column as the array of its values (for ``unnest``), in ``$n`` order."""
    arguments: list[object] = []
    for name in names:
        i = step.columns.index(name)
        if name in _write.SHARED_COLUMNS:
            arguments.append(step.rows[0][i])
        else:
            arguments.append([row[i] for row in step.rows])
    return arguments


async def execute(
    conn: asyncpg.Connection, step: _write.Statement | _write.Batch, sql: Mapping[str, str] = SQL
) -> int:
    """Run ``step``; the number of rows it changed (for a batch, the number of rows
    given)."""
    text, names = positional(sql[step.key])
    if isinstance(step, _write.Batch):
        await conn.execute(text, *batch_arguments(step, names))
        return len(step.rows)
    status = str(await conn.execute(text, *(step.params[n] for n in names)))
    return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0


async def run(conn: asyncpg.Connection, steps: _write.Steps, sql: Mapping[str, str] = SQL) -> None:
    """Drive ``steps`` on ``conn`` to their end, inside the caller's transaction."""
    try:
        step = next(steps)
        while True:
            step = steps.send(await execute(conn, step, sql))
    except StopIteration:
        pass


async def write_batch(
    conn: asyncpg.Connection,
    oid: str,
    items: Iterable[FileWrite],
    hooks: _write.Hooks = _write.HOOKS,
    sql: Mapping[str, str] = SQL,
) -> None:
    """``storage._write.write_batch`` on ``conn``, inside the caller's transaction (which
    holds the ontology's advisory lock). Timestamps are the transaction's ``now()``."""
    await run(conn, _write.write_batch(oid, items, None, hooks), sql)


async def write_file(
    conn: asyncpg.Connection, oid: str, path: str, entry: FileEntry | None, data: OntologyData
) -> None:
    """One file's save (``entry`` given) or removal, as a batch of one."""
    await run(conn, _write.write_file(oid, path, entry, data, None))


async def write_parts(
    conn: asyncpg.Connection, oid: str, entry: FileEntry, parts: AsyncIterator[OntologyData]
) -> None:
    """Save ``entry.path`` from ``parts``, each inserted as it comes, inside the caller's
    transaction: the steps of a batch of one, the rows part by part."""
    tx = _write.Transaction(oid, None)
    numbers = _write.RowNumbers()
    await run(conn, _write.begin_file(tx, entry.path, entry))
    async for part in parts:
        await run(conn, _write.file_part(tx, entry.path, part, numbers))
    await run(conn, _write.end_file(tx, entry.path))
    await run(conn, _write.finish(tx))


async def read_snapshot(conn: asyncpg.Connection, oid: str) -> OntologySnapshot:
    """The public rows of ``oid``, inside the caller's (read) transaction."""
    params = {"oid": oid}
    rows = {}
    for key, sql in _write.SNAPSHOT_QUERIES.items():
        text, names = positional(sql)
        rows[key] = await conn.fetch(text, *(params[n] for n in names))
    return _write.assemble_snapshot(rows)


__all__ = [
    "batch_arguments",
    "execute",
    "positional",
    "read_snapshot",
    "run",
    "write_batch",
    "write_file",
    "write_parts",
]
