"""Progress tracking: a sink that turns events into a ``ProgressReport`` at any moment."""

from __future__ import annotations

import time

import attrs

from ._events import (
    FileFailed,
    FileSkippedEvent,
    FileStarted,
    FileSucceeded,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
)


@attrs.frozen
class ProgressReport:
    """Where a running sync is. ``eta_s`` is None until a file has landed."""

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

    @property
    def percentage(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.processed / self.total

    @property
    def mb_processed(self) -> float:
        return self.bytes_processed / 1_000_000


@attrs.define
class ProgressTracker:
    """A ``ProgressSink`` that keeps counts; ``snapshot()`` gives a ``ProgressReport``."""

    clock: object = attrs.field(default=time.monotonic, repr=False)
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    in_flight: int = 0
    classes: int = 0
    bytes_processed: int = 0
    started: float | None = None
    finished: bool = False
    rate_limited_until: float | None = None

    def _now(self) -> float:
        clock = self.clock
        assert callable(clock)
        return float(clock())

    async def emit(self, event: ProgressEvent) -> None:
        self.observe(event)

    def observe(self, event: ProgressEvent) -> None:
        """Update the counts from one event (synchronous, for in-process callers)."""
        if isinstance(event, SyncStarted):
            self.total, self.started, self.finished = event.to_process, self._now(), False
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
        elif isinstance(event, RateLimited):
            self.rate_limited_until = event.resume_at
        elif isinstance(event, SyncFinished):
            self.finished = True
            self.in_flight = 0

    def snapshot(self) -> ProgressReport:
        elapsed = 0.0 if self.started is None else self._now() - self.started
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
            eta_s=remaining / rate if rate > 0 else None,
            rate_limited_until=self.rate_limited_until,
            finished=self.finished,
        )


__all__ = ["ProgressReport", "ProgressTracker"]
