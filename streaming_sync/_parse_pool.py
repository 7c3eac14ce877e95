"""Where parsing runs: a supervised pool of parse processes, or a thread of this process.

``FileProcessor`` only calls ``Parsing.parse(path, data, time_limit=...)``; two strategies
answer it. ``ParsePool`` (``parse_processes`` > 0) keeps that many processes, each
parsing one file at a time over its own socket (``_parse_process``; the process's own
side is ``_parse_worker``), so it always knows which file a process was parsing:

* a process that dies (the out-of-memory killer, a native crash) fails only the file it
  was parsing, with ``ParseProcessDied`` naming the signal or exit code, and is replaced;
  ``max_deaths_in_a_row`` deaths with no file parsed in between (``processes + 2``: a
  sweep that takes every process at once is survived) stop the sync with the fatal
  ``ParsePoolBroken``, as does a parser that a new process cannot load;
* a parse that overruns its time limit is stopped by killing its process (the only way to
  stop a parse), fails with ``ParseTimeout``, and the process is replaced;
* processes start in the background (``start``) or when a parse needs one, and a new
  process counts for no file's timeout until it has loaded the parser.

``ThreadParsing`` (``parse_processes=0``, in ``_parse_thread``) is the other strategy.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import pickle
import sys
from collections.abc import Coroutine
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Any, Protocol, cast

import attrs

from ._aio import AsyncClosing
from ._errors import ParsePoolBroken, ParseProcessDied, ParseTimeout, describe_exit
from ._model import OntologyData
from ._parse_process import ParseProcess, Reply, relog
from ._parse_thread import ThreadParsing
from ._parse_worker import INIT_FAILED, RAISED
from ._protocols import Parser

logger = logging.getLogger(__name__)

START_TIMEOUT = 120.0  # a new process imports the parser's libraries; a busy machine is slow


class Parsing(Protocol):
    """Runs ``parse`` + ``validate`` for the pipeline. ``parse`` raises what the parser
    raises (``ParseError``, ``SkipFile``, ...), ``ParseTimeout`` once the parse itself
    (not the wait for a free process) took ``time_limit`` seconds, ``ParseProcessDied`` /
    ``ParsePoolBroken`` for a process pool's faults; it is safe to cancel. ``start`` may
    begin expensive set-up in the background."""

    def start(self) -> None: ...

    async def parse(self, path: str, data: bytes, *, time_limit: float) -> OntologyData: ...

    async def aclose(self) -> None: ...


@attrs.frozen
class _StartFailure:
    reason: str
    fatal: bool = False


class ParsePool(AsyncClosing):
    """A supervised pool of ``processes`` parse processes (see the module docstring)."""

    def __init__(self, parser: Parser, processes: int, *, start_timeout: float = START_TIMEOUT):
        self.parser = parser
        self.processes = processes
        self.max_deaths_in_a_row = processes + 2
        self.start_timeout = start_timeout
        # forkserver: a process starts from a small clean server, not as a copy of this
        # one with aiosqlite's threads and locks in it.
        self._context: ForkServerContext | SpawnContext = (
            multiprocessing.get_context("forkserver")
            if sys.platform.startswith("linux")
            else multiprocessing.get_context("spawn")
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(processes)
        self._ready: asyncio.Queue[ParseProcess | _StartFailure] = asyncio.Queue()
        self._workers: set[ParseProcess] = set()  # started and not yet stopped
        self._live = 0  # processes running or starting; at most ``processes``
        self._busy = 0
        self._starting: set[asyncio.Task[None]] = set()
        self._reaping: set[asyncio.Task[int | None]] = set()
        self._blob: bytes | None = None
        self._deaths_in_a_row = 0
        self._last_death = ""
        self.started = self.died = self.timed_out = self.parsed = 0

    def __repr__(self) -> str:
        return (
            f"<ParsePool [{self._live} of {self.processes} processes, {self._busy} busy |"
            f" started {self.started}, parsed {self.parsed}, died {self.died},"
            f" timed out {self.timed_out}]>"
        )

    def start(self) -> None:
        """Start the missing processes in the background (their start-up overlaps the
        listing); a new sync also forgets the deaths of the last one."""
        self._on_this_loop()
        self._deaths_in_a_row = 0
        while self._live < self.processes:
            self._start_one()

    async def parse(self, path: str, data: bytes, *, time_limit: float) -> OntologyData:
        self._on_this_loop()
        async with self._slots:
            worker = await self._take()
            self._busy += 1
            try:
                kind, value, records = await self._exchange(worker, path, data, time_limit)
            except BaseException:
                # Timed out, died, or cancelled mid-exchange: the process is of no more use.
                self._discard(worker)
                raise
            finally:
                self._busy -= 1
            self._ready.put_nowait(worker)
        relog(records)
        if kind == RAISED:
            raise value
        return cast(OntologyData, value)

    async def aclose(self) -> None:
        """Stop every process and reap it (idempotent); a parse still running fails."""
        self._on_this_loop()
        for task in self._starting:
            task.cancel()
        await asyncio.gather(*self._starting, return_exceptions=True)
        workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.stop()
        self._live = 0
        self._ready = asyncio.Queue()
        await asyncio.gather(*self._reaping, *(w.exitcode() for w in workers))

    def _on_this_loop(self) -> None:
        """Carry the idle processes over when the pool is used from another event loop
        (a service reused across ``asyncio.run`` calls): the queue, the slots and the
        tasks belong to the loop that made them, and that loop cancelled what it ran."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        idle = []
        while not self._ready.empty():
            item = self._ready.get_nowait()
            if isinstance(item, ParseProcess) and item.alive():
                idle.append(item)
        for worker in self._workers.difference(idle):
            worker.stop()  # it was starting or busy in a loop that is gone
        self._loop = loop
        self._slots = asyncio.Semaphore(self.processes)
        self._ready = asyncio.Queue()
        for worker in idle:
            self._ready.put_nowait(worker)
        self._workers, self._live, self._busy = set(idle), len(idle), 0
        self._starting, self._reaping = set(), set()

    # -- taking a process, and what it sends back ----------------------------------------

    async def _take(self) -> ParseProcess:
        """A ready process; starts one when fewer than ``processes`` run or start."""
        while True:
            if self._deaths_in_a_row >= self.max_deaths_in_a_row:
                raise ParsePoolBroken(
                    f"{self._deaths_in_a_row} parse processes died in a row with no file"
                    f" parsed in between (last: {self._last_death}); stopping the sync."
                    " Check the machine's memory (dmesg shows the out-of-memory killer),"
                    " lower max_bytes_in_flight or parse_processes, or use"
                    " parse_processes=0 to see the parser's own error"
                )
            if self._ready.empty() and self._live < self.processes:
                self._start_one()
            item = await self._ready.get()
            if isinstance(item, _StartFailure):
                if item.fatal:
                    self._ready.put_nowait(item)  # every later parse stops the same way
                    raise ParsePoolBroken(item.reason)
                self._death(item.reason)
            elif item.alive():
                return item
            else:
                code = item.process.exitcode
                self._discard(item)
                self._death(f"an idle parse process died ({describe_exit(code)})")

    async def _exchange(
        self, worker: ParseProcess, path: str, data: bytes, time_limit: float
    ) -> Reply:
        try:
            async with asyncio.timeout(time_limit):
                reply = await worker.exchange(path, data)
        except TimeoutError:
            self.timed_out += 1
            logger.warning(
                "%s: parsing overran file_timeout=%gs; killing parse process %s",
                path,
                time_limit,
                worker.pid,
                extra={"path": path, "event": "parse.timeout"},
            )
            raise ParseTimeout(path, time_limit) from None
        if reply is None:
            exitcode = await worker.exitcode()
            self._death(f"parsing {path}: {describe_exit(exitcode)}")
            raise ParseProcessDied(path, exitcode)
        self._deaths_in_a_row = 0
        self.parsed += 1
        return reply

    def _death(self, what: str) -> None:
        self.died += 1
        self._deaths_in_a_row += 1
        self._last_death = what
        logger.warning("parse process died: %s", what, extra={"event": "parse.process_died"})

    # -- starting and ending processes ---------------------------------------------------

    def _start_one(self) -> None:
        self._live += 1
        _track(self._starting, self._start_worker())

    def _discard(self, worker: ParseProcess) -> None:
        self._live -= 1
        self._workers.discard(worker)
        worker.stop()
        _track(self._reaping, worker.exitcode())

    async def _start_worker(self) -> None:
        try:
            item = await self._launch()
        except Exception as error:  # e.g. fork failed: no memory, too many processes
            item = _StartFailure(f"a parse process could not start: {error}")
        except BaseException:  # cancelled: this start no longer counts
            self._live -= 1
            raise
        if isinstance(item, _StartFailure):
            self._live -= 1
        self._ready.put_nowait(item)

    def _parser_blob(self) -> bytes | _StartFailure:
        if self._blob is None:
            try:
                self._blob = pickle.dumps(self.parser, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as error:
                return _StartFailure(
                    f"the parser {self.parser!r} cannot be sent to a parse process"
                    f" ({type(error).__name__}: {error}); make it picklable, or parse in"
                    " this process with parse_processes=0",
                    fatal=True,
                )
        return self._blob

    async def _launch(self) -> ParseProcess | _StartFailure:
        """Start one process and wait until it has loaded the parser."""
        blob = self._parser_blob()
        if isinstance(blob, _StartFailure):
            return blob
        worker = await ParseProcess.start(self._context, blob)
        self._workers.add(worker)
        self.started += 1
        try:
            message = await worker.handshake(self.start_timeout)
        except BaseException:
            self._workers.discard(worker)
            worker.stop()
            raise
        if message is not None and message[0] != INIT_FAILED:
            relog(message[2])
            return worker
        self._workers.discard(worker)
        worker.stop()
        if message is None:
            code = await worker.exitcode()
            return _StartFailure(f"a parse process did not start ({describe_exit(code)})")
        relog(message[2])
        return _StartFailure(
            f"a parse process could not load the parser {self.parser!r}: {message[1]}",
            fatal=True,
        )


def _track(tasks: set[asyncio.Task[Any]], work: Coroutine[Any, Any, Any]) -> None:
    """Run ``work`` as a task kept in ``tasks`` until it is done (the pool owns it)."""
    task = asyncio.get_running_loop().create_task(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def parsing_for(parser: Parser, processes: int) -> Parsing:
    """``ParsePool`` of ``processes`` processes, or ``ThreadParsing`` for 0."""
    return ThreadParsing(parser) if processes == 0 else ParsePool(parser, processes)


__all__ = ["ParsePool", "Parsing", "ThreadParsing", "parsing_for"]
