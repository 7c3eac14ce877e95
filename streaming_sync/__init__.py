"""streaming_sync: sync a repository of ontology files into a database, one file at a time.

The public face: everything a user needs is importable from here; the modules behind it
are private (``streaming_sync._service`` and friends) and may change. Optional parts
live in their own modules: ``streaming_sync.prometheus`` (extra ``prometheus``),
``streaming_sync.parsers.oxigraph`` (extra ``fast``), ``streaming_sync.testing``.
"""

from __future__ import annotations

import logging

from ._config import DEFAULT_EXCLUDE, DEFAULT_INCLUDE, PathFilter, RetryPolicy, SyncConfig
from ._errors import (
    AuthenticationError,
    CheckpointError,
    ConfigError,
    DatabaseLockedError,
    FatalStorageError,
    FetchError,
    FileSkipped,
    IntegrityError,
    ParseError,
    PermanentFetchError,
    RateLimitError,
    SchemaError,
    ServiceClosedError,
    SourceNotFoundError,
    StorageError,
    StreamingSyncError,
    SyncAborted,
    SyncInProgress,
    TransientFetchError,
    ValidationError,
    WaitBudgetExceeded,
)
from ._events import (
    FileDeleted,
    FileFailed,
    FileRetrying,
    FileSkippedEvent,
    FileStarted,
    FileSucceeded,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
)
from ._health import HealthMonitor, HealthState, HealthStatus
from ._metrics import MetricsSnapshot, SyncMetrics
from ._model import (
    Axiom,
    AxiomType,
    FileCounts,
    FileEntry,
    FileFailure,
    FileSkip,
    HierarchyEdge,
    Listing,
    OntologyClass,
    OntologyData,
    OntologyProperty,
    OtherAxiom,
    Outcome,
    PageLink,
    PropertyType,
    RowCounts,
    StageTimes,
    SyncReport,
    git_blob_sha1,
    page_key,
)
from ._progress import ProgressReport, ProgressTracker
from ._progress_sinks import CallbackSink, JsonLinesSink, LogSink, TerminalProgressSink
from ._protocols import BulkFetcher, CheckpointStore, Fetcher, Parser, ProgressSink, Repository
from ._read_model import ClassInfo, OntologyCounts, ReadEngine, RelatedClass, SourceFile
from ._reader import OntologyReader
from ._runstate import ServiceStats
from ._service import StreamingSyncService
from ._snapshot import (
    AxiomRow,
    ClassRow,
    EdgeRow,
    OntologySnapshot,
    OtherAxiomRow,
    PropertyRow,
    materialize,
)
from .parsers import DefaultParser
from .sources.folder import FolderFetcher
from .sources.github import GitHubFetcher, parse_github_spec
from .storage.sqlite import SqliteRepository

# A library is quiet unless its user configures logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [  # noqa: RUF022 -- plain sorted() order, checked by tests/test_public_api.py
    "AuthenticationError",
    "Axiom",
    "AxiomRow",
    "AxiomType",
    "BulkFetcher",
    "CallbackSink",
    "CheckpointError",
    "CheckpointStore",
    "ClassInfo",
    "ClassRow",
    "ConfigError",
    "DEFAULT_EXCLUDE",
    "DEFAULT_INCLUDE",
    "DatabaseLockedError",
    "DefaultParser",
    "EdgeRow",
    "FatalStorageError",
    "FetchError",
    "Fetcher",
    "FileCounts",
    "FileDeleted",
    "FileEntry",
    "FileFailed",
    "FileFailure",
    "FileRetrying",
    "FileSkip",
    "FileSkipped",
    "FileSkippedEvent",
    "FileStarted",
    "FileSucceeded",
    "FolderFetcher",
    "GitHubFetcher",
    "HealthMonitor",
    "HealthState",
    "HealthStatus",
    "HierarchyEdge",
    "IntegrityError",
    "JsonLinesSink",
    "Listing",
    "LogSink",
    "MetricsSnapshot",
    "OntologyClass",
    "OntologyCounts",
    "OntologyData",
    "OntologyProperty",
    "OntologyReader",
    "OntologySnapshot",
    "OtherAxiom",
    "OtherAxiomRow",
    "Outcome",
    "PageLink",
    "ParseError",
    "Parser",
    "PathFilter",
    "PermanentFetchError",
    "ProgressEvent",
    "ProgressReport",
    "ProgressSink",
    "ProgressTracker",
    "PropertyRow",
    "PropertyType",
    "RateLimitError",
    "RateLimited",
    "ReadEngine",
    "RelatedClass",
    "Repository",
    "RetryPolicy",
    "RowCounts",
    "SchemaError",
    "ServiceClosedError",
    "ServiceStats",
    "SourceFile",
    "SourceNotFoundError",
    "SqliteRepository",
    "StageTimes",
    "StorageError",
    "StreamingSyncError",
    "StreamingSyncService",
    "SyncAborted",
    "SyncConfig",
    "SyncFinished",
    "SyncInProgress",
    "SyncMetrics",
    "SyncReport",
    "SyncStarted",
    "TerminalProgressSink",
    "TransientFetchError",
    "ValidationError",
    "WaitBudgetExceeded",
    "git_blob_sha1",
    "materialize",
    "page_key",
    "parse_github_spec",
]
