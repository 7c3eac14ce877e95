"""One file's way through a sync: fetch -> parse -> validate -> write, with retries.

``FileProcessor.process`` never raises for a problem of the file itself: it returns the
file's end event -- ``FileSucceeded``, ``FileSkipped``, or ``FileFailed`` naming
the stage that failed (the pipeline is what knows it) -- with the seconds it spent per
stage. Only fatal errors (bad credentials, a corrupt database, a full disk, an exhausted
rate-limit budget, parse processes that keep dying) and cancellation propagate, so that
the service can stop the whole sync cleanly.

A file holds its share of the memory budget (``ByteBudget``) from its fetch to the end
of its write. Each stage attempt has ``file_timeout`` seconds: fetch and write are
cancelled when they overrun (and retried), a parse is stopped by its ``Parsing``
strategy (see ``_parse_pool``) and not retried in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TypeVar

import attrs

from ._budget import ByteBudget
from ._config import SyncConfig, check_file_size
from ._errors import SkipFile, StreamingSyncError, TransientFetchError, WriteTimeout
from ._model import EMPTY, FileEntry, FileFailure, OntologyData, Stage, StageTimes
from ._parse_pool import Parsing
from ._protocols import Emit, Fetcher, Parser, Repository
from ._retry import retrying
from .observe.events import FileEnded, FileFailed, FileSkipped, FileSucceeded

logger = logging.getLogger(__name__)

T = TypeVar("T")


@attrs.define
class _Track:
    """Where one file is: the stage it is in, the attempts made there, and the seconds
    it spent per stage so far."""

    stage: Stage = Stage.FETCH
    attempts: int = 0
    stages: StageTimes = attrs.field(factory=StageTimes)

    @contextlib.contextmanager
    def timing(self, stage: Stage) -> Iterator[None]:
        """Enter ``stage`` (its attempts start at 0) and add the time spent in it."""
        if stage is not self.stage:
            self.stage, self.attempts = stage, 0
        start = time.monotonic()
        try:
            yield
        finally:
            self.stages = self.stages.add(stage, time.monotonic() - start)


@attrs.define
class FileProcessor:
    """Processes single files with the collaborators of one sync."""

    fetcher: Fetcher
    parser: Parser
    repository: Repository
    config: SyncConfig
    emit: Emit
    parsing: Parsing
    budget: ByteBudget
    #: Listed paths to skip without fetching them, with the reason (see ``_service``).
    refused: Mapping[str, str] = attrs.field(factory=dict)

    async def process(self, entry: FileEntry, data: bytes | None = None) -> FileEnded:
        """Fetch (unless ``data`` came with a bulk fetch), parse and write ``entry``;
        return its end event."""
        start = time.monotonic()
        track = _Track()
        try:
            try:
                parsed = await self._process(entry, data, track)
            except SkipFile as skip:
                # A skipped file declares nothing: drop what it stored before.
                with track.timing(Stage.WRITE):
                    await self._retrying(self._save, entry, EMPTY, track=track)
                return FileSkipped(entry.path, skip.reason, track.stages)
        except StreamingSyncError as error:
            if error.fatal:
                raise
            return await self._failed(entry, error, track)
        return FileSucceeded(
            entry.path,
            entry.size,
            len(parsed.classes),
            len(parsed.properties),
            len(parsed.axioms),
            time.monotonic() - start,
            parsed.warnings,
            track.stages,
        )

    async def _process(self, entry: FileEntry, data: bytes | None, track: _Track) -> OntologyData:
        refused = self.refused.get(entry.path)
        if refused is not None:
            raise SkipFile(entry.path, refused)
        check_file_size(entry.path, entry.size, self.config.max_file_size)
        if not self.parser.accepts(entry.path):
            raise SkipFile(entry.path, "no parser for this kind of file")
        async with self.budget.admitted(entry.size if data is None else len(data)):
            if data is None:
                with track.timing(Stage.FETCH):
                    data = await self._retrying(self._fetch, entry, track=track)
            if not data:
                raise SkipFile(entry.path, "empty file")
            with track.timing(Stage.PARSE):
                parsed = await self.parsing.parse(
                    entry.path, data, time_limit=self.config.file_timeout
                )
            with track.timing(Stage.WRITE):
                await self._retrying(self._save, entry, parsed, track=track)
        return parsed

    async def _failed(
        self, entry: FileEntry, error: StreamingSyncError, track: _Track
    ) -> FileEnded:
        if not error.retryable:
            # A file that cannot be read as it stands declares nothing: drop what it
            # stored before, so the rows equal those of a clean sync of the upstream.
            await self._retrying(self._remove, entry, track=_Track(Stage.WRITE))
        failure = FileFailure(
            path=entry.path,
            error_type=type(error).__name__,
            message=str(error),
            retryable=error.retryable,
            attempts=max(track.attempts, 1),
            sha=entry.sha,
        )
        # Reported through the events and the report; logged here only for debugging.
        logger.debug("%s failed: %s", entry.path, error, extra={"path": entry.path})
        return FileFailed(failure, track.stage, track.stages)

    async def _fetch(self, entry: FileEntry) -> bytes:
        try:
            async with asyncio.timeout(self.config.file_timeout):
                return await self.fetcher.fetch(entry)
        except TimeoutError:
            raise TransientFetchError(
                f"{entry.path}: fetching took longer than file_timeout={self.config.file_timeout}s"
            ) from None

    async def _save(self, entry: FileEntry, data: OntologyData) -> None:
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
        self, operation: Callable[..., Awaitable[T]], entry: FileEntry, *args: object, track: _Track
    ) -> T:
        """Run ``operation(entry, *args)`` with the retry policy: retryable errors are
        tried again in place, so a file never goes behind the backlog."""

        async def attempt() -> T:
            track.attempts += 1
            return await operation(entry, *args)

        return await retrying(self.config.retry, attempt, entry.path, self.emit)


__all__ = ["FileProcessor"]
