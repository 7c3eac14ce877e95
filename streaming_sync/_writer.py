"""Writing a sync's files: one writer task per sync, group commit when the repository can.

``Writer.submit`` takes one file's write -- its rows, nothing (a skipped file), or its
removal -- and returns a future; the worker goes on to its next file, and the future
says how the write went once the transaction holding it committed (or failed for
good). The file's end event is sent then, so an end event always means committed.

* **Group commit** (the repository is a ``BatchWriter``): the writer task takes the
  writes as they come and commits several in one ``write_batch`` -- each file still
  lands with its SHA, whole or not at all. A batch holds what arrived while the last one
  committed, and waits at most ``BatchBounds.wait`` seconds for more while other files
  are being fetched or parsed; it holds at most ``BatchBounds.files`` files and
  ``BatchBounds.bytes`` bytes of them, so a commit stays short and progress and resume
  stay fine-grained. A batch of one is a plain ``save_file`` / ``remove_file``.
* **A failed batch** is retried file by file, each with the retry policy, so one bad
  file fails alone; a fatal error then stops the sync at the file that raises it, the
  files before it committed (as without group commit). A batch that overruns
  ``file_timeout`` is cancelled (it committed whole or not at all); its files that did
  not land are written one by one the same way.
* **Per file** (no ``write_batch``): ``save_file`` per file, up to ``concurrency`` at
  once, each attempt within ``file_timeout``, retried in place.
* **A streamed file** (``submit_stream``: its rows come in parts from its parse) goes
  through ``StreamWriter.save_file_parts`` on the writer task between batches, alone --
  a backend may hold its write lock for the whole stream. A retry parses it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any

import attrs

from ._budget import ByteBudget
from ._config import SyncConfig
from ._errors import StreamingSyncError, WriteTimeout
from ._model import FileEntry, FileWrite, OntologyData, Stage
from ._protocols import BatchWriter, Emit, Repository, StreamWriter
from ._retry import retrying

logger = logging.getLogger(__name__)

#: Makes the parts of a streamed file (again, for a retry).
PartsSource = Callable[[], AsyncGenerator[OntologyData, None]]


@attrs.frozen
class BatchBounds:
    """How big a batch may grow: ``files`` files, ``bytes`` bytes of them (their sizes:
    rows grow with them), ``wait`` seconds waiting for more after the first arrived."""

    files: int = 64
    bytes: int = 4 * 1024 * 1024
    wait: float = 0.1


@attrs.frozen
class StreamTotals:
    """What a streamed file's parts held: row counts (a row repeated in two parts is
    counted twice) and warnings."""

    classes: int = 0
    properties: int = 0
    axioms: int = 0
    warnings: tuple[str, ...] = ()


@attrs.frozen
class Written:
    """How a file's write went: ``error`` None when it committed, else the error it
    failed with in ``stage`` (write; parse for a streamed file whose parse failed);
    ``writing`` its share of the transactions' time, ``waiting`` the rest since it was
    submitted; ``attempts`` made; for a streamed file, its ``totals``."""

    error: StreamingSyncError | None
    writing: float
    waiting: float
    attempts: int
    stage: Stage = Stage.WRITE
    totals: StreamTotals | None = None


@attrs.define(eq=False)
class _Pending:
    write: FileWrite
    size: int
    rows: int
    submitted: float
    future: asyncio.Future[Written]
    parts: PartsSource | None = None  # a streamed file


def row_count(data: OntologyData | None) -> int:
    """The rows a write touches (at least 1: a removal, an empty file)."""
    if data is None:
        return 1
    return 1 + sum(
        map(len, (data.classes, data.edges, data.properties, data.axioms, data.other_axioms))
    )


_CLOSED = None


class Writer:
    """The writer of one sync (see the module docstring); ``run`` is its task."""

    def __init__(
        self,
        repository: Repository,
        config: SyncConfig,
        emit: Emit,
        budget: ByteBudget,
        *,
        concurrency: int,
        bounds: BatchBounds | None = None,
    ) -> None:
        self.repository = repository
        self.config = config
        self.emit = emit
        self.budget = budget
        self.bounds = bounds or BatchBounds()
        self.batches = repository if isinstance(repository, BatchWriter) else None
        self.streams = repository if isinstance(repository, StreamWriter) else None
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue(2 * self.bounds.files)
        self._slots = asyncio.Semaphore(concurrency)
        self._coming = 0  # files being fetched or parsed, whose write is still to come
        self._held: list[_Pending | None] = []  # taken from the queue for the next round
        self.committed = self.batched = 0  # transactions, and files written in batches
        self._stopping = False

    def __repr__(self) -> str:
        mode = "batches" if self.batches is not None else "per file"
        return (
            f"<Writer {mode} [queued: {self._queue.qsize()}, coming: {self._coming} |"
            f" transactions: {self.committed}, files in batches: {self.batched}]>"
        )

    @contextlib.contextmanager
    def coming(self) -> Iterator[None]:
        """Around a file's fetch and parse: a batch being formed may wait for it."""
        self._coming += 1
        try:
            yield
        finally:
            self._coming -= 1

    async def submit(self, write: FileWrite, size: int) -> asyncio.Future[Written]:
        """Queue ``write`` (``size``: the file's bytes); waits while the queue is full."""
        return await self._put(write, size, row_count(write.data), None)

    async def submit_stream(
        self, entry: FileEntry, size: int, parts: PartsSource
    ) -> asyncio.Future[Written]:
        """Queue a streamed file: ``parts()`` makes its parts (again for a retry)."""
        assert self.streams is not None, "the repository is not a StreamWriter"
        return await self._put(FileWrite(entry, None), size, size, parts)

    async def _put(
        self, write: FileWrite, size: int, rows: int, parts: PartsSource | None
    ) -> asyncio.Future[Written]:
        future: asyncio.Future[Written] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(write, size, rows, time.monotonic(), future, parts))
        return future

    async def close(self) -> None:
        """No more writes: the task ends once it has written what is queued."""
        await self._queue.put(_CLOSED)

    async def stop(self) -> None:
        """The files stopped early (a fatal error, a cancellation): the task writes what
        was handed over whole -- parsed files, removals -- and ends, so a stop costs no
        finished work; a streamed file not begun is dropped (its parse stopped with the
        files, and nothing of it was written)."""
        self._stopping = True
        await self.close()

    async def run(self) -> None:
        """The writer task: until ``close``. A fatal storage error raises (the sync
        stops); any other error fails only its files."""
        async with asyncio.TaskGroup() as group:
            while (first := await self._next()) is not _CLOSED:
                if first.parts is not None:
                    if not self._stopping:
                        self._settle(first, await self._stream(first))
                elif self.batches is None:
                    await self._slots.acquire()
                    group.create_task(self._direct(first))
                else:
                    await self._commit(await self._gather(first))

    async def _next(self) -> _Pending | None:
        if self._held:
            return self._held.pop()
        return await self._queue.get()

    # -- batches --------------------------------------------------------------------------

    async def _gather(self, first: _Pending) -> list[_Pending]:
        """A batch starting with ``first`` (an item that cannot join it is held for
        the next round)."""
        batch, size = [first], first.size
        deadline = asyncio.get_running_loop().time() + self.bounds.wait
        while len(batch) < self.bounds.files and size < self.bounds.bytes:
            if not self._queue.empty():  # no timeout to arm: one per file cost 3% of
                item = self._queue.get_nowait()  # the event loop in scenario 1
            elif not self._worth_waiting():
                break
            else:
                try:
                    async with asyncio.timeout_at(deadline):
                        item = await self._queue.get()
                except TimeoutError:
                    break
            if item is _CLOSED or item.parts is not None:
                self._held.append(item)
                break
            batch.append(item)
            size += item.size
        return batch

    def _worth_waiting(self) -> bool:
        """More files are on their way -- unless they wait for memory this batch holds."""
        return self._coming > 0 and not self.budget.blocked

    async def _commit(self, batch: list[_Pending]) -> None:
        if len(batch) == 1:
            self._settle(batch[0], await self._alone(batch[0]))
            return
        assert self.batches is not None
        start = time.monotonic()
        landed: list[_Pending] = []
        try:
            async with asyncio.timeout(self.config.file_timeout):
                await self.batches.write_batch(self.config.ontology_id, [p.write for p in batch])
        except TimeoutError:
            landed = await self._landed(batch)
            reason = f"it took longer than file_timeout={self.config.file_timeout:g}s"
        except StreamingSyncError as error:
            # A fatal error too: the files are written one by one, so those before the
            # culprit land and the culprit's own write raises it and stops the sync --
            # as without group commit (a full disk fails the first single write anyway).
            reason = f"{type(error).__name__}: {error}"
        else:
            self.committed += 1
            self.batched += len(batch)
            self._share(batch, start, time.monotonic())
            return
        self._share(landed, start, time.monotonic())
        rest = [p for p in batch if p not in landed]
        logger.info(
            "a batch of %d files was not written (%s); writing %d of them one by one",
            len(batch),
            reason,
            len(rest),
        )
        for pending in rest:
            self._settle(pending, await self._alone(pending))

    def _share(self, batch: list[_Pending], start: float, end: float) -> None:
        """Settle the files of a committed batch, its time shared by their rows."""
        rows = sum(p.rows for p in batch) or 1
        for pending in batch:
            share = (end - start) * pending.rows / rows
            self._settle(pending, Written(None, share, end - pending.submitted - share, 1))

    async def _landed(self, batch: list[_Pending]) -> list[_Pending]:
        """The files of a batch cancelled after its timeout that committed all the same
        (a backend may not stop a write it has begun; it commits whole or not at all)."""
        if self.config.full:
            return []  # their SHAs may have been committed before: we cannot tell
        committed = await self.repository.committed_files(self.config.ontology_id)
        return [p for p in batch if _landed(p.write, committed)]

    # -- one file -----------------------------------------------------------------------

    async def _direct(self, pending: _Pending) -> None:
        try:
            self._settle(pending, await self._alone(pending))
        finally:
            self._slots.release()

    async def _alone(self, pending: _Pending) -> Written:
        """Write one file in its own transaction, with the retry policy."""
        attempts = 0
        start = time.monotonic()

        async def attempt() -> None:
            nonlocal attempts
            attempts += 1
            await self._attempt(pending.write)

        error: StreamingSyncError | None = None
        try:
            await retrying(self.config.retry, attempt, pending.write.entry.path, self.emit)
        except StreamingSyncError as failed:
            if failed.fatal:
                raise
            error = failed
        end = time.monotonic()
        self.committed += error is None
        return Written(error, end - start, start - pending.submitted, attempts)

    async def _attempt(self, write: FileWrite) -> None:
        oid, entry = self.config.ontology_id, write.entry
        try:
            async with asyncio.timeout(self.config.file_timeout):
                if write.data is None:
                    await self.repository.remove_file(oid, entry.path)
                else:
                    await self.repository.save_file(oid, entry, write.data)
        except TimeoutError:
            if self.config.full or not _landed(write, await self.repository.committed_files(oid)):
                raise WriteTimeout(
                    f"{entry.path}: writing took longer than file_timeout="
                    f"{self.config.file_timeout:g}s (waiting for the database included);"
                    " it was cancelled, nothing of it was kept"
                ) from None

    # -- a streamed file ----------------------------------------------------------------

    async def _stream(self, pending: _Pending) -> Written:
        """Write a streamed file with ``save_file_parts``, retrying (a new parse) per
        the policy; a failure of its parse fails it in the parse stage, not retried."""
        assert self.streams is not None
        assert pending.parts is not None
        streams, parts = self.streams, pending.parts
        attempts = 0
        start = time.monotonic()
        tally = _PartsTally()

        async def attempt() -> None:
            nonlocal attempts, tally
            attempts += 1
            tally = _PartsTally()
            try:
                async with contextlib.aclosing(parts()) as source:
                    await streams.save_file_parts(
                        self.config.ontology_id, pending.write.entry, tally.count(source)
                    )
            except Exception as raised:
                if tally.failed is None:
                    raise
                # The parse failed, not the write: never retried in place (a parse
                # process that died or overran would likely do it again).
                raise _ParseFailed() from raised

        error: StreamingSyncError | None = None
        stage = Stage.WRITE
        try:
            await retrying(self.config.retry, attempt, pending.write.entry.path, self.emit)
        except _ParseFailed:
            error, stage = _parse_error(tally.failed), Stage.PARSE
        except StreamingSyncError as failed:
            if failed.fatal:
                raise
            error = failed
        end = time.monotonic()
        self.committed += error is None
        waited = start - pending.submitted
        return Written(error, end - start, waited, attempts, stage, tally.totals())

    @staticmethod
    def _settle(pending: _Pending, written: Written) -> None:
        if not pending.future.done():
            pending.future.set_result(written)


class _ParseFailed(StreamingSyncError):  # noqa: N818 -- a signal inside _stream
    """A streamed file's parse failed (not retried; ``_PartsTally.failed`` says why)."""


def _parse_error(error: BaseException | None) -> StreamingSyncError:
    """The error a streamed parse failed with, as one of ours (fatal ones propagate)."""
    if isinstance(error, StreamingSyncError):
        if error.fatal:
            raise error
        return error
    if isinstance(error, Exception):
        raise error
    raise AssertionError("a parse failure without its error")  # pragma: no cover


class _PartsTally:
    """Counts the rows of a stream's parts, and keeps the error its parse raised."""

    def __init__(self) -> None:
        self.classes = self.properties = self.axioms = 0
        self.warnings: dict[str, None] = {}
        self.failed: BaseException | None = None

    async def count(
        self, parts: AsyncGenerator[OntologyData, None]
    ) -> AsyncGenerator[OntologyData, None]:
        try:
            async for part in parts:
                self.classes += len(part.classes)
                self.properties += len(part.properties)
                self.axioms += len(part.axioms)
                self.warnings.update(dict.fromkeys(part.warnings))
                yield part
        except Exception as error:
            self.failed = error
            raise

    def totals(self) -> StreamTotals:
        return StreamTotals(self.classes, self.properties, self.axioms, tuple(self.warnings))


def _landed(write: FileWrite, committed: Any) -> bool:
    """Whether ``write`` is what ``committed`` (path -> SHA) shows."""
    if write.data is None:
        return write.entry.path not in committed
    return bool(committed.get(write.entry.path) == write.entry.sha)


__all__ = ["BatchBounds", "PartsSource", "StreamTotals", "Writer", "Written", "row_count"]
