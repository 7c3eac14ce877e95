"""Events a sync sends to its progress sinks, in order.

``SyncStarted`` first (with totals), then per-file events as files land, ``RateLimited``
whenever the source makes every worker wait, and ``SyncFinished`` with the report last.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

from ._model import FileFailure, SyncReport


@attrs.frozen
class SyncStarted:
    ontology_id: str
    source: str
    commit: str | None
    listed: int
    to_process: int
    unchanged: int
    to_delete: int


@attrs.frozen
class FileStarted:
    path: str
    size: int


@attrs.frozen
class FileSucceeded:
    path: str
    size: int
    classes: int
    properties: int
    axioms: int
    seconds: float
    warnings: tuple[str, ...] = ()
    fetch_s: float = 0.0
    parse_s: float = 0.0
    write_s: float = 0.0


@attrs.frozen
class FileFailed:
    failure: FileFailure


@attrs.frozen
class FileSkippedEvent:
    path: str
    reason: str


@attrs.frozen
class FileDeleted:
    path: str


@attrs.frozen
class FileRetrying:
    path: str
    attempt: int
    wait_s: float
    error: str


@attrs.frozen
class RateLimited:
    """Every request to the source waits until ``resume_at`` (epoch seconds)."""

    resume_at: float
    reason: str


@attrs.frozen
class SyncFinished:
    report: SyncReport


ProgressEvent: TypeAlias = (
    SyncStarted
    | FileStarted
    | FileSucceeded
    | FileFailed
    | FileSkippedEvent
    | FileDeleted
    | FileRetrying
    | RateLimited
    | SyncFinished
)

__all__ = [
    "FileDeleted",
    "FileFailed",
    "FileRetrying",
    "FileSkippedEvent",
    "FileStarted",
    "FileSucceeded",
    "ProgressEvent",
    "RateLimited",
    "SyncFinished",
    "SyncStarted",
]
