"""Where each file is parsed: on this process's parse thread, or in the process pool --
decided by what the parse costs, from a measured model (``docs/performance.md``).

A pool costs before it gives: starting a parse process takes about half a second and
50-60 MB (it imports the parsers), and every file sent there costs a round trip and
carrying its rows back. A parse on this process's thread costs none of that, but it
cannot use a second core, and it cannot be stopped when it overruns ``file_timeout``.
So ``PlacedParsing``:

* asks the parser what a file costs (``CostedParser.parse_cost``: CPU seconds, and
  whether the parse is known linear and short enough to run here). A parser that does
  not say is not guessed at: every file goes to the pool, as before;
* parses here only the files whose estimated parse is at most ``INLINE_SECONDS`` (and a
  tenth of ``file_timeout``): a parse that short and linear cannot plausibly overrun,
  and if it did it would only fail its file (the thread runs on); of those, the ones
  shorter than ``_parse_thread.LOOP_SECONDS`` on the event loop itself (``LoopRule``:
  no hand-over to the thread and back), the others on the thread;
* starts parse processes only when they pay: one per ``POOL_WORTH_SECONDS`` of the
  sync's parsing of files costing ``SHIP_SECONDS`` or more each (work beyond one core:
  a process's start is repaid), up to ``parse_processes`` and never more than there
  are files, at once, in the background; or one at a time, when a file too costly to
  parse here comes and none is free. A small sync, or one of cheap files only, starts
  no process at all;
* once the pool runs, a cheap file goes to whichever is free first, the thread or a
  process; a costly one always to a process;
* a streamed file the parser really streams (``ParseCost.streams``) is parsed on the
  thread whatever its size: one part at a time in memory, stopped between parts at its
  deadline; it counts for no process.

With ``parse_processes=0`` there is no pool (``ThreadParsing``): everything is parsed
in this process, on the event loop or the thread by the same rule.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import Protocol

from ._aio import AsyncClosing
from ._model import OntologyData
from ._parse_pool import ParsePool
from ._parse_thread import (
    TIMEOUT_SHARE,
    LoopRule,
    Parsed,
    ParseThread,
    ThreadParsing,
    parse_on_loop,
)
from ._protocols import CostedParser, Parser, StreamingParser

#: Parse here only files whose estimated parse is this short (CPU seconds), and at most
#: ``TIMEOUT_SHARE`` of ``file_timeout``.
INLINE_SECONDS = 0.25
#: Start one parse process per this many CPU seconds of the sync's parsing: about twice
#: what starting one costs (half a second, measured), so it pays back on a busy machine.
POOL_WORTH_SECONDS = 1.0
#: ... counting only files whose parse is estimated at least this long. A cheaper file
#: is parsed on the thread: measured on 2 cores, 600 and 3,000 small Turtle files (4 KB,
#: about a millisecond each) synced no faster with one or two processes than without
#: (within 10%, either way), while each process added 85 MB to the tree and half a
#: second of start-up CPU; a file this long is repaid its round trip many times over.
SHIP_SECONDS = 0.05


class Parsing(Protocol):
    """Runs ``parse`` + ``validate`` for the pipeline. ``parse`` raises what the parser
    raises (``ParseError``, ``SkipFile``, ...), ``ParseTimeout`` once the parse itself
    (not the wait for a free thread or process) took ``time_limit`` seconds,
    ``ParseProcessDied`` / ``ParsePoolBroken`` for a process pool's faults; it is safe
    to cancel. ``parse_parts`` is the same for a ``StreamingParser``, part by part (the
    whole stream has ``time_limit``). ``begin`` is called when a sync begins,
    ``expect`` with the (path, size) of the files it will parse."""

    def begin(self) -> None: ...

    def expect(self, files: Iterable[tuple[str, int]], *, stream_bytes: int | None) -> None: ...

    async def parse(self, path: str, data: bytes, *, time_limit: float) -> Parsed: ...

    def parse_parts(
        self, path: str, data: bytes, *, time_limit: float
    ) -> AsyncGenerator[OntologyData, None]: ...

    async def aclose(self) -> None: ...


class PlacedParsing(AsyncClosing):
    """Each file on the thread or in the pool, where it pays (see the module docstring).
    ``placed`` counts the parses by where they ran."""

    def __init__(self, parser: Parser, pool: ParsePool, *, file_timeout: float) -> None:
        self.parser = parser
        self.pool = pool
        self.thread = ParseThread()
        self._costs = parser if isinstance(parser, CostedParser) else None
        self._inline_limit = min(INLINE_SECONDS, TIMEOUT_SHARE * file_timeout)
        self.on_loop = LoopRule(parser, file_timeout=file_timeout)
        self.placed = {"loop": 0, "thread": 0, "pool": 0}

    def __repr__(self) -> str:
        return (
            f"<PlacedParsing [loop {self.placed['loop']}, thread {self.placed['thread']}, "
            f"pool {self.placed['pool']} | busy on the thread: {self.thread.busy}] "
            f"{self.pool!r}>"
        )

    def begin(self) -> None:
        self.pool.begin()

    def expect(self, files: Iterable[tuple[str, int]], *, stream_bytes: int | None) -> None:
        """Start the processes the files to parse are worth, now (their start-up
        overlaps the fetches). Files of ``stream_bytes`` or more are streamed (None:
        none is); those the parser really streams are parsed here (``parse_parts``), so
        they are not worth a process."""
        if self._costs is None:
            self.pool.start()  # nothing is known of the parser: every file is shipped
            return
        count, work = 0, 0.0
        for path, size in files:
            cost = self._costs.parse_cost(path, size)
            if cost.streams and stream_bytes is not None and size >= stream_bytes:
                continue
            if cost.inline and cost.seconds < SHIP_SECONDS:
                continue  # parsed on the thread: not worth a process (see SHIP_SECONDS)
            count += 1
            work += cost.seconds
        self.pool.start(min(count, int(work / POOL_WORTH_SECONDS)))

    def _inline(self, path: str, size: int) -> bool:
        if self._costs is None:
            return False
        cost = self._costs.parse_cost(path, size)
        return cost.inline and cost.seconds <= self._inline_limit

    def _on_thread(self, path: str, size: int) -> bool:
        """Parse this file here: it is cheap, and the thread is free, or no process is
        (the pool runs none, or only starts them)."""
        if not self._inline(path, size):
            return False
        if self.thread.busy == 0 or self.pool.has_idle():
            return self.thread.busy == 0
        return not self.pool.running()

    def _streams_here(self, path: str, size: int) -> bool:
        """A file the parser really streams is parsed on the thread, however big: it
        holds one part at a time and stops between parts at its deadline, where a
        process would add its own interpreter and a second copy of the bytes (measured
        for a 27 MB .ofn: 298 MB for the tree with a process, 138 MB without)."""
        return self._costs is not None and self._costs.parse_cost(path, size).streams

    async def parse(self, path: str, data: bytes, *, time_limit: float) -> Parsed:
        if self.on_loop(path, len(data)):
            self.placed["loop"] += 1
            return parse_on_loop(self.parser, path, data)
        if self._on_thread(path, len(data)):
            self.placed["thread"] += 1
            return await self.thread.parse(self.parser, path, data, time_limit=time_limit)
        self.placed["pool"] += 1
        return await self.pool.parse_timed(path, data, time_limit=time_limit)

    def parse_parts(
        self, path: str, data: bytes, *, time_limit: float
    ) -> AsyncGenerator[OntologyData, None]:
        assert isinstance(self.parser, StreamingParser)
        if self._streams_here(path, len(data)) or self._on_thread(path, len(data)):
            self.placed["thread"] += 1
            return self.thread.parse_parts(self.parser, path, data, time_limit=time_limit)
        self.placed["pool"] += 1
        return self.pool.parse_parts(path, data, time_limit=time_limit)

    async def aclose(self) -> None:
        await self.pool.aclose()


def parsing_for(parser: Parser, processes: int, *, file_timeout: float) -> Parsing:
    """``ThreadParsing`` for 0 processes, else ``PlacedParsing`` over a pool of at most
    ``processes`` processes."""
    if processes == 0:
        return ThreadParsing(parser, file_timeout=file_timeout)
    return PlacedParsing(parser, ParsePool(parser, processes), file_timeout=file_timeout)


__all__ = [
    "INLINE_SECONDS",
    "POOL_WORTH_SECONDS",
    "SHIP_SECONDS",
    "Parsing",
    "PlacedParsing",
    "parsing_for",
]
