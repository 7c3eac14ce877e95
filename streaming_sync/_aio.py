"""Small asyncio helpers shared by the service and the backends (no outside library)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
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


__all__ = ["AsyncClosing", "run_to_completion"]
