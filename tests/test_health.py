"""Health (healthy / degraded / unhealthy from error rate, stalls, rate limits, aborts)
and the run history (``repository.history`` and ``streaming-sync history``)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from streaming_sync import (
    AuthenticationError,
    CallbackSink,
    ConfigError,
    FileEntry,
    FileFailed,
    FileFailure,
    FileSkipped,
    FileStarted,
    FileSucceeded,
    HealthMonitor,
    HealthState,
    HealthStatus,
    Outcome,
    RateLimited,
    RetryPolicy,
    Stage,
    StreamingSyncService,
    SyncAborted,
    SyncConfig,
    SyncStarted,
)
from streaming_sync._cli import main
from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository

from .lineformat import LineParser

RETRY = RetryPolicy(max_attempts=2, base=0.001, factor=2, cap=0.01)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def ok(path: str) -> FileSucceeded:
    return FileSucceeded(path, 10, 1, 0, 0, 0.01)


def failed(path: str) -> FileFailed:
    return FileFailed(FileFailure(path, "ParseError", f"{path}: bad", False, 1), Stage.PARSE)


def monitor(**kw: object) -> tuple[HealthMonitor, FakeClock, FakeClock]:
    clock, wall = FakeClock(), FakeClock(1_700_000_000.0)
    options: dict[str, object] = {"window": 10, "min_files": 4, "clock": clock, "wall_clock": wall}
    options.update(kw)
    return HealthMonitor(**options), clock, wall  # type: ignore[arg-type]


def started(n: int = 20) -> SyncStarted:
    return SyncStarted("default", "memory:", "c", n, n, 0, 0)


def test_error_rate_over_the_window_gives_degraded_then_unhealthy_then_recovers() -> None:
    """1 failure in 5 (20%) is degraded at a 0.2 threshold, 2 in 7 stays degraded,
    5 in 10 (50%) is unhealthy; ten successes push the failures out of the window."""
    mon, _, _ = monitor(degraded_error_rate=0.2, unhealthy_error_rate=0.5)
    mon.observe(started())
    for i in range(4):
        mon.observe(ok(f"ok{i}"))
    assert mon.status() == HealthStatus.healthy()
    mon.observe(failed("f1"))
    status = mon.status()
    assert status.state is HealthState.DEGRADED
    assert status.ok
    assert status.reason == "error rate 20% over the last 5 files (1 failed)"
    mon.observe(failed("f2"))
    mon.observe(FileSkipped("s", "empty"))  # skipped is not an error
    assert mon.status().state is HealthState.DEGRADED
    for path in ("f3", "f4", "f5"):
        mon.observe(failed(path))
    status = mon.status()
    assert status.state is HealthState.UNHEALTHY
    assert not status.ok
    assert "error rate 50% over the last 10 files (5 failed)" in str(status)
    for i in range(10):
        mon.observe(ok(f"again{i}"))
    assert mon.status().state is HealthState.HEALTHY
    assert mon.error_rate == 0.0


def test_too_few_files_are_not_judged() -> None:
    """Below ``min_files`` finished files a failure does not change the health."""
    mon, _, _ = monitor()
    mon.observe(started())
    mon.observe(failed("only"))
    assert mon.error_rate is None
    assert mon.status().state is HealthState.HEALTHY


def test_rate_limit_in_the_future_is_degraded_until_it_passes() -> None:
    """A RateLimited event whose resume time is ahead: degraded "rate limited until
    HH:MM:SS (reason)"; once the wall clock passes it, healthy again."""
    mon, _, wall = monitor()
    mon.observe(started())
    resume = wall.now + 300
    mon.observe(RateLimited(resume_at=resume, reason="primary rate limit"))
    status = mon.status()
    clock_text = time.strftime("%H:%M:%S", time.localtime(resume))
    assert status == HealthStatus.degraded(f"rate limited until {clock_text} (primary rate limit)")
    wall.now = resume + 1
    assert mon.status().state is HealthState.HEALTHY


def test_stall_needs_files_in_flight_and_silence_and_is_excused_by_a_rate_limit() -> None:
    """No event for ``stall_after`` seconds with a file in flight is unhealthy; with no
    file in flight, or during a rate-limit pause, silence is fine."""
    mon, clock, wall = monitor(stall_after=60)
    mon.observe(started())
    clock.now += 600
    assert mon.status().state is HealthState.HEALTHY  # nothing in flight
    mon.observe(FileStarted("slow", 1))
    clock.now += 59
    assert mon.status().state is HealthState.HEALTHY
    clock.now += 1
    assert mon.status() == HealthStatus.unhealthy(
        "stalled: 1 file(s) in flight, no progress for 60s"
    )
    mon.observe(RateLimited(resume_at=wall.now + 3600, reason="secondary rate limit"))
    clock.now += 120
    assert mon.status().state is HealthState.DEGRADED


def test_thresholds_are_validated() -> None:
    """Rates outside (0, 1] and non-positive windows are refused with ConfigError."""
    with pytest.raises(ConfigError, match="degraded_error_rate"):
        HealthMonitor(degraded_error_rate=0)
    with pytest.raises(ConfigError, match="stall_after"):
        HealthMonitor(stall_after=-1)


class BlockingFetcher(InMemoryFetcher):
    """Holds the fetch of ``slow.txt`` until ``release`` is set."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(files)
        self.release = asyncio.Event()
        self.entered = asyncio.Event()

    async def fetch(self, entry: FileEntry) -> bytes:
        if entry.path == "slow.txt":
            self.entered.set()
            await self.release.wait()
        return await super().fetch(entry)


async def test_a_stalled_worker_in_a_real_sync_is_unhealthy_then_recovers() -> None:
    """A worker stuck fetching makes the monitor (fake clock) report a stall once
    stall_after passes; when the fetch completes the sync finishes and health returns."""
    clock, landed = FakeClock(), asyncio.Event()
    mon = HealthMonitor(stall_after=30, clock=clock)
    fetcher = BlockingFetcher({"slow.txt": b"class ex:S", "a.txt": b"class ex:A"})
    svc = StreamingSyncService(
        fetcher=fetcher,
        repository=InMemoryRepository(),
        parser=LineParser(),
        sinks=[mon, CallbackSink(lambda e: landed.set() if isinstance(e, FileSucceeded) else None)],
        config=SyncConfig(workers=2, parse_processes=0, retry=RETRY),
    )
    task = asyncio.create_task(svc.sync())
    async with asyncio.timeout(10):
        await fetcher.entered.wait()
        await landed.wait()
    assert mon.status().state is HealthState.HEALTHY
    clock.now += 31
    status = mon.status()
    assert status.state is HealthState.UNHEALTHY
    assert status.reason is not None
    assert status.reason.startswith("stalled: 1 file(s) in flight")
    fetcher.release.set()
    report = await asyncio.wait_for(task, 10)
    assert report.outcome is Outcome.SUCCEEDED
    assert mon.status().state is HealthState.HEALTHY


async def test_an_aborted_sync_is_unhealthy_until_the_next_sync_starts() -> None:
    """A fatal error (bad credentials) makes the last sync aborted: unhealthy with the
    error; the next SyncStarted clears it."""
    mon = HealthMonitor()
    fetcher = InMemoryFetcher(
        {"a.txt": b"class ex:A"}, faults={"a.txt": [AuthenticationError("401 bad credentials")]}
    )
    svc = StreamingSyncService(
        fetcher=fetcher,
        repository=InMemoryRepository(),
        parser=LineParser(),
        sinks=[mon],
        config=SyncConfig(workers=1, parse_processes=0, retry=RETRY),
    )
    with pytest.raises(SyncAborted):
        await svc.sync()
    status = mon.status()
    assert status.state is HealthState.UNHEALTHY
    assert status.reason == "last sync aborted: AuthenticationError: 401 bad credentials"
    assert status.to_dict() == {"state": "unhealthy", "reason": status.reason}
    await svc.sync()
    assert mon.status().state is HealthState.HEALTHY


# -- history -----------------------------------------------------------------------------

RUNS = [
    {"a.txt": b"class ex:A", "b.txt": b"class ex:B"},
    {"a.txt": b"class ex:A2", "b.txt": b"class ex:B", "bad.txt": b"fail no"},
    {"a.txt": b"class ex:A2", "c.txt": b"class ex:C"},
]


async def sync_runs(db: Path, ontology_id: str = "default") -> None:
    """One sync per entry of RUNS, against the same SQLite database."""
    for files in RUNS:
        async with await SqliteRepository.open(db) as repository:
            svc = StreamingSyncService(
                fetcher=InMemoryFetcher(files),
                repository=repository,
                parser=LineParser(),
                config=SyncConfig(ontology_id=ontology_id, workers=2, parse_processes=0),
            )
            await svc.sync()


async def test_history_lists_several_runs_newest_first(db_path: Path) -> None:
    """Three syncs leave three reports, newest first, each with what its run did; the
    limit keeps the newest; another ontology id has its own history."""
    await sync_runs(db_path)
    await sync_runs(db_path, ontology_id="other")
    async with await SqliteRepository.open(db_path) as repository:
        runs = await repository.history("default", 10)
        newest_two = await repository.history("default", 2)
        other = await repository.history("other", 10)
        unknown = await repository.history("nobody", 10)
    assert len(runs) == len(RUNS)
    assert len(other) == len(RUNS)
    assert unknown == []
    assert [r.started_at for r in runs] == sorted((r.started_at for r in runs), reverse=True)
    assert [r.outcome for r in runs] == [Outcome.SUCCEEDED, Outcome.PARTIAL, Outcome.SUCCEEDED]
    newest, middle, oldest = runs
    assert (oldest.files.listed, oldest.files.succeeded) == (2, 2)
    assert (middle.files.processed, middle.files.failed) == (2, 1)  # a.txt changed, bad.txt
    assert (newest.files.deleted, newest.files.succeeded) == (1, 1)  # b.txt gone, c.txt new
    assert newest_two == runs[:2]
    assert {r.ontology_id for r in other} == {"other"}


def test_cli_history_prints_text_and_json(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``streaming-sync history`` prints one line per run (newest first: its start in ISO
    8601, its outcome) or, with ``--json``, the reports; ``--limit`` and
    ``--ontology-id`` apply, and an ontology id with no run is an error naming those
    there are."""
    asyncio.run(sync_runs(db_path))
    assert main(["history", "--db", str(db_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(RUNS)
    assert [line.split()[1] for line in lines] == ["succeeded", "partial", "succeeded"]
    assert all(datetime.fromisoformat(line.split()[0]).tzinfo for line in lines)
    assert "1 failed" in lines[1]
    assert "1 deleted" in lines[0]
    assert main(["history", "--db", str(db_path), "--limit", "2", "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [r["outcome"] for r in reports] == ["succeeded", "partial"]
    assert main(["history", "--db", str(db_path), "--ontology-id", "nobody"]) == 2
    error = capsys.readouterr().err
    assert "no sync recorded for ontology 'nobody'" in error and "ids there: default" in error
