"""Small asyncio helpers shared by the service and the backends (no outside library)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator
from types import TracebackType
from typing import Self, TypeVar

T = TypeVar("T")


async def run_to_completion(work: Awaitable[T]) -> T:
    """Await ``work`` to its end even if the caller is cancelled meanwhile, then re-raise
    the cancellation. For what must finish once started: a rollback, the final
    checkpoint of a sync, the release of a run lock. (``asyncio.shield`` alone would let
    the caller go on while the work still runs, so a closing event loop could cut it.)"""
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not task.cancelled():
            task.exception()  # retrieved, so a failure is not reported as never retrieved
        raise asyncio.CancelledError
    return task.result()


#: How much one thread call of a source reads at most by default (``in_batches``):
#: files, and bytes of them.
BATCH_FILES = 32
BATCH_BYTES = 1024 * 1024


def in_batches(
    items: Iterable[T], size: Callable[[T], int], *, files: int, limit: int
) -> Iterator[list[T]]:
    """``items`` in lists of at most ``files``, each closed once it holds ``limit``
    (by ``size``) -- at least one item, however big. Never takes an item beyond the
    list it returns, so a fresh call on the same iterator goes on where it stopped."""
    batch: list[T] = []
    held = 0
    for item in items:
        batch.append(item)
        held += size(item)
        if len(batch) >= files or held >= limit:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


async def batches_from_thread(
    next_batch: Callable[[], list[T]], stop: Callable[[], None] | None = None
) -> AsyncGenerator[T, None]:
    """The items of the batches ``next_batch`` returns (blocking: each call runs in a
    thread) until it returns an empty one, the next batch read while these are taken.

    One thread hop per batch, not per item: under a busy GIL each hop between the event
    loop and a thread can wait a switch interval. At most two batches are held (the one
    being taken, the one being read). When the consumer stops early, ``stop`` is called
    (it should make a read in progress end soon) and the read ahead is waited for, so
    whatever ``next_batch`` reads can be closed after this generator ends."""
    ahead = asyncio.ensure_future(asyncio.to_thread(next_batch))
    try:
        while batch := await ahead:
            ahead = asyncio.ensure_future(asyncio.to_thread(next_batch))
            for item in batch:
                yield item
    finally:
        if stop is not None:
            stop()
        if not ahead.done():
            await asyncio.wait([ahead])
        if not ahead.cancelled():
            ahead.exception()  # retrieved: a read cut short by ``stop`` is expected


class AsyncClosing:
    """Base of everything that owns a resource: ``async with x:`` closes it with
    ``await x.aclose()``, which subclasses implement (idempotent)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        raise NotImplementedError


__all__ = [
    "BATCH_BYTES",
    "BATCH_FILES",
    "AsyncClosing",
    "batches_from_thread",
    "in_batches",
    "run_to_completion",
]
