"""What one run of the service tallies as files land, and the report built from it."""

from __future__ import annotations

import time

import attrs

from ._events import FileFailed, FileSkippedEvent, FileSucceeded, ProgressEvent
from ._model import (
    FileCounts,
    FileSkip,
    Listing,
    Outcome,
    Participation,
    RowCounts,
    StageTimes,
    SyncReport,
)
from ._pipeline import FileResult, StageClock


@attrs.frozen
class ServiceStats:
    """A live snapshot of the worker pool: files waiting in the queue, being processed,
    done (succeeded or skipped) and failed in the current (or last) sync."""

    queued: int
    active: int
    done: int
    failed: int
    rate_limit_remaining: int | None = None


@attrs.define
class RunState:
    """Mutable tallies of one run (only the event loop touches them)."""

    listing: Listing | None = None
    unchanged: int = 0
    deleted: int = 0
    queued: int = 0
    active: int = 0
    results: list[FileResult] = attrs.field(factory=list)
    listing_s: float = 0.0
    rate_limited_s: float = 0.0
    shared: Participation | None = None  # shared sync: the run this participant is part of
    # Tallies of the files that landed; their rows are dropped once counted, so memory
    # stays O(workers), not O(rows).
    succeeded: int = 0
    classes: int = 0
    properties: int = 0
    axioms: int = 0
    warnings: list[tuple[str, str]] = attrs.field(factory=list)

    def outcome(self) -> Outcome:
        """How a run that ran to its end went: ``partial`` when a file failed or the
        listing was incomplete (files upstream may not have been synced), else
        ``succeeded``."""
        incomplete = self.listing is not None and not self.listing.complete
        failed = any(r.failure for r in self.results)
        return Outcome.PARTIAL if incomplete or failed else Outcome.SUCCEEDED

    def keep(self, result: FileResult) -> FileResult:
        """Count ``result`` and return it without its rows, for the run's record."""
        data = result.data
        if data is None:
            return result
        self.succeeded += 1
        self.classes += len(data.classes)
        self.properties += len(data.properties)
        self.axioms += len(data.axioms)
        self.warnings.extend((result.entry.path, w) for w in data.warnings)
        return attrs.evolve(result, data=None)


def build_report(
    state: RunState,
    ontology_id: str,
    source: str,
    clock: StageClock,
    started_at: float,
    start: float,
    outcome: Outcome,
    error: str | None = None,
) -> SyncReport:
    """The report of a run from its tallies (also called mid-run, for RUNNING/ABORTED)."""
    results = state.results
    listing = state.listing
    return SyncReport(
        ontology_id=ontology_id,
        source=source,
        commit=listing.commit if listing else None,
        outcome=outcome,
        files=FileCounts(
            listed=len(listing.entries) if listing else 0,
            unchanged=state.unchanged,
            processed=len(results),
            succeeded=state.succeeded,
            failed=sum(1 for r in results if r.failure is not None),
            skipped=sum(1 for r in results if r.skip_reason is not None),
            deleted=state.deleted,
        ),
        rows=RowCounts(state.classes, state.properties, state.axioms),
        started_at=started_at,
        duration_s=time.monotonic() - start,
        failures=tuple(sorted((r.failure for r in results if r.failure), key=lambda f: f.path)),
        skipped=tuple(
            sorted(
                (FileSkip(r.entry.path, r.skip_reason) for r in results if r.skip_reason),
                key=lambda s: s.path,
            )
        ),
        warnings=listing_warnings(listing) + tuple(sorted(state.warnings)),
        stages=StageTimes(
            state.listing_s,
            clock.fetching,
            clock.parsing,
            clock.writing,
            state.rate_limited_s,
        ),
        error=error,
    )


#: The ``path`` of a report warning about the listing rather than one file.
LISTING = "(listing)"


def listing_warnings(listing: Listing | None) -> tuple[tuple[str, str], ...]:
    """The report warnings of an incomplete listing: one per part it lacks."""
    if listing is None or listing.complete:
        return ()
    consequence = (
        "files there are not in this sync and no file was deleted; sync again later, or "
        "sync that folder on its own"
    )
    parts = listing.missing or ("the source could not list every file",)
    return tuple((LISTING, f"incomplete listing: {part}; {consequence}") for part in parts)


def result_event(result: FileResult) -> ProgressEvent:
    """The event that tells the sinks how a file ended."""
    if result.failure is not None:
        return FileFailed(result.failure)
    if result.skip_reason is not None:
        return FileSkippedEvent(result.entry.path, result.skip_reason)
    data = result.data
    assert data is not None
    stages = result.stages
    return FileSucceeded(
        result.entry.path,
        result.entry.size,
        len(data.classes),
        len(data.properties),
        len(data.axioms),
        result.seconds,
        data.warnings,
        fetch_s=stages.fetching,
        parse_s=stages.parsing,
        write_s=stages.writing,
    )


__all__ = [
    "LISTING",
    "RunState",
    "ServiceStats",
    "build_report",
    "listing_warnings",
    "result_event",
]
