"""Metrics of a service's syncs, built from its events: counters, histograms, gauges.

``SyncMetrics`` is a ``ProgressSink``: give it to the service with the other sinks and
read ``metrics.snapshot(stats=service.stats())`` at any time. Counters add up over every
sync the sink sees (like Prometheus counters); gauges are the state now.
``streaming_sync.observe.prometheus`` exports the same values to Prometheus.

What the events can and cannot tell (the service is not asked for more):

* a file is counted *fetched* when it got past fetching: it succeeded, or failed while
  parsing (validating included) or writing -- the stage its ``FileFailed`` names;
  *parsed* when it succeeded or failed while writing; *saved* when it succeeded. A
  skipped file counts only as skipped.
* ``bytes_fetched`` is the listed size of each fetched file.
* the fetch/parse/save histograms observe each succeeded file's stage times; a file
  delivered by a bulk fetch (a tarball) has a fetch time of 0.
* ``rate_limit_remaining`` comes from ``stats`` (the source's own estimate, e.g. the
  GitHub fetcher's); None without stats or for sources without rate limits.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Mapping

import attrs

from .._model import FileFailure, Stage, StageTimes
from .events import (
    FileDeleted,
    FileFailed,
    FileRetrying,
    FileSkipped,
    FileStarted,
    FileSucceeded,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
)
from .tally import ServiceStats

#: Upper bounds (seconds) of the duration histograms' buckets; +Inf is implied.
DURATION_BUCKETS: tuple[float, ...] = (
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip
#: Upper bounds (bytes) of the file size histogram's buckets; +Inf is implied.
SIZE_BUCKETS: tuple[float, ...] = (
    1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864,
)  # fmt: skip

#: The stages whose failure means the file's bytes had arrived / it had parsed.
_AFTER_FETCH = frozenset({Stage.PARSE, Stage.WRITE})
_AFTER_PARSE = frozenset({Stage.WRITE})

COUNTERS = (
    "syncs_started", "syncs_finished", "files_listed", "files_unchanged", "files_fetched",
    "files_parsed", "files_saved", "files_skipped", "files_failed", "files_deleted",
    "retries", "rate_limit_pauses", "bytes_fetched", "classes_written",
    "properties_written", "axioms_written",
)  # fmt: skip
HISTOGRAMS = ("fetch_seconds", "parse_seconds", "save_seconds", "file_size_bytes")


@attrs.frozen
class HistogramSnapshot:
    """``counts[i]`` observations fell at or below ``buckets[i]`` and above the bucket
    before (not cumulative); ``counts[-1]`` is the +Inf bucket."""

    buckets: tuple[float, ...]
    counts: tuple[int, ...]
    sum: float
    count: int

    def cumulative(self) -> list[tuple[float, int]]:
        """``(upper bound, observations <= bound)`` pairs ending with +Inf, as Prometheus
        exposes them."""
        total, pairs = 0, []
        for bound, n in zip((*self.buckets, float("inf")), self.counts, strict=True):
            total += n
            pairs.append((bound, total))
        return pairs

    def to_dict(self) -> dict[str, object]:
        return {
            "buckets": {("+Inf" if b == float("inf") else str(b)): n for b, n in self.cumulative()},
            "sum": round(self.sum, 6),
            "count": self.count,
        }


class _Histogram:
    def __init__(self, buckets: Iterable[float]) -> None:
        self.buckets = tuple(sorted(buckets))
        self.counts = [0] * (len(self.buckets) + 1)
        self.sum, self.count = 0.0, 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.count += 1

    def snapshot(self) -> HistogramSnapshot:
        return HistogramSnapshot(self.buckets, tuple(self.counts), self.sum, self.count)


@attrs.frozen
class MetricsSnapshot:
    """Every metric at one moment. ``stages`` are the seconds per stage summed over the
    finished syncs (from their reports; ``rate_limited`` as the reports give it)."""

    counters: Mapping[str, int]
    histograms: Mapping[str, HistogramSnapshot]
    active_workers: int
    queue_depth: int | None
    rate_limit_remaining: int | None
    rate_limited_until: float | None
    stages: StageTimes
    last_outcome: str | None
    last_duration_s: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "counters": dict(self.counters),
            "histograms": {k: h.to_dict() for k, h in self.histograms.items()},
            "gauges": {
                "active_workers": self.active_workers,
                "queue_depth": self.queue_depth,
                "rate_limit_remaining": self.rate_limit_remaining,
                "rate_limited_until": self.rate_limited_until,
            },
            "stages": {k: round(v, 6) for k, v in attrs.asdict(self.stages).items()},
            "last_outcome": self.last_outcome,
            "last_duration_s": self.last_duration_s,
        }


class SyncMetrics:
    """A ``ProgressSink`` keeping counters, fixed-bucket histograms and gauges.

    Safe to read from another thread (the Prometheus HTTP server's) while the event
    loop updates it.
    """

    def __init__(
        self,
        duration_buckets: Iterable[float] = DURATION_BUCKETS,
        size_buckets: Iterable[float] = SIZE_BUCKETS,
    ) -> None:
        self._lock = threading.Lock()
        self._counters = dict.fromkeys(COUNTERS, 0)
        durations = tuple(duration_buckets)
        self._histograms = {
            "fetch_seconds": _Histogram(durations),
            "parse_seconds": _Histogram(durations),
            "save_seconds": _Histogram(durations),
            "file_size_bytes": _Histogram(size_buckets),
        }
        self._sizes: dict[str, int] = {}
        self._stages = StageTimes()
        self._rate_limited_until: float | None = None
        self._last_outcome: str | None = None
        self._last_duration: float | None = None

    async def emit(self, event: ProgressEvent) -> None:
        self.observe(event)

    def observe(self, event: ProgressEvent) -> None:
        """Update the metrics from one event."""
        with self._lock:
            self._observe(event)

    def _observe(self, event: ProgressEvent) -> None:
        c = self._counters
        if isinstance(event, SyncStarted):
            c["syncs_started"] += 1
            c["files_listed"] += event.listed
            c["files_unchanged"] += event.unchanged
            self._sizes.clear()
        elif isinstance(event, FileStarted):
            self._sizes[event.path] = event.size
        elif isinstance(event, FileSucceeded):
            self._succeeded(event)
        elif isinstance(event, FileFailed):
            self._failed(event.failure, event.stage)
        elif isinstance(event, FileSkipped):
            self._sizes.pop(event.path, None)
            c["files_skipped"] += 1
        elif isinstance(event, FileDeleted):
            c["files_deleted"] += 1
        elif isinstance(event, FileRetrying):
            c["retries"] += 1
        elif isinstance(event, RateLimited):
            c["rate_limit_pauses"] += 1
            self._rate_limited_until = event.resume_at
        elif isinstance(event, SyncFinished):
            self._finished(event)

    def _succeeded(self, event: FileSucceeded) -> None:
        c, h = self._counters, self._histograms
        self._sizes.pop(event.path, None)
        for name in ("files_fetched", "files_parsed", "files_saved"):
            c[name] += 1
        c["bytes_fetched"] += event.size
        c["classes_written"] += event.classes
        c["properties_written"] += event.properties
        c["axioms_written"] += event.axioms
        h["fetch_seconds"].observe(event.stages.fetching)
        h["parse_seconds"].observe(event.stages.parsing)
        h["save_seconds"].observe(event.stages.writing)
        h["file_size_bytes"].observe(event.size)

    def _failed(self, failure: FileFailure, stage: Stage) -> None:
        c = self._counters
        c["files_failed"] += 1
        size = self._sizes.pop(failure.path, 0)
        if stage in _AFTER_FETCH:
            c["files_fetched"] += 1
            c["bytes_fetched"] += size
            self._histograms["file_size_bytes"].observe(size)
        if stage in _AFTER_PARSE:
            c["files_parsed"] += 1

    def _finished(self, event: SyncFinished) -> None:
        report = event.report
        self._counters["syncs_finished"] += 1
        self._stages += report.stages
        self._last_outcome, self._last_duration = str(report.outcome), report.duration_s
        self._sizes.clear()

    def _queue_depth(self, stats: ServiceStats | None) -> int | None:
        # Between syncs nothing is queued, whatever the pool's last reading says (its
        # ``queued`` may still count the end-of-input markers of the finished sync).
        if stats is None:
            return None
        finished = self._counters["syncs_finished"] >= self._counters["syncs_started"]
        return 0 if finished else stats.queued

    def snapshot(self, stats: ServiceStats | None = None) -> MetricsSnapshot:
        """Every metric now. With ``stats`` (``service.stats()``) the gauges come from the
        worker pool (``queue_depth`` is 0 between syncs); without, ``active_workers``
        counts files in flight by the events and ``queue_depth`` is None."""
        with self._lock:
            return MetricsSnapshot(
                counters=dict(self._counters),
                histograms={k: h.snapshot() for k, h in self._histograms.items()},
                active_workers=len(self._sizes) if stats is None else stats.active,
                queue_depth=self._queue_depth(stats),
                rate_limit_remaining=None if stats is None else stats.rate_limit_remaining,
                rate_limited_until=self._rate_limited_until,
                stages=self._stages,
                last_outcome=self._last_outcome,
                last_duration_s=self._last_duration,
            )


__all__ = [
    "COUNTERS",
    "DURATION_BUCKETS",
    "HISTOGRAMS",
    "SIZE_BUCKETS",
    "HistogramSnapshot",
    "MetricsSnapshot",
    "SyncMetrics",
]
