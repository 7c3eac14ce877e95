"""``RunTally``: the fold of one run's events, from which its progress, its report and the
worker pool's numbers are computed -- the one place that counts what a sync did.

The service feeds its tally every event it sends; ``service.progress()``,
``service.stats()`` and the report it records all read it. A shared sync's combined
report is a tally fed with the end events stored in the work table
(:meth:`RunTally.replay`), so both reports come from the same code. ``ProgressTracker``
is the sink form for anyone else: a fresh tally at each ``SyncStarted``.

Memory stays O(failures + skips + warnings), never O(rows): an end event carries counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from .._change_counts import ChangeSummary
from .._changes import feed_context
from .._model import (
    FileCounts,
    FileFailure,
    FileSkip,
    FinishedRun,
    Outcome,
    RowCounts,
    StageTimes,
    SyncReport,
)
from .events import (
    FileDeleted,
    FileFailed,
    FileRetrying,
    FileSkipped,
    FileStarted,
    FileSucceeded,
    ProgressEvent,
    RateLimited,
    RowsChanged,
    SyncFinished,
    SyncStarted,
    event_from_dict,
)

Clock = Callable[[], float]

#: The ``path`` of a report warning (and a retry) about the listing rather than one file.
LISTING = "(listing)"


@attrs.frozen
class ProgressReport:
    """Where a running (or the last) sync is.

    ``total`` is the number of files to process (listed minus unchanged); ``eta_s`` is
    None until a file has landed; ``rate_limited_until`` is the epoch time the source
    said to wait until (None when it never did in this sync). ``elapsed_s`` counts from
    the end of the listing.
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


@attrs.frozen
class ServiceStats:
    """A live snapshot of the worker pool: files waiting in the queue, being processed,
    done (succeeded or skipped) and failed in the current (or last) sync, and the
    source's rate-limit budget left (None when unknown or not limited)."""

    queued: int
    active: int
    done: int
    failed: int
    rate_limit_remaining: int | None = None


def listing_warnings(started: SyncStarted | None) -> tuple[tuple[str, str], ...]:
    """The report warnings of an incomplete listing: one per part it lacks."""
    if started is None or started.complete:
        return ()
    consequence = (
        "files there are not in this sync and no file was deleted; sync again later, or "
        "sync that folder on its own"
    )
    parts = started.missing or ("the source could not list every file",)
    return tuple((LISTING, f"incomplete listing: {part}; {consequence}") for part in parts)


class RunTally:
    """The fold of one run's events (see the module docstring).

    ``clock`` (monotonic seconds) times the run from the tally's creation (``start``
    when given); ``wall_clock`` (epoch) dates it (``started_at``) and measures
    rate-limit pauses. Both are injectable for tests.
    """

    def __init__(
        self,
        ontology_id: str,
        source: str,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        started_at: float | None = None,
        start: float | None = None,
    ) -> None:
        self.ontology_id, self.source = ontology_id, source
        self.clock, self.wall_clock = clock, wall_clock
        self.started_at = wall_clock() if started_at is None else started_at
        self._start = clock() if start is None else start
        self.started: SyncStarted | None = None
        self._files_from: float | None = None
        self._ended: float | None = None
        self.in_flight = self.succeeded = self.deleted = self.retries = 0
        self.classes = self.properties = self.axioms = self.bytes_processed = 0
        self.failures: list[FileFailure] = []
        self.skips: list[FileSkip] = []
        self.warnings: list[tuple[str, str]] = []
        self.stages = StageTimes()
        self.rate_limited_until: float | None = None
        # The run id of the sync this tally counts (set by the service, see _changes).
        context = feed_context()
        self.changes = ChangeSummary(run_id=context.run_id if context else None)

    def __repr__(self) -> str:
        return (
            f"<RunTally {self.ontology_id!r} [active: {self.in_flight}, done: {self.done},"
            f" failed: {self.failed}]>"
        )

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def done(self) -> int:
        """Files that ended without failing (succeeded or skipped)."""
        return self.succeeded + len(self.skips)

    def observe(self, event: ProgressEvent) -> None:
        """Count one event."""
        if isinstance(event, SyncStarted):
            self.started, self._files_from = event, self.clock()
            self.stages = attrs.evolve(self.stages, listing=self.stages.listing + event.listing_s)
        elif isinstance(event, FileStarted):
            self.in_flight += 1
        elif isinstance(event, FileSucceeded | FileFailed | FileSkipped):
            self._ended_file(event)
        elif isinstance(event, FileDeleted):
            self.deleted += 1
        elif isinstance(event, FileRetrying):
            self.retries += 1
        elif isinstance(event, RateLimited):
            self._paused(event)
        elif isinstance(event, SyncFinished):
            self.in_flight, self._ended = 0, self.clock()
        elif isinstance(event, RowsChanged):
            self.changes += event.changes

    def _ended_file(self, event: FileSucceeded | FileFailed | FileSkipped) -> None:
        self.in_flight = max(self.in_flight - 1, 0)
        self.stages += event.stages
        if isinstance(event, FileSucceeded):
            self.succeeded += 1
            self.classes += event.classes
            self.properties += event.properties
            self.axioms += event.axioms
            self.bytes_processed += event.size
            self.warnings.extend((event.path, w) for w in event.warnings)
        elif isinstance(event, FileFailed):
            self.failures.append(event.failure)
        else:
            self.skips.append(FileSkip(event.path, event.reason))

    def _paused(self, event: RateLimited) -> None:
        # Pauses overlap when a new one extends a running one: count each second once.
        now = self.wall_clock()
        since = max(now, self.rate_limited_until or now)
        extra = max(0.0, event.resume_at - since)
        self.stages = attrs.evolve(self.stages, rate_limited=self.stages.rate_limited + extra)
        self.rate_limited_until = max(event.resume_at, self.rate_limited_until or 0.0)

    def outcome(self) -> Outcome:
        """How a run that ran to its end went: ``partial`` when a file failed or the
        listing was incomplete (files upstream may not have been synced), else
        ``succeeded``."""
        incomplete = self.started is not None and not self.started.complete
        return Outcome.PARTIAL if incomplete or self.failures else Outcome.SUCCEEDED

    def report(self, outcome: Outcome | None = None, error: str | None = None) -> SyncReport:
        """The run's report now (``outcome`` None: :meth:`outcome`); also called mid-run,
        for the ``running`` and ``aborted`` records."""
        started = self.started
        return SyncReport(
            ontology_id=self.ontology_id,
            source=self.source,
            commit=started.commit if started else None,
            outcome=self.outcome() if outcome is None else outcome,
            files=FileCounts(
                listed=started.listed if started else 0,
                unchanged=started.unchanged if started else 0,
                processed=self.succeeded + self.failed + len(self.skips),
                succeeded=self.succeeded,
                failed=self.failed,
                skipped=len(self.skips),
                deleted=self.deleted,
            ),
            rows=RowCounts(self.classes, self.properties, self.axioms),
            started_at=self.started_at,
            duration_s=max(0.0, self.clock() - self._start),
            failures=tuple(sorted(self.failures, key=lambda f: f.path)),
            skipped=tuple(sorted(self.skips, key=lambda s: s.path)),
            warnings=listing_warnings(started) + tuple(sorted(self.warnings)),
            stages=self.stages,
            error=error,
            changes=self.changes,
        )

    def progress(self) -> ProgressReport:
        """The counts now, with rates and ETA; elapsed time stops at ``SyncFinished``."""
        if self._files_from is None:
            elapsed = 0.0
        else:
            elapsed = (self._ended if self._ended is not None else self.clock()) - self._files_from
        processed = self.succeeded + self.failed + len(self.skips)
        rate = processed / elapsed if elapsed > 0 else 0.0
        total = self.started.to_process if self.started else 0
        remaining = max(total - processed, 0)
        return ProgressReport(
            total=total,
            processed=processed,
            succeeded=self.succeeded,
            failed=self.failed,
            skipped=len(self.skips),
            in_flight=self.in_flight,
            elapsed_s=elapsed,
            files_per_second=rate,
            classes_per_second=self.classes / elapsed if elapsed > 0 else 0.0,
            bytes_processed=self.bytes_processed,
            eta_s=(0.0 if remaining == 0 else remaining / rate) if rate > 0 else None,
            rate_limited_until=self.rate_limited_until,
            finished=self._ended is not None,
            listed=self.started.listed if self.started else 0,
            unchanged=self.started.unchanged if self.started else 0,
            classes=self.classes,
            retries=self.retries,
        )

    @classmethod
    def replay(
        cls,
        ontology_id: str,
        source: str,
        run: FinishedRun,
    ) -> RunTally:
        """The tally of a whole shared run (:class:`FinishedRun`): its creator's
        ``SyncStarted`` (the ``summary``) and every file's end event, timed from the
        run's start to its close. The creator deleted what its ``SyncStarted`` counts
        before any file was handed out."""
        tally = cls(
            ontology_id,
            source,
            clock=lambda: run.finished_at,  # the run is over: its duration is fixed
            started_at=run.started_at,
            start=run.started_at,
        )
        tally.feed(_events(run.summary, run.outcomes))
        if tally.started is not None:
            tally.deleted = tally.started.to_delete
        return tally

    def feed(self, events: Iterable[ProgressEvent]) -> None:
        """Count every event of ``events``, in order."""
        for event in events:
            self.observe(event)


def _events(
    summary: Mapping[str, Any], outcomes: Iterable[Mapping[str, Any]]
) -> list[ProgressEvent]:
    events = [event_from_dict(summary)] if summary else []
    return events + [event_from_dict(outcome) for outcome in outcomes]


class ProgressTracker:
    """A ``ProgressSink`` keeping a ``RunTally`` of the current sync; ``snapshot()``
    gives its ``ProgressReport``. Counts start again at each ``SyncStarted``, so one
    tracker serves every sync it sees. ``clock`` (monotonic) is injectable for tests."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.tally = RunTally("", "", clock=clock)

    async def emit(self, event: ProgressEvent) -> None:
        self.observe(event)

    def observe(self, event: ProgressEvent) -> None:
        """Update the counts from one event (synchronous, for in-process callers)."""
        if isinstance(event, SyncStarted):
            self.tally = RunTally(event.ontology_id, event.source, clock=self.clock)
        self.tally.observe(event)

    def snapshot(self) -> ProgressReport:
        """The progress now (see ``RunTally.progress``)."""
        return self.tally.progress()


__all__ = [
    "LISTING",
    "Clock",
    "ProgressReport",
    "ProgressTracker",
    "RunTally",
    "ServiceStats",
    "listing_warnings",
]
