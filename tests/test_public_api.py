"""The public face: exactly these names, sorted, importable; and the protocols hold for
hand-written implementations (mypy checks tests/typing_protocols.py in CI)."""

from __future__ import annotations

import importlib

import streaming_sync
from streaming_sync import (
    CheckpointStore,
    Fetcher,
    Parser,
    ProgressSink,
    Repository,
)

PUBLIC = {
    # the service and its configuration
    "StreamingSyncService",
    "ServiceStats",
    "SyncConfig",
    "RetryPolicy",
    "PathFilter",
    "DEFAULT_INCLUDE",
    "DEFAULT_EXCLUDE",
    # ports and default parts
    "Fetcher",
    "BulkFetcher",
    "Parser",
    "Repository",
    "CheckpointStore",
    "ProgressSink",
    "EventSource",
    "RateLimitStatus",
    "RunLockStore",
    "ValidatorCache",
    "RunHistory",
    "BatchWriter",
    "StreamWriter",
    "CostedParser",
    "StreamingParser",
    "WorkCoordinator",
    "Participation",
    "FinishedRun",
    "FolderFetcher",
    "GitHubFetcher",
    "DefaultParser",
    "SqliteRepository",
    # values
    "FileEntry",
    "Listing",
    "OntologyData",
    "OntologyClass",
    "HierarchyEdge",
    "OntologyProperty",
    "PropertyType",
    "Axiom",
    "AxiomType",
    "OtherAxiom",
    "PageLink",
    "SyncReport",
    "FileCounts",
    "RowCounts",
    "StageTimes",
    "Stage",
    "FileFailure",
    "FileSkip",
    "FileWrite",
    "ParseCost",
    "Outcome",
    "git_blob_sha1",
    "page_key",
    # reference semantics and rows
    "materialize",
    "OntologySnapshot",
    "ClassRow",
    "EdgeRow",
    "PropertyRow",
    "AxiomRow",
    "OtherAxiomRow",
    # reading
    "OntologyReader",
    "BlockingOntologyReader",
    "PrefixMap",
    "Hierarchy",
    "ReadEngine",
    "ClassInfo",
    "RelatedClass",
    "SourceFile",
    "OntologyCounts",
    # progress, metrics, health
    "ProgressEvent",
    "SyncStarted",
    "FileStarted",
    "FileSucceeded",
    "FileFailed",
    "FileSkipped",
    "FileDeleted",
    "FileRetrying",
    "RateLimited",
    "SyncFinished",
    "ProgressReport",
    "ProgressTracker",
    "LogSink",
    "TerminalProgressSink",
    "JsonLinesSink",
    "CallbackSink",
    "SyncMetrics",
    "MetricsSnapshot",
    "HealthMonitor",
    "HealthState",
    "HealthStatus",
    # errors
    "StreamingSyncError",
    "ConfigError",
    "ServiceClosedError",
    "SkipFile",
    "FetchError",
    "TransientFetchError",
    "IntegrityError",
    "PermanentFetchError",
    "AuthenticationError",
    "SourceNotFoundError",
    "WaitBudgetExceeded",
    "ParseError",
    "ParseProcessDied",
    "ParseTimeout",
    "ParsePoolBroken",
    "ValidationError",
    "StorageError",
    "DatabaseLockedError",
    "WriteTimeout",
    "SchemaError",
    "FatalStorageError",
    "SyncAborted",
    "SyncInProgress",
    # the change feed and watching upstream
    "ChangeFeed",
    "ChangeNotifier",
    "ChangeSummary",
    "ChangeCounts",
    "Change",
    "ChangeOp",
    "ClassChange",
    "PropertyChange",
    "EdgeChange",
    "AxiomChange",
    "OtherAxiomChange",
    "RowsChanged",
    "ChangesPruned",
    "apply_changes",
    "diff_snapshots",
    "current_run_id",
    "report_commit",
    "feeding",
    "WatchInProgress",
    "Watcher",
    "WatchStatus",
    "PushTrigger",
    "Retention",
}


def test_all_is_exactly_the_public_names_sorted() -> None:
    """__all__ lists each public name once, sorted, and nothing else."""
    names = streaming_sync.__all__
    assert names == sorted(names)
    assert set(names) == PUBLIC
    assert len(names) == len(set(names))


def test_every_public_name_is_importable() -> None:
    """Each name in __all__ resolves on the package."""
    module = importlib.import_module("streaming_sync")
    assert all(getattr(module, name, None) is not None for name in streaming_sync.__all__)


def test_in_memory_doubles_satisfy_the_protocols() -> None:
    """The shipped doubles pass runtime protocol checks (method names present)."""
    from streaming_sync.testing import InMemoryFetcher, InMemoryRepository, RecordingSink

    repo = InMemoryRepository()
    assert isinstance(InMemoryFetcher({}), Fetcher)
    assert isinstance(repo, Repository)
    assert isinstance(repo, CheckpointStore)
    assert isinstance(RecordingSink(), ProgressSink)
    assert isinstance(streaming_sync.DefaultParser(), Parser)


def test_py_typed_is_shipped() -> None:
    """The package is marked as typed for its users' type checkers."""
    from importlib.resources import files

    assert files("streaming_sync").joinpath("py.typed").is_file()
