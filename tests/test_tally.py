"""One event stream, derived views: the report, the progress and the pool numbers are a
fold of the events (``RunTally``, a private unit -- these tests are about it), a shared
run's combined report is the same fold over the stored events, and the failed stage is
the pipeline's word, carried by ``FileFailed``."""

from __future__ import annotations

import attrs
import pytest

from streaming_sync import (
    DatabaseLockedError,
    FileDeleted,
    FileFailed,
    FileFailure,
    FileRetrying,
    FileSkipped,
    FileStarted,
    FileSucceeded,
    FinishedRun,
    Outcome,
    PermanentFetchError,
    ProgressEvent,
    RateLimited,
    RetryPolicy,
    Stage,
    StageTimes,
    StreamingSyncService,
    SyncConfig,
    SyncFinished,
    SyncStarted,
)
from streaming_sync.observe.events import event_from_dict, event_to_dict
from streaming_sync.observe.tally import RunTally
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository, RecordingSink

PAGE = b"- Thing\n  ### OntologyBlock\n    - owl:class:: ex:Thing\n"
T = StageTimes(fetching=0.5, parsing=0.25, writing=0.125)
FAILURE = FileFailure("b.ttl", "ParseError", "b.ttl:1: bad", False, 1, "sha-b")
STARTED = SyncStarted("o", "src", "c1", 5, 4, 1, 1, 0.75, False, ("folder 'x/': truncated",))
ENDS: list[ProgressEvent] = [
    FileSucceeded("a.md", 10, 2, 1, 3, 1.0, ("line 1: odd",), T),
    FileFailed(FAILURE, Stage.PARSE, T),
    FileSkipped("c.txt", "no parser for this kind of file", T),
]
EVERY_KIND: list[ProgressEvent] = [
    STARTED,
    FileStarted("a.md", 10),
    *ENDS,
    FileDeleted("gone.md"),
    FileRetrying("a.md", 1, 0.5, "reset"),
    RateLimited(100.0, "primary rate limit"),
]


class Clock:
    """A clock that moves only when told."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda e: type(e).__name__)
def test_every_event_survives_its_json_form(event: ProgressEvent) -> None:
    """event_from_dict(event_to_dict(e)) == e for every kind of event."""
    assert event_from_dict(event_to_dict(event)) == event


def test_report_is_the_fold_of_the_events() -> None:
    """Counts, rows, failures, skips, warnings (the incomplete listing's first), stage
    sums (listing from SyncStarted) and the outcome come from the events alone."""
    clock = Clock(10.0)
    tally = RunTally("o", "src", clock=clock, wall_clock=Clock(1000.0))
    for event in EVERY_KIND:
        tally.observe(event)
    clock.now = 14.0
    report = tally.report()
    assert report.outcome is Outcome.PARTIAL  # a failure, and the listing was incomplete
    assert (report.commit, report.started_at, report.duration_s) == ("c1", 1000.0, 4.0)
    files = report.files
    assert (files.listed, files.unchanged, files.processed) == (5, 1, 3)
    assert (files.succeeded, files.failed, files.skipped, files.deleted) == (1, 1, 1, 1)
    assert (report.rows.classes, report.rows.properties, report.rows.axioms) == (2, 1, 3)
    assert report.failures == (FAILURE,)
    assert [s.path for s in report.skipped] == ["c.txt"]
    assert report.warnings[0][0] == "(listing)" and "folder 'x/'" in report.warnings[0][1]
    assert report.warnings[1:] == (("a.md", "line 1: odd"),)
    assert report.stages == StageTimes(0.75, 1.5, 0.75, 0.375, rate_limited=0.0)


def test_overlapping_rate_limit_pauses_count_each_second_once() -> None:
    """A pause that extends a running one adds only the extension to rate_limited."""
    wall = Clock(100.0)
    tally = RunTally("o", "src", wall_clock=wall)
    tally.observe(RateLimited(160.0, "primary"))  # 60 s
    wall.now = 130.0
    tally.observe(RateLimited(190.0, "secondary"))  # extends by 30 s, not 60
    wall.now = 300.0
    tally.observe(RateLimited(310.0, "secondary"))  # a new pause: 10 s
    assert tally.report().stages.rate_limited == pytest.approx(100.0)
    assert tally.progress().rate_limited_until == 310.0


def test_progress_and_pool_numbers_come_from_the_same_fold() -> None:
    """in_flight, done (succeeded + skipped) and failed follow the per-file events."""
    clock = Clock()
    tally = RunTally("o", "src", clock=clock)
    tally.observe(STARTED)
    for path in ("a.md", "b.ttl", "c.txt", "d.md"):
        tally.observe(FileStarted(path, 1))
    for event in ENDS:
        tally.observe(event)
    clock.now = 2.0
    progress = tally.progress()
    assert (tally.in_flight, tally.done, tally.failed) == (1, 2, 1)
    assert (progress.total, progress.processed, progress.in_flight) == (4, 3, 1)
    assert progress.files_per_second == 1.5 and progress.eta_s == pytest.approx(2 / 3)
    tally.observe(SyncFinished(tally.report()))
    assert tally.progress().finished and tally.in_flight == 0


def test_a_shared_runs_combined_report_is_the_same_fold_over_the_stored_events() -> None:
    """RunTally.replay of the stored summary (the creator's SyncStarted) and end events
    gives what a tally fed with the same events gives; its time is the run's own."""
    live = RunTally("o", "src", clock=Clock(5.0), wall_clock=Clock(50.0))
    for event in [STARTED, FileDeleted("gone.md"), *ENDS]:
        live.observe(event)
    stored = FinishedRun(
        started_at=50.0,
        finished_at=62.5,
        summary=event_to_dict(STARTED),
        outcomes=[event_to_dict(e) for e in reversed(ENDS)],
        closed_here=True,
    )
    combined = RunTally.replay("o", "src", stored).report()
    assert combined == attrs.evolve(live.report(), duration_s=12.5, started_at=50.0)


async def run(fetcher: InMemoryFetcher, repo: InMemoryRepository) -> list[ProgressEvent]:
    sink = RecordingSink()
    config = SyncConfig(parse_processes=0, workers=2, retry=RetryPolicy(max_attempts=1))
    async with StreamingSyncService(
        fetcher=fetcher, repository=repo, config=config, sinks=[sink]
    ) as service:
        await service.sync()
    return sink.events


async def test_the_failed_stage_is_the_pipelines_word() -> None:
    """FileFailed names the stage that failed: fetch, parse or write (whatever the
    error's class is called)."""
    files = {"fetch.md": PAGE, "parse.ttl": b"@prefix : <", "write.md": PAGE}
    fetcher = InMemoryFetcher(files, faults={"fetch.md": [PermanentFetchError("gone")]})

    def refuse(path: str) -> Exception | None:
        return DatabaseLockedError("locked") if path == "write.md" else None

    events = await run(fetcher, InMemoryRepository(fail_on_save=refuse))
    stages = {e.failure.path: e.stage for e in events if isinstance(e, FileFailed)}
    assert stages == {"fetch.md": Stage.FETCH, "parse.ttl": Stage.PARSE, "write.md": Stage.WRITE}


async def test_a_skipped_file_whose_removal_fails_fails_alone() -> None:
    """A skipped file must drop what it stored before; when that write keeps failing,
    the file fails at the write stage and the sync goes on (it used to stop the sync)."""
    files = {"empty.md": b"", "ok.md": PAGE}

    def refuse(path: str) -> Exception | None:
        return DatabaseLockedError("locked") if path == "empty.md" else None

    events = await run(InMemoryFetcher(files), InMemoryRepository(fail_on_save=refuse))
    failed = [e for e in events if isinstance(e, FileFailed)]
    assert [(e.failure.path, e.stage) for e in failed] == [("empty.md", Stage.WRITE)]
    (finished,) = [e for e in events if isinstance(e, SyncFinished)]
    assert finished.report.outcome is Outcome.PARTIAL
    assert finished.report.files.succeeded == 1
