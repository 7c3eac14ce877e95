"""One file's way through a sync: fetch -> parse -> validate -> write, with retries.

``FileProcessor.process`` never raises for a problem of the file itself: it returns a
``FileResult`` (succeeded, skipped or failed with a reason). Only fatal errors (bad
credentials, a corrupt database, a full disk, an exhausted rate-limit budget, parse
processes that keep dying) and cancellation propagate, so that the service can stop the
whole sync cleanly.

A file holds its share of the memory budget (``ByteBudget``) from its fetch to the end
of its write. Each stage attempt has ``file_timeout`` seconds: fetch and write are
cancelled when they overrun (and retried), a parse is stopped by its ``Parsing``
strategy (see ``_parse_pool``) and not retried in place.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs

from ._budget import ByteBudget
from ._config import SyncConfig
from ._errors import FileSkipped, StreamingSyncError, TransientFetchError, WriteTimeout
from ._events import ProgressEvent
from ._model import EMPTY, FileEntry, FileFailure, OntologyData
from ._parse_pool import Parsing
from ._protocols import Fetcher, Parser, Repository
from ._retry import retrying

logger = logging.getLogger(__name__)

T = TypeVar("T")


@attrs.define
class StageClock:
    """Seconds spent per stage (for one file, or summed over a run's workers)."""

    fetching: float = 0.0
    parsing: float = 0.0
    writing: float = 0.0

    def add(self, other: StageClock) -> None:
        self.fetching += other.fetching
        self.parsing += other.parsing
        self.writing += other.writing


@attrs.frozen
class FileResult:
    entry: FileEntry
    data: OntologyData | None = None
    skip_reason: str | None = None
    failure: FileFailure | None = None
    seconds: float = 0.0
    stages: StageClock = attrs.field(factory=StageClock)


@attrs.define
class FileProcessor:
    """Processes single files with the collaborators of one sync."""

    fetcher: Fetcher
    parser: Parser
    repository: Repository
    config: SyncConfig
    emit: Callable[[ProgressEvent], Awaitable[None]]
    parsing: Parsing
    budget: ByteBudget
    clock: StageClock = attrs.field(factory=StageClock)

    async def process(self, entry: FileEntry, data: bytes | None = None) -> FileResult:
        start = time.monotonic()
        attempts = [0]
        stages = StageClock()
        try:
            result = await self._process(entry, data, attempts, stages)
        except FileSkipped as skip:
            await self._retrying(self._save, entry, EMPTY, stages, attempts=[0])
            result = FileResult(entry, skip_reason=skip.reason)
        except StreamingSyncError as error:
            if error.fatal:
                raise
            result = await self._failed(entry, error, attempts[0])
        finally:
            self.clock.add(stages)
        return attrs.evolve(result, seconds=time.monotonic() - start, stages=stages)

    async def _process(
        self, entry: FileEntry, data: bytes | None, attempts: list[int], stages: StageClock
    ) -> FileResult:
        if entry.size > self.config.max_file_size:
            raise FileSkipped(
                entry.path,
                f"{entry.size} bytes is over max_file_size={self.config.max_file_size}",
            )
        if not self.parser.accepts(entry.path):
            raise FileSkipped(entry.path, "no parser for this kind of file")
        async with self.budget.admitted(entry.size if data is None else len(data)):
            if data is None:
                data = await self._retrying(self._fetch, entry, stages, attempts=attempts)
            if not data:
                raise FileSkipped(entry.path, "empty file")
            parsed = await self._parse(entry, data, stages)
            attempts[0] = 0  # a failure reports the attempts of the stage that failed
            await self._retrying(self._save, entry, parsed, stages, attempts=attempts)
        return FileResult(entry, data=parsed)

    async def _failed(
        self, entry: FileEntry, error: StreamingSyncError, attempts: int
    ) -> FileResult:
        if not error.retryable:
            # A file that cannot be read as it stands declares nothing: drop what it
            # stored before, so the rows equal those of a clean sync of the upstream.
            await self._retrying(self._remove, entry, attempts=[0])
        failure = FileFailure(
            path=entry.path,
            error_type=type(error).__name__,
            message=str(error),
            retryable=error.retryable,
            attempts=max(attempts, 1),
            sha=entry.sha,
        )
        # Reported through the events and the report; logged here only for debugging.
        logger.debug("%s failed: %s", entry.path, error, extra={"path": entry.path})
        return FileResult(entry, failure=failure)

    async def _fetch(self, entry: FileEntry, stages: StageClock) -> bytes:
        start = time.monotonic()
        try:
            async with asyncio.timeout(self.config.file_timeout):
                return await self.fetcher.fetch(entry)
        except TimeoutError:
            raise TransientFetchError(
                f"{entry.path}: fetching took longer than file_timeout={self.config.file_timeout}s"
            ) from None
        finally:
            stages.fetching += time.monotonic() - start

    async def _parse(self, entry: FileEntry, data: bytes, stages: StageClock) -> OntologyData:
        start = time.monotonic()
        try:
            return await self.parsing.parse(entry.path, data, time_limit=self.config.file_timeout)
        finally:
            stages.parsing += time.monotonic() - start

    async def _save(self, entry: FileEntry, data: OntologyData, stages: StageClock) -> None:
        start = time.monotonic()
        try:
            async with asyncio.timeout(self.config.file_timeout):
                await self.repository.save_file(self.config.ontology_id, entry, data)
        except TimeoutError:
            if not await self._landed_anyway(entry):
                raise WriteTimeout(
                    f"{entry.path}: writing took longer than file_timeout="
                    f"{self.config.file_timeout:g}s (waiting for the database included);"
                    " it was cancelled, nothing of it was kept"
                ) from None
        finally:
            stages.writing += time.monotonic() - start

    async def _landed_anyway(self, entry: FileEntry) -> bool:
        """After a write timed out: did it commit all the same? A backend may not stop a
        write it has begun (SQLite finishes it on its thread), and a cancelled
        ``save_file`` commits whole or not at all. Its SHA was not committed before this
        sync (else the file would not be in the to-do list) -- unless ``full`` re-does
        committed files, and then we cannot tell, so it counts as not landed."""
        if self.config.full:
            return False
        committed = await self.repository.committed_files(self.config.ontology_id)
        return committed.get(entry.path) == entry.sha

    async def _remove(self, entry: FileEntry) -> None:
        await self.repository.remove_file(self.config.ontology_id, entry.path)

    async def _retrying(
        self, operation: Callable[..., Awaitable[T]], *args: object, attempts: list[int]
    ) -> T:
        """Run ``operation`` with the retry policy: retryable errors are tried again in
        place, so a file never goes behind the backlog."""
        path = args[0].path if isinstance(args[0], FileEntry) else "?"

        async def attempt() -> T:
            attempts[0] += 1
            return await operation(*args)

        return await retrying(self.config.retry, attempt, path, self.emit)


__all__ = ["FileProcessor", "FileResult", "StageClock"]
