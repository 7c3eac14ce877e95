"""Shared sync: several processes (on one machine or many) cooperate on one sync of one
commit through a ``WorkCoordinator`` -- a per-run work table with leases.

How a participant runs (``StreamingSyncService`` with ``coordinator=``):

1. It lists and diffs as usual, then ``begin``\\ s: the first participant for an
   ontology and commit *creates* the run (one work row per file to do) and does the
   deletions of files gone upstream; the others join that run (a *joiner* never
   creates one and waits briefly for it to exist).
2. Its feeder ``claim``\\ s small batches -- rows nobody holds, or whose lease expired --
   instead of walking its own to-do list; a heartbeat ``renew``\\ s its leases. When
   nothing is claimable it polls until every row is done (so the files of a participant
   that died are picked up when their leases expire).
3. Each file's outcome is stored with ``complete``, which succeeds only for the holder
   of the lease: a file is *completed* exactly once.
4. At the end every participant records its own report; the one whose ``finalize``
   succeeds (the run is done, and nobody finalised it yet) builds the run's combined
   report from the work table and records it, with the failing set.

This module holds the protocol and the service-side logic; it knows no database.
``streaming_sync.storage.postgres`` ships ``PostgresCoordinator``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import attrs

from ._errors import StreamingSyncError
from ._model import (
    FileCounts,
    FileEntry,
    FileFailure,
    FileSkip,
    FinishedRun,
    Outcome,
    Participation,
    RowCounts,
    StageTimes,
    SyncReport,
)
from ._pipeline import FileResult
from ._protocols import CheckpointStore, WorkCoordinator

logger = logging.getLogger(__name__)


def outcome_record(result: FileResult) -> dict[str, Any]:
    """One file's outcome as JSON-able data, for the work table."""
    data = result.data
    record: dict[str, Any] = {
        "path": result.entry.path,
        "status": "failed" if result.failure else "skipped" if result.skip_reason else "ok",
        "classes": len(data.classes) if data else 0,
        "properties": len(data.properties) if data else 0,
        "axioms": len(data.axioms) if data else 0,
        "warnings": list(data.warnings) if data else [],
        "stages": [result.stages.fetching, result.stages.parsing, result.stages.writing],
    }
    if result.skip_reason is not None:
        record["skip"] = result.skip_reason
    if result.failure is not None:
        record["failure"] = attrs.asdict(result.failure)
    return record


def combined_report(
    ontology_id: str, source: str, commit: str | None, run: FinishedRun
) -> SyncReport:
    """The report of a whole shared run, from its work table."""
    outcomes = run.outcomes
    summary = run.summary
    failures = [FileFailure(**o["failure"]) for o in outcomes if "failure" in o]
    ok = [o for o in outcomes if o["status"] == "ok"]
    stages = [sum(o["stages"][i] for o in outcomes) for i in range(3)]
    # The creator's listing was incomplete: never a success, and the report says why.
    incomplete = tuple((str(p), str(w)) for p, w in summary.get("listing_warnings", ()))
    return SyncReport(
        ontology_id=ontology_id,
        source=source,
        commit=commit,
        outcome=Outcome.PARTIAL if failures or incomplete else Outcome.SUCCEEDED,
        files=FileCounts(
            listed=int(summary.get("listed", 0)),
            unchanged=int(summary.get("unchanged", 0)),
            processed=len(outcomes),
            succeeded=len(ok),
            failed=len(failures),
            skipped=sum(1 for o in outcomes if o["status"] == "skipped"),
            deleted=int(summary.get("deleted", 0)),
        ),
        rows=RowCounts(
            classes=sum(o["classes"] for o in ok),
            properties=sum(o["properties"] for o in ok),
            axioms=sum(o["axioms"] for o in ok),
        ),
        started_at=run.started_at,
        duration_s=max(0.0, run.finished_at - run.started_at),
        failures=tuple(sorted(failures, key=lambda f: f.path)),
        skipped=tuple(
            FileSkip(o["path"], o["skip"])
            for o in sorted(outcomes, key=lambda o: str(o["path"]))
            if "skip" in o
        ),
        warnings=incomplete + tuple(sorted((o["path"], w) for o in ok for w in o["warnings"])),
        stages=StageTimes(float(summary.get("listing_s", 0.0)), *stages),
    )


async def claimed(
    coordinator: WorkCoordinator, run_id: int, batch: int
) -> AsyncIterator[tuple[FileEntry, bytes | None]]:
    """The files this participant claims, until every row of the run is done.

    Polling is unavoidable here (the others' progress lives in the database): when
    nothing is claimable, look again every quarter lease (at most every second)."""
    poll = min(1.0, coordinator.lease_seconds / 4)
    while True:
        entries = await coordinator.claim(run_id, batch)
        for entry in entries:
            yield entry, None
        if entries:
            continue
        if await coordinator.finished(run_id):
            return
        await asyncio.sleep(poll)


@contextlib.asynccontextmanager
async def leases_renewed(coordinator: WorkCoordinator, run_id: int) -> AsyncIterator[None]:
    """Renew this participant's leases every third of a lease while the block runs;
    give back what it still holds when the block ends (normally or not)."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(coordinator.lease_seconds / 3)
            try:
                await coordinator.renew(run_id)
            except StreamingSyncError:
                logger.warning("could not renew the leases of run %d", run_id, exc_info=True)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await asyncio.shield(coordinator.release(run_id))
        except StreamingSyncError:
            logger.warning("could not release the leases of run %d", run_id, exc_info=True)


async def finish_shared(
    checkpoint: CheckpointStore,
    coordinator: WorkCoordinator,
    run: Participation,
    report: SyncReport,
    previous: Sequence[FileFailure],
    listed: set[str] | None,
) -> SyncReport | None:
    """Record this participant's report, then -- once the run is done -- the run's
    combined report (returned), so that it is the latest report whichever participant
    writes last: every participant that sees the run closed records the same combined
    report again after its own. The one that closes the run also records the failing
    set. Never raises a storage error."""
    try:
        await checkpoint.record_run(report)
        finished = await coordinator.finalize(run.run_id)
        if finished is None:
            return None
        combined = combined_report(report.ontology_id, report.source, report.commit, finished)
        if finished.closed_here:
            done = {o["path"] for o in finished.outcomes}
            still = [
                f for f in previous if f.path not in done and (listed is None or f.path in listed)
            ]
            await checkpoint.record_failures(
                report.ontology_id, sorted([*still, *combined.failures], key=lambda f: f.path)
            )
        await checkpoint.record_run(combined)
        return combined
    except StreamingSyncError:
        logger.exception("could not write the final checkpoint of this shared sync")
        return None


__all__ = [
    "claimed",
    "combined_report",
    "finish_shared",
    "leases_renewed",
    "outcome_record",
]
