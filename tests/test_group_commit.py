"""Group commit (issue 15): with a repository that is a ``BatchWriter``, the sync's one
writer task commits several files per transaction, each with its SHA; a file's end
event comes only once its batch committed; a batch that fails is retried file by file,
so one bad file fails alone; a batch that overruns ``file_timeout`` is cancelled and its
files written one by one; a fatal error stops the sync. Batches stay within their
bounds (``_writer.Writer``, a private unit where it is built directly)."""

from __future__ import annotations

import asyncio

import pytest

from streaming_sync import (
    FileEntry,
    Outcome,
    RetryPolicy,
    StreamingSyncService,
    SyncAborted,
    SyncConfig,
    SyncReport,
)
from streaming_sync._budget import ByteBudget
from streaming_sync._errors import DatabaseLockedError, FatalStorageError, StorageError
from streaming_sync._model import FileWrite, OntologyClass, OntologyData
from streaming_sync._writer import BatchBounds, Writer
from streaming_sync.observe.events import FileSucceeded, ProgressEvent
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository

from .lineformat import LineParser
from .pipeline_doubles import CapableRepository

FILES = {f"f{i:02d}.txt": f"class ex:C{i}\nsub ex:C{i} ex:Root".encode() for i in range(24)}


async def sync(
    repo: InMemoryRepository,
    files: dict[str, bytes] = FILES,
    sinks: tuple[object, ...] = (),
    **options: object,
) -> SyncReport:
    config = {"workers": 4, "parse_processes": 0, "retry": RetryPolicy(max_attempts=2,
              base=0.001, cap=0.01), **options}  # fmt: skip
    service = StreamingSyncService(
        fetcher=InMemoryFetcher(files),
        repository=repo,
        parser=LineParser(),
        config=SyncConfig(**config),  # type: ignore[arg-type]
        sinks=sinks,  # type: ignore[arg-type]
    )
    async with service:
        return await asyncio.wait_for(service.sync(), 60)


async def clean(files: dict[str, bytes]) -> object:
    repo = InMemoryRepository()
    await sync(repo, files)
    return await repo.snapshot("default")


class CommittedFirst:
    """A sink that checks, at each ``FileSucceeded``, that the file is committed."""

    def __init__(self, repo: InMemoryRepository) -> None:
        self.repo = repo
        self.checked: list[str] = []
        self.uncommitted: list[str] = []

    async def emit(self, event: ProgressEvent) -> None:
        if isinstance(event, FileSucceeded):
            committed = await self.repo.committed_files("default")
            (self.checked if event.path in committed else self.uncommitted).append(event.path)


async def test_files_land_in_batches_each_with_its_sha_and_end_after_their_commit() -> None:
    """24 files through 4 workers: several files per transaction (fewer transactions than
    files), every file committed with its own SHA, the rows those of a file-by-file sync,
    and every FileSucceeded sent only once its file was committed."""
    repo = CapableRepository()
    sink = CommittedFirst(repo)
    report = await sync(repo, sinks=(sink,))
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == len(FILES)
    assert sorted(p for batch in repo.batches for p in batch) == sorted(FILES)
    assert len(repo.batches) < len(FILES) and max(map(len, repo.batches)) > 1
    fetcher = InMemoryFetcher(FILES)
    listed = {e.path: e.sha for e in (await fetcher.list_files()).entries}
    assert await repo.committed_files("default") == listed
    assert await repo.snapshot("default") == await clean(FILES)
    assert sorted(sink.checked) == sorted(FILES) and sink.uncommitted == []


async def test_a_failing_batch_is_retried_file_by_file_so_one_bad_file_fails_alone() -> None:
    """A file the store refuses (a non-retryable storage error) makes its batch fail
    whole; its files are then written one by one: the bad one fails alone, in the write
    stage, and every other file of that batch lands."""

    def refuse(path: str) -> Exception | None:
        return StorageError("the store refuses f07.txt") if path == "f07.txt" else None

    repo = CapableRepository(fail_on_save=refuse)
    report = await sync(repo)
    assert [f.path for f in report.failures] == ["f07.txt"]
    assert report.failures[0].error_type == "StorageError"
    assert set(await repo.committed_files("default")) == set(FILES) - {"f07.txt"}
    assert any(len(batch) > 1 and "f07.txt" in batch for batch in repo.tried)


async def test_a_batch_locked_out_is_retried_per_file_with_the_policy() -> None:
    """Every batch fails with a retryable lock error: each file is written alone (with
    the retry policy) and the sync succeeds; no batch committed."""
    repo = CapableRepository(fail_batch=lambda paths: DatabaseLockedError("locked"))
    report = await sync(repo)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == len(FILES)
    assert repo.batches == []
    assert set(await repo.committed_files("default")) == set(FILES)


async def test_a_fatal_error_in_a_batch_stops_the_sync_keeping_what_landed() -> None:
    """A fatal storage error (disk full) writing f15.txt stops the sync with SyncAborted;
    the batches committed before stay, the failed batch is written again file by file so
    the files before f15.txt land (as they would without group commit), and f15.txt and
    the files after it in that batch do not."""

    def full_disk(path: str) -> Exception | None:
        return FatalStorageError("disk full") if path == "f15.txt" else None

    repo = CapableRepository(fail_on_save=full_disk)
    with pytest.raises(SyncAborted, match="disk full"):
        await sync(repo)
    committed = set(await repo.committed_files("default"))
    (failed,) = [batch for batch in repo.tried if "f15.txt" in batch] or [["f15.txt"]]
    before = set(failed[: failed.index("f15.txt")])
    assert committed == {p for batch in repo.batches for p in batch} | before
    assert committed.isdisjoint(failed[failed.index("f15.txt") :])


class _Stuck(CapableRepository):
    """Its first batch never ends (a stuck backend); everything else is quick."""

    def __init__(self) -> None:
        super().__init__()
        self.stuck = 0

    async def write_batch(self, ontology_id: str, items: object) -> None:
        if self.stuck == 0:
            self.stuck += 1
            await asyncio.Event().wait()
        await super().write_batch(ontology_id, items)  # type: ignore[arg-type]


async def test_a_batch_that_overruns_file_timeout_is_cancelled_and_written_file_by_file() -> None:
    """The first batch hangs: after file_timeout it is cancelled (nothing of it
    committed) and its files are written one by one; every file lands."""
    repo = _Stuck()
    report = await sync(repo, file_timeout=0.5)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == len(FILES)
    assert repo.stuck == 1
    assert set(await repo.committed_files("default")) == set(FILES)


def _write(i: int, size: int = 10) -> tuple[FileWrite, int]:
    entry = FileEntry(f"w{i:03d}.txt", size, f"sha{i}")
    return FileWrite(entry, OntologyData(classes=(OntologyClass(f"ex:W{i}"),))), size


async def test_batches_stay_within_their_bounds() -> None:
    """(The writer, a private unit.) Writes queued while the store is held: each batch
    has at most ``files`` files and stops once it has ``bytes`` bytes; all land (a lone
    file with ``save_file``)."""
    repo = CapableRepository()
    repo.hold = asyncio.Event()
    writer = Writer(
        repo,
        SyncConfig(retry=RetryPolicy(max_attempts=1)),
        _ignore,
        ByteBudget(10**9),
        concurrency=1,
        bounds=BatchBounds(files=5, bytes=100, wait=0.05),
    )
    task = asyncio.create_task(writer.run())
    futures = [await writer.submit(*_write(i)) for i in range(7)]
    futures += [await writer.submit(*_write(i, 60)) for i in range(7, 12)]
    repo.hold.set()
    written = await asyncio.gather(*futures)
    await writer.close()
    await task
    assert all(w.error is None for w in written)
    names = [f"w{i:03d}.txt" for i in range(12)]
    assert sorted(await repo.committed_files("default")) == names
    assert repo.batches and max(map(len, repo.batches)) <= 5
    sizes = {f"w{i:03d}.txt": 10 if i < 7 else 60 for i in range(12)}
    for batch in repo.batches:
        assert sum(sizes[p] for p in batch[:-1]) < 100  # it stopped once it had 100


async def _ignore(event: ProgressEvent) -> None:
    return None
