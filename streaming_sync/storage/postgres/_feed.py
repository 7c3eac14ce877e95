"""The change feed of a PostgreSQL schema, read, pruned and listened to: a mixin for
``PostgresRepository`` (``ChangeFeed`` and ``ChangeNotifier``).

Reads run in one repeatable-read transaction (a page and the horizon it was checked
against agree); the queries and rules are the dialect-neutral ones of
``storage._feed``. Every commit that changed rows sends ``NOTIFY`` on the repository's
channel (``_driver.notify``); :class:`Listener` keeps one connection of its own
``LISTEN``\\ ing there and wakes :meth:`PostgresChangeFeed.wait_for_changes`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import asyncpg

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
from ._driver import positional

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: The channel a repository notifies on unless told otherwise.
DEFAULT_CHANNEL = "streaming_sync_changes"


class _Pooled(Protocol):
    """What the mixin needs of the class it is mixed into."""

    @property
    def dsn(self) -> str: ...

    @property
    def schema(self) -> str: ...

    @property
    def notify_channel(self) -> str | None: ...

    @property
    def listener(self) -> Listener: ...

    async def _transaction(
        self,
        doing: str,
        work: Callable[[asyncpg.Connection], Awaitable[T]],
        *,
        isolation: str = ...,
        readonly: bool = ...,
    ) -> T: ...


async def _value(conn: asyncpg.Connection, sql: str, **params: Any) -> Any:
    text, names = positional(sql)
    return await conn.fetchval(text, *(params[n] for n in names))


async def read_page(
    conn: asyncpg.Connection, oid: str, since: int | str | None, limit: int
) -> list[Change]:
    """Up to ``limit`` records after ``since`` (see ``storage._feed``)."""
    text, names = positional(READ_QUERIES["horizon"])
    row = await conn.fetchrow(text, oid)
    horizon = Horizon() if row is None else Horizon(int(row[0]), row[1])
    run_first = before_run = None
    if isinstance(since, str):
        run_first = await _value(conn, READ_QUERIES["run_first"], oid=oid, run=since)
        before_run = await _value(conn, READ_QUERIES["before_run"], oid=oid, run=since)
    after = start_after(since, horizon, run_first, before_run)
    text, names = positional(READ_QUERIES["page"])
    params = {"oid": oid, "after": after, "limit": limit}
    rows = await conn.fetch(text, *(params[n] for n in names))
    return [decode(int(p), run, iso_utc(at), kind, old, new) for p, run, at, kind, old, new in rows]


async def prune_feed(
    conn: asyncpg.Connection, oid: str, keep_runs: int | None, keep_for: timedelta | None
) -> int:
    """Remove the records older than both limits allow; the number deleted."""
    cuts = [0]
    if keep_runs is not None:
        first = await _value(conn, PRUNE_QUERIES["nth_run"], oid=oid, skip=keep_runs - 1)
        if first is not None:
            cuts.append(int(first) - 1)
    if keep_for is not None:
        cutoff = datetime.now(UTC) - keep_for
        cuts.append(
            int(await _value(conn, PRUNE_QUERIES["before_time"], oid=oid, cutoff=cutoff) or 0)
        )
    cut = max(cuts)
    if cut == 0:
        return 0
    run = await _value(conn, PRUNE_QUERIES["newest_run"], oid=oid, cut=cut)
    text, names = positional(PRUNE_QUERIES["delete"])
    status = await conn.execute(text, oid, cut)
    params = {"oid": oid, "cut": cut, "run": run, "now": datetime.now(UTC)}
    text, names = positional(PRUNE_QUERIES["horizon"])
    await conn.execute(text, *(params[n] for n in names))
    return int(str(status).rsplit(" ", 1)[-1])


class Listener:
    """One connection of its own that ``LISTEN``\\ s on a channel and sets an event per
    ontology named in a notification. Connected on first use; a lost connection is made
    again on the next wait (meanwhile waits just time out: the caller polls)."""

    def __init__(self, dsn: str, channel: str, schema: str) -> None:
        self._dsn, self.channel, self.schema = dsn, channel, schema
        self._conn: asyncpg.Connection | None = None
        self._events: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()

    def _event(self, oid: str) -> asyncio.Event:
        return self._events.setdefault(oid, asyncio.Event())

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            sent = json.loads(payload)
            oid, schema = str(sent["ontology_id"]), str(sent["schema"])
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring a malformed notification on %s", self.channel)
            return
        if schema == self.schema:  # channels are per database, shared by its schemas
            self._event(oid).set()

    async def listen(self) -> None:
        """Be listening (connect and ``LISTEN`` unless already)."""
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return
            self._conn = await asyncpg.connect(self._dsn)
            await self._conn.add_listener(self.channel, self._heard)
            for event in self._events.values():
                event.set()  # what was sent while not listening is unknown: look again

    async def wait(self, oid: str) -> None:
        """Return once a notification for ``oid`` arrived since the last wait (at once if
        one did meanwhile, and at once after (re)connecting: what was sent before is
        unknown, so the caller looks again). Bound it with ``asyncio.timeout``: a lost
        connection is only noticed at the next wait."""
        event = self._event(oid)
        await self.listen()
        await event.wait()
        event.clear()

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            await conn.close()


class PostgresChangeFeed:
    """``ChangeFeed`` and ``ChangeNotifier`` on the pool of the class it is mixed into."""

    async def changes(
        self: _Pooled, ontology_id: str, since: int | str | None = None, limit: int = DEFAULT_PAGE
    ) -> list[Change]:
        """Up to ``limit`` records of ``ontology_id`` after ``since``, in commit order
        (``ChangesPruned`` when they are no longer kept)."""
        check_page(since, limit)
        return await self._transaction(
            f"reading the changes of {ontology_id!r}",
            lambda conn: read_page(conn, ontology_id, since, limit),
            isolation="repeatable_read",
            readonly=True,
        )

    async def last_position(self: _Pooled, ontology_id: str) -> int:
        """The position of the newest record of ``ontology_id`` (0 when none)."""
        last = await self._transaction(
            "reading the change feed",
            lambda conn: _value(conn, READ_QUERIES["last"], oid=ontology_id),
            readonly=True,
        )
        return int(last or 0)

    # The feed's methods twin sqlite/_feed.py's on another connection type; the SQL
    # (_feed_sql) and the retention rules (check_retention) each have one place.
    async def prune(
        self: _Pooled,
        ontology_id: str,
        *,
        keep_runs: int | None = None,
        keep_for: timedelta | None = None,
    ) -> int:
        """Remove the records of ``ontology_id`` older than the ``keep_runs`` newest runs
        that changed something and/or older than ``keep_for``; returns how many went."""
        check_retention(keep_runs, keep_for)
        return await self._transaction(
            f"pruning the changes of {ontology_id!r}",
            lambda conn: prune_feed(conn, ontology_id, keep_runs, keep_for),
        )

    async def wait_for_changes(self: _Pooled, ontology_id: str) -> None:
        """Return once a commit changed ``ontology_id``'s rows (``NOTIFY``) since the last
        call -- at once if one did meanwhile. Bound it with ``asyncio.timeout``."""
        await self.listener.wait(ontology_id)


__all__ = ["DEFAULT_CHANNEL", "Listener", "PostgresChangeFeed", "prune_feed", "read_page"]
