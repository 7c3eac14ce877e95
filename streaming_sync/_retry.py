"""Retries in place under a ``RetryPolicy``, behind one small interface.

:func:`retrying` is the only place that retries: the listing, each fetch and each write
go through it. Only our own errors decide (``StreamingSyncError.retryable``); anything
else -- a fatal error, a bug, cancellation -- goes straight through. Before retry ``n``
it announces a ``FileRetrying`` event and waits exactly ``policy.wait(n)`` seconds
(``min(cap, base * factor**(n-1))``, no jitter), with ``sleep`` injectable so tests
measure the waits instead of sleeping.

The loop is tenacity's (``AsyncRetrying``, iterated: that form keeps the result's type
under mypy); the choice and why are in the CHANGELOG. Nothing of tenacity leaks out of
this module: callers see their own result or their own error, never a ``RetryError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import tenacity

from ._config import RetryPolicy
from ._errors import StreamingSyncError
from ._protocols import Emit
from .observe.events import FileRetrying

T = TypeVar("T")

#: How to wait ``seconds`` (``asyncio.sleep``; tests pass one that records).
Sleep = Callable[[float], Awaitable[None]]


def is_retryable(error: BaseException) -> bool:
    """Whether ``error`` is worth trying again in place: one of ours that says so."""
    return isinstance(error, StreamingSyncError) and error.retryable


async def retrying(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    what: str,
    emit: Emit,
    *,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Await ``attempt()`` until it succeeds, raises an error that is not retryable, or
    ``policy.max_attempts`` attempts are spent (then the last error is raised as it
    is). Each retry is announced as ``FileRetrying(what, n, wait, error)`` first.

    The first attempt runs on its own: almost every call succeeds at once (each fetch
    and write of a sync comes here), and tenacity's machinery costs a quarter of a
    millisecond a call; it takes over from the first retry."""
    try:
        return await attempt()
    except Exception as error:
        if not is_retryable(error) or policy.max_attempts <= 1:
            raise
        first = error
    await emit(FileRetrying(what, 1, policy.wait(1), str(first)))
    await sleep(policy.wait(1))
    return await _retries(policy, attempt, what, emit, sleep)


async def _retries(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    what: str,
    emit: Emit,
    sleep: Sleep,
) -> T:
    """Attempts 2 to ``max_attempts`` (tenacity numbers them from 1: ``done`` is one
    more than its attempt number)."""

    async def announce(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        n = state.attempt_number + 1
        await emit(FileRetrying(what, n, policy.wait(n), str(error)))

    # A new AsyncRetrying per call: it keeps its state per thread, not per task.
    controller = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts - 1),
        wait=lambda state: policy.wait(state.attempt_number + 1),
        retry=tenacity.retry_if_exception(is_retryable),
        before_sleep=announce,
        sleep=sleep,
        reraise=True,
    )
    async for trial in controller:
        with trial:
            return await attempt()
    raise AssertionError("unreachable: the last attempt's error is re-raised")  # pragma: no cover


__all__ = ["Sleep", "is_retryable", "retrying"]
