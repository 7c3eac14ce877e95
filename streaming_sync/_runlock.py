"""The run lock around one sync: two syncs into the same database and ontology never
run together.

:func:`run_lock` is entered around the body of a local sync (``LocalRun.hold``). It
works with any ``RunLockStore`` (``SqliteRepository`` is one; for a checkpoint store
that is not one the service passes None and the sync runs without a lock). It takes
the lock before anything else (``SyncInProgress`` when another live sync holds it),
refreshes the heartbeat every ``stale_after / 3`` seconds from a background task, and
gives the lock back at the end -- also on failure and cancellation, to completion. If
the lock is lost meanwhile (another sync took it over because this one looked stale),
the sync is stopped and ``SyncInProgress`` raised.
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
from ._protocols import RunLockStore

logger = logging.getLogger(__name__)

#: A lock whose heartbeat is older than this many seconds may be taken over.
DEFAULT_STALE_AFTER = 30.0


def make_holder() -> str:
    """``host:pid:started`` for this process, now."""
    return f"{socket.gethostname()}:{os.getpid()}:{time.time():.6f}"


@contextlib.asynccontextmanager
async def run_lock(
    store: RunLockStore | None,
    ontology_id: str,
    *,
    stale_after: float = DEFAULT_STALE_AFTER,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[str | None]:
    """Hold the run lock of ``ontology_id`` in ``store`` while the body runs; yields the
    holder string (None, and no lock, when ``store`` is None). ``sleep`` waits between
    heartbeats (injectable for tests)."""
    if store is None:
        yield None
        return
    holder = make_holder()
    await store.acquire_run_lock(ontology_id, holder, stale_after=stale_after)
    host = asyncio.current_task()
    assert host is not None
    lost: list[SyncInProgress] = []
    renewer = asyncio.create_task(
        _keep_alive(store, ontology_id, holder, stale_after / 3, lost, host, sleep)
    )
    try:
        yield holder
    except asyncio.CancelledError:
        if lost and host.uncancel() == 0:
            raise lost[0] from None
        raise
    finally:
        renewer.cancel()
        await run_to_completion(asyncio.gather(renewer, return_exceptions=True))
        await _release(store, ontology_id, holder)


async def _keep_alive(
    store: RunLockStore,
    ontology_id: str,
    holder: str,
    interval: float,
    lost: list[SyncInProgress],
    host: asyncio.Task[Any],
    sleep: Callable[[float], Awaitable[None]],
) -> None:
    """Refresh the heartbeat every ``interval`` s; on losing the lock, stop the sync."""
    while True:
        await sleep(interval)
        try:
            await store.renew_run_lock(ontology_id, holder)
        except SyncInProgress as taken:
            logger.error("lost the run lock of %r: %s", ontology_id, taken)
            lost.append(taken)
            host.cancel()
            return
        except StreamingSyncError as error:  # e.g. a locked database: try next time
            logger.warning("could not renew the run lock of %r: %s", ontology_id, error)


async def _release(store: RunLockStore, ontology_id: str, holder: str) -> None:
    try:
        await run_to_completion(store.release_run_lock(ontology_id, holder))
    except StreamingSyncError as error:
        # Not fatal: the lock goes stale on its own once the heartbeat stops.
        logger.warning("could not release the run lock of %r: %s", ontology_id, error)


__all__ = ["DEFAULT_STALE_AFTER", "make_holder", "run_lock"]
