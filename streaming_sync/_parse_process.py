"""One parse process as the pool sees it: the process, the pool's end of its socket,
and the pool's side of the wire format of ``_parse_worker``."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import pickle
import socket
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Any, cast

from ._aio import run_to_completion
from ._parse_worker import HEADER_SIZE, frame, frame_size, serve

#: What a parse process sends: (kind, value, log records); see ``_parse_worker``.
Reply = tuple[str, Any, list[logging.LogRecord]]


class ParseProcess:
    """One parse process and the pool's end of its socket (see ``_parse_worker``)."""

    def __init__(self, process: multiprocessing.process.BaseProcess, sock: socket.socket):
        self.process = process
        self.sock = sock
        self.returncode: int | None = None  # once the process has ended and been reaped
        self.sent = self.received = 0  # bytes over the socket, both ways
        self._reaping: asyncio.Task[int | None] | None = None

    @classmethod
    async def start(
        cls, context: ForkServerContext | SpawnContext, parser_blob: bytes
    ) -> ParseProcess:
        """Start a process serving ``parser_blob`` (a pickled parser) on a new socket."""
        ours, theirs = socket.socketpair()
        level = logging.getLogger().getEffectiveLevel()
        process = context.Process(
            target=serve,
            args=(theirs, parser_blob, level),
            name="streaming-sync-parse",
            daemon=True,
        )
        started = cls(process, ours)
        try:
            # Blocking (it may first start the fork server): in a thread, and finished
            # even if we are cancelled meanwhile, so the process is never left unowned.
            await run_to_completion(asyncio.to_thread(process.start))
        except BaseException:
            started.stop()
            raise
        finally:
            theirs.close()  # the process has its own copy; ours must go, or EOF never comes
        ours.setblocking(False)
        return started

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        return self.returncode is None and self.process.is_alive()

    def stop(self) -> None:
        """End the process now: closing the socket ends it (its watcher sees the hang-up),
        SIGKILL makes sure even if it hangs in native code."""
        self.sock.close()
        if self.alive():
            self.process.kill()

    async def handshake(self, wait: float) -> Reply | None:
        """The process's first message (READY or INIT_FAILED); None if it died first or
        sent nothing within ``wait`` seconds."""
        try:
            async with asyncio.timeout(wait):
                return await receive(self.sock)
        except TimeoutError:
            return None

    async def exchange(self, path: str, data: bytes) -> Reply | None:
        """Send one file, return the reply; None when the process died meanwhile."""
        if not await self.send(path, data, parts=False):
            return None
        return await self.receive()

    async def send(self, path: str, data: bytes, *, parts: bool) -> bool:
        """Send one file (``parts``: ask for its parts as they are made); False when the
        process died while we were sending."""
        loop = asyncio.get_running_loop()
        request = frame((path, len(data), parts))
        try:
            await loop.sock_sendall(self.sock, request)
            await loop.sock_sendall(self.sock, data)
        except OSError:
            return False
        self.sent += len(request) + len(data)
        return True

    async def receive(self) -> Reply | None:
        """The process's next message; None when it died (or closed the socket)."""
        try:
            reply = await receive(self.sock, self)
        except OSError:
            return None
        return reply

    async def exitcode(self) -> int | None:
        """The exit code once the process has ended, then reaped (None if it has not
        ended within 10 s). Callers share one wait; cancelling one does not stop it."""
        if self._reaping is None:
            self._reaping = asyncio.get_running_loop().create_task(self._reap())
        return await asyncio.shield(self._reaping)

    async def _reap(self) -> int | None:
        if self.returncode is None:
            await _readable(self.process.sentinel, 10.0)
            self.returncode = self.process.exitcode
            if self.returncode is not None:
                self.process.close()
        return self.returncode


async def receive(sock: socket.socket, counter: ParseProcess | None = None) -> Reply | None:
    """One message from ``sock``; None when the process closed it (or died). Its size
    is added to ``counter.received``."""
    header = await _receive_exactly(sock, HEADER_SIZE)
    if header is None:
        return None
    payload = await _receive_exactly(sock, frame_size(bytes(header)))
    if payload is None:
        return None
    if counter is not None:
        counter.received += HEADER_SIZE + len(payload)
    return cast(Reply, pickle.loads(payload))


async def _receive_exactly(sock: socket.socket, size: int) -> bytearray | None:
    loop = asyncio.get_running_loop()
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        try:
            count = await loop.sock_recv_into(sock, view[got:])
        except ConnectionError:
            return None
        if count == 0:
            return None
        got += count
    return buffer


async def _readable(fd: int, wait: float) -> None:
    """Return once ``fd`` is readable (a process sentinel: the process ended), or after
    ``wait`` seconds."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    try:
        loop.add_reader(fd, wake)
    except NotImplementedError:  # an event loop without add_reader (Windows' proactor)
        await asyncio.to_thread(multiprocessing.connection.wait, [fd], wait)
        return
    try:
        async with asyncio.timeout(wait):
            await ready
    except TimeoutError:
        pass
    finally:
        loop.remove_reader(fd)


def relog(records: list[logging.LogRecord]) -> None:
    """Log what a parse process logged, through this process's loggers."""
    for record in records:
        target = logging.getLogger(record.name)
        if target.isEnabledFor(record.levelno):
            target.handle(record)


__all__ = ["ParseProcess", "Reply", "receive", "relog"]
