"""Checked by ``mypy --strict`` in CI (not run by pytest): hand-written classes assigned to
each protocol, so a drift in a protocol's signature fails the type check."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from streaming_sync import (
    BatchWriter,
    BulkFetcher,
    CheckpointStore,
    EdgeRow,
    EventSource,
    Fetcher,
    FileEntry,
    FileFailure,
    FileWrite,
    FinishedRun,
    Listing,
    OntologyData,
    OntologySnapshot,
    Parser,
    Participation,
    ProgressEvent,
    ProgressSink,
    RateLimitStatus,
    Repository,
    RunHistory,
    RunLockStore,
    StreamWriter,
    SyncReport,
    ValidatorCache,
    WorkCoordinator,
)


class MyFetcher:
    @property
    def source(self) -> str:
        return "mine:"

    async def list_files(self) -> Listing:
        return Listing("c0", ())

    async def fetch(self, entry: FileEntry) -> bytes:
        return b""

    async def aclose(self) -> None:
        return None


class MyParser:
    def accepts(self, path: str) -> bool:
        return path.endswith(".x")

    def parse(self, path: str, data: bytes) -> OntologyData:
        return OntologyData()


class MyRepository:
    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
        return None

    async def remove_file(self, ontology_id: str, path: str) -> None:
        return None

    async def committed_files(self, ontology_id: str) -> Mapping[str, str]:
        return {}

    async def snapshot(self, ontology_id: str) -> OntologySnapshot:
        return OntologySnapshot(frozenset(), frozenset[EdgeRow](), frozenset(), ())

    async def aclose(self) -> None:
        return None


class MyCheckpoint:
    async def record_failures(self, ontology_id: str, failures: Sequence[FileFailure]) -> None:
        return None

    async def record_run(self, report: SyncReport) -> None:
        return None

    async def load(self, ontology_id: str) -> tuple[list[FileFailure], SyncReport | None]:
        return [], None


class MySink:
    async def emit(self, event: ProgressEvent) -> None:
        return None


fetcher: Fetcher = MyFetcher()
parser: Parser = MyParser()
repository: Repository = MyRepository()
checkpoint: CheckpointStore = MyCheckpoint()
sink: ProgressSink = MySink()


class MyBulkFetcher:
    def wants_bulk(self, count: int) -> bool:
        return count > 10

    async def fetch_many(
        self, entries: Sequence[FileEntry]
    ) -> AsyncIterator[tuple[FileEntry, bytes]]:
        for entry in entries:
            yield entry, b""


class MyEventSource:
    def __init__(self) -> None:
        self.emit: Callable[[ProgressEvent], Awaitable[None]] | None = None

    def bind_events(self, emit: Callable[[ProgressEvent], Awaitable[None]]) -> None:
        self.emit = emit


class MyRateLimitStatus:
    @property
    def rate_limit_remaining(self) -> int | None:
        return 42


class MyRunLockStore:
    async def acquire_run_lock(self, ontology_id: str, holder: str, *, stale_after: float) -> None:
        return None

    async def renew_run_lock(self, ontology_id: str, holder: str) -> None:
        return None

    async def release_run_lock(self, ontology_id: str, holder: str) -> None:
        return None


class MyValidatorCache:
    async def cache_get(self, key: str) -> tuple[str, bytes] | None:
        return None

    async def cache_put(self, key: str, etag: str, body: bytes) -> None:
        return None


class MyRunHistory:
    async def history(self, ontology_id: str, limit: int = 20) -> list[SyncReport]:
        return []


class MyCoordinator:
    @property
    def owner(self) -> str:
        return "me"

    @property
    def lease_seconds(self) -> float:
        return 30.0

    async def begin(
        self,
        ontology_id: str,
        commit: str,
        todo: Sequence[FileEntry],
        summary: Mapping[str, Any],
    ) -> Participation | None:
        return Participation(1, True, 0.0)

    async def claim(self, run_id: int, n: int) -> list[FileEntry]:
        return []

    async def renew(self, run_id: int) -> None:
        return None

    async def release(self, run_id: int) -> None:
        return None

    async def complete(self, run_id: int, path: str, outcome: Mapping[str, Any]) -> bool:
        return True

    async def finished(self, run_id: int) -> bool:
        return True

    async def finalize(self, run_id: int) -> FinishedRun | None:
        return None


class MyBatchWriter:
    async def write_batch(self, ontology_id: str, items: Sequence[FileWrite]) -> None:
        return None


class MyStreamWriter:
    async def save_file_parts(
        self, ontology_id: str, entry: FileEntry, parts: AsyncIterator[OntologyData]
    ) -> None:
        async for _ in parts:
            pass


bulk: BulkFetcher = MyBulkFetcher()
event_source: EventSource = MyEventSource()
rate_status: RateLimitStatus = MyRateLimitStatus()
run_locks: RunLockStore = MyRunLockStore()
validator_cache: ValidatorCache = MyValidatorCache()
run_history: RunHistory = MyRunHistory()
coordinator: WorkCoordinator = MyCoordinator()
batch_writer: BatchWriter = MyBatchWriter()
stream_writer: StreamWriter = MyStreamWriter()
