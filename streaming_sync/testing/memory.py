"""In-memory doubles of the ports, for tests of apps built on streaming_sync (and ours).

They keep the same contracts as the real implementations: ``InMemoryRepository`` is the
reference semantics itself (it materialises rows with ``streaming_sync.materialize``),
``InMemoryFetcher`` serves a dict of files, ``RecordingSink`` keeps every event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from .._errors import PermanentFetchError
from .._model import FileEntry, FileFailure, Listing, OntologyData, SyncReport, git_blob_sha1
from .._snapshot import OntologySnapshot, materialize
from ..observe.events import ProgressEvent
from ._memory_feed import MemoryChangeFeed


class InMemoryFetcher:
    """Serves ``files`` (path -> bytes) as a source. ``commit`` is derived from the content
    unless given. ``faults`` maps a path to a list of exceptions raised by successive
    ``fetch`` calls before the file is served (to script transient faults)."""

    def __init__(
        self,
        files: Mapping[str, bytes],
        *,
        commit: str | None = None,
        faults: Mapping[str, Sequence[Exception]] | None = None,
        complete: bool = True,
    ) -> None:
        self.files = dict(files)
        self._commit = commit
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.complete = complete
        self.fetch_calls: list[str] = []
        self.list_calls = 0

    @property
    def source(self) -> str:
        return "memory:"

    async def list_files(self) -> Listing:
        self.list_calls += 1
        entries = tuple(
            FileEntry(path, len(data), git_blob_sha1(data))
            for path, data in sorted(self.files.items())
        )
        commit = self._commit or git_blob_sha1("\n".join(e.sha for e in entries).encode())
        return Listing(commit, entries, self.complete)

    async def fetch(self, entry: FileEntry) -> bytes:
        self.fetch_calls.append(entry.path)
        pending = self.faults.get(entry.path)
        if pending:
            raise pending.pop(0)
        try:
            return self.files[entry.path]
        except KeyError:
            raise PermanentFetchError(f"{entry.path}: no such file in memory") from None

    async def aclose(self) -> None:
        return None


class InMemoryRepository(MemoryChangeFeed):
    """A ``Repository`` (and ``CheckpointStore``, and ``ChangeFeed``) in a dict, with the
    reference semantics.

    ``fail_on_save`` may raise to simulate a storage fault for a path."""

    def __init__(self, fail_on_save: Callable[[str], Exception | None] | None = None) -> None:
        super().__init__()
        self.files: dict[str, dict[str, tuple[str, OntologyData]]] = {}
        self.failures: dict[str, list[FileFailure]] = {}
        self.runs: list[SyncReport] = []
        self.saves = 0
        self.fail_on_save = fail_on_save

    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
        if self.fail_on_save is not None:
            error = self.fail_on_save(entry.path)
            if error is not None:
                raise error
        self.saves += 1
        before = await self.snapshot(ontology_id)
        self.files.setdefault(ontology_id, {})[entry.path] = (entry.sha, data)
        await self.record_write(
            ontology_id, (entry.path,), before, await self.snapshot(ontology_id)
        )

    async def remove_file(self, ontology_id: str, path: str) -> None:
        before = await self.snapshot(ontology_id)
        self.files.get(ontology_id, {}).pop(path, None)
        await self.record_write(ontology_id, (path,), before, await self.snapshot(ontology_id))

    async def committed_files(self, ontology_id: str) -> Mapping[str, str]:
        return {p: sha for p, (sha, _) in self.files.get(ontology_id, {}).items()}

    async def snapshot(self, ontology_id: str) -> OntologySnapshot:
        return materialize(self.files.get(ontology_id, {}))

    async def record_failures(self, ontology_id: str, failures: Sequence[FileFailure]) -> None:
        self.failures[ontology_id] = list(failures)

    async def record_run(self, report: SyncReport) -> None:
        self.runs = [
            r
            for r in self.runs
            if r.started_at != report.started_at or r.ontology_id != report.ontology_id
        ]
        self.runs.append(report)

    async def load(self, ontology_id: str) -> tuple[list[FileFailure], SyncReport | None]:
        runs = [r for r in self.runs if r.ontology_id == ontology_id]
        return list(self.failures.get(ontology_id, [])), (runs[-1] if runs else None)

    async def aclose(self) -> None:
        return None


@attrs.define
class RecordingSink:
    """A ``ProgressSink`` that keeps every event, for assertions."""

    events: list[ProgressEvent] = attrs.field(factory=list)

    async def emit(self, event: ProgressEvent) -> None:
        self.events.append(event)

    def of_type(self, kind: type[object]) -> list[ProgressEvent]:
        return [e for e in self.events if isinstance(e, kind)]


__all__ = ["InMemoryFetcher", "InMemoryRepository", "RecordingSink"]
