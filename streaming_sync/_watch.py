"""Watch mode: sync, report, wait, and sync again when upstream moved.

:class:`Watcher` is what ``StreamingSyncService.watch`` returns: an async iterator of
``SyncReport`` (each with its ``changes`` summary). Its loop:

1. The first round syncs at once (a catch-up after a restart).
2. Then it waits ``interval`` seconds -- or less, when a :class:`PushTrigger` fires (a
   webhook): after a push it waits ``debounce`` seconds of quiet, so a burst of pushes
   becomes one sync of the newest head.
3. A poll first *probes*: it lists the source (the GitHub fetcher asks with the ETags it
   kept, so an unchanged repository answers 304s, which cost no rate limit, and trees
   come from the cache). When the listing's commit is the one the last sync completed,
   and that sync left nothing worth retrying, the poll is idle: no sync, nothing written.
   A push skips the probe.
4. Cancelling the iteration stops the watcher: a sync in progress ends as a cancelled
   sync does (each file's transaction is committed or rolled back, the final report is
   recorded), and the iterator ends.

Two watchers of one database and ontology would only repeat each other's syncs: the
watcher holds a lock of its own (``<ontology>#watch`` in the run-lock store, with a
heartbeat) for as long as it runs, so a second one is refused with ``WatchInProgress``.
Each sync still takes the run lock; a sync that finds it held (a manual ``sync`` running)
is skipped until the next poll. A sync that aborts (bad credentials, rate-limit budget
spent, full disk) is yielded -- its report says why -- and the watcher goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import timedelta
from typing import Protocol

import attrs

from ._config import SyncConfig
from ._errors import StreamingSyncError, SyncAborted, SyncInProgress, WatchInProgress
from ._model import Outcome, SyncReport
from ._protocols import ChangeFeed, CheckpointStore, Fetcher, Repository, RunLockStore
from ._runlock import run_lock
from .observe.health import HealthMonitor
from .observe.tally import LISTING

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0
DEFAULT_DEBOUNCE = 0.5
#: How often a sync after a push is repeated when the source does not show the pushed
#: head yet (GitHub's API can trail its webhooks by a moment).
PUSH_RETRIES = 3


class Syncing(Protocol):
    """What the watcher needs of the service (``StreamingSyncService``)."""

    fetcher: Fetcher
    repository: Repository
    checkpoint: CheckpointStore
    config: SyncConfig

    async def sync(self) -> SyncReport: ...


class PushTrigger:
    """Wakes a watcher at once (a webhook's push). Pushes that come while it is waiting
    or syncing are coalesced: one more sync follows, of the newest head."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.pushes = 0
        self.latest_head: str | None = None

    def push(self, head: str | None = None) -> None:
        """Upstream moved (to ``head``, when known)."""
        self.pushes += 1
        self.latest_head = head or self.latest_head
        self._event.set()

    @property
    def pending(self) -> bool:
        return self._event.is_set()

    async def wait(self) -> None:
        """Until a push came (at once if one came since the last wait)."""
        await self._event.wait()
        self._event.clear()


@attrs.frozen
class Retention:
    """What the watcher keeps of the change feed: the records of the ``keep_runs``
    newest runs that changed something and/or of the last ``keep_for``."""

    keep_runs: int | None = None
    keep_for: timedelta | None = None


@attrs.frozen
class WatchStatus:
    """The watcher now, for a health endpoint: ``live`` while its loop runs, ``ready``
    once a sync finished and the last one did not abort; the last sync's outcome, commit,
    changes and age (seconds since it finished), and the last poll's age."""

    live: bool
    ready: bool
    state: str
    syncs: int
    idle_polls: int
    last_outcome: str | None = None
    last_commit: str | None = None
    last_sync_age_s: float | None = None
    last_poll_age_s: float | None = None
    last_error: str | None = None
    last_changes: dict[str, object] | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        return attrs.asdict(self)


def settled(report: SyncReport) -> bool:
    """Whether a sync left nothing a new sync of the same commit could do better: it
    succeeded, or its only failures are files that cannot be read as they stand."""
    if report.outcome is Outcome.SUCCEEDED:
        return True
    gaps = any(path == LISTING for path, _ in report.warnings)
    return (
        report.outcome is Outcome.PARTIAL
        and not gaps
        and not any(f.retryable for f in report.failures)
    )


class Watcher:
    """The watch loop over one service (see the module docstring). Iterate it once."""

    def __init__(
        self,
        service: Syncing,
        *,
        interval: float = DEFAULT_INTERVAL,
        trigger: PushTrigger | None = None,
        debounce: float = DEFAULT_DEBOUNCE,
        retention: Retention | None = None,
        monitor: HealthMonitor | None = None,
    ) -> None:
        for name, value in (("interval", interval), ("debounce", debounce)):
            if not value >= 0 or (name == "interval" and not value > 0):
                raise ValueError(f"{name}={value!r}: must be a positive number of seconds")
        self.service, self.interval, self.trigger = service, interval, trigger
        self.debounce, self.retention, self.monitor = debounce, retention, monitor
        self.syncs = self.idle_polls = 0
        self.last: SyncReport | None = None
        self.last_error: str | None = None
        self._finished_at: float | None = None
        self._polled_at: float | None = None
        self._state = "starting"
        self._iterated = False
        self._pushes_seen = self._push_tries = 0
        self._ticks = 0
        self._ticked = asyncio.Condition()

    def __repr__(self) -> str:
        return (
            f"<Watcher {self._state} every {self.interval:g}s [syncs: {self.syncs},"
            f" idle polls: {self.idle_polls}] source={self.service.fetcher.source!r}>"
        )

    def __aiter__(self) -> AsyncGenerator[SyncReport, None]:
        if self._iterated:
            raise RuntimeError("a Watcher is iterated once; call service.watch() again")
        self._iterated = True
        return self._loop()

    # -- the loop ------------------------------------------------------------------------

    async def _loop(self) -> AsyncGenerator[SyncReport, None]:
        try:
            async with self._watch_lock():
                report = await self._sync()
                if report is not None:
                    yield report
                while True:
                    pushed = await self._wait()
                    if not pushed and not await self._upstream_moved():
                        continue
                    report = await self._sync()
                    if report is not None:
                        yield report
        finally:
            self._state = "stopped"

    async def _wait(self) -> bool:
        """Until the next poll (False) or a push (True, after ``debounce`` of quiet). A
        sync after a push that did not show the pushed head yet is repeated soon."""
        self._state = "idle"
        behind = self._behind_push()
        timeout = max(self.debounce, 0.1) * self._push_tries if behind else self.interval
        if self.trigger is None:
            await asyncio.sleep(timeout)  # polling: only the clock can say it is time
            return False
        try:
            async with asyncio.timeout(timeout):
                await self.trigger.wait()
        except TimeoutError:
            return behind
        await self._quiet()
        return True

    def _behind_push(self) -> bool:
        """Whether the last sync missed the newest pushed head (and may try again)."""
        trigger, last = self.trigger, self.last
        if trigger is None or trigger.latest_head is None or last is None:
            return False
        if trigger.pushes != self._pushes_seen:  # a new push: a fresh set of tries
            self._pushes_seen, self._push_tries = trigger.pushes, 0
        if last.commit == trigger.latest_head or self._push_tries >= PUSH_RETRIES:
            return False
        self._push_tries += 1
        return True

    async def _quiet(self) -> None:
        """After a push: wait until no push came for ``debounce`` seconds (coalescing a
        burst), at most ten times ``debounce``."""
        assert self.trigger is not None
        deadline = time.monotonic() + 10 * self.debounce
        while (left := deadline - time.monotonic()) > 0:
            try:
                async with asyncio.timeout(min(self.debounce, left)):
                    await self.trigger.wait()
            except TimeoutError:
                return

    async def _upstream_moved(self) -> bool:
        """The probe of a poll: list the source; False (idle: nothing written) when it
        shows the commit the last settled sync completed."""
        self._polled_at = time.monotonic()
        last = self.last
        if last is None or not settled(last) or last.commit is None:
            return True
        try:
            listing = await self.service.fetcher.list_files()
        except StreamingSyncError as error:
            logger.info("watch: probing the source failed (%s); syncing to find out", error)
            return True
        if listing.commit == last.commit and listing.complete:
            self.idle_polls += 1
            await self._tick()
            return False
        return True

    async def _tick(self) -> None:
        """A poll or a sync ended: wake whoever waits in :meth:`next_tick`."""
        async with self._ticked:
            self._ticks += 1
            self._ticked.notify_all()

    async def next_tick(self) -> None:
        """Until the watcher's next idle poll or sync has ended (for a caller that wants
        to know it caught up, e.g. a test or a notebook)."""
        async with self._ticked:
            seen = self._ticks
            await self._ticked.wait_for(lambda: self._ticks > seen)

    async def _sync(self) -> SyncReport | None:
        """One sync; its report (an aborted one included), or None when another sync
        held the run lock."""
        self._state = "syncing"
        try:
            report = await self.service.sync()
        except SyncInProgress as held:
            self.last_error = str(held)
            logger.warning("watch: skipping this round: %s", held)
            return None
        except SyncAborted as aborted:
            if not isinstance(aborted.report, SyncReport):
                raise
            report = aborted.report
            logger.error("watch: the sync aborted: %s", aborted)
        self.syncs += 1
        self.last, self._finished_at = report, time.monotonic()
        self._polled_at = self._finished_at
        self.last_error = report.error
        await self._prune(report)
        await self._tick()
        return report

    async def _prune(self, report: SyncReport) -> None:
        repository = self.service.repository
        if self.retention is None or not isinstance(repository, ChangeFeed):
            return
        try:
            pruned = await repository.prune(
                report.ontology_id,
                keep_runs=self.retention.keep_runs,
                keep_for=self.retention.keep_for,
            )
        except StreamingSyncError as error:
            logger.warning("watch: pruning the change feed failed: %s", error)
            return
        if pruned:
            logger.info("watch: pruned %d change record(s)", pruned)

    @contextlib.asynccontextmanager
    async def _watch_lock(self) -> AsyncIterator[None]:
        """Hold ``<ontology>#watch`` in the run-lock store while watching (no lock
        without a store: e.g. PostgreSQL, where concurrent syncs are safe anyway)."""
        store = self.service.checkpoint
        locks = store if isinstance(store, RunLockStore) else None
        oid = self.service.config.ontology_id
        try:
            async with run_lock(locks, f"{oid}#watch"):
                yield
        except SyncInProgress as held:
            raise WatchInProgress(
                oid, held.holder, since=held.since, heartbeat=held.heartbeat, database=held.database
            ) from None

    # -- health --------------------------------------------------------------------------

    def status(self) -> WatchStatus:
        """Where the watcher is (see :class:`WatchStatus`)."""
        now = time.monotonic()
        last = self.last
        aborted = last is not None and last.outcome is Outcome.ABORTED
        stalled = None
        if self.monitor is not None and self._state == "syncing":
            health = self.monitor.status()
            stalled = health.reason if health.reason and "stalled" in health.reason else None
        live = self._state != "stopped" and stalled is None
        ready = live and last is not None and not aborted
        reason = stalled or (f"last sync aborted: {last.error}" if aborted and last else None)
        if last is None and reason is None:
            reason = "no sync finished yet"
        return WatchStatus(
            live=live,
            ready=ready,
            state=self._state,
            syncs=self.syncs,
            idle_polls=self.idle_polls,
            last_outcome=None if last is None else str(last.outcome),
            last_commit=None if last is None else last.commit,
            last_sync_age_s=None if self._finished_at is None else now - self._finished_at,
            last_poll_age_s=None if self._polled_at is None else now - self._polled_at,
            last_error=self.last_error,
            last_changes=None if last is None else last.changes.to_dict(),
            reason=None if ready else reason,
        )


__all__ = [
    "DEFAULT_DEBOUNCE",
    "DEFAULT_INTERVAL",
    "PushTrigger",
    "Retention",
    "Syncing",
    "WatchStatus",
    "Watcher",
    "settled",
]
