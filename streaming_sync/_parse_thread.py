"""Parsing in this process: on the event loop itself (``LoopRule``, ``parse_on_loop``)
or on a thread (``ParseThread``); and ``ThreadParsing``, the ``Parsing`` strategy of
``parse_processes=0`` (beside ``_parse_pool.ParsePool``).

A file whose parse is known to be linear and shorter than ``LOOP_SECONDS`` (from the
parser's ``parse_cost``) is parsed on the event loop, between two awaits: handing it to
the thread and its rows back cost more than such a parse (measured, docs/performance.md,
"Stop 23": 357 Logseq pages synced 6% faster, 300 small Turtle files 4%, with less CPU).
The loop is blocked no longer than the GIL's switch interval (5 ms) lets the parse
thread hold it anyway, so the caller's own coroutines wait no longer than before.

Parsers hold the GIL, so two parses in one process never run at once: one daemon thread
takes the parses in turn (no thread started per file). A parse that overruns its time
limit fails its file with ``ParseTimeout`` but runs on -- Python cannot stop a thread
-- taking CPU (and the GIL) from the rest of the sync until it ends; the thread is then
given up and a new one takes the next parses. Being daemon threads, they never keep the
program from exiting (the default executor's threads would: asyncio waits for them when
the loop closes). That is why only files whose parse is known to be short and linear
are parsed here when a process pool is available (see ``_parse_placement``).

A streamed parse (``parse_parts``) runs on the same thread and hands its parts to the
event loop through a queue of ``PARTS_AHEAD`` parts: the thread waits while the writer
is behind, so the parts in memory stay bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any

import attrs

from ._aio import AsyncClosing
from ._errors import ParseTimeout
from ._model import OntologyData
from ._parse_worker import parse_and_validate, parse_parts_and_validate
from ._protocols import CostedParser, Parser, StreamingParser

#: Parts a streamed parse may run ahead of the writer.
PARTS_AHEAD = 2
#: Parse on the event loop files whose estimated parse (``CostedParser.parse_cost``) is
#: this short, in CPU seconds: the GIL's default switch interval.
LOOP_SECONDS = 0.005
#: A parse in this process -- on the loop, or the thread when a pool is there to take
#: the rest -- cannot be stopped: its estimate must be at most this share of
#: ``file_timeout`` (``LoopRule`` here, ``_parse_placement.PlacedParsing`` for the thread).
TIMEOUT_SHARE = 0.1
_END = object()


@attrs.frozen
class Parsed:
    """One file's parse: its rows, and the seconds it waited for a thread or process
    (``waited``) and spent there (``worked``: the parse, and carrying bytes and rows)."""

    data: OntologyData
    waited: float = 0.0
    worked: float = 0.0


class LoopRule:
    """Which files are parsed on the event loop: those a ``CostedParser`` says are linear
    (``inline``) and cost at most ``LOOP_SECONDS`` and a tenth of ``file_timeout``. A
    parser that does not say what its files cost parses none there."""

    def __init__(self, parser: Parser, *, file_timeout: float) -> None:
        self._costs = parser if isinstance(parser, CostedParser) else None
        self._limit = min(LOOP_SECONDS, TIMEOUT_SHARE * file_timeout)

    def __call__(self, path: str, size: int) -> bool:
        if self._costs is None:
            return False
        cost = self._costs.parse_cost(path, size)
        return cost.inline and cost.seconds <= self._limit


def parse_on_loop(parser: Parser, path: str, data: bytes) -> Parsed:
    """Parse and validate right here, on the event loop (a file ``LoopRule`` admits)."""
    start = time.monotonic()
    data_parsed = parse_and_validate(parser, path, data)
    return Parsed(data_parsed, 0.0, time.monotonic() - start)


class _Job:
    """One parse for the thread: ``run`` is called there. The thread notes when it took
    the job (``started_at``), so the time limit counts from there; ``started``, a future
    of the event loop, is set then too, for a caller that waits for it (a stream's
    deadline) -- a plain parse does not: telling the loop would wake it once more per
    file."""

    __slots__ = ("dropped", "loop", "run", "started", "started_at")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, run: Callable[[], None], *, tell_start: bool
    ) -> None:
        self.loop = loop
        self.run = run
        self.started: asyncio.Future[float] | None = loop.create_future() if tell_start else None
        self.started_at: float | None = None  # set by the thread
        # Its caller went away before the thread took it: a plain flag, set on the event
        # loop and read by the thread (one attribute, so no lock; an Event per file cost
        # 2% of the event loop's time in scenario 1).
        self.dropped = False


class _OverranError(Exception):
    """A plain parse's time limit passed (``ParseThread.parse`` raises ``ParseTimeout``)."""


class ParseThread:
    """One daemon thread parsing in turn; replaced when a parse overruns (see above)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.busy = 0  # parses handed over and not yet ended (or given up)
        self.overran = 0

    def _ensure(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=_serve, args=(self._jobs,), name="streaming-sync-parse", daemon=True
            )
            self._thread.start()

    def _abandon(self) -> None:
        """The current thread is stuck in an overrunning parse: leave it to end on its
        own (it exits after that parse) and serve the next parses on a new thread."""
        stuck, self._jobs = self._jobs, queue.SimpleQueue()
        while True:  # the parses waiting behind it move to the new thread...
            try:
                job = stuck.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                self._jobs.put(job)
        stuck.put(None)  # ...and the stuck thread ends after its parse
        self._thread = None
        self._ensure()

    async def parse(self, parser: Parser, path: str, data: bytes, *, time_limit: float) -> Parsed:
        """Parse and validate on the thread; ``ParseTimeout`` once the parse itself (not
        the wait for the thread) took ``time_limit`` seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[OntologyData] = loop.create_future()
        asked = time.monotonic()
        # When the thread finished, read by the thread: the time until the event loop
        # takes the result is not parse work (under load it overlapped the next parse).
        ended: list[float] = []

        def run() -> None:
            try:
                result = parse_and_validate(parser, path, data)
            except Exception as error:
                ended.append(time.monotonic())
                _deliver(loop, future, None, error)
            else:
                ended.append(time.monotonic())
                _deliver(loop, future, result, None)

        job = self._submit(loop, run, tell_start=False)
        watch = _Watch(loop, job, future, time_limit)
        try:
            result = await future
        except _OverranError:
            self._overran()
            raise ParseTimeout(path, time_limit, stopped=False) from None
        finally:
            watch.stop()
            job.dropped = True
            self.busy -= 1
        start = job.started_at if job.started_at is not None else asked
        return Parsed(result, start - asked, (ended[0] if ended else time.monotonic()) - start)

    async def parse_parts(
        self, parser: StreamingParser, path: str, data: bytes, *, time_limit: float
    ) -> AsyncGenerator[OntologyData, None]:
        """The parts of a streamed parse, validated, as the thread makes them (at most
        ``PARTS_AHEAD`` ahead); ``ParseTimeout`` once the parse took ``time_limit``
        seconds, the time the consumer took between parts included."""
        loop = asyncio.get_running_loop()
        parts: asyncio.Queue[Any] = asyncio.Queue()
        room = threading.Semaphore(PARTS_AHEAD)
        stop = threading.Event()

        def run() -> None:
            try:
                for part in parse_parts_and_validate(parser, path, data):
                    room.acquire()
                    if stop.is_set():
                        return
                    _call(loop, parts.put_nowait, part)
            except Exception as error:
                _call(loop, parts.put_nowait, error)
            else:
                _call(loop, parts.put_nowait, _END)

        job = self._submit(loop, run, tell_start=True)
        assert job.started is not None
        try:
            # A deadline, not a timeout around the loop: a timeout would cancel whatever
            # the consumer does between parts, outside this generator.
            deadline = await job.started + time_limit
            while True:
                async with asyncio.timeout_at(_loop_time(deadline)):
                    item = await parts.get()
                if item is _END:
                    break
                if isinstance(item, Exception):
                    raise item
                room.release()
                yield item
        except TimeoutError:
            self._overran()
            raise ParseTimeout(path, time_limit, stopped=False) from None
        finally:
            # A consumer that stopped early ends the parse at its next part.
            stop.set()
            room.release()
            job.dropped = True
            self.busy -= 1

    def _submit(
        self, loop: asyncio.AbstractEventLoop, run: Callable[[], None], *, tell_start: bool
    ) -> _Job:
        self._ensure()
        job = _Job(loop, run, tell_start=tell_start)
        self.busy += 1
        self._jobs.put(job)
        return job

    def _overran(self) -> None:
        self.overran += 1
        self._abandon()


class _Watch:
    """The time limit of a plain parse, on the event loop's clock: when it has passed
    since the thread took the job -- checked again at its end while the job waits for
    the thread -- ``future`` fails with ``_OverranError``."""

    __slots__ = ("future", "handle", "job", "limit", "loop")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        job: _Job,
        future: asyncio.Future[OntologyData],
        limit: float,
    ) -> None:
        self.loop, self.job, self.future, self.limit = loop, job, future, limit
        self.handle = loop.call_later(limit, self._check)

    def _check(self) -> None:
        if self.future.done():
            return
        started = self.job.started_at
        left = self.limit if started is None else started + self.limit - time.monotonic()
        if left > 0:
            self.handle = self.loop.call_later(left, self._check)
        else:
            self.future.set_exception(_OverranError())

    def stop(self) -> None:
        self.handle.cancel()


def _loop_time(monotonic: float) -> float:
    """A ``time.monotonic()`` instant on the running loop's clock."""
    return asyncio.get_running_loop().time() + (monotonic - time.monotonic())


def _serve(jobs: queue.SimpleQueue[_Job | None]) -> None:
    while (job := jobs.get()) is not None:
        if job.dropped:
            continue
        job.started_at = time.monotonic()
        if job.started is not None:
            _call(job.loop, _start, job.started, job.started_at)
        job.run()


def _start(started: asyncio.Future[float], when: float) -> None:
    if not started.done():
        started.set_result(when)


def _call(loop: asyncio.AbstractEventLoop, function: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
        loop.call_soon_threadsafe(function, *args)


def _deliver(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[OntologyData],
    result: OntologyData | None,
    error: Exception | None,
) -> None:
    _call(loop, _settle, future, result, error)


def _settle(
    future: asyncio.Future[OntologyData], result: OntologyData | None, error: Exception | None
) -> None:
    if future.done():  # timed out or cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert result is not None
        future.set_result(result)


class ThreadParsing(AsyncClosing):
    """Every parse in this process (``parse_processes=0``): on the event loop for the
    files ``LoopRule`` admits, the others on the parse thread. ``placed`` counts the
    parses by where they ran."""

    def __init__(self, parser: Parser, *, file_timeout: float) -> None:
        self.parser = parser
        self.thread = ParseThread()
        self.on_loop = LoopRule(parser, file_timeout=file_timeout)
        self.placed = {"loop": 0, "thread": 0}

    def __repr__(self) -> str:
        return (
            f"<ThreadParsing [loop {self.placed['loop']}, thread {self.placed['thread']}"
            f" | busy: {self.thread.busy}, overran: {self.overran}]>"
        )

    @property
    def overran(self) -> int:
        """Parses that overran their timeout (and ran on)."""
        return self.thread.overran

    def begin(self) -> None:
        return None

    def expect(self, files: Iterable[tuple[str, int]], *, stream_bytes: int | None) -> None:
        return None

    async def parse(self, path: str, data: bytes, *, time_limit: float) -> Parsed:
        if self.on_loop(path, len(data)):
            self.placed["loop"] += 1
            return parse_on_loop(self.parser, path, data)
        self.placed["thread"] += 1
        return await self.thread.parse(self.parser, path, data, time_limit=time_limit)

    def parse_parts(
        self, path: str, data: bytes, *, time_limit: float
    ) -> AsyncGenerator[OntologyData, None]:
        assert isinstance(self.parser, StreamingParser)
        self.placed["thread"] += 1
        return self.thread.parse_parts(self.parser, path, data, time_limit=time_limit)

    async def aclose(self) -> None:
        return None


__all__ = [
    "LOOP_SECONDS",
    "PARTS_AHEAD",
    "TIMEOUT_SHARE",
    "LoopRule",
    "ParseThread",
    "Parsed",
    "ThreadParsing",
    "parse_on_loop",
]
