"""StreamingSyncService: list -> diff -> bounded queue -> workers -> report.

The service owns nothing it was given: it composes a ``Fetcher``, a ``Parser``, a
``Repository``, a ``CheckpointStore`` and any number of ``ProgressSink``s. One
``sync()`` runs at a time per service. A task group owns the feeder and the workers;
the feeder closes the queue with one sentinel per worker, so end of input is signalled,
never polled. Memory stays O(workers): the queue holds at most
``queue_factor * workers`` files' bytes, and the files being fetched, parsed or written
at most ``max_bytes_in_flight`` bytes (``ByteBudget``; one bigger file alone). The
service owns what it makes: the parse processes (``_parse_pool``), closed by ``aclose``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Self

from ._aio import AsyncClosing, run_to_completion
from ._budget import ByteBudget
from ._config import SyncConfig
from ._coordination import (
    claimed,
    finish_shared,
    leases_renewed,
    outcome_record,
)
from ._defaults import open_parts
from ._errors import ServiceClosedError, StreamingSyncError, SyncAborted
from ._events import (
    FileDeleted,
    FileStarted,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
)
from ._model import (
    FileEntry,
    FileFailure,
    Outcome,
    SyncReport,
)
from ._parse_pool import Parsing, parsing_for
from ._pipeline import FileProcessor
from ._progress import ProgressReport, ProgressTracker
from ._protocols import (
    AsyncResource,
    BulkFetcher,
    CheckpointStore,
    EventSource,
    Fetcher,
    Parser,
    ProgressSink,
    RateLimitStatus,
    Repository,
    RunLockStore,
    WorkCoordinator,
)
from ._retry import retrying
from ._runlock import run_lock
from ._runstate import RunState, ServiceStats, build_report, listing_warnings, result_event

logger = logging.getLogger(__name__)

_DONE = None  # queue sentinel: one per worker closes the stream


class StreamingSyncService(AsyncClosing):
    """Sync one source into one repository, one file per transaction.

    Build it from parts (``StreamingSyncService(fetcher=..., repository=..., ...)``) or
    with :meth:`from_source` for the aiohttp / rdflib / SQLite defaults. Use it as an
    async context manager, or call :meth:`aclose` when done.
    """

    def __init__(
        self,
        *,
        fetcher: Fetcher,
        repository: Repository,
        parser: Parser | None = None,
        checkpoint: CheckpointStore | None = None,
        sinks: Iterable[ProgressSink] = (),
        config: SyncConfig | None = None,
        owned: Sequence[AsyncResource] = (),
        coordinator: WorkCoordinator | None = None,
    ) -> None:
        if parser is None:
            from .parsers import DefaultParser

            parser = DefaultParser()
        if checkpoint is None:
            if not isinstance(repository, CheckpointStore):
                raise TypeError(
                    "checkpoint: the repository is not a CheckpointStore; pass one"
                    " (streaming_sync.testing.InMemoryRepository is one)"
                )
            checkpoint = repository
        self.fetcher = fetcher
        self.repository = repository
        self.parser = parser
        self.checkpoint = checkpoint
        self.config = config or SyncConfig()
        # Shared sync (see _coordination): files are claimed from a work table shared
        # with other processes instead of taken from this process's own to-do list.
        self.coordinator = coordinator
        self.tracker = ProgressTracker()
        self.sinks: list[ProgressSink] = [self.tracker, *sinks]
        self._owned = list(owned)
        self._parsing: Parsing | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._state = RunState()
        # The optional capabilities of the parts, checked once (see _protocols).
        self._rate_status = fetcher if isinstance(fetcher, RateLimitStatus) else None
        self._run_locks = checkpoint if isinstance(checkpoint, RunLockStore) else None
        if isinstance(fetcher, EventSource):
            fetcher.bind_events(self._on_fetcher_event)

    async def _on_fetcher_event(self, event: ProgressEvent) -> None:
        if isinstance(event, RateLimited):
            self._state.rate_limited_s += max(0.0, event.resume_at - time.time())
        await self._emit(event)

    @classmethod
    async def from_source(
        cls,
        source: str,
        *,
        db: str | os.PathLike[str],
        config: SyncConfig | None = None,
        sinks: Iterable[ProgressSink] = (),
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        parser: str = "auto",
        api_url: str | None = None,
        token_env: str = "GITHUB_TOKEN",
        github_options: dict[str, Any] | None = None,
        join: bool = False,
        lease: float | None = None,
    ) -> Self:
        """Build a service with the default parts, which it owns and closes: the source
        ``source`` (a folder path or ``github:OWNER/REPO[@REF][/PATH]``; ``include`` /
        ``exclude`` globs, ``api_url`` and the token in ``$token_env`` for GitHub,
        ``github_options`` for ``GitHubFetcher``), the default parser (``parser``: auto,
        rdflib or oxigraph) and the database ``db`` (a SQLite file, or a
        ``postgresql://`` URL; ``join``/``lease``: take part in a shared sync there)."""
        config = config or SyncConfig()
        parts = await open_parts(
            source,
            db=db,
            config=config,
            include=include,
            exclude=exclude,
            parser=parser,
            api_url=api_url,
            token_env=token_env,
            github_options=github_options,
            join=join,
            lease=lease,
        )
        return cls(
            fetcher=parts.fetcher,
            repository=parts.repository,
            parser=parts.parser,
            checkpoint=parts.repository,
            sinks=sinks,
            config=config,
            owned=parts.owned,
            coordinator=parts.coordinator,
        )

    def __repr__(self) -> str:
        st = self.stats()
        state = "closed" if self._closed else ("syncing" if self._lock.locked() else "idle")
        return (
            f"<StreamingSyncService {state} [queued: {st.queued}, active: {st.active},"
            f" done: {st.done}, failed: {st.failed}] source={self.fetcher.source!r}>"
        )

    def stats(self) -> ServiceStats:
        """Queued / active / done / failed files of the current (or last) sync."""
        s = self._state
        failed = sum(1 for r in s.results if r.failure is not None)
        remaining = self._rate_status.rate_limit_remaining if self._rate_status else None
        return ServiceStats(s.queued, s.active, len(s.results) - failed, failed, remaining)

    def progress(self) -> ProgressReport:
        """Where the current (or last) sync is, at any moment."""
        return self.tracker.snapshot()

    async def aclose(self) -> None:
        """Close what the service owns (idempotent). A closed service refuses ``sync()``."""
        if self._closed:
            return
        self._closed = True
        if self._parsing is not None:
            await self._parsing.aclose()
            self._parsing = None
        for resource in reversed(self._owned):
            await resource.aclose()

    async def sync(self) -> SyncReport:
        """Run one sync and return its report.

        Files that fail are recorded in the report and retried by the next sync. A fatal
        error (bad credentials, corrupt database, disk full, rate-limit budget spent)
        raises ``SyncAborted`` whose ``report`` says what landed before it; cancellation
        propagates after the final checkpoint is written.
        """
        if self._closed:
            raise ServiceClosedError("this StreamingSyncService was closed; create a new one")
        async with self._lock:
            # The run lock (SyncInProgress when another sync of this database and
            # ontology runs); a shared sync coordinates through its work table instead.
            store = self._run_locks if self.coordinator is None else None
            async with run_lock(store, self.config.ontology_id):
                return await self._sync()

    async def _sync(self) -> SyncReport:
        self._state = state = RunState()
        started_at, start = time.time(), time.monotonic()
        oid = self.config.ontology_id
        processor = FileProcessor(
            self.fetcher,
            self.parser,
            self.repository,
            self.config,
            self._emit,
            self._parse_strategy(),
            ByteBudget(self.config.max_bytes_in_flight),
        )
        previous_failures: list[FileFailure] = []
        try:
            # Parse processes start now, so their start-up overlaps the listing.
            processor.parsing.start()
            previous_failures, _ = await self.checkpoint.load(oid)
            todo = await self._plan(state)
            await self.checkpoint.record_run(
                self._report(state, processor, started_at, start, Outcome.RUNNING)
            )
            await self._run_workers(todo, processor)
        except (asyncio.CancelledError, Exception) as raised:
            error = _unwrap(raised)
            report = self._report(
                state, processor, started_at, start, Outcome.ABORTED, error=_describe(error)
            )
            await run_to_completion(self._finish(report, previous_failures))
            if isinstance(error, StreamingSyncError) and error.fatal:
                raise SyncAborted(f"sync stopped: {error}", report=report) from error
            if error is not raised and not isinstance(error, asyncio.CancelledError):
                raise error from raised
            raise
        report = self._report(state, processor, started_at, start, state.outcome())
        await run_to_completion(self._finish(report, previous_failures))
        return report

    async def _plan(self, state: RunState) -> list[FileEntry]:
        """List, diff against what is committed, delete what vanished upstream."""
        oid = self.config.ontology_id
        start = time.monotonic()
        listing = state.listing = await retrying(
            self.config.retry, self.fetcher.list_files, "(listing)", self._emit
        )
        state.listing_s = time.monotonic() - start
        committed = await self.repository.committed_files(oid)
        todo = [e for e in listing.entries if self.config.full or committed.get(e.path) != e.sha]
        state.unchanged = len(listing.entries) - len(todo)
        listed = {e.path for e in listing.entries}
        gone = sorted(p for p in committed if p not in listed) if listing.complete else []
        if self.coordinator is not None:
            # Shared sync: join (or create) the run of this commit; only its creator
            # deletes, and a joiner that finds no run has nothing to do.
            state.shared = await self.coordinator.begin(
                oid,
                listing.commit,
                todo,
                {"listed": len(listing.entries), "unchanged": state.unchanged}
                | {"deleted": len(gone), "listing_s": state.listing_s}
                | {"listing_warnings": listing_warnings(listing)},
            )
            if state.shared is None or not state.shared.created:
                gone = []
            if state.shared is None:
                todo = []
        await self._emit(
            SyncStarted(
                oid,
                self.fetcher.source,
                listing.commit,
                len(listing.entries),
                len(todo),
                state.unchanged,
                len(gone),
            )
        )
        for path in gone:
            await self.repository.remove_file(oid, path)
            state.deleted += 1
            await self._emit(FileDeleted(path))
        return todo

    async def _run_workers(self, todo: list[FileEntry], processor: FileProcessor) -> None:
        shared = self._state.shared
        if shared is not None and self.coordinator is not None:
            # Shared sync: the work table decides what this process does.
            async with leases_renewed(self.coordinator, shared.run_id):
                await self._pool(todo, processor, self.config.workers)
        elif todo:
            await self._pool(todo, processor, min(self.config.workers, len(todo)))

    async def _pool(self, todo: list[FileEntry], processor: FileProcessor, workers: int) -> None:
        queue: asyncio.Queue[tuple[FileEntry, bytes | None] | None] = asyncio.Queue(
            maxsize=self.config.queue_factor * workers
        )
        async with asyncio.TaskGroup() as group:
            group.create_task(self._feed(todo, queue, workers))
            for _ in range(workers):
                group.create_task(self._work(queue, processor))

    async def _feed(
        self,
        todo: list[FileEntry],
        queue: asyncio.Queue[tuple[FileEntry, bytes | None] | None],
        workers: int,
    ) -> None:
        state = self._state
        async for item in self._items(todo):
            await queue.put(item)
            state.queued += 1
        for _ in range(workers):
            await queue.put(_DONE)

    async def _items(self, todo: list[FileEntry]) -> AsyncIterator[tuple[FileEntry, bytes | None]]:
        """Files with their bytes when a bulk fetch (e.g. a tarball) delivers them, the
        rest without, to be fetched one by one."""
        shared = self._state.shared
        if shared is not None and self.coordinator is not None:
            async for item in claimed(self.coordinator, shared.run_id, self.config.workers):
                yield item
            return
        pending = {e.path: e for e in todo}
        fetcher = self.fetcher
        if isinstance(fetcher, BulkFetcher) and fetcher.wants_bulk(len(todo)):
            async for entry, data in fetcher.fetch_many(todo):
                if pending.pop(entry.path, None) is not None:
                    yield entry, data
        for entry in pending.values():
            yield entry, None

    async def _work(
        self,
        queue: asyncio.Queue[tuple[FileEntry, bytes | None] | None],
        processor: FileProcessor,
    ) -> None:
        state = self._state
        while (item := await queue.get()) is not _DONE:
            entry, data = item
            state.queued -= 1
            state.active += 1
            try:
                await self._emit(FileStarted(entry.path, entry.size))
                result = await processor.process(entry, data)
            finally:
                state.active -= 1
            if state.shared is not None and self.coordinator is not None:
                await self.coordinator.complete(
                    state.shared.run_id, entry.path, outcome_record(result)
                )
            await self._emit(result_event(result))
            state.results.append(state.keep(result))

    async def _finish(self, report: SyncReport, previous: list[FileFailure]) -> None:
        """Write the final checkpoint: the failing set and the run's report."""
        state = self._state
        processed = {r.entry.path for r in state.results}
        listed = {e.path for e in state.listing.entries} if state.listing else None
        if state.shared is not None and self.coordinator is not None:
            # Shared sync: the participant that closes the run records its combined
            # report and the failing set; every participant records its own report.
            await finish_shared(
                self.checkpoint, self.coordinator, state.shared, report, previous, listed
            )
            await self._emit(SyncFinished(report))
            return
        still = [
            f for f in previous if f.path not in processed and (listed is None or f.path in listed)
        ]
        try:
            await self.checkpoint.record_failures(
                report.ontology_id, sorted([*still, *report.failures], key=lambda f: f.path)
            )
            await self.checkpoint.record_run(report)
        except StreamingSyncError:
            logger.exception("could not write the final checkpoint of this sync")
        await self._emit(SyncFinished(report))

    def _report(
        self,
        state: RunState,
        processor: FileProcessor,
        started_at: float,
        start: float,
        outcome: Outcome,
        error: str | None = None,
    ) -> SyncReport:
        return build_report(
            state,
            self.config.ontology_id,
            self.fetcher.source,
            processor.clock,
            started_at,
            start,
            outcome,
            error,
        )

    async def _emit(self, event: ProgressEvent) -> None:
        for sink in self.sinks:
            try:
                await sink.emit(event)
            except Exception:
                logger.exception("progress sink %r failed; ignoring it", sink)

    def _parse_strategy(self) -> Parsing:
        """Where files are parsed (parsers hold the GIL): a supervised process pool, or a
        thread of this process for ``parse_processes=0``; made once per service."""
        if self._parsing is None:
            self._parsing = parsing_for(self.parser, self.config.parse_processes)
        return self._parsing


def _unwrap(error: BaseException) -> BaseException:
    """The error that stopped the task group: a fatal one of ours if there is one."""
    while isinstance(error, BaseExceptionGroup):
        leaves = list(error.exceptions)
        fatal = [e for e in leaves if isinstance(e, StreamingSyncError) and e.fatal]
        error = (fatal or leaves)[0]
    return error


def _describe(error: BaseException) -> str:
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return f"{type(error).__name__}: {error}"


__all__ = ["StreamingSyncService"]
