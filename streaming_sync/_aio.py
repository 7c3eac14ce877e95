"""Small asyncio helpers shared by the service and the backends (no outside library)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

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


__all__ = ["run_to_completion"]
