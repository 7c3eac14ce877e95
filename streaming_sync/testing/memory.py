"""In-memory doubles of the ports, for tests of apps built on streaming_sync (and ours).

They keep the same contracts as the real implementations: ``InMemoryRepository`` is the
reference semantics itself (it materialises rows with ``streaming_sync.materialize``),
``InMemoryFetcher`` serves a dict of files, ``RecordingSink`` keeps every event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .._errors import PermanentFetchError
from .._model import (
    FileEntry,
    FileFailure,
    FileWrite,
    Listing,
    OntologyData,
    SyncReport,
    git_blob_sha1,
)
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
    """A ``Repository`` (and ``CheckpointStore``, ``BatchWriter``, ``StreamWriter``,
    ``ChangeFeed``) in a dict, with the reference semantics.

    ``fail_on_save`` may raise to simulate a storage fault for a path: ``save_file``
    raises it, and so does a ``write_batch`` holding the path (committing nothing of the
    batch) or a ``save_file_parts`` of it (when its parts have ended)."""

    def __init__(self, fail_on_save: Callable[[str], Exception | None] | None = None) -> None:
        super().__init__()
        self.files: dict[str, dict[str, tuple[str, OntologyData]]] = {}
        self.failures: dict[str, list[FileFailure]] = {}
        self.runs: list[SyncReport] = []
        self.saves = 0
        #: How many transactions wrote files (a batch counts once).
        self.transactions = 0
        self.fail_on_save = fail_on_save

    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
        await self.write_batch(ontology_id, [FileWrite(entry, data)])

    async def remove_file(self, ontology_id: str, path: str) -> None:
        await self.write_batch(ontology_id, [FileWrite(FileEntry(path, 0, ""), None)])

    async def write_batch(self, ontology_id: str, items: Sequence[FileWrite]) -> None:
        for item in items:
            if item.data is not None:
                self._check(item.entry.path)
        # Copies, every field read as a database would, before anything changes: data
        # that fails to be read fails the whole batch here, not a later snapshot.
        writes = [
            (item.entry, None if item.data is None else joined([item.data])) for item in items
        ]
        if not writes:
            return
        # The rows straight from the dict, not through snapshot(): a subclass may
        # override that to watch the reads made by others.
        before = materialize(self.files.get(ontology_id, {}))
        files = self.files.setdefault(ontology_id, {})
        for entry, content in writes:
            if content is None:
                files.pop(entry.path, None)
            else:
                files[entry.path] = (entry.sha, content)
                self.saves += 1
        self.transactions += 1
        # One transaction, one commit of the feed: what the batch did as a whole.
        paths = [entry.path for entry, _ in writes]
        await self.record_write(ontology_id, paths, before, materialize(files))

    async def save_file_parts(
        self, ontology_id: str, entry: FileEntry, parts: AsyncIterator[OntologyData]
    ) -> None:
        # A dict holds the whole file anyway: the parts are joined, then saved.
        await self.save_file(ontology_id, entry, joined([part async for part in parts]))

    def _check(self, path: str) -> None:
        if self.fail_on_save is not None:
            error = self.fail_on_save(path)
            if error is not None:
                raise error

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


def joined(parts: Iterable[OntologyData]) -> OntologyData:
    """The ``OntologyData`` of a file whose rows came in ``parts``: each field the parts'
    values in order (what ``StreamWriter.save_file_parts`` stores)."""
    parts = list(parts)

    def cat(field: str) -> tuple[Any, ...]:
        return tuple(value for part in parts for value in getattr(part, field))

    return OntologyData(
        classes=cat("classes"),
        edges=cat("edges"),
        properties=cat("properties"),
        axioms=cat("axioms"),
        other_axioms=cat("other_axioms"),
        links=cat("links"),
        page_keys=cat("page_keys"),
        warnings=cat("warnings"),
        link_targets=cat("link_targets"),
    )


@attrs.define
class RecordingSink:
    """A ``ProgressSink`` that keeps every event, for assertions."""

    events: list[ProgressEvent] = attrs.field(factory=list)

    async def emit(self, event: ProgressEvent) -> None:
        self.events.append(event)

    def of_type(self, kind: type[object]) -> list[ProgressEvent]:
        return [e for e in self.events if isinstance(e, kind)]


__all__ = ["InMemoryFetcher", "InMemoryRepository", "RecordingSink", "joined"]
