"""``Handoff``: the parts of a streamed file, from the event loop to the connection's
thread, at most ``capacity`` of them waiting.

A streamed save (``SqliteRepository.save_file_parts``) is ONE call on the connection's
thread, like any transaction: it begins, then takes the parts one by one from the
handoff as the event loop reads them from the caller's async iterator, inserting each
as it comes, and commits when the loop says the parts ended -- or rolls back when the
loop says they failed. The loop never blocks: it waits for room asynchronously (a
semaphore the thread releases, through ``call_soon_threadsafe``, for each part it
takes), and the thread blocks only on its own queue. When the thread stops taking parts
early (a statement failed), it says so, and the loop stops feeding it.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator

import attrs

from ..._model import OntologyData

#: How many parts may wait for the thread: enough to keep it busy while the next is made.
DEFAULT_CAPACITY = 2


class PartsAbortedError(Exception):
    """Raised on the connection's thread when the loop gave up on the parts (their
    iterator failed or the caller was cancelled): the transaction rolls back."""


@attrs.frozen
class _End:
    aborted: bool


class Handoff:
    """A bounded, one-producer, one-consumer queue of parts between the event loop (which
    calls :meth:`put`, :meth:`end` and :meth:`abort`) and a thread (which iterates
    :meth:`parts`, then calls :meth:`stop`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, capacity: int = DEFAULT_CAPACITY) -> None:
        self._loop = loop
        self._items: queue.SimpleQueue[OntologyData | _End] = queue.SimpleQueue()
        self._room = asyncio.Semaphore(capacity)
        self._stopped = threading.Event()

    # -- the event loop's side ----------------------------------------------------------

    async def put(self, part: OntologyData) -> bool:
        """Hand ``part`` over once there is room; False (and nothing handed over) when the
        thread stopped taking parts."""
        if self._stopped.is_set():
            return False
        await self._room.acquire()
        if self._stopped.is_set():
            return False
        self._items.put(part)
        return True

    def end(self) -> None:
        """The parts are complete: the thread commits after the last one."""
        self._items.put(_End(aborted=False))

    def abort(self) -> None:
        """The parts failed: the thread raises ``PartsAbortedError`` (and rolls back)."""
        self._items.put(_End(aborted=True))

    # -- the thread's side --------------------------------------------------------------

    def parts(self) -> Iterator[OntologyData]:
        """The parts, as they come; ends when the loop ends them, raises
        ``PartsAbortedError`` when it aborts them."""
        while True:
            item = self._items.get()
            if isinstance(item, _End):
                if item.aborted:
                    raise PartsAbortedError("the parts of the file failed or were cancelled")
                return
            self._loop.call_soon_threadsafe(self._room.release)
            yield item

    def stop(self) -> None:
        """The thread takes no more parts (it finished, or failed): a ``put`` waiting for
        room returns False, and so does every later one. Call it however the thread's
        work ends (``finally``)."""
        self._stopped.set()
        self._loop.call_soon_threadsafe(self._room.release)


__all__ = ["DEFAULT_CAPACITY", "Handoff", "PartsAbortedError"]
