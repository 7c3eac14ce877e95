"""The supervised pool of parse processes (``ParsePool``).

``_parse_placement`` decides which files are parsed here and when the pool starts; the
pool keeps at most ``processes`` processes, each parsing one file at a time over its own
socket (``_parse_process``; the process's own side is ``_parse_worker``), so it always
knows which file a process was parsing:

* a process that dies (the out-of-memory killer, a native crash) fails only the file it
  was parsing, with ``ParseProcessDied`` naming the signal or exit code, and is replaced;
  ``max_deaths_in_a_row`` deaths with no file parsed in between (``processes + 2``: a
  sweep that takes every process at once is survived) stop the sync with the fatal
  ``ParsePoolBroken``, as does a parser that a new process cannot load;
* a parse that overruns its time limit is stopped by killing its process (the only way to
  stop a parse), fails with ``ParseTimeout``, and the process is replaced;
* processes start in the background (``start``: all of them) or one at a time when a
  parse needs one and none is free, and a new process counts for no file's timeout
  until it has loaded the parser;
* a streamed parse (``parse_parts``) receives the parts as the process sends them.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import pickle
import sys
import time
from collections.abc import AsyncGenerator, Coroutine
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Any, cast

import attrs

from ._aio import AsyncClosing
from ._errors import ParsePoolBroken, ParseProcessDied, ParseTimeout, describe_exit
from ._model import OntologyData
from ._parse_process import ParseProcess, Reply, relog
from ._parse_thread import Parsed
from ._parse_worker import INIT_FAILED, PART, RAISED
from ._protocols import Parser

logger = logging.getLogger(__name__)

START_TIMEOUT = 120.0  # a new process imports the parser's libraries; a busy machine is slow


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
        self._takers = 0  # parses waiting in ``_take`` for a process
        self._reaping: set[asyncio.Task[int | None]] = set()
        self._blob: bytes | None = None
        self._deaths_in_a_row = 0
        self._last_death = ""
        self.started = self.died = self.timed_out = self.parsed = 0
        self._carried = [0, 0]  # bytes sent to and received from processes now gone

    def __repr__(self) -> str:
        return (
            f"<ParsePool [{self._live} of {self.processes} processes, {self._busy} busy |"
            f" started {self.started}, parsed {self.parsed}, died {self.died},"
            f" timed out {self.timed_out}]>"
        )

    def start(self, count: int | None = None) -> None:
        """Start processes in the background until ``count`` (default: ``processes``,
        at most that) run or start; their start-up overlaps what the sync does
        meanwhile."""
        self._on_this_loop()
        target = self.processes if count is None else min(count, self.processes)
        while self._live < target:
            self._start_one()

    def begin(self) -> None:
        """A new sync begins: forget the deaths of the last one (nothing starts here:
        processes start when ``start`` is called or a parse needs one)."""
        self._on_this_loop()
        self._deaths_in_a_row = 0

    def has_idle(self) -> bool:
        """Whether a started process is free now, so a parse would not wait."""
        return self._busy + self._being_started() < self._live

    def running(self) -> bool:
        """Whether a process has started (not only is starting)."""
        return self._being_started() < self._live

    def _being_started(self) -> int:
        """Processes starting now. A start task that has ended may still be in
        ``_starting`` for a moment (its removal is a done-callback, run after the parse
        its result woke): counting it would make that parse wait for a start that
        already ended -- and wait forever once no start is left."""
        return sum(not task.done() for task in self._starting)

    async def parse(self, path: str, data: bytes, *, time_limit: float) -> OntologyData:
        """Parse and validate ``path`` in a process (see ``parse_timed``)."""
        return (await self.parse_timed(path, data, time_limit=time_limit)).data

    async def parse_timed(self, path: str, data: bytes, *, time_limit: float) -> Parsed:
        """Parse and validate ``path`` in a process: its rows, the seconds it waited for
        a process (one starting included) and spent with it (carrying bytes and rows
        included). ``ParseTimeout`` once the parse took ``time_limit`` seconds."""
        self._on_this_loop()
        asked = time.monotonic()
        async with self._slots:
            worker = await self._take()
            self._busy += 1
            began = time.monotonic()
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
        return Parsed(cast(OntologyData, value), began - asked, time.monotonic() - began)

    async def parse_parts(
        self, path: str, data: bytes, *, time_limit: float
    ) -> AsyncGenerator[OntologyData, None]:
        """The parts of a streamed parse (the parser is a ``StreamingParser``) as the
        process sends them. The whole stream -- the consumer's time between parts
        included -- has ``time_limit`` seconds; the process is killed when it overruns,
        dies, or the consumer stops early (it may be half-way through the file)."""
        self._on_this_loop()
        async with self._slots:
            worker = await self._take()
            self._busy += 1
            finished = False
            deadline = asyncio.get_running_loop().time() + time_limit
            try:
                async for part in self._parts(worker, path, data, deadline):
                    yield part
                finished = True
            except TimeoutError:
                self._overran(worker, path, time_limit)
                raise ParseTimeout(path, time_limit) from None
            finally:
                self._busy -= 1
                if finished:
                    self._ready.put_nowait(worker)
                else:
                    self._discard(worker)

    async def _parts(
        self, worker: ParseProcess, path: str, data: bytes, deadline: float
    ) -> AsyncGenerator[OntologyData, None]:
        """The parts ``worker`` sends, each awaited until ``deadline`` (loop time) -- a
        deadline, not a timeout around the loop, which would cancel whatever the consumer
        does between parts, outside this generator."""
        async with asyncio.timeout_at(deadline):
            sent = await worker.send(path, data, parts=True)
            reply = await worker.receive() if sent else None
        while reply is not None and reply[0] == PART:
            relog(reply[2])
            yield cast(OntologyData, reply[1])
            async with asyncio.timeout_at(deadline):
                reply = await worker.receive()
        reply = await self._finished(worker, path, reply)
        relog(reply[2])
        if reply[0] == RAISED:
            raise reply[1]

    async def aclose(self) -> None:
        """Stop every process and reap it (idempotent); a parse still running fails."""
        self._on_this_loop()
        for task in self._starting:
            task.cancel()
        await asyncio.gather(*self._starting, return_exceptions=True)
        workers, self._workers = list(self._workers), set()
        for worker in workers:
            self._carried[0] += worker.sent
            self._carried[1] += worker.received
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
        """A ready process; starts one when fewer than ``processes`` run or start and
        more parses wait than processes start (a parse waits for one starting rather
        than start a second: a start costs more than most parses)."""
        self._takers += 1
        try:
            return await self._take_one()
        finally:
            self._takers -= 1

    async def _take_one(self) -> ParseProcess:
        while True:
            if self._deaths_in_a_row >= self.max_deaths_in_a_row:
                raise ParsePoolBroken(
                    f"{self._deaths_in_a_row} parse processes died in a row with no file"
                    f" parsed in between (last: {self._last_death}); stopping the sync."
                    " Check the machine's memory (dmesg shows the out-of-memory killer),"
                    " lower max_bytes_in_flight or parse_processes, or use"
                    " parse_processes=0 to see the parser's own error"
                )
            if (
                self._ready.empty()
                and self._live < self.processes
                and self._takers > self._being_started()
            ):
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
            self._overran(worker, path, time_limit)
            raise ParseTimeout(path, time_limit) from None
        return await self._finished(worker, path, reply)

    async def _finished(self, worker: ParseProcess, path: str, reply: Reply | None) -> Reply:
        """The last reply of a parse, counted; ``ParseProcessDied`` when there is none
        (the process died parsing ``path``)."""
        if reply is None:
            exitcode = await worker.exitcode()
            self._death(f"parsing {path}: {describe_exit(exitcode)}")
            raise ParseProcessDied(path, exitcode)
        self._deaths_in_a_row = 0
        self.parsed += 1
        return reply

    def _overran(self, worker: ParseProcess, path: str, time_limit: float) -> None:
        self.timed_out += 1
        logger.warning(
            "%s: parsing overran file_timeout=%gs; killing parse process %s",
            path,
            time_limit,
            worker.pid,
            extra={"path": path, "event": "parse.timeout"},
        )

    def _death(self, what: str) -> None:
        self.died += 1
        self._deaths_in_a_row += 1
        self._last_death = what
        logger.warning("parse process died: %s", what, extra={"event": "parse.process_died"})

    # -- starting and ending processes ---------------------------------------------------

    def _start_one(self) -> None:
        self._live += 1
        _track(self._starting, self._start_worker())

    @property
    def sent_bytes(self) -> int:
        """Bytes sent to parse processes (files and requests), in all."""
        return self._carried[0] + sum(w.sent for w in self._workers)

    @property
    def received_bytes(self) -> int:
        """Bytes received from parse processes (rows, parts, errors, logs), in all."""
        return self._carried[1] + sum(w.received for w in self._workers)

    def _discard(self, worker: ParseProcess) -> None:
        self._carried[0] += worker.sent
        self._carried[1] += worker.received
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


__all__ = ["ParsePool"]
