"""The run lock around one sync: two syncs into the same database and ontology never
run together.

:func:`run_lock` is entered by the service around the body of a sync. It works with any
checkpoint store that has ``acquire_run_lock`` / ``renew_run_lock`` /
``release_run_lock`` (duck-typed: ``SqliteRepository`` has them; a store without them
gets no lock). It takes the lock before anything else (``SyncInProgress`` when another
live sync holds it), refreshes the heartbeat every ``stale_after / 3`` seconds from a
background task, and gives the lock back at the end -- also on failure and
cancellation, to completion. If the lock is lost meanwhile (another sync took it over
because this one looked stale), the sync is stopped and ``SyncInProgress`` raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from ._aio import run_to_completion
from ._errors import StreamingSyncError, SyncInProgress

logger = logging.getLogger(__name__)

#: A lock whose heartbeat is older than this many seconds may be taken over.
DEFAULT_STALE_AFTER = 30.0


def make_holder() -> str:
    """``host:pid:started`` for this process, now."""
    return f"{socket.gethostname()}:{os.getpid()}:{time.time():.6f}"


@contextlib.asynccontextmanager
async def run_lock(
    store: object, ontology_id: str, *, stale_after: float = DEFAULT_STALE_AFTER
) -> AsyncIterator[str | None]:
    """Hold the run lock of ``ontology_id`` in ``store`` while the body runs; yields the
    holder string (None when ``store`` has no run lock)."""
    acquire = getattr(store, "acquire_run_lock", None)
    if acquire is None:
        yield None
        return
    holder = make_holder()
    await acquire(ontology_id, holder, stale_after=stale_after)
    host = asyncio.current_task()
    assert host is not None
    lost: list[SyncInProgress] = []
    renew = getattr(store, "renew_run_lock", None)
    renewer = (
        asyncio.create_task(_keep_alive(renew, ontology_id, holder, stale_after / 3, lost, host))
        if renew is not None
        else None
    )
    try:
        yield holder
    except asyncio.CancelledError:
        if lost and host.uncancel() == 0:
            raise lost[0] from None
        raise
    finally:
        if renewer is not None:
            renewer.cancel()
            await run_to_completion(asyncio.gather(renewer, return_exceptions=True))
        await _release(store, ontology_id, holder)


async def _keep_alive(
    renew: Callable[[str, str], Awaitable[None]],
    ontology_id: str,
    holder: str,
    interval: float,
    lost: list[SyncInProgress],
    host: asyncio.Task[Any],
) -> None:
    """Refresh the heartbeat every ``interval`` s; on losing the lock, stop the sync."""
    while True:
        await asyncio.sleep(interval)
        try:
            await renew(ontology_id, holder)
        except SyncInProgress as taken:
            logger.error("lost the run lock of %r: %s", ontology_id, taken)
            lost.append(taken)
            host.cancel()
            return
        except StreamingSyncError as error:  # e.g. a locked database: try next time
            logger.warning("could not renew the run lock of %r: %s", ontology_id, error)


async def _release(store: object, ontology_id: str, holder: str) -> None:
    release = getattr(store, "release_run_lock", None)
    if release is None:
        return
    try:
        await run_to_completion(release(ontology_id, holder))
    except StreamingSyncError as error:
        # Not fatal: the lock goes stale on its own once the heartbeat stops.
        logger.warning("could not release the run lock of %r: %s", ontology_id, error)


__all__ = ["DEFAULT_STALE_AFTER", "make_holder", "run_lock"]
