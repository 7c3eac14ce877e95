"""``OntologyReader``'s change-feed methods: :meth:`ChangeReading.changes` (one page) and
:meth:`ChangeReading.follow` (every record, as it is committed).

They read the feed of the reader's storage -- its engine when that keeps one (the SQLite
engine does), else the repository the reader was given -- and refuse with
``ConfigError`` a storage that keeps none. ``follow`` wakes on the storage's
notifications when it has them (``ChangeNotifier``: PostgreSQL's ``NOTIFY``) and polls
otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from ._changes import Change
from ._errors import ConfigError
from ._model import SyncReport
from ._protocols import ChangeFeed, ChangeNotifier, Repository
from ._read_model import ReadEngine

#: Default page size of :meth:`ChangeReading.changes`.
DEFAULT_PAGE = 1000
#: Seconds between looks at a feed that cannot notify (and, for one that can, the
#: longest wait for a notification before looking anyway).
DEFAULT_POLL = 1.0

Since = int | str | SyncReport | None


@runtime_checkable
class _OnRepository(Protocol):
    """An engine that answers from a repository (the generic ``SnapshotEngine``)."""

    repository: Repository


def since_value(since: Since) -> int | str | None:
    """``since`` as the feed takes it: a report stands for its run."""
    if not isinstance(since, SyncReport):
        return since
    if since.changes.run_id is None:
        raise ValueError(
            "since=report: this report names no run (it was not made by a sync of a"
            " repository with a change feed); give a position instead"
        )
    return since.changes.run_id


class ChangeReading:
    """The change-feed part of ``OntologyReader`` (a mixin: the reader gives
    ``engine`` and ``ontology_id``)."""

    ontology_id: str

    @property
    def engine(self) -> ReadEngine:
        raise NotImplementedError  # pragma: no cover - the reader defines it

    def change_feed(self) -> ChangeFeed:
        """The feed this reader reads (``ConfigError`` when its storage keeps none)."""
        engine = self.engine
        if isinstance(engine, ChangeFeed):
            return engine
        if isinstance(engine, _OnRepository) and isinstance(engine.repository, ChangeFeed):
            return engine.repository
        raise ConfigError(
            f"{type(engine).__name__}: this reader's storage keeps no change feed (it is"
            " not a ChangeFeed); SQLite and PostgreSQL databases do"
        )

    async def changes(self, since: Since = None, *, limit: int = DEFAULT_PAGE) -> list[Change]:
        """Up to ``limit`` change records in commit order, after ``since``: a position
        (the records after it), a run id or a ``SyncReport`` (that run's records and all
        later ones), or None (every record kept). Page on with ``since=`` the last
        record's ``position``. Raises ``ChangesPruned`` -- never a partial answer --
        when records it would need were pruned."""
        return await self.change_feed().changes(self.ontology_id, since_value(since), limit)

    async def follow(
        self, since: Since = None, *, poll: float = DEFAULT_POLL, page: int = DEFAULT_PAGE
    ) -> AsyncIterator[Change]:
        """Every change record after ``since`` (None: from now on), in commit order, as
        it is committed -- an endless iterator; stop it by breaking out or cancelling.
        Waits for PostgreSQL's notifications when the storage sends them, looking at
        least every ``poll`` seconds anyway; polls every ``poll`` seconds otherwise."""
        if not poll > 0:
            raise ValueError(f"poll={poll!r}: must be greater than 0")
        feed = self.change_feed()
        notifier = feed if isinstance(feed, ChangeNotifier) else None
        cursor = since_value(since)
        if cursor is None:
            cursor = await feed.last_position(self.ontology_id)
        while True:
            records = await feed.changes(self.ontology_id, cursor, page)
            for record in records:
                yield record
            if records:
                cursor = records[-1].position
            if len(records) < page:
                await _wait(notifier, self.ontology_id, poll)


async def _wait(notifier: ChangeNotifier | None, oid: str, poll: float) -> None:
    if notifier is None:
        await asyncio.sleep(poll)  # nothing can tell us sooner: polling is the design
        return
    try:
        async with asyncio.timeout(poll):
            await notifier.wait_for_changes(oid)
    except TimeoutError:
        pass


__all__ = ["DEFAULT_POLL", "ChangeReading", "Since", "since_value"]
