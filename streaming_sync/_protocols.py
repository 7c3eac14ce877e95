"""The ports of streaming_sync: what the service needs from each collaborator.

Each protocol is small; its docstring is the contract. ``StreamingSyncService`` composes
one of each (any number of progress sinks), so a user can swap one part -- their own
storage backend, a source that is neither GitHub nor a folder, a parser for another
format -- without touching the others. ``streaming_sync.testing`` ships in-memory
implementations of each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol, runtime_checkable

from ._events import ProgressEvent
from ._model import FileEntry, FileFailure, Listing, OntologyData, SyncReport
from ._snapshot import OntologySnapshot


@runtime_checkable
class Fetcher(Protocol):
    """A source of files at one revision.

    ``list_files`` resolves the source's current revision once and lists every file to
    sync at it (already filtered by the fetcher's include/exclude rules); it raises
    ``FetchError`` subclasses (fatal ones for bad credentials or a missing source).
    A listing that could not be completed must either raise or come back with
    ``complete=False`` -- never pass for complete.

    ``fetch`` returns one file's bytes at that same revision. It raises
    ``TransientFetchError`` for faults worth retrying, ``PermanentFetchError`` or
    ``FileSkipped`` otherwise. It must be safe to cancel and to call concurrently.
    """

    @property
    def source(self) -> str:
        """A display name for the source (no secrets), e.g. ``github:owner/repo@main``."""
        ...

    async def list_files(self) -> Listing: ...

    async def fetch(self, entry: FileEntry) -> bytes: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class BulkFetcher(Protocol):
    """Optional: a fetcher that can deliver many files in one stream (e.g. a tarball).

    ``fetch_many`` yields ``(entry, bytes)`` for the requested entries it could deliver,
    in any order; entries it did not yield are fetched one by one with ``fetch``. It must
    not hold the whole archive in memory and must be safe to cancel.
    """

    def wants_bulk(self, count: int) -> bool: ...

    def fetch_many(
        self, entries: Sequence[FileEntry]
    ) -> AsyncIterator[tuple[FileEntry, bytes]]: ...


@runtime_checkable
class Parser(Protocol):
    """Turns one file's bytes into the rows it contributes.

    ``parse`` is synchronous and CPU-bound: the service runs it in an executor (a process
    pool by default), so implementations must be picklable and keep no state between
    calls. It raises ``ParseError`` (naming the path, the line when known, and the
    reason) for a malformed file and ``FileSkipped`` for a file with nothing to sync.
    ``accepts`` says whether this parser handles a path at all (by its name).
    """

    def accepts(self, path: str) -> bool: ...

    def parse(self, path: str, data: bytes) -> OntologyData: ...


@runtime_checkable
class Repository(Protocol):
    """Stores what each file contributes, one atomic write per file.

    ``save_file`` replaces everything ``entry.path`` stored before with ``data`` and
    records ``entry.sha`` as that file's committed content, all in ONE transaction: after
    a crash either all of it is visible or none. Rows other files still assert are never
    removed. ``remove_file`` removes a file's contribution and its committed record
    (a no-op for an unknown path). ``committed_files`` maps each path with committed rows
    to the blob SHA it was committed at. ``snapshot`` reads back the public rows.
    After any sequence of these calls the snapshot equals
    ``streaming_sync.materialize`` of the files saved and not removed.

    Everything is scoped to ``ontology_id``: ids never touch each other's rows.
    Retryable faults raise ``DatabaseLockedError``; a corrupt database or a full disk
    raises ``FatalStorageError``. Methods must be safe to cancel: a cancelled
    ``save_file`` either committed or left nothing.
    """

    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None: ...

    async def remove_file(self, ontology_id: str, path: str) -> None: ...

    async def committed_files(self, ontology_id: str) -> Mapping[str, str]: ...

    async def snapshot(self, ontology_id: str) -> OntologySnapshot: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class CheckpointStore(Protocol):
    """Run-level state that outlives a process: which files failed, and each run's report.

    Which content of each file is committed lives with the rows themselves
    (``Repository.committed_files``), written in the same transaction, so the resume
    point can never disagree with the data. The checkpoint store keeps the rest:
    ``record_failures`` replaces the set of failing files of ``ontology_id`` (paths not
    in ``failures`` are no longer failing); ``record_run`` stores a report (called with
    ``Outcome.RUNNING`` at the start and the final report at the end; the last call for
    a ``started_at`` wins); ``load`` returns the failing files and the latest report.
    ``record_run`` at the end of a sync must survive the caller's cancellation.
    """

    async def record_failures(self, ontology_id: str, failures: Sequence[FileFailure]) -> None: ...

    async def record_run(self, report: SyncReport) -> None: ...

    async def load(self, ontology_id: str) -> tuple[list[FileFailure], SyncReport | None]: ...


@runtime_checkable
class ProgressSink(Protocol):
    """Receives the events of a sync, in order, from the service's event loop.

    ``emit`` must be quick (queue slow work); an exception it raises is logged and
    ignored -- a broken sink never breaks a sync.
    """

    async def emit(self, event: ProgressEvent) -> None: ...


__all__ = ["BulkFetcher", "CheckpointStore", "Fetcher", "Parser", "ProgressSink", "Repository"]
