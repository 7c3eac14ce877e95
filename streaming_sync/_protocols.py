"""The ports of streaming_sync: what the service needs from each collaborator, and the
optional capabilities some parts have beyond their port.

Each protocol is small; its docstring is the contract. ``StreamingSyncService`` composes
one of each port (any number of progress sinks), so a user can swap one part -- their
own storage backend, a source that is neither GitHub nor a folder, a parser for another
format -- without touching the others. ``streaming_sync.testing`` ships in-memory
implementations of each.

The optional capabilities (``BulkFetcher``, ``EventSource``, ``RateLimitStatus``,
``RunLockStore``, ``ValidatorCache``, ``RunHistory``, ``BatchWriter``,
``StreamWriter``) are checked once, when the service
is built (``isinstance``: they are ``runtime_checkable``), and kept as typed attributes;
a part without one simply goes without what it gives. ``ChangeFeed`` and
``ChangeNotifier`` are what the read side (``OntologyReader.changes``/``follow``) asks
of a repository. ``WorkCoordinator`` is the port of
a shared sync (see ``streaming_sync._run``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol, TypeAlias, runtime_checkable

from ._changes import Change
from ._model import (
    FileEntry,
    FileFailure,
    FileWrite,
    FinishedRun,
    Listing,
    OntologyData,
    ParseCost,
    Participation,
    SyncReport,
)
from ._snapshot import OntologySnapshot
from .observe.events import ProgressEvent

#: How a part reports an event to the service (see ``EventSource``).
Emit: TypeAlias = Callable[[ProgressEvent], Awaitable[None]]


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
    ``SkipFile`` otherwise. It must be safe to cancel and to call concurrently.
    """

    @property
    def source(self) -> str:
        """A display name for the source (no secrets), e.g. ``github:owner/repo@main``."""
        ...

    async def list_files(self) -> Listing: ...

    async def fetch(self, entry: FileEntry) -> bytes: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class AsyncResource(Protocol):
    """Anything that holds a resource and gives it back with ``aclose()`` (idempotent):
    what a service may be given to own (``owned=``)."""

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
    reason) for a malformed file and ``SkipFile`` for a file with nothing to sync.
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
class CostedParser(Protocol):
    """Optional: a parser that knows what a file costs it to parse -- CPU seconds for
    ``size`` bytes at ``path``, and whether that parse is linear and short enough to run
    in the service's own process, where it cannot be stopped (see
    ``streaming_sync._parse_placement``). Without it every file is parsed in the process
    pool (unless ``parse_processes=0``). A guess, quick to compute, from the name and
    size alone."""

    def parse_cost(self, path: str, size: int) -> ParseCost: ...


@runtime_checkable
class StreamingParser(Protocol):
    """Optional: a parser that can hand over one file's rows in parts, so that a big file
    never exists as one ``OntologyData`` (see ``StreamWriter``).

    ``parse_parts`` yields parts whose union, as sets, is what ``parse`` returns for the
    same bytes (a row may come in several parts); it raises what ``parse`` raises, at
    the point it finds the problem -- after some parts, maybe. Synchronous and picklable
    like ``parse``. ``DefaultParser`` streams OWL Functional Syntax (``.ofn``)."""

    def parse_parts(self, path: str, data: bytes) -> Iterator[OntologyData]: ...


@runtime_checkable
class BatchWriter(Protocol):
    """Optional: a repository that can write several files in ONE transaction (group
    commit).

    ``write_batch`` leaves each file of ``items`` -- in order, a path may come more than
    once -- exactly as ``save_file`` (``FileWrite.data`` given) or ``remove_file``
    (``data`` None) would, its rows and its committed SHA together; the public rows are
    recomputed once for the whole batch, so the rows equal ``streaming_sync.materialize``
    of the files afterwards, as for the same calls one by one. On any error nothing of
    the batch is committed (the caller may then write the files one by one to find the
    culprit). Errors and cancellation as for ``save_file``: a cancelled batch either
    committed whole or left nothing. An empty batch does nothing.
    """

    async def write_batch(self, ontology_id: str, items: Sequence[FileWrite]) -> None: ...


@runtime_checkable
class StreamWriter(Protocol):
    """Optional: a repository that can save one file whose rows arrive in parts, without
    holding them all (a big file parsed as a stream).

    ``save_file_parts`` writes ``entry.path``'s rows part by part inside ONE
    transaction and records ``entry.sha`` when ``parts`` ends: the result is exactly
    ``save_file(ontology_id, entry, data)`` where ``data`` is the parts joined field by
    field, in order (set-like rows -- edges, page keys, link targets -- may repeat
    across parts harmlessly; classes, properties, axioms and links count in part
    order). If ``parts`` raises, or the call is cancelled, nothing is committed and the
    error propagates. Memory is bounded by a part (and the backend's own buffers), not
    the file.
    """

    async def save_file_parts(
        self, ontology_id: str, entry: FileEntry, parts: AsyncIterator[OntologyData]
    ) -> None: ...


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


@runtime_checkable
class EventSource(Protocol):
    """Optional: a part that has events of its own to report (the GitHub fetcher's
    ``RateLimited`` pauses). The service calls ``bind_events`` once, when it is built,
    with the function that sends an event to its sinks; a part bound to a second service
    reports to that one from then on."""

    def bind_events(self, emit: Emit) -> None: ...


@runtime_checkable
class RateLimitStatus(Protocol):
    """Optional: a source with a request budget says how much of it is left (None while
    unknown); ``StreamingSyncService.stats()`` passes it on, for gauges."""

    @property
    def rate_limit_remaining(self) -> int | None: ...


@runtime_checkable
class RunLockStore(Protocol):
    """Optional: a checkpoint store that can hold the run lock of an ontology, so two
    syncs into the same database and ontology never run together (see ``_runlock``).

    ``acquire_run_lock`` takes the lock for ``holder`` (``host:pid:started``) or raises
    ``SyncInProgress`` naming the live holder; a lock whose heartbeat is older than
    ``stale_after`` seconds may be taken over. ``renew_run_lock`` refreshes the heartbeat
    (``SyncInProgress`` when the lock was taken over); ``release_run_lock`` gives it back
    and must complete even if the caller is cancelled."""

    async def acquire_run_lock(
        self, ontology_id: str, holder: str, *, stale_after: float
    ) -> None: ...

    async def renew_run_lock(self, ontology_id: str, holder: str) -> None: ...

    async def release_run_lock(self, ontology_id: str, holder: str) -> None: ...


@runtime_checkable
class ValidatorCache(Protocol):
    """Optional: keeps the HTTP validator (ETag) and body of a response under a key (an
    URL without secrets), for conditional requests that survive the process.
    ``cache_get`` returns ``(etag, body)`` or None; ``cache_put`` replaces the entry.
    Both must be safe to call concurrently. Both repositories have it; the GitHub
    fetcher takes one (``cache=``)."""

    async def cache_get(self, key: str) -> tuple[str, bytes] | None: ...

    async def cache_put(self, key: str, etag: str, body: bytes) -> None: ...


@runtime_checkable
class RunHistory(Protocol):
    """Optional: a checkpoint store that keeps the report of every run; ``history``
    returns the ``limit`` latest of ``ontology_id``, newest first."""

    async def history(self, ontology_id: str, limit: int = 20) -> list[SyncReport]: ...


@runtime_checkable
class WorkCoordinator(Protocol):
    """Hands out the files of one shared sync to cooperating participants (the port of
    ``SharedRun``, see ``streaming_sync._run``). One instance per participant: it knows
    its ``owner`` name and its lease length.

    * ``begin`` joins the open run of ``(ontology_id, commit)``, or creates it with one
      work row per entry of ``todo`` and keeps ``summary`` (the creator's ``SyncStarted``
      event as ``event_to_dict`` gives it) -- unless this participant is a joiner: then
      it waits a while for one to exist and returns None if none does. Idempotent:
      every participant of the same ontology and commit gets the same ``run_id``.
    * ``claim`` takes up to ``n`` unfinished rows nobody holds or whose lease expired
      (``SELECT ... FOR UPDATE SKIP LOCKED``: two participants never get the same row),
      holding them for ``lease_seconds``; ``renew`` extends every lease it holds;
      ``release`` gives back what it holds but did not complete (on the way out).
    * ``complete`` stores a file's outcome (its end event as ``event_to_dict`` gives
      it); it returns False (and stores nothing) when the lease was lost to another
      participant, so each file is completed once.
    * ``finished`` says whether every row is done; ``finalize`` returns None while rows
      remain, else the closed run -- closing it on the first call, exactly once
      (``closed_here`` tells that caller apart).

    Errors are the library's ``StorageError`` family (fatal ones stop the sync). The
    outcomes and the summary are JSON objects (``Mapping[str, Any]``: their shape is the
    events', which this port stores without reading).
    """

    @property
    def owner(self) -> str: ...

    @property
    def lease_seconds(self) -> float: ...

    async def begin(
        self,
        ontology_id: str,
        commit: str,
        todo: Sequence[FileEntry],
        summary: Mapping[str, Any],
    ) -> Participation | None: ...

    async def claim(self, run_id: int, n: int) -> list[FileEntry]: ...

    async def renew(self, run_id: int) -> None: ...

    async def release(self, run_id: int) -> None: ...

    async def complete(self, run_id: int, path: str, outcome: Mapping[str, Any]) -> bool: ...

    async def finished(self, run_id: int) -> bool: ...

    async def finalize(self, run_id: int) -> FinishedRun | None: ...


@runtime_checkable
class ChangeFeed(Protocol):
    """Optional: a repository that records, in the same transaction as the rows, every
    public row each write added, removed or changed (see ``streaming_sync._changes``):
    applying its records in order to the rows before them gives the rows after them.

    A write tags its records with the run of ``streaming_sync._changes.current_run_id()``
    and, after the commit, calls ``report_commit(paths, summary)`` (the sync's
    ``RowsChanged`` event). ``changes`` returns up to ``limit`` records after ``since``
    -- a position, a run id (that run's records and later ones) or None (all kept) -- in
    commit order; it raises ``ChangesPruned`` when records it would need are no longer
    kept, never a partial feed. ``last_position`` is the newest record's position (0 for
    none). ``prune`` deletes records older than the ``keep_runs`` newest runs that
    changed something and/or older than ``keep_for``, returning how many went."""

    async def changes(
        self, ontology_id: str, since: int | str | None = None, limit: int = 1000
    ) -> list[Change]: ...

    async def last_position(self, ontology_id: str) -> int: ...

    async def prune(
        self,
        ontology_id: str,
        *,
        keep_runs: int | None = None,
        keep_for: timedelta | None = None,
    ) -> int: ...


@runtime_checkable
class ChangeNotifier(Protocol):
    """Optional: a ``ChangeFeed`` that can wake a reader when a commit changed an
    ontology's rows (PostgreSQL's ``NOTIFY``), instead of polling. ``wait_for_changes``
    returns once such a commit happened since its last call (at once if one did
    meanwhile); the caller bounds the wait with ``asyncio.timeout`` and reads the feed
    anyway when it runs out (a notification can be missed while reconnecting). Safe to
    cancel."""

    async def wait_for_changes(self, ontology_id: str) -> None: ...


__all__ = [
    "AsyncResource",
    "BatchWriter",
    "BulkFetcher",
    "ChangeFeed",
    "ChangeNotifier",
    "CheckpointStore",
    "CostedParser",
    "Emit",
    "EventSource",
    "Fetcher",
    "Parser",
    "ProgressSink",
    "RateLimitStatus",
    "Repository",
    "RunHistory",
    "RunLockStore",
    "StreamWriter",
    "StreamingParser",
    "ValidatorCache",
    "WorkCoordinator",
]
