"""Runs the dialect-neutral write and snapshot read (``storage._write``) with asyncpg:
each statement's SQL from ``_sql``, its named parameters numbered the way asyncpg wants
them (``:oid`` -> ``$1``), inside the caller's transaction."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Iterable, Mapping

import asyncpg

from ..._change_counts import ChangeSummary
from ..._model import FileEntry, FileWrite, OntologyData
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


def _bindable(value: object) -> object:
    """A group's ``paths`` (a tuple) as the list asyncpg binds to an array."""
    return list(value) if isinstance(value, tuple) else value


async def execute(
    conn: asyncpg.Connection, step: _write.Statement | _write.Batch, sql: Mapping[str, str] = SQL
) -> int:
    """Run ``step``; the number of rows it changed (for a batch, the number of rows
    given). A key whose SQL is empty needs nothing on PostgreSQL (no round trip)."""
    if not sql[step.key]:
        return 0
    text, names = positional(sql[step.key])
    if isinstance(step, _write.Batch):
        await conn.execute(text, *batch_arguments(step, names))
        return len(step.rows)
    values = (_bindable(step.params[n]) for n in names)
    status = str(await conn.execute(text, *values))
    return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0


# The async twin of sqlite/_driver.run, kept apart: that one runs on the connection's
# thread, this one awaits asyncpg; what they drive -- storage._write's steps -- is shared.
async def run(
    conn: asyncpg.Connection,
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
            count = await execute(conn, step, sql)
            changed[step.key] = changed.get(step.key, 0) + count
            step = steps.send(count)
    except StopIteration:
        pass
    return changed


async def notify(conn: asyncpg.Connection, channel: str, oid: str, run: str | None) -> None:
    """``pg_notify`` on ``channel`` that ``oid``'s feed grew (run and newest position; the
    rows stay in the table), inside the caller's transaction: sent if it commits."""
    text, names = positional(NOTIFY)
    params = {"channel": channel, "oid": oid, "run": run}
    await conn.execute(text, *(params[n] for n in names))


async def write_batch(
    conn: asyncpg.Connection,
    oid: str,
    items: Iterable[FileWrite],
    hooks: _write.Hooks | None = None,
    sql: Mapping[str, str] = SQL,
    run_id: str | None = None,
) -> ChangeSummary:
    """``storage._write.write_batch`` on ``conn``, inside the caller's transaction (which
    holds the ontology's advisory lock). Timestamps are the transaction's ``now()``;
    ``run_id`` tags the change feed's records. Returns what the transaction changed."""
    changed = await run(conn, _write.write_batch(oid, items, None, hooks, run_id), sql)
    return _write.feed_summary(changed)


async def write_file(
    conn: asyncpg.Connection,
    oid: str,
    path: str,
    entry: FileEntry | None,
    data: OntologyData,
    run_id: str | None = None,
) -> ChangeSummary:
    """One file's save (``entry`` given) or removal, as a batch of one."""
    changed = await run(conn, _write.write_file(oid, path, entry, data, None, run_id))
    return _write.feed_summary(changed)


async def write_parts(
    conn: asyncpg.Connection,
    oid: str,
    entry: FileEntry,
    parts: AsyncIterator[OntologyData],
    run_id: str | None = None,
) -> ChangeSummary:
    """Save ``entry.path`` from ``parts``, each inserted as it comes, inside the caller's
    transaction: the steps of a batch of one, the rows part by part."""
    tx = _write.Transaction(oid, None, run_id)
    numbers = _write.RowNumbers()
    changed = await run(conn, _write.begin_file(tx, entry.path, entry))
    async for part in parts:
        await run(conn, _write.file_part(tx, entry.path, part, numbers), changed=changed)
    await run(conn, _write.end_file(tx, entry.path), changed=changed)
    await run(conn, _write.finish(tx), changed=changed)
    return _write.feed_summary(changed)


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
    "notify",
    "positional",
    "read_snapshot",
    "run",
    "write_batch",
    "write_file",
    "write_parts",
]
