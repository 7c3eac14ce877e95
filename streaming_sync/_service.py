"""StreamingSyncService: list -> plan -> bounded queue -> workers -> report.

The service owns nothing it was given: it composes a ``Fetcher``, a ``Parser``, a
``Repository``, a ``CheckpointStore`` and any number of ``ProgressSink``s, and checks
once, when it is built, which optional capabilities they have (see ``_protocols``).
How a sync runs -- alone, or sharing a run with other processes -- is a ``Run``
strategy (``_run``) chosen once, so nothing here asks which mode it is in.

One ``sync()`` runs at a time per service. A task group owns the feeder, the workers,
the files waiting for their write to end, and the sync's one writer task (``_writer``:
group commit); the feeder closes the queue with one sentinel per worker, so end of
input is signalled, never polled, and the writer is closed once every file ended. A
worker hands a parsed file to the writer and goes on; the file's end event is sent once
its write committed. Memory stays O(workers): the queue holds at most ``queue_factor *
workers`` files' bytes, the writer a bounded number of files, and the files being
fetched, parsed or written at most ``max_bytes_in_flight`` bytes (``ByteBudget``; one
bigger file alone). Every event goes to the run's ``RunTally`` first (the report,
``progress()`` and ``stats()`` are read from it), then to the sinks. The service owns
what it makes: the parse processes (``_parse_placement``), closed by ``aclose``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable, Sequence
from typing import Self, Unpack

from ._aio import AsyncClosing, run_to_completion
from ._budget import ByteBudget
from ._changes import feeding, new_run_id
from ._config import SyncConfig
from ._defaults import SourceOptions, open_parts
from ._errors import ServiceClosedError, StreamingSyncError, SyncAborted
from ._model import FileEntry, FileFailure, Listing, Outcome, SyncReport, path_problem, shown
from ._parse_placement import Parsing, parsing_for
from ._pipeline import Ending, FileProcessor, stream_bytes
from ._protocols import (
    AsyncResource,
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
from ._run import LocalRun, Plan, Run, SharedRun, sync_started
from ._watch import DEFAULT_DEBOUNCE, DEFAULT_INTERVAL, PushTrigger, Retention, Watcher
from ._writer import Writer
from .observe.events import FileDeleted, FileStarted, ProgressEvent, SyncFinished
from .observe.health import HealthMonitor
from .observe.tally import LISTING, ProgressReport, RunTally, ServiceStats

logger = logging.getLogger(__name__)

_DONE = None  # queue sentinel: one per worker closes the stream
_Item = tuple[FileEntry, bytes | None, float]  # the file, its bytes if delivered, queued at


class StreamingSyncService(AsyncClosing):
    """Sync one source into one repository, one file per transaction.

    Build it from parts (``StreamingSyncService(fetcher=..., repository=..., ...)``) or
    with :meth:`from_source` for the aiohttp / rdflib / SQLite defaults. Use it as an
    async context manager, or call :meth:`aclose` when done. With ``coordinator`` the
    sync is shared with other processes (see ``streaming_sync._run``).
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
        config = config or SyncConfig()
        if parser is None:
            from .parsers import DefaultParser

            parser = DefaultParser(strict=config.strict)
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
        self.config = config
        self.coordinator = coordinator
        self.sinks: list[ProgressSink] = list(sinks)
        self._owned = list(owned)
        self._parsing: Parsing | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._queued = 0
        self._tally = RunTally(config.ontology_id, fetcher.source)
        # The optional capabilities of the parts, checked once (see _protocols).
        self._rate_status = fetcher if isinstance(fetcher, RateLimitStatus) else None
        run_locks = checkpoint if isinstance(checkpoint, RunLockStore) else None
        if isinstance(fetcher, EventSource):
            fetcher.bind_events(self._emit)
        self._run: Run = (
            LocalRun(fetcher, checkpoint, run_locks, config)
            if coordinator is None
            else SharedRun(coordinator, checkpoint, config, fetcher.source)
        )

    @classmethod
    async def from_source(
        cls,
        source: str,
        *,
        db: str | os.PathLike[str],
        config: SyncConfig | None = None,
        sinks: Iterable[ProgressSink] = (),
        **options: Unpack[SourceOptions],
    ) -> Self:
        """Build a service with the default parts, which it owns and closes: the source
        ``source`` (a folder path or ``github:OWNER/REPO[@REF][/PATH]``), the default
        parser and the database ``db`` (a SQLite file, or a ``postgresql://`` URL).
        ``options``: ``include``, ``exclude``, ``parser``, ``api_url``, ``token_env``,
        ``github_options``, ``join``, ``lease`` (see ``_defaults.SourceOptions``)."""
        config = config or SyncConfig()
        parts = await open_parts(source, db=db, config=config, **options)
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
        """Queued / active / done / failed files of the current (or last) sync, and the
        source's rate-limit budget left (when it has one)."""
        t = self._tally
        remaining = self._rate_status.rate_limit_remaining if self._rate_status else None
        return ServiceStats(self._queued, t.in_flight, t.done, t.failed, remaining)

    def progress(self) -> ProgressReport:
        """Where the current (or last) sync is, at any moment."""
        return self._tally.progress()

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
        """Run one sync and return its report (in a shared sync: this participant's;
        the run's combined report is recorded by the one that closes the run).

        Files that fail are recorded in the report and retried by the next sync. A fatal
        error (bad credentials, corrupt database, disk full, rate-limit budget spent,
        another sync holding the run lock) raises ``SyncAborted`` whose ``report`` says
        what landed before it; cancellation propagates after the final checkpoint is
        written.
        """
        if self._closed:
            raise ServiceClosedError("this StreamingSyncService was closed; create a new one")
        async with self._lock, self._run.hold(), feeding(new_run_id(), self._emit):
            return await self._sync()

    def watch(
        self,
        interval: float = DEFAULT_INTERVAL,
        *,
        trigger: PushTrigger | None = None,
        debounce: float = DEFAULT_DEBOUNCE,
        retention: Retention | None = None,
        monitor: HealthMonitor | None = None,
    ) -> Watcher:
        """Sync now, then again each time upstream moved, polled every ``interval``
        seconds (idle polls write nothing) or pushed by ``trigger`` (a webhook): an async
        iterator of the reports, ``async for report in service.watch(60): ...``.
        Cancelling it ends it after the current file's transaction. See
        ``streaming_sync._watch`` for ``debounce``, ``retention`` and ``monitor``."""
        return Watcher(
            self,
            interval=interval,
            trigger=trigger,
            debounce=debounce,
            retention=retention,
            monitor=monitor,
        )

    async def _sync(self) -> SyncReport:
        self._tally = tally = RunTally(self.config.ontology_id, self.fetcher.source)
        self._queued = 0
        previous: list[FileFailure] = []
        try:
            parsing = self._parse_strategy()
            parsing.begin()
            previous, _ = await self.checkpoint.load(self.config.ontology_id)
            plan, refused = await self._plan()
            await self.checkpoint.record_run(tally.report(Outcome.RUNNING))
            await self._delete(plan.deletions)
            if plan.workers:
                # The pool starts now if the files to parse are worth it (its start-up
                # overlaps the fetches); see _parse_placement.
                parsing.expect(
                    ((e.path, e.size) for e in plan.todo),
                    stream_bytes=stream_bytes(self.parser, self.repository),
                )
                await self._pool(plan, parsing, refused)
        except (asyncio.CancelledError, Exception) as raised:
            error = _unwrap(raised)
            report = tally.report(Outcome.ABORTED, error=_describe(error))
            await run_to_completion(self._finish(report, previous))
            if isinstance(error, StreamingSyncError) and error.fatal:
                raise SyncAborted(f"sync stopped: {error}", report=report) from error
            if error is not raised and not isinstance(error, asyncio.CancelledError):
                raise error from raised
            raise
        return await run_to_completion(self._finish(tally.report(), previous))

    async def _plan(self) -> tuple[Plan, dict[str, str]]:
        """List (with retries), read what is committed, and let the run plan. Also
        returns the listed paths no database can store, to be skipped with the reason."""
        start = time.monotonic()
        listing = await retrying(self.config.retry, self.fetcher.list_files, LISTING, self._emit)
        listing, refused = _storable(listing)
        listing_s = time.monotonic() - start
        committed = await self.repository.committed_files(self.config.ontology_id)
        plan = await self._run.plan(listing, committed, listing_s)
        await self._emit(sync_started(self.config, self.fetcher.source, listing, plan, listing_s))
        return plan, refused

    async def _delete(self, paths: Sequence[str]) -> None:
        for path in paths:
            await self.repository.remove_file(self.config.ontology_id, path)
            await self._emit(FileDeleted(path))

    async def _pool(self, plan: Plan, parsing: Parsing, refused: dict[str, str]) -> None:
        """The feeder, the workers, the files waiting for their writes, and the writer."""
        budget = ByteBudget(self.config.max_bytes_in_flight)
        writer = Writer(self.repository, self.config, self._emit, budget, concurrency=plan.workers)
        processor = FileProcessor(
            self.fetcher, self.parser, self.config, self._emit, parsing, budget, writer, refused
        )
        queue: asyncio.Queue[_Item | None] = asyncio.Queue(
            maxsize=self.config.queue_factor * plan.workers
        )
        async with asyncio.TaskGroup() as group:
            writing = group.create_task(writer.run())
            try:
                async with asyncio.TaskGroup() as files:
                    files.create_task(self._feed(plan, queue, processor))
                    for _ in range(plan.workers):
                        files.create_task(self._work(queue, processor, files))
            except BaseException:
                # A fatal error or a cancellation stopped the files: what the writer
                # holds is parsed and whole, so it is committed before the sync stops
                # (unless the writer is what failed).
                if not writing.done():
                    await writer.stop()
                    await writing
                raise
            await writer.close()  # every file has ended: nothing more to write

    async def _feed(
        self, plan: Plan, queue: asyncio.Queue[_Item | None], processor: FileProcessor
    ) -> None:
        async for entry, data in self._run.items(plan.todo, processor.fetches):
            await queue.put((entry, data, time.monotonic()))
            self._queued += 1
        for _ in range(plan.workers):
            await queue.put(_DONE)

    async def _work(
        self,
        queue: asyncio.Queue[_Item | None],
        processor: FileProcessor,
        files: asyncio.TaskGroup,
    ) -> None:
        while (item := await queue.get()) is not _DONE:
            entry, data, queued_at = item
            self._queued -= 1
            await self._emit(FileStarted(entry.path, entry.size))
            ending = await processor.process(entry, data, queued=time.monotonic() - queued_at)
            files.create_task(self._end(ending))

    async def _end(self, ending: Ending) -> None:
        """Once its write ended: the file's end event (the run records it first)."""
        ended = await ending.wait()
        await self._run.complete(ended)
        await self._emit(ended)

    async def _finish(self, report: SyncReport, previous: Sequence[FileFailure]) -> SyncReport:
        """Record the outcome (the run's strategy), then tell the sinks."""
        final = await self._run.finish(report, previous)
        await self._emit(SyncFinished(report))
        return final

    async def _emit(self, event: ProgressEvent) -> None:
        self._tally.observe(event)
        for sink in self.sinks:
            try:
                await sink.emit(event)
            except Exception:
                logger.exception("progress sink %r failed; ignoring it", sink)

    def _parse_strategy(self) -> Parsing:
        """Where files are parsed (parsers hold the GIL): on a thread of this process or
        in a supervised process pool, by cost (``_parse_placement``), or all on the
        thread for ``parse_processes=0``; made once per service."""
        if self._parsing is None:
            self._parsing = parsing_for(
                self.parser, self.config.parse_processes, file_timeout=self.config.file_timeout
            )
        return self._parsing


def _storable(listing: Listing) -> tuple[Listing, dict[str, str]]:
    """``listing`` with each path that is not valid UTF-8 text or holds a NUL (a
    ``Fetcher`` of a user's own may list one; no database column of text can store it)
    under a shown form, and those shown paths with the reason to skip them."""
    refused: dict[str, str] = {}
    entries = []
    for entry in listing.entries:
        problem = path_problem(entry.path)
        if problem is not None:
            entry = FileEntry(shown(entry.path), entry.size, entry.sha)
            refused[entry.path] = problem
        entries.append(entry)
    if not refused:
        return listing, refused
    return Listing(listing.commit, tuple(entries), listing.complete, listing.missing), refused


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
