"""The memory budget of a sync: how many bytes of files may be in flight at once.

A file is *in flight* from the moment its worker starts on it (fetch) until its write
has ended: its bytes, its parse (the parser's graph, in a parse process) and its rows
all live in that window, and they grow with the file (``MEMORY_PER_BYTE_IN_FLIGHT`` in
``_config``). Counting sizes is what lets big files through one or two at a time while
small ones stream on beside them:

* a file is admitted when it fits: ``in_flight + size <= limit``;
* a file larger than the whole budget is admitted when nothing else is in flight, so it
  runs alone; while one waits, no other file is admitted, so a stream of small files
  cannot starve it;
* a file that does not fit waits without holding up smaller files behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class ByteBudget:
    """Admits files by size against ``limit`` bytes in flight (see the module docstring).
    ``in_flight`` and ``peak`` are the current and the largest sum admitted."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.peak = 0
        self._oversize_waiting = 0
        self._waiters: list[asyncio.Future[None]] = []

    def __repr__(self) -> str:
        return (
            f"<ByteBudget [{self.in_flight} of {self.limit} bytes in flight,"
            f" {len(self._waiters)} waiting | peak {self.peak}]>"
        )

    @property
    def blocked(self) -> bool:
        """Whether a file waits for room now."""
        return bool(self._waiters) or self._oversize_waiting > 0

    @contextlib.asynccontextmanager
    async def admitted(self, size: int) -> AsyncIterator[None]:
        """Wait until a file of ``size`` bytes fits, hold its share, give it back after."""
        await self.acquire(size)
        try:
            yield
        finally:
            self.release(size)

    async def acquire(self, size: int) -> None:
        """Wait until a file of ``size`` bytes fits and hold its share until
        :meth:`release` -- for a share that outlives one block (a file holds its bytes
        until its write ends, which the writer task sees, not the worker)."""
        await self._admit(size)

    def release(self, size: int) -> None:
        """Give back a share :meth:`acquire` took."""
        self.in_flight -= size
        self._wake()

    async def _admit(self, size: int) -> None:
        oversize = size > self.limit
        self._oversize_waiting += oversize
        try:
            while not self._fits(size, oversize):
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.remove(waiter)
        finally:
            self._oversize_waiting -= oversize
            if oversize:
                self._wake()  # admitted or given up: the others may go on
        self.in_flight += size
        self.peak = max(self.peak, self.in_flight)

    def _fits(self, size: int, oversize: bool) -> bool:
        if self._oversize_waiting and not oversize:
            return False  # let the in-flight files drain for the one that must run alone
        return self.in_flight == 0 or self.in_flight + size <= self.limit

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)


__all__ = ["ByteBudget"]
