"""How one sync runs: alone (``LocalRun``) or sharing a run with other processes
(``SharedRun``) -- two strategies behind one interface, ``Run``, so the service never
asks which mode it is in.

A sync asks its run, in order: ``hold()`` around the whole sync; ``plan(listing,
committed)`` for what to do; ``items(todo)`` for the files its workers process;
``complete(event)`` for each file's end event; ``finish(report, previous)`` to record
the outcome (this must survive cancellation: the service runs it to completion).

Shared sync: several processes (on one machine or many) cooperate on one sync of one
commit through a ``WorkCoordinator`` -- a per-run work table with leases:

1. Each participant lists and diffs as usual, then ``begin``\\ s: the first participant
   for an ontology and commit *creates* the run (one work row per file to do) and does
   the deletions of files gone upstream; the others join it (a *joiner* never creates
   one and waits briefly for it to exist).
2. Its feeder ``claim``\\ s small batches -- rows nobody holds, or whose lease expired --
   instead of walking its own to-do list; a heartbeat ``renew``\\ s its leases. When
   nothing is claimable it polls until every row is done (so the files of a participant
   that died are picked up when their leases expire).
3. Each file's end event is stored with ``complete``, which succeeds only for the
   holder of the lease: a file is *completed* exactly once.
4. At the end every participant records its own report; the one whose ``finalize``
   succeeds (the run is done, and nobody finalised it yet) records the run's combined
   report -- a ``RunTally`` replaying the stored events -- with the failing set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import attrs

from ._config import SyncConfig
from ._errors import StreamingSyncError
from ._model import FileEntry, FileFailure, Listing, Participation, SyncReport
from ._protocols import BulkFetcher, CheckpointStore, Fetcher, RunLockStore, WorkCoordinator
from ._runlock import run_lock
from .observe.events import FileEnded, FileFailed, SyncStarted, event_to_dict
from .observe.tally import RunTally

logger = logging.getLogger(__name__)


@attrs.frozen
class Plan:
    """What this participant does: the files to process, the paths to delete (gone
    upstream), how many workers to start (0: none), and how many listed files were
    already committed as they are."""

    todo: tuple[FileEntry, ...]
    deletions: tuple[str, ...]
    workers: int
    unchanged: int = 0


class Run(Protocol):
    """The steps of one sync that differ between running alone and sharing a run."""

    def hold(self) -> AbstractAsyncContextManager[None]:
        """Held around the whole sync: the run lock (local) or the lease heartbeat."""
        ...

    async def plan(self, listing: Listing, committed: Mapping[str, str], listing_s: float) -> Plan:
        """What to do, from ``listing`` (which took ``listing_s`` seconds) and what is
        committed."""
        ...

    def items(
        self, todo: Sequence[FileEntry], fetched: Callable[[FileEntry], bool]
    ) -> AsyncIterator[tuple[FileEntry, bytes | None]]:
        """The files to process, with their bytes when a bulk fetch delivered them;
        ``fetched`` says which files processing would fetch (a bulk fetch reads no
        other: not a file over ``max_file_size``, nor one no parser takes)."""
        ...

    async def complete(self, event: FileEnded) -> None: ...

    async def finish(self, report: SyncReport, previous: Sequence[FileFailure]) -> SyncReport:
        """Record the outcome; returns this participant's report."""
        ...


def diff(listing: Listing, committed: Mapping[str, str], *, full: bool) -> Plan:
    """The files whose content is not committed (all with ``full``), and the committed
    paths the listing lacks -- only when the listing is complete: a partial listing
    never causes deletions."""
    todo = tuple(e for e in listing.entries if full or committed.get(e.path) != e.sha)
    listed = {e.path for e in listing.entries}
    gone = tuple(sorted(p for p in committed if p not in listed)) if listing.complete else ()
    return Plan(todo, gone, 0, len(listing.entries) - len(todo))


def still_failing(
    previous: Sequence[FileFailure],
    report: SyncReport,
    done: set[str],
    listed: set[str] | None,
) -> list[FileFailure]:
    """The failing set after a run: the previous failures of files not processed now
    and still listed, plus this run's failures, by path."""
    still = [f for f in previous if f.path not in done and (listed is None or f.path in listed)]
    return sorted([*still, *report.failures], key=lambda f: f.path)


def ended_path(event: FileEnded) -> str:
    """The path of the file an end event is about."""
    return event.failure.path if isinstance(event, FileFailed) else event.path


def event_path(stored: Mapping[str, Any]) -> object:
    """The path of a stored end event (``event_to_dict`` form)."""
    failure = stored.get("failure")
    return failure["path"] if isinstance(failure, Mapping) else stored.get("path")


@attrs.define
class LocalRun:
    """A sync on its own: the run lock of its store (when it is a ``RunLockStore``),
    its own to-do list, a bulk fetch for a large batch when the fetcher offers one."""

    fetcher: Fetcher
    checkpoint: CheckpointStore
    run_locks: RunLockStore | None
    config: SyncConfig
    _listed: set[str] | None = attrs.field(default=None, init=False)
    _done: set[str] = attrs.field(factory=set, init=False)

    def hold(self) -> AbstractAsyncContextManager[None]:
        return _holding(run_lock(self.run_locks, self.config.ontology_id))

    async def plan(self, listing: Listing, committed: Mapping[str, str], listing_s: float) -> Plan:
        self._listed, self._done = {e.path for e in listing.entries}, set()
        plan = diff(listing, committed, full=self.config.full)
        return attrs.evolve(plan, workers=min(self.config.workers, len(plan.todo)))

    async def items(
        self, todo: Sequence[FileEntry], fetched: Callable[[FileEntry], bool]
    ) -> AsyncIterator[tuple[FileEntry, bytes | None]]:
        pending = {e.path: e for e in todo}
        fetcher = self.fetcher
        wanted = [e for e in todo if fetched(e)]
        if isinstance(fetcher, BulkFetcher) and fetcher.wants_bulk(len(wanted)):
            async for entry, data in fetcher.fetch_many(wanted):
                if pending.pop(entry.path, None) is not None:
                    yield entry, data
        for entry in pending.values():
            yield entry, None

    async def complete(self, event: FileEnded) -> None:
        self._done.add(ended_path(event))

    async def finish(self, report: SyncReport, previous: Sequence[FileFailure]) -> SyncReport:
        """Record the failing set and the report (a storage error is logged: the files
        themselves are committed)."""
        try:
            await self.checkpoint.record_failures(
                report.ontology_id, still_failing(previous, report, self._done, self._listed)
            )
            await self.checkpoint.record_run(report)
        except StreamingSyncError:
            logger.exception("could not write the final checkpoint of this sync")
        return report


@attrs.define
class SharedRun:
    """A sync that shares one run of its commit with other participants through
    ``coordinator`` (see the module docstring)."""

    coordinator: WorkCoordinator
    checkpoint: CheckpointStore
    config: SyncConfig
    source: str
    _joined: Participation | None = attrs.field(default=None, init=False)
    _listed: set[str] | None = attrs.field(default=None, init=False)

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Renew this participant's leases every third of a lease while the sync runs
        (once it joined a run); give back what it still holds at the end, however the
        sync ends."""
        task = asyncio.create_task(self._heartbeat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if self._joined is not None:
                await self._release(self._joined.run_id)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.coordinator.lease_seconds / 3)
            if self._joined is None:
                continue
            try:
                await self.coordinator.renew(self._joined.run_id)
            except StreamingSyncError:
                logger.warning(
                    "could not renew the leases of run %d", self._joined.run_id, exc_info=True
                )

    async def _release(self, run_id: int) -> None:
        try:
            await asyncio.shield(self.coordinator.release(run_id))
        except StreamingSyncError:
            logger.warning("could not release the leases of run %d", run_id, exc_info=True)

    async def plan(self, listing: Listing, committed: Mapping[str, str], listing_s: float) -> Plan:
        """Join (or create) the run of this commit, giving it this participant's
        ``SyncStarted`` as the run's summary: only its creator deletes, and a joiner
        that finds no run has nothing to do."""
        self._listed = {e.path for e in listing.entries}
        plan = diff(listing, committed, full=self.config.full)
        summary = sync_started(self.config, self.source, listing, plan, listing_s)
        self._joined = joined = await self.coordinator.begin(
            self.config.ontology_id, listing.commit, plan.todo, event_to_dict(summary)
        )
        if joined is None:
            return Plan((), (), 0, plan.unchanged)
        deletions = plan.deletions if joined.created else ()
        return Plan(plan.todo, deletions, self.config.workers, plan.unchanged)

    async def items(
        self, todo: Sequence[FileEntry], fetched: Callable[[FileEntry], bool]
    ) -> AsyncIterator[tuple[FileEntry, bytes | None]]:
        """The files this participant claims, until every row of the run is done.
        Polling is unavoidable here (the others' progress lives in the database): when
        nothing is claimable, look again every quarter lease (at most every second)."""
        joined = self._joined
        if joined is None:
            return
        poll = min(1.0, self.coordinator.lease_seconds / 4)
        while True:
            entries = await self.coordinator.claim(joined.run_id, self.config.workers)
            for entry in entries:
                yield entry, None
            if entries:
                continue
            if await self.coordinator.finished(joined.run_id):
                return
            await asyncio.sleep(poll)

    async def complete(self, event: FileEnded) -> None:
        if self._joined is not None:
            await self.coordinator.complete(
                self._joined.run_id, ended_path(event), event_to_dict(event)
            )

    async def finish(self, report: SyncReport, previous: Sequence[FileFailure]) -> SyncReport:
        """Record this participant's report, then -- once the run is done -- the run's
        combined report, so that it is the latest report whichever participant writes
        last: every participant that sees the run closed records the same combined
        report again after its own. The one that closes the run also records the failing
        set. Never raises a storage error."""
        try:
            await self.checkpoint.record_run(report)
            finished = (
                await self.coordinator.finalize(self._joined.run_id) if self._joined else None
            )
            if finished is None:
                return report
            tally = RunTally.replay(report.ontology_id, report.source, finished)
            combined = tally.report()
            if finished.closed_here:
                done = {str(event_path(o)) for o in finished.outcomes}
                await self.checkpoint.record_failures(
                    report.ontology_id, still_failing(previous, combined, done, self._listed)
                )
            await self.checkpoint.record_run(combined)
        except StreamingSyncError:
            logger.exception("could not write the final checkpoint of this shared sync")
        return report


def sync_started(
    config: SyncConfig, source: str, listing: Listing, plan: Plan, listing_s: float
) -> SyncStarted:
    """The ``SyncStarted`` event of ``plan``, made from ``listing``."""
    return SyncStarted(
        config.ontology_id,
        source,
        listing.commit or None,  # "": the source has no revision to name (nothing listed)
        len(listing.entries),
        len(plan.todo),
        plan.unchanged,
        len(plan.deletions),
        listing_s,
        listing.complete,
        listing.missing,
    )


@contextlib.asynccontextmanager
async def _holding(lock: AbstractAsyncContextManager[str | None]) -> AsyncIterator[None]:
    """``lock`` held, its value (the holder's name) left out."""
    async with lock:
        yield


__all__ = ["LocalRun", "Plan", "Run", "SharedRun", "diff", "sync_started"]
