"""Progress tracking: a sink that turns events into a ``ProgressReport`` at any moment.

The service keeps one ``ProgressTracker`` (``service.progress()``); every built-in sink
that draws or logs progress keeps its own, fed by the same events, so sinks never reach
into the service.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from ._events import (
    FileFailed,
    FileRetrying,
    FileSkippedEvent,
    FileStarted,
    FileSucceeded,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
)

Clock = Callable[[], float]


@attrs.frozen
class ProgressReport:
    """Where a running (or the last) sync is.

    ``total`` is the number of files to process (listed minus unchanged); ``eta_s`` is
    None until a file has landed; ``rate_limited_until`` is the epoch time the source
    said to wait until (None when it never did in this sync).
    """

    total: int
    processed: int
    succeeded: int
    failed: int
    skipped: int
    in_flight: int
    elapsed_s: float
    files_per_second: float
    classes_per_second: float
    bytes_processed: int
    eta_s: float | None
    rate_limited_until: float | None
    finished: bool
    listed: int = 0
    unchanged: int = 0
    classes: int = 0
    retries: int = 0

    @property
    def percentage(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.processed / self.total

    @property
    def mb_processed(self) -> float:
        return self.bytes_processed / 1_000_000

    def rate_limit_pause_s(self, now: float | None = None) -> float:
        """Seconds left of the current rate-limit pause (0 when not paused)."""
        if self.rate_limited_until is None or self.finished:
            return 0.0
        return max(self.rate_limited_until - (time.time() if now is None else now), 0.0)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict, with ``percentage`` and ``mb_processed`` included."""
        return {
            **attrs.asdict(self),
            "percentage": round(self.percentage, 3),
            "mb_processed": round(self.mb_processed, 6),
        }


@attrs.define
class ProgressTracker:
    """A ``ProgressSink`` that keeps counts; ``snapshot()`` gives a ``ProgressReport``.

    ``clock`` (monotonic seconds) is injectable for tests. Counts start again at each
    ``SyncStarted``, so one tracker serves every sync of a service.
    """

    clock: Clock = attrs.field(default=time.monotonic, repr=False)
    listed: int = 0
    unchanged: int = 0
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    in_flight: int = 0
    classes: int = 0
    retries: int = 0
    bytes_processed: int = 0
    started: float | None = None
    ended: float | None = None
    finished: bool = False
    rate_limited_until: float | None = None

    async def emit(self, event: ProgressEvent) -> None:
        self.observe(event)

    def observe(self, event: ProgressEvent) -> None:
        """Update the counts from one event (synchronous, for in-process callers)."""
        if isinstance(event, SyncStarted):
            self._start(event)
        elif isinstance(event, FileStarted):
            self.in_flight += 1
        elif isinstance(event, FileSucceeded):
            self.in_flight -= 1
            self.succeeded += 1
            self.classes += event.classes
            self.bytes_processed += event.size
        elif isinstance(event, FileFailed):
            self.in_flight -= 1
            self.failed += 1
        elif isinstance(event, FileSkippedEvent):
            self.in_flight -= 1
            self.skipped += 1
        elif isinstance(event, FileRetrying):
            self.retries += 1
        elif isinstance(event, RateLimited):
            self.rate_limited_until = event.resume_at
        elif isinstance(event, SyncFinished):
            self.finished, self.in_flight, self.ended = True, 0, self.clock()

    def _start(self, event: SyncStarted) -> None:
        fresh = ProgressTracker(clock=self.clock)
        for field in attrs.fields(ProgressTracker):
            if field.name != "clock":
                setattr(self, field.name, getattr(fresh, field.name))
        self.listed, self.unchanged = event.listed, event.unchanged
        self.total, self.started = event.to_process, self.clock()

    def snapshot(self) -> ProgressReport:
        """The counts now, with rates and ETA; elapsed time stops at ``SyncFinished``."""
        if self.started is None:
            elapsed = 0.0
        else:
            elapsed = (self.ended if self.ended is not None else self.clock()) - self.started
        processed = self.succeeded + self.failed + self.skipped
        rate = processed / elapsed if elapsed > 0 else 0.0
        remaining = max(self.total - processed, 0)
        return ProgressReport(
            total=self.total,
            processed=processed,
            succeeded=self.succeeded,
            failed=self.failed,
            skipped=self.skipped,
            in_flight=max(self.in_flight, 0),
            elapsed_s=elapsed,
            files_per_second=rate,
            classes_per_second=self.classes / elapsed if elapsed > 0 else 0.0,
            bytes_processed=self.bytes_processed,
            eta_s=(0.0 if remaining == 0 else remaining / rate) if rate > 0 else None,
            rate_limited_until=self.rate_limited_until,
            finished=self.finished,
            listed=self.listed,
            unchanged=self.unchanged,
            classes=self.classes,
            retries=self.retries,
        )


__all__ = ["Clock", "ProgressReport", "ProgressTracker"]
