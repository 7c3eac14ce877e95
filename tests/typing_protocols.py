"""Checked by ``mypy --strict`` in CI (not run by pytest): hand-written classes assigned to
each protocol, so a drift in a protocol's signature fails the type check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from streaming_sync import (
    CheckpointStore,
    EdgeRow,
    Fetcher,
    FileEntry,
    FileFailure,
    Listing,
    OntologyData,
    OntologySnapshot,
    Parser,
    ProgressEvent,
    ProgressSink,
    Repository,
    SyncReport,
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
