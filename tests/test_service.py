"""The pipeline's behaviour with in-memory parts: what lands, what fails, what is retried."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from streaming_sync import (
    AuthenticationError,
    FatalStorageError,
    FileEntry,
    FileRetrying,
    FileStarted,
    FileWrite,
    OntologyData,
    Outcome,
    RetryPolicy,
    ServiceClosedError,
    StreamingSyncService,
    SyncAborted,
    SyncConfig,
    SyncFinished,
    SyncStarted,
    TransientFetchError,
)
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository, RecordingSink

from .lineformat import LineParser

FAST_RETRY = RetryPolicy(max_attempts=3, base=0.001, factor=2, cap=0.01)


def config(**overrides: object) -> SyncConfig:
    options: dict[str, object] = {"workers": 3, "parse_processes": 0, "retry": FAST_RETRY}
    options.update(overrides)
    return SyncConfig(**options)  # type: ignore[arg-type]


def service(
    files: dict[str, bytes],
    repo: InMemoryRepository | None = None,
    **kw: object,
) -> tuple[StreamingSyncService, InMemoryFetcher, InMemoryRepository, LineParser, RecordingSink]:
    fetcher = kw.pop("fetcher", None) or InMemoryFetcher(files)
    repo = repo or InMemoryRepository()
    parser = LineParser()
    sink = RecordingSink()
    svc = StreamingSyncService(
        fetcher=fetcher,  # type: ignore[arg-type]
        repository=repo,
        parser=parser,
        sinks=[sink],
        config=config(**kw),
    )
    return svc, fetcher, repo, parser, sink  # type: ignore[return-value]


GOOD = {
    "a.txt": b"class ex:A Alpha\nsub ex:A ex:Root",
    "b.txt": b"class ex:B Beta\nsub ex:B ex:A",
    "c.txt": b"class ex:C\nsub ex:C ex:Undeclared",
}


async def test_sync_lands_every_file_and_reports_counts() -> None:
    """A clean sync writes each file once and reports listed/processed/succeeded counts."""
    svc, _, repo, _, sink = service(GOOD)
    report = await svc.sync()
    assert report.outcome is Outcome.SUCCEEDED
    assert (report.files.listed, report.files.processed, report.files.succeeded) == (3, 3, 3)
    assert report.rows.classes == 3 and report.rows.axioms == 3
    snapshot = await repo.snapshot("default")
    assert {c.class_iri for c in snapshot.classes} == {
        "ex:A",
        "ex:B",
        "ex:C",
        "ex:Root",
        "ex:Undeclared",
    }
    assert isinstance(sink.events[0], SyncStarted)
    assert isinstance(sink.events[-1], SyncFinished)


async def test_bad_file_fails_alone_with_reason() -> None:
    """A malformed file is recorded with path, line and reason; the others land."""
    files = {**GOOD, "bad.txt": b"class ex:X\nfail unexpected token"}
    svc, _, repo, _, _ = service(files)
    report = await svc.sync()
    assert report.outcome is Outcome.PARTIAL
    assert report.files.succeeded == 3 and report.files.failed == 1
    (failure,) = report.failures
    assert failure.path == "bad.txt" and failure.error_type == "ParseError"
    assert "bad.txt:2" in failure.message and "unexpected token" in failure.message
    assert failure.retryable is False and failure.attempts == 1
    assert "bad.txt" not in await repo.committed_files("default")
    failing, last = await repo.load("default")
    assert [f.path for f in failing] == ["bad.txt"]
    assert last is not None and last.outcome is Outcome.PARTIAL


async def test_transient_fetch_faults_are_retried_in_place() -> None:
    """Two transient faults then success: the file lands after 3 attempts, with retry events."""
    faults = {"a.txt": [TransientFetchError("503"), TransientFetchError("reset")]}
    fetcher = InMemoryFetcher(GOOD, faults=faults)
    svc, _, _, _, sink = service(GOOD, fetcher=fetcher)
    report = await svc.sync()
    assert report.outcome is Outcome.SUCCEEDED
    assert fetcher.fetch_calls.count("a.txt") == 3
    retries = [e for e in sink.events if isinstance(e, FileRetrying)]
    assert [(e.path, e.attempt) for e in retries] == [("a.txt", 1), ("a.txt", 2)]


async def test_exhausted_retries_keep_previous_rows_and_report_attempts() -> None:
    """A file whose fetch keeps failing transiently keeps what it committed before."""
    repo = InMemoryRepository()
    svc, *_ = service(GOOD, repo=repo)
    await svc.sync()
    changed = {**GOOD, "a.txt": b"class ex:A Alpha2"}
    faults = {"a.txt": [TransientFetchError("503")] * 5}
    svc2, *_ = service(changed, repo=repo, fetcher=InMemoryFetcher(changed, faults=faults))
    report = await svc2.sync()
    (failure,) = report.failures
    assert failure.retryable and failure.attempts == 3
    labels = {c.class_iri: c.label for c in (await repo.snapshot("default")).classes}
    assert labels["ex:A"] == "Alpha"  # old rows kept, not lost
    report3 = await service(changed, repo=repo)[0].sync()
    assert report3.files.processed == 1 and report3.outcome is Outcome.SUCCEEDED


async def test_permanent_failure_removes_what_the_file_stored_before() -> None:
    """A file that becomes malformed declares nothing: its old rows go (clean-sync rows)."""
    repo = InMemoryRepository()
    await service(GOOD, repo=repo)[0].sync()
    broken = {**GOOD, "b.txt": b"fail broken now"}
    await service(broken, repo=repo)[0].sync()
    clean = InMemoryRepository()
    await service(broken, repo=clean)[0].sync()
    snapshot = await repo.snapshot("default")
    assert snapshot == await clean.snapshot("default")
    assert "ex:B" not in {c.class_iri for c in snapshot.classes}


async def test_resync_of_unchanged_source_parses_and_writes_nothing() -> None:
    """The second sync of the same content lists, diffs, and does no parsing or writing."""
    repo = InMemoryRepository()
    await service(GOOD, repo=repo)[0].sync()
    saves = repo.saves
    svc, fetcher, _, parser, _ = service(GOOD, repo=repo)
    report = await svc.sync()
    assert report.files.unchanged == 3 and report.files.processed == 0
    assert parser.calls == [] and fetcher.fetch_calls == [] and repo.saves == saves


async def test_deleted_files_lose_their_rows_only_after_a_complete_listing() -> None:
    """An incomplete listing deletes nothing; a complete one removes vanished files' rows."""
    repo = InMemoryRepository()
    await service(GOOD, repo=repo)[0].sync()
    fewer = {"a.txt": GOOD["a.txt"]}
    partial = InMemoryFetcher(fewer, complete=False)
    report = await service(fewer, repo=repo, fetcher=partial)[0].sync()
    assert report.files.deleted == 0 and set(await repo.committed_files("default")) == set(GOOD)
    report = await service(fewer, repo=repo)[0].sync()
    assert report.files.deleted == 2
    assert set(await repo.committed_files("default")) == {"a.txt"}


async def test_skipped_file_is_committed_and_contributes_nothing() -> None:
    """A file with nothing to sync is skipped with its reason, and not parsed again."""
    files = {**GOOD, "notes.txt": b"skip no ontology block", "image.png": b"\x89PNG"}
    repo = InMemoryRepository()
    svc, _, _, _parser, _ = service(files, repo=repo)
    report = await svc.sync()
    assert {(s.path, s.reason) for s in report.skipped} == {
        ("notes.txt", "no ontology block"),
        ("image.png", "no parser for this kind of file"),
    }
    assert report.files.failed == 0
    svc2, _, _, parser2, _ = service(files, repo=repo)
    assert (await svc2.sync()).files.processed == 0 and parser2.calls == []


async def test_fatal_error_stops_the_sync_and_keeps_committed_files() -> None:
    """A fatal storage error aborts with SyncAborted; earlier files stay committed."""

    def fail(path: str) -> Exception | None:
        return FatalStorageError("disk full") if path == "c.txt" else None

    repo = InMemoryRepository(fail_on_save=fail)
    svc, *_ = service(GOOD, repo=repo, workers=1)
    with pytest.raises(SyncAborted) as caught:
        await svc.sync()
    report = caught.value.report
    assert report is not None and report.outcome is Outcome.ABORTED  # type: ignore[attr-defined]
    assert set(await repo.committed_files("default")) == {"a.txt", "b.txt"}
    _, last = await repo.load("default")
    assert last is not None and last.outcome is Outcome.ABORTED and "disk full" in str(last.error)


async def test_fatal_fetch_error_at_listing_aborts_cleanly() -> None:
    """Bad credentials at listing: nothing is deleted or written, the sync is aborted."""

    class Refusing(InMemoryFetcher):
        async def list_files(self):  # type: ignore[no-untyped-def]
            raise AuthenticationError("token refused; check GITHUB_TOKEN")

    repo = InMemoryRepository()
    await service(GOOD, repo=repo)[0].sync()
    with pytest.raises(SyncAborted, match="check GITHUB_TOKEN"):
        await service(GOOD, repo=repo, fetcher=Refusing(GOOD))[0].sync()
    assert set(await repo.committed_files("default")) == set(GOOD)


async def test_cancelled_sync_writes_final_checkpoint_and_resumes() -> None:
    """Cancelling sync() mid-run records an aborted run; the next sync finishes the rest."""
    files = {f"f{i:03}.txt": f"class ex:C{i}".encode() for i in range(60)}
    gate, landed = asyncio.Event(), asyncio.Event()

    class Slow(InMemoryFetcher):
        async def fetch(self, entry: FileEntry) -> bytes:
            if len(self.fetch_calls) >= 10:
                # cancel once some files committed (group commit may hold the first ten
                # a moment, waiting for more to join their transaction)
                await landed.wait()
                gate.set()
                await asyncio.sleep(10)
            return await super().fetch(entry)

    class Landing(InMemoryRepository):
        async def write_batch(self, ontology_id: str, items: Sequence[FileWrite]) -> None:
            await super().write_batch(ontology_id, items)
            landed.set()

        async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
            await super().save_file(ontology_id, entry, data)
            landed.set()

    repo = Landing()
    svc, *_ = service(files, repo=repo, fetcher=Slow(files), workers=2)
    task = asyncio.create_task(svc.sync())
    await gate.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    _, last = await repo.load("default")
    assert last is not None and last.outcome is Outcome.ABORTED and last.error == "cancelled"
    done = len(await repo.committed_files("default"))
    assert 0 < done < 60
    report = await service(files, repo=repo)[0].sync()
    assert report.files.processed == 60 - done and report.outcome is Outcome.SUCCEEDED
    clean = InMemoryRepository()
    await service(files, repo=clean)[0].sync()
    assert await repo.snapshot("default") == await clean.snapshot("default")


async def test_queue_is_bounded_by_workers() -> None:
    """Backpressure: never more than queue_factor * workers files wait in the queue."""
    files = {f"f{i:03}.txt": f"class ex:C{i}".encode() for i in range(200)}
    svc, _, _, _, _sink = service(files, workers=2, queue_factor=2)
    seen: list[int] = []

    class Probe:
        async def emit(self, event: object) -> None:
            if isinstance(event, FileStarted):
                seen.append(svc.stats().queued)

    svc.sinks.append(Probe())
    await svc.sync()
    assert seen and max(seen) <= 4


async def test_closed_service_refuses_reuse() -> None:
    """aclose() is idempotent and a closed service raises a clear error on sync()."""
    svc, *_ = service(GOOD)
    await svc.aclose()
    await svc.aclose()
    with pytest.raises(ServiceClosedError, match="create a new one"):
        await svc.sync()


async def test_ontology_ids_never_touch_each_other() -> None:
    """Two sources synced under different ids keep separate rows and deletions."""
    repo = InMemoryRepository()
    await service(GOOD, repo=repo, ontology_id="one")[0].sync()
    await service({"x.txt": b"class ex:X"}, repo=repo, ontology_id="two")[0].sync()
    assert set(await repo.committed_files("one")) == set(GOOD)
    assert set(await repo.committed_files("two")) == {"x.txt"}


async def test_repr_shows_live_state() -> None:
    """The service's repr shows its state and counters, like a pool's would."""
    svc, *_ = service(GOOD)
    await svc.sync()
    text = repr(svc)
    assert "idle" in text and "done: 3" in text and "failed: 0" in text
