"""One file's way through a sync: fetch -> parse -> validate -> write, with retries.

``FileProcessor.process`` fetches and parses a file, hands its write to the sync's
``Writer`` and returns at once with an ``Ending``: awaiting ``Ending.wait()`` gives the
file's end event -- ``FileSucceeded``, ``FileSkipped``, or ``FileFailed`` naming
the stage that failed (the pipeline is what knows it) -- once its write committed (or
failed for good), with the seconds it spent per stage, working and waiting apart. So a
worker goes on to the next file while the writer groups writes into transactions. Only
fatal errors (bad credentials, a corrupt database, a full disk, an exhausted rate-limit
budget, parse processes that keep dying) and cancellation propagate, so that the
service can stop the whole sync cleanly.

A file holds its share of the memory budget (``ByteBudget``) from before its fetch to
the end of its write. Each stage attempt has ``file_timeout`` seconds: fetch and write
are cancelled when they overrun (and retried), a parse is stopped by its ``Parsing``
strategy (see ``_parse_placement``) and not retried in place.

A file of ``STREAM_BYTES`` or more, when the parser is a ``StreamingParser`` and the
repository a ``StreamWriter``, is streamed: its parse hands parts to the writer as it
goes (``Parsing.parse_parts``), so no process holds all of its rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping

import attrs

from ._budget import ByteBudget
from ._config import SyncConfig, check_file_size
from ._errors import SkipFile, StreamingSyncError, TransientFetchError
from ._model import EMPTY, FileEntry, FileFailure, FileWrite, OntologyData, Stage, StageTimes, Wait
from ._parse_placement import Parsing
from ._protocols import Emit, Fetcher, Parser, Repository, StreamingParser, StreamWriter
from ._retry import retrying
from ._writer import Writer, Written
from .observe.events import FileEnded, FileFailed, FileSkipped, FileSucceeded

logger = logging.getLogger(__name__)

#: Files this big or bigger are streamed (when parser and repository can): about the
#: size whose rows, held whole, would cost more memory than the rest of a sync.
STREAM_BYTES = 4 * 1024 * 1024


@attrs.define
class _Track:
    """Where one file is: the stage it is in, the attempts made there, and the seconds
    it spent per stage (working) and waiting so far."""

    stage: Stage = Stage.FETCH
    attempts: int = 0
    start: float = attrs.field(factory=time.monotonic)
    _seconds: dict[Stage | Wait, float] = attrs.field(factory=dict)

    @property
    def stages(self) -> StageTimes:
        return StageTimes.of(self._seconds)

    @contextlib.contextmanager
    def timing(self, stage: Stage) -> Iterator[None]:
        """Enter ``stage`` (its attempts start at 0) and add the time spent in it."""
        if stage is not self.stage:
            self.stage, self.attempts = stage, 0
        start = time.monotonic()
        try:
            yield
        finally:
            self.add(stage, time.monotonic() - start)

    @contextlib.contextmanager
    def waiting(self, wait: Wait) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.add(wait, time.monotonic() - start)

    def add(self, stage: Stage | Wait, seconds: float) -> None:
        self._seconds[stage] = self._seconds.get(stage, 0.0) + seconds


def stream_bytes(parser: Parser, repository: Repository) -> int | None:
    """The size from which a file is streamed (``STREAM_BYTES``), None when the parser
    or the repository cannot stream (the one rule for the pipeline and the placement)."""
    can = isinstance(parser, StreamingParser) and isinstance(repository, StreamWriter)
    return STREAM_BYTES if can else None


@attrs.define
class Ending:
    """A file whose write was handed to the writer (or that needs none): ``wait()``
    gives its end event once the write ended (``finish`` makes it from how the write
    went), and gives the file's memory back."""

    finish: Callable[[Written | None], Awaitable[FileEnded]]
    future: asyncio.Future[Written] | None = None
    release: Callable[[], None] | None = None

    async def wait(self) -> FileEnded:
        try:
            written = await self.future if self.future is not None else None
        finally:
            if self.release is not None:
                self.release()
        return await self.finish(written)


@attrs.define
class FileProcessor:
    """Processes single files with the collaborators of one sync."""

    fetcher: Fetcher
    parser: Parser
    config: SyncConfig
    emit: Emit
    parsing: Parsing
    budget: ByteBudget
    writer: Writer
    #: Listed paths to skip without fetching them, with the reason (see ``_service``).
    refused: Mapping[str, str] = attrs.field(factory=dict)
    #: ``stream_bytes`` of the parser and repository, decided once (it asks Protocols).
    stream_limit: int | None = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.stream_limit = stream_bytes(self.parser, self.writer.repository)

    async def process(
        self, entry: FileEntry, data: bytes | None = None, *, queued: float = 0.0
    ) -> Ending:
        """Fetch (unless ``data`` came with a bulk fetch) and parse ``entry``, and hand
        its write to the writer; see ``Ending``. ``queued``: seconds it waited in the
        service's queue for a worker."""
        track = _Track()
        track.add(Wait.QUEUE, queued)
        try:
            with self.writer.coming():
                return await self._process(entry, data, track)
        except StreamingSyncError as error:
            if error.fatal:
                raise
            return await self._failed(entry, error, track, track.stage)

    async def _process(self, entry: FileEntry, data: bytes | None, track: _Track) -> Ending:
        try:
            self._check(entry)
            size = entry.size if data is None else len(data)
            with track.waiting(Wait.BUDGET):
                await self.budget.acquire(size)
            try:
                return await self._parse_and_submit(entry, data, size, track)
            except BaseException:
                self.budget.release(size)
                raise
        except SkipFile as skip:
            # A skipped file declares nothing: drop what it stored before.
            future = await self.writer.submit(FileWrite(entry, EMPTY), 0)
            reason = skip.reason

            async def skipped(written: Written | None) -> FileEnded:
                assert written is not None
                failed = self._written(entry, track, written)
                return failed or FileSkipped(entry.path, reason, track.stages)

            return Ending(skipped, future)

    def fetches(self, entry: FileEntry) -> bool:
        """Whether processing ``entry`` fetches it (it is not skipped unread)."""
        try:
            self._check(entry)
        except SkipFile:
            return False
        return True

    def _check(self, entry: FileEntry) -> None:
        refused = self.refused.get(entry.path)
        if refused is not None:
            raise SkipFile(entry.path, refused)
        check_file_size(entry.path, entry.size, self.config.max_file_size)
        if not self.parser.accepts(entry.path):
            raise SkipFile(entry.path, "no parser for this kind of file")

    async def _parse_and_submit(
        self, entry: FileEntry, data: bytes | None, size: int, track: _Track
    ) -> Ending:
        """Fetch and parse (holding ``size`` bytes of the budget, given back by the
        returned ending once the write ended), then submit the write."""
        if data is None:
            with track.timing(Stage.FETCH):
                data = await self._fetch_retrying(entry, track)
        if not data:
            raise SkipFile(entry.path, "empty file")
        track.stage, track.attempts = Stage.PARSE, 0
        if self._streams(data):
            return await self._stream(entry, data, size, track)
        parsed = await self.parsing.parse(entry.path, data, time_limit=self.config.file_timeout)
        track.add(Wait.PARSE, parsed.waited)
        track.add(Stage.PARSE, parsed.worked)
        future = await self.writer.submit(FileWrite(entry, parsed.data), size)
        rows = parsed.data

        async def succeeded(written: Written | None) -> FileEnded:
            assert written is not None
            failed = self._written(entry, track, written)
            counts = len(rows.classes), len(rows.properties), len(rows.axioms)
            return failed or self._succeeded(entry, track, counts, rows.warnings)

        return Ending(succeeded, future, _releasing(self.budget, size))

    def _streams(self, data: bytes) -> bool:
        return self.stream_limit is not None and len(data) >= self.stream_limit

    async def _stream(self, entry: FileEntry, data: bytes, size: int, track: _Track) -> Ending:
        """Hand a streamed file to the writer once its parse produced a first part (a
        file that fails at once fails here, and the writer never waits for a parse to
        start); a retry of its write parses it again."""
        limit = self.config.file_timeout
        path = entry.path
        start = time.monotonic()
        first = self.parsing.parse_parts(path, data, time_limit=limit)
        try:
            part = await anext(first)
        except StopAsyncIteration:
            part = EMPTY
        except BaseException:
            await first.aclose()
            raise
        track.add(Stage.PARSE, time.monotonic() - start)
        started = [_prepend(part, first)]

        def parts() -> AsyncGenerator[OntologyData, None]:
            if started:
                return started.pop()
            return self.parsing.parse_parts(path, data, time_limit=limit)

        future = await self.writer.submit_stream(entry, size, parts)

        async def streamed(written: Written | None) -> FileEnded:
            assert written is not None
            assert written.totals is not None
            if written.error is not None and written.stage is Stage.PARSE:
                track.add(Stage.PARSE, written.writing)
                track.add(Wait.WRITE, written.waiting)
                track.attempts = written.attempts
                return await (await self._failed(entry, written.error, track, Stage.PARSE)).wait()
            t = written.totals
            failed = self._written(entry, track, written)
            counts = t.classes, t.properties, t.axioms
            return failed or self._succeeded(entry, track, counts, t.warnings)

        return Ending(streamed, future, _releasing(self.budget, size))

    @staticmethod
    def _succeeded(
        entry: FileEntry, track: _Track, counts: tuple[int, int, int], warnings: tuple[str, ...]
    ) -> FileEnded:
        """``counts``: the classes, properties and axioms it wrote."""
        seconds = time.monotonic() - track.start
        return FileSucceeded(entry.path, entry.size, *counts, seconds, warnings, track.stages)

    def _written(self, entry: FileEntry, track: _Track, written: Written) -> FileEnded | None:
        """Add the write's times; the file's failure when the write failed."""
        track.stage, track.attempts = Stage.WRITE, written.attempts
        track.add(Stage.WRITE, written.writing)
        track.add(Wait.WRITE, written.waiting)
        if written.error is None:
            return None
        return FileFailed(self._failure(entry, written.error, track), Stage.WRITE, track.stages)

    async def _failed(
        self, entry: FileEntry, error: StreamingSyncError, track: _Track, stage: Stage
    ) -> Ending:
        failure = self._failure(entry, error, track)

        async def failed(written: Written | None) -> FileEnded:
            if written is not None:
                track.add(Wait.WRITE, written.waiting)
                track.add(Stage.WRITE, written.writing)
            return FileFailed(failure, stage, track.stages)

        if error.retryable:
            return Ending(failed)
        # A file that cannot be read as it stands declares nothing: drop what it stored
        # before, so the rows equal those of a clean sync of the upstream. (If even that
        # fails, its old rows stay until the next sync, which processes it again.)
        future = await self.writer.submit(FileWrite(entry, None), 0)
        return Ending(failed, future)

    def _failure(self, entry: FileEntry, error: StreamingSyncError, track: _Track) -> FileFailure:
        # Reported through the events and the report; logged here only for debugging.
        logger.debug("%s failed: %s", entry.path, error, extra={"path": entry.path})
        return FileFailure(
            path=entry.path,
            error_type=type(error).__name__,
            message=str(error),
            retryable=error.retryable,
            attempts=max(track.attempts, 1),
            sha=entry.sha,
        )

    async def _fetch_retrying(self, entry: FileEntry, track: _Track) -> bytes:
        """Fetch with the retry policy: retryable errors are tried again in place, so a
        file never goes behind the backlog."""

        async def attempt() -> bytes:
            track.attempts += 1
            return await self._fetch(entry)

        return await retrying(self.config.retry, attempt, entry.path, self.emit)

    async def _fetch(self, entry: FileEntry) -> bytes:
        try:
            async with asyncio.timeout(self.config.file_timeout):
                return await self.fetcher.fetch(entry)
        except TimeoutError:
            raise TransientFetchError(
                f"{entry.path}: fetching took longer than file_timeout={self.config.file_timeout}s"
            ) from None


def _releasing(budget: ByteBudget, size: int) -> Callable[[], None]:
    """Gives ``size`` bytes back to ``budget``, once however often it is called."""
    given: list[bool] = []

    def release() -> None:
        if not given:
            given.append(True)
            budget.release(size)

    return release


async def _prepend(
    first: OntologyData, rest: AsyncGenerator[OntologyData, None]
) -> AsyncGenerator[OntologyData, None]:
    try:
        yield first
        async for part in rest:
            yield part
    finally:
        await rest.aclose()  # the parse's process or thread stops with it


__all__ = ["STREAM_BYTES", "Ending", "FileProcessor", "stream_bytes"]
