"""Metrics: the counters, histograms and gauges of SyncMetrics after syncs with known
failures and retries, and their Prometheus export."""

from __future__ import annotations

import asyncio
import importlib
import sys
import urllib.request
from pathlib import Path

import pytest

from streaming_sync import (
    CallbackSink,
    DatabaseLockedError,
    FileStarted,
    ProgressEvent,
    RateLimited,
    RetryPolicy,
    StreamingSyncService,
    SyncConfig,
    TransientFetchError,
)
from streaming_sync._cli import main
from streaming_sync.observe.metrics import (
    COUNTERS,
    DURATION_BUCKETS,
    HISTOGRAMS,
    MetricsSnapshot,
    SyncMetrics,
)
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository

from .lineformat import LineParser

ATTEMPTS = 3
RETRY = RetryPolicy(max_attempts=ATTEMPTS, base=0.001, factor=2, cap=0.01)

GOOD = {
    "a.txt": b"class ex:A Alpha\nsub ex:A ex:Root",
    "b.txt": b"class ex:B\nclass ex:B2\nsub ex:B ex:A",
    "flaky.txt": b"class ex:F" + b" padding" * 300,  # > 1 KiB: a second size bucket
}
PARSE_FAIL = {"bad.txt": b"class ex:X\nfail nope"}
FETCH_FAIL = {"gone.txt": b"class ex:G"}
SAVE_FAIL = {"locked.txt": b"class ex:L"}
SKIPPED = {"skip.txt": b"skip empty", "notes.md": b"# not for LineParser"}
FILES = {**GOOD, **PARSE_FAIL, **FETCH_FAIL, **SAVE_FAIL, **SKIPPED}
FLAKY_FAULTS = 2  # transient faults before flaky.txt is served
FAULTS = {
    "flaky.txt": [TransientFetchError("503")] * FLAKY_FAULTS,
    "gone.txt": [TransientFetchError("reset")] * (ATTEMPTS + 5),
}


def locked(path: str) -> Exception | None:
    return DatabaseLockedError("database is locked") if path in SAVE_FAIL else None


def make_service(
    *sinks: object, repo: InMemoryRepository | None = None, faults: object = FAULTS
) -> StreamingSyncService:
    return StreamingSyncService(
        fetcher=InMemoryFetcher(FILES, faults=faults),  # type: ignore[arg-type]
        repository=repo or InMemoryRepository(fail_on_save=locked),
        parser=LineParser(),
        sinks=sinks,  # type: ignore[arg-type]
        config=SyncConfig(workers=3, parse_processes=0, retry=RETRY),
    )


async def test_counters_after_a_sync_with_known_failures_and_retries() -> None:
    """Each counter follows from the files: fetched = succeeded + failed after fetching
    (parse, save); parsed = succeeded + failed while saving; retries = the flaky file's
    faults + (attempts - 1) for each file that kept failing retryably."""
    metrics = SyncMetrics()
    svc = make_service(metrics)
    report = await svc.sync()
    c = metrics.snapshot().counters
    fetched = {**GOOD, **PARSE_FAIL, **SAVE_FAIL}
    assert c["files_listed"] == len(FILES)
    assert c["files_unchanged"] == 0
    assert c["files_fetched"] == len(fetched)
    assert c["files_parsed"] == len(GOOD) + len(SAVE_FAIL)
    assert c["files_saved"] == len(GOOD) == report.files.succeeded
    assert c["files_failed"] == len(PARSE_FAIL) + len(FETCH_FAIL) + len(SAVE_FAIL)
    assert c["files_skipped"] == len(SKIPPED)
    assert c["retries"] == FLAKY_FAULTS + 2 * (ATTEMPTS - 1)
    assert c["bytes_fetched"] == sum(len(v) for v in fetched.values())
    assert c["classes_written"] == report.rows.classes
    assert c["axioms_written"] == 2
    assert c["rate_limit_pauses"] == 0
    assert (c["syncs_started"], c["syncs_finished"]) == (1, 1)


async def test_histograms_use_fixed_buckets_and_observe_each_file() -> None:
    """Stage histograms observe each succeeded file; the size histogram each fetched file,
    in the bucket its size falls in; cumulative counts end with +Inf == count."""
    metrics = SyncMetrics()
    await make_service(metrics).sync()
    snap = metrics.snapshot()
    assert set(snap.histograms) == set(HISTOGRAMS)
    for name in ("fetch_seconds", "parse_seconds", "save_seconds"):
        h = snap.histograms[name]
        assert h.buckets == DURATION_BUCKETS
        assert h.count == len(GOOD)
        assert h.sum >= 0
    sizes = snap.histograms["file_size_bytes"]
    fetched = [len(v) for v in {**GOOD, **PARSE_FAIL, **SAVE_FAIL}.values()]
    assert sizes.count == len(fetched)
    assert sizes.sum == sum(fetched)
    cumulative = dict(sizes.cumulative())
    assert cumulative[1024] == sum(1 for s in fetched if s <= 1024)
    assert cumulative[4096] == sum(1 for s in fetched if s <= 4096)
    assert cumulative[float("inf")] == sizes.count


async def test_counters_add_up_over_syncs_and_gauges_read_the_service() -> None:
    """A second sync (faults cleared) retries only the failed files; counters accumulate;
    stage seconds add the reports' stages; gauges come from service.stats()."""
    repo = InMemoryRepository(fail_on_save=locked)
    metrics = SyncMetrics()
    first = await make_service(metrics, repo=repo).sync()
    repo.fail_on_save = None
    second_svc = make_service(metrics, repo=repo, faults={})
    second = await second_svc.sync()
    snap = metrics.snapshot(stats=second_svc.stats())
    c = snap.counters
    assert c["syncs_started"] == 2
    assert c["files_listed"] == 2 * len(FILES)
    assert c["files_unchanged"] == second.files.unchanged == len(GOOD) + len(SKIPPED)
    assert c["files_saved"] == len(GOOD) + len(FETCH_FAIL) + len(SAVE_FAIL)
    assert snap.stages.writing == pytest.approx(first.stages.writing + second.stages.writing)
    assert (snap.active_workers, snap.last_outcome) == (0, "partial")
    assert snap.queue_depth == 0  # between syncs nothing is queued
    assert snap.rate_limit_remaining is None


async def test_gauges_show_active_workers_during_a_sync() -> None:
    """While a file is being processed, the active-workers gauge (from the service's stats)
    is at least 1; without stats it counts the files in flight by the events."""
    metrics = SyncMetrics()
    seen: list[MetricsSnapshot] = []
    holder: list[StreamingSyncService] = []

    def on_event(event: ProgressEvent) -> None:
        if isinstance(event, FileStarted):
            seen.append(metrics.snapshot(stats=holder[0].stats()))

    svc = make_service(metrics, CallbackSink(on_event), faults={})
    holder.append(svc)
    await svc.sync()
    assert seen
    assert all(s.active_workers >= 1 and s.queue_depth is not None for s in seen)
    assert metrics.snapshot().active_workers == 0


async def test_rate_limit_events_count_pauses() -> None:
    """RateLimited events count as pauses and set the time the pause ends."""
    metrics = SyncMetrics()
    await metrics.emit(RateLimited(resume_at=1e9, reason="primary rate limit"))
    await metrics.emit(RateLimited(resume_at=2e9, reason="secondary rate limit"))
    snap = metrics.snapshot()
    assert snap.counters["rate_limit_pauses"] == 2
    assert snap.rate_limited_until == 2e9
    assert set(snap.to_dict()["counters"]) == set(COUNTERS)  # type: ignore[arg-type]


# -- Prometheus --------------------------------------------------------------------------


async def test_prometheus_collector_exports_the_same_values() -> None:
    """A collector on a private registry exposes counters (``_total``), histograms
    (``_bucket``/``_sum``/``_count``) and gauges, equal to the snapshot."""
    pytest.importorskip("prometheus_client", reason="needs the [prometheus] extra")
    from prometheus_client import CollectorRegistry

    from streaming_sync.observe.prometheus import register

    registry = CollectorRegistry()
    metrics = SyncMetrics()
    svc = make_service(metrics)
    register(metrics, registry, stats=svc.stats, labels={"ontology": "default"})
    await svc.sync()
    snap = metrics.snapshot()
    labels = {"ontology": "default"}

    def value(name: str, **extra: str) -> float | None:
        return registry.get_sample_value(name, {**labels, **extra})

    for name in COUNTERS:
        assert value(f"streaming_sync_{name}_total") == snap.counters[name], name
    sizes = snap.histograms["file_size_bytes"]
    assert value("streaming_sync_file_size_bytes_count") == sizes.count
    assert (
        value("streaming_sync_file_size_bytes_bucket", le="1024.0")
        == dict(sizes.cumulative())[1024]
    )
    assert value("streaming_sync_file_size_bytes_bucket", le="+Inf") == sizes.count
    assert value("streaming_sync_active_workers") == 0
    assert value("streaming_sync_stage_seconds_total", stage="writing") == pytest.approx(
        snap.stages.writing
    )
    assert value("streaming_sync_rate_limit_remaining") is None  # unknown: not exported


def test_prometheus_serve_answers_on_localhost() -> None:
    """serve() listens on 127.0.0.1 (port 0: a free one) and answers a scrape."""
    pytest.importorskip("prometheus_client", reason="needs the [prometheus] extra")
    from streaming_sync.observe.prometheus import serve

    metrics = SyncMetrics()
    asyncio.run(metrics.emit(RateLimited(resume_at=1e9, reason="x")))
    server = serve(metrics, 0)
    try:
        assert server.server.server_address[0] == "127.0.0.1"
        url = f"http://127.0.0.1:{server.port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
    finally:
        server.close()
    assert "streaming_sync_rate_limit_pauses_total 1.0" in body


def test_prometheus_module_without_the_extra_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Importing streaming_sync.observe.prometheus without prometheus_client raises ImportError
    naming ``pip install 'streaming_sync[prometheus]'``."""
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    monkeypatch.delitem(sys.modules, "streaming_sync.observe.prometheus", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'streaming_sync\[prometheus\]'"):
        importlib.import_module("streaming_sync.observe.prometheus")


def test_cli_metrics_port_without_the_extra_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--metrics-port`` without prometheus_client: exit code 2 and the install command,
    before anything is synced."""
    monkeypatch.setitem(sys.modules, "streaming_sync.observe.prometheus", None)
    code = main(["sync", str(tmp_path), "--db", str(tmp_path / "x.db"), "--metrics-port", "0"])
    assert code == 2
    assert "pip install 'streaming_sync[prometheus]'" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


def test_cli_metrics_port_serves_while_syncing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the extra, ``--metrics-port 0`` runs the sync and closes the server after."""
    pytest.importorskip("prometheus_client", reason="needs the [prometheus] extra")
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.nt").write_text(
        "<http://example.org/A> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<http://www.w3.org/2002/07/owl#Class> .\n"
    )
    code = main(["sync", str(source), "--db", str(tmp_path / "x.db"), "--metrics-port", "0"])
    assert code == 0
    assert "succeeded" in capsys.readouterr().out
