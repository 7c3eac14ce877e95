"""The change feed of a SQLite database, read and pruned (``ChangeFeed``): a mixin for
``SqliteRepository`` (on its connection) and the read API's ``SqliteReadEngine`` (on its
read-only one), each one call on the connection's thread -- one transaction, so a page
and the horizon it was checked against agree. The queries and rules are the
dialect-neutral ones of ``storage._feed``; the writing is ``_feed_sql``'s."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..._changes import Change, decode, iso_utc
from .._feed import (
    DEFAULT_PAGE,
    PRUNE_QUERIES,
    READ_QUERIES,
    Horizon,
    check_page,
    check_retention,
    start_after,
)
from ._connection import Connection


class _Opened(Protocol):
    """What the mixin needs of the class it is mixed into."""

    def _require_open(self) -> Connection: ...


def _one(conn: sqlite3.Connection, key: str, params: dict[str, Any]) -> Any:
    row = conn.execute(READ_QUERIES[key], params).fetchone()
    return None if row is None else row[0]


def horizon(conn: sqlite3.Connection, oid: str) -> Horizon:
    row = conn.execute(READ_QUERIES["horizon"], {"oid": oid}).fetchone()
    return Horizon() if row is None else Horizon(int(row[0]), row[1])


def read_page(
    conn: sqlite3.Connection, oid: str, since: int | str | None, limit: int
) -> list[Change]:
    """Up to ``limit`` records after ``since`` (see ``storage._feed``), in one read."""
    params: dict[str, Any] = {"oid": oid, "run": since}
    run_first = before_run = None
    if isinstance(since, str):
        run_first = _one(conn, "run_first", params)
        before_run = _one(conn, "before_run", params)
    after = start_after(since, horizon(conn, oid), run_first, before_run)
    rows = conn.execute(READ_QUERIES["page"], {"oid": oid, "after": after, "limit": limit})
    return [decode(*row) for row in rows]


def prune_feed(
    conn: sqlite3.Connection, oid: str, keep_runs: int | None, keep_for: timedelta | None
) -> int:
    """Remove the records older than both limits allow; the number deleted."""
    cuts = [0]
    if keep_runs is not None:
        row = conn.execute(PRUNE_QUERIES["nth_run"], {"oid": oid, "skip": keep_runs - 1})
        first = row.fetchone()
        if first is not None:
            cuts.append(int(first[0]) - 1)
    if keep_for is not None:
        cutoff = iso_utc(datetime.now(UTC) - keep_for)
        last = conn.execute(PRUNE_QUERIES["before_time"], {"oid": oid, "cutoff": cutoff})
        cuts.append(int(last.fetchone()[0] or 0))
    cut = max(cuts)
    if cut == 0:
        return 0
    params = {"oid": oid, "cut": cut, "now": iso_utc(datetime.now(UTC))}
    params["run"] = conn.execute(PRUNE_QUERIES["newest_run"], params).fetchone()[0]
    deleted = conn.execute(PRUNE_QUERIES["delete"], params).rowcount
    conn.execute(PRUNE_QUERIES["horizon"], params)
    return int(deleted)


class SqliteChangeFeed:
    """``ChangeFeed`` on the connection of the class it is mixed into."""

    async def changes(
        self: _Opened, ontology_id: str, since: int | str | None = None, limit: int = DEFAULT_PAGE
    ) -> list[Change]:
        """Up to ``limit`` records of ``ontology_id`` after ``since``, in commit order
        (``ChangesPruned`` when they are no longer kept)."""
        check_page(since, limit)
        return await self._require_open().transaction(
            lambda conn: read_page(conn, ontology_id, since, limit),
            f"reading the changes of {ontology_id!r}",
            begin="BEGIN",
        )

    async def last_position(self: _Opened, ontology_id: str) -> int:
        """The position of the newest record of ``ontology_id`` (0 when none)."""
        last = await self._require_open().call(
            lambda conn: _one(conn, "last", {"oid": ontology_id}), "reading the change feed"
        )
        return int(last or 0)

    async def prune(
        self: _Opened,
        ontology_id: str,
        *,
        keep_runs: int | None = None,
        keep_for: timedelta | None = None,
    ) -> int:
        """Remove the records of ``ontology_id`` older than the ``keep_runs`` newest runs
        that changed something and/or older than ``keep_for``; returns how many went."""
        check_retention(keep_runs, keep_for)
        return await self._require_open().transaction(
            lambda conn: prune_feed(conn, ontology_id, keep_runs, keep_for),
            f"pruning the changes of {ontology_id!r}",
        )


__all__ = ["SqliteChangeFeed", "prune_feed", "read_page"]
