"""Export ``SyncMetrics`` to Prometheus (optional: ``pip install 'streaming_sync[prometheus]'``).
Its path is ``streaming_sync.observe.prometheus`` (before 0.2: ``streaming_sync.prometheus``).

Mount it in an app that already serves Prometheus metrics::

    from prometheus_client import REGISTRY
    from streaming_sync import StreamingSyncService, SyncMetrics
    from streaming_sync.observe.prometheus import register

    metrics = SyncMetrics()
    service = StreamingSyncService(..., sinks=[metrics])
    register(metrics, REGISTRY, stats=service.stats)

or serve them on their own port with :func:`serve` (127.0.0.1 unless told otherwise),
which is what ``streaming-sync sync --metrics-port N`` does. Every metric is named
``streaming_sync_*``; counters end in ``_total``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from wsgiref.simple_server import WSGIServer

try:
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
    from prometheus_client.registry import Collector
except ImportError as missing:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "streaming_sync.observe.prometheus needs prometheus_client: "
        "pip install 'streaming_sync[prometheus]'"
    ) from missing

import attrs

from .metrics import COUNTERS, MetricsSnapshot, SyncMetrics
from .tally import ServiceStats

_HELP = {
    "syncs_started": "Syncs started.",
    "syncs_finished": "Syncs finished (any outcome).",
    "files_listed": "Files listed by the source, summed over syncs.",
    "files_unchanged": "Listed files skipped because their content was already committed.",
    "files_fetched": "Files whose bytes arrived.",
    "files_parsed": "Files parsed and validated.",
    "files_saved": "Files committed to the database.",
    "files_skipped": "Files skipped with a reason (nothing to sync).",
    "files_failed": "Files that failed.",
    "files_deleted": "Files removed because they vanished upstream.",
    "retries": "Retries of a fetch or a write after a retryable fault.",
    "rate_limit_pauses": "Pauses because the source rate-limited us.",
    "bytes_fetched": "Bytes of the files fetched (their listed sizes).",
    "classes_written": "Classes written.",
    "properties_written": "Properties written.",
    "axioms_written": "Axioms written.",
}
_HISTOGRAM_HELP = {
    "fetch_seconds": "Seconds fetching one file (retries included).",
    "parse_seconds": "Seconds parsing and validating one file.",
    "save_seconds": "Seconds writing one file's transaction (retries included).",
    "file_size_bytes": "Size of each fetched file in bytes.",
}


class SyncCollector(Collector):
    """A Prometheus collector reading a ``SyncMetrics`` at each scrape. ``stats`` (e.g.
    ``service.stats``) feeds the worker gauges; ``labels`` are added to every sample."""

    def __init__(
        self,
        metrics: SyncMetrics,
        *,
        stats: Callable[[], ServiceStats] | None = None,
        namespace: str = "streaming_sync",
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.metrics, self.stats, self.namespace = metrics, stats, namespace
        self.labels = dict(labels or {})

    def collect(self) -> Iterator[Metric]:
        snap = self.metrics.snapshot(stats=self.stats() if self.stats else None)
        keys, values = list(self.labels), list(self.labels.values())
        yield from self._counters(snap, keys, values)
        yield from self._histograms(snap, keys, values)
        yield from self._gauges(snap, keys, values)

    def _name(self, name: str) -> str:
        return f"{self.namespace}_{name}"

    def _counters(
        self, snap: MetricsSnapshot, keys: list[str], values: list[str]
    ) -> Iterator[Metric]:
        for name in COUNTERS:
            family = CounterMetricFamily(self._name(name), _HELP[name], labels=keys)
            family.add_metric(values, snap.counters[name])
            yield family
        stages = CounterMetricFamily(
            self._name("stage_seconds"),
            "Seconds per stage of the finished syncs, summed over workers.",
            labels=[*keys, "stage"],
        )
        for stage, seconds in attrs.asdict(snap.stages).items():
            stages.add_metric([*values, stage], seconds)
        yield stages

    def _histograms(
        self, snap: MetricsSnapshot, keys: list[str], values: list[str]
    ) -> Iterator[Metric]:
        for name, hist in snap.histograms.items():
            family = HistogramMetricFamily(self._name(name), _HISTOGRAM_HELP[name], labels=keys)
            buckets = [
                ("+Inf" if bound == float("inf") else repr(float(bound)), n)
                for bound, n in hist.cumulative()
            ]
            family.add_metric(values, buckets, hist.sum)
            yield family

    def _gauges(
        self, snap: MetricsSnapshot, keys: list[str], values: list[str]
    ) -> Iterator[Metric]:
        gauges: dict[str, tuple[str, float | None]] = {
            "active_workers": ("Files being processed now.", snap.active_workers),
            "queue_depth": ("Files waiting in the queue now.", snap.queue_depth),
            "rate_limit_remaining": (
                "Requests left in the source's rate-limit window (absent when unknown).",
                snap.rate_limit_remaining,
            ),
            "rate_limited_until_timestamp_seconds": (
                "Epoch time the last rate-limit pause ends.",
                snap.rate_limited_until,
            ),
            "last_sync_duration_seconds": (
                "Wall time of the last finished sync.",
                snap.last_duration_s,
            ),
        }
        for name, (help_text, value) in gauges.items():
            if value is not None:
                family = GaugeMetricFamily(self._name(name), help_text, labels=keys)
                family.add_metric(values, float(value))
                yield family


def register(
    metrics: SyncMetrics,
    registry: CollectorRegistry,
    *,
    stats: Callable[[], ServiceStats] | None = None,
    labels: Mapping[str, str] | None = None,
) -> SyncCollector:
    """Register a :class:`SyncCollector` for ``metrics`` on ``registry`` and return it
    (``registry.unregister(collector)`` removes it)."""
    collector = SyncCollector(metrics, stats=stats, labels=labels)
    registry.register(collector)
    return collector


@attrs.define
class MetricsServer:
    """A running metrics HTTP server (a daemon thread); ``close()`` stops it."""

    server: WSGIServer
    thread: threading.Thread
    registry: CollectorRegistry

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(
    metrics: SyncMetrics,
    port: int,
    *,
    addr: str = "127.0.0.1",
    stats: Callable[[], ServiceStats] | None = None,
) -> MetricsServer:
    """Serve ``metrics`` at ``http://ADDR:PORT/metrics`` from a fresh registry (so the
    process's default collectors are not mixed in); port 0 picks a free port."""
    registry = CollectorRegistry()
    register(metrics, registry, stats=stats)
    server, thread = start_http_server(port, addr=addr, registry=registry)
    return MetricsServer(server, thread, registry)


__all__ = ["MetricsServer", "SyncCollector", "register", "serve"]
