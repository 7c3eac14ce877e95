"""Retries do what ``RetryPolicy`` says: the waits are measured with an injected sleep.

``retrying`` is a private unit (``streaming_sync._retry``): these tests are about it. The
service-level test at the end checks the same waits through the public events.
"""

from __future__ import annotations

import asyncio

import pytest

from streaming_sync import (
    DatabaseLockedError,
    FileRetrying,
    ParseError,
    ProgressEvent,
    RetryPolicy,
    StreamingSyncService,
    SyncConfig,
    TransientFetchError,
    WaitBudgetExceeded,
)
from streaming_sync._retry import retrying
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository, RecordingSink

PAGE = b"- Thing\n  ### OntologyBlock\n    - owl:class:: ex:Thing\n"


class Script:
    """An attempt that raises the scripted errors one per call, then returns ``result``;
    a sleep that records the waits; a sink that records the events."""

    def __init__(self, *errors: BaseException, result: str = "ok") -> None:
        self.errors = list(errors)
        self.result = result
        self.calls = 0
        self.waits: list[float] = []
        self.events: list[ProgressEvent] = []

    async def attempt(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.result

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def emit(self, event: ProgressEvent) -> None:
        self.events.append(event)

    async def run(self, policy: RetryPolicy) -> str:
        return await retrying(policy, self.attempt, "a.ttl", self.emit, sleep=self.sleep)


@pytest.mark.parametrize(
    ("policy", "waits"),
    [
        (RetryPolicy(max_attempts=5, base=0.5, factor=2, cap=30), [0.5, 1.0, 2.0, 4.0]),
        (RetryPolicy(max_attempts=5, base=1, factor=3, cap=5), [1.0, 3.0, 5.0, 5.0]),
        (RetryPolicy(max_attempts=4, base=0.25, factor=1, cap=9), [0.25, 0.25, 0.25]),
    ],
)
async def test_waits_are_exactly_min_cap_base_factor_power(
    policy: RetryPolicy, waits: list[float]
) -> None:
    """Before retry n the wait is exactly min(cap, base * factor**(n-1)): no jitter, the
    fields not swapped, and RetryPolicy.wait is the function used."""
    script = Script(*(TransientFetchError("flaky") for _ in waits))
    assert await script.run(policy) == "ok"
    assert script.waits == waits
    assert script.waits == [policy.wait(n) for n in range(1, len(waits) + 1)]
    assert script.calls == len(waits) + 1


async def test_each_retry_is_announced_before_its_wait() -> None:
    """Every retry sends FileRetrying(what, attempt n, wait(n), error text) first."""
    policy = RetryPolicy(max_attempts=3, base=0.5, factor=2, cap=30)
    script = Script(TransientFetchError("reset"), DatabaseLockedError("locked"))
    await script.run(policy)
    assert script.events == [
        FileRetrying("a.ttl", 1, 0.5, "reset"),
        FileRetrying("a.ttl", 2, 1.0, "locked"),
    ]


async def test_the_last_error_is_raised_as_it_is_after_max_attempts() -> None:
    """When the attempts are spent the last error itself propagates (not a wrapper)."""
    last = TransientFetchError("third")
    script = Script(TransientFetchError("first"), TransientFetchError("second"), last)
    with pytest.raises(TransientFetchError) as raised:
        await script.run(RetryPolicy(max_attempts=3))
    assert raised.value is last
    assert script.calls == 3
    assert len(script.waits) == 2


@pytest.mark.parametrize(
    "error",
    [
        ParseError("a.ttl", "bad token"),  # ours, not retryable
        WaitBudgetExceeded("budget spent"),  # ours, fatal
        ValueError("a bug"),  # not ours
    ],
)
async def test_only_retryable_errors_of_ours_are_retried(error: Exception) -> None:
    """An error that is not a retryable StreamingSyncError goes through at once."""
    script = Script(error)
    with pytest.raises(type(error)) as raised:
        await script.run(RetryPolicy(max_attempts=5))
    assert raised.value is error
    assert (script.calls, script.waits, script.events) == (1, [], [])


async def test_one_attempt_means_no_retry() -> None:
    """max_attempts=1 tries once and never waits."""
    script = Script(TransientFetchError("once"))
    with pytest.raises(TransientFetchError):
        await script.run(RetryPolicy(max_attempts=1))
    assert (script.calls, script.waits) == (1, [])


async def test_cancellation_during_a_wait_propagates() -> None:
    """A cancelled retry loop stops: the cancellation is not retried."""
    started = asyncio.Event()

    async def attempt() -> str:
        raise TransientFetchError("flaky")

    async def sleep(seconds: float) -> None:
        started.set()
        await asyncio.Event().wait()

    async def emit(event: ProgressEvent) -> None:
        return None

    task = asyncio.create_task(
        retrying(RetryPolicy(max_attempts=9), attempt, "x", emit, sleep=sleep)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_sync_waits_what_the_policy_says() -> None:
    """Through the service: a file fetched after two transient faults is announced with
    the policy's waits (0.01, then 0.02), and lands."""
    fetcher = InMemoryFetcher(
        {"a.md": PAGE},
        faults={"a.md": [TransientFetchError("reset"), TransientFetchError("reset")]},
    )
    sink = RecordingSink()
    policy = RetryPolicy(max_attempts=3, base=0.01, factor=2, cap=1)
    config = SyncConfig(parse_processes=0, workers=1, retry=policy)
    async with StreamingSyncService(
        fetcher=fetcher, repository=InMemoryRepository(), config=config, sinks=[sink]
    ) as service:
        report = await service.sync()
    retries = [e for e in sink.events if isinstance(e, FileRetrying)]
    assert [(e.attempt, e.wait_s) for e in retries] == [(1, 0.01), (2, 0.02)]
    assert report.files.succeeded == 1
