"""Events a sync sends to its progress sinks, in order: the one model of what happened.

``SyncStarted`` first (with totals, after the listing), then per-file events as files
land, ``RateLimited`` whenever the source makes every worker wait, and ``SyncFinished``
with the report last. Each file that starts ends with exactly one *end event*
(``FileSucceeded``, ``FileFailed`` or ``FileSkipped``) carrying the seconds it
spent per stage; ``FileFailed`` names the stage that failed. Progress, metrics, health
and the report are all computed from these events (``streaming_sync.observe.tally``).

Names: ``File`` + what happened to the file, ``Sync`` + what happened to the sync.
(``FileSkipped`` was ``FileSkippedEvent`` before 0.2, when the exception a parser raises
to skip a file held the name; that exception is ``SkipFile`` now.)

:func:`event_to_dict` and :func:`event_from_dict` are the JSON form of every event:
the JSON-lines sink writes it, and a shared sync stores its files' end events in the
work table in it. Timestamps (fields ending in ``_at``, epoch seconds in Python) are
ISO 8601 text in UTC there, with the epoch seconds beside them as ``<name>_epoch``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from .._change_counts import ChangeSummary
from .._model import FileFailure, Stage, StageTimes, SyncReport
from .._timestamps import epoch_of, iso_utc


@attrs.frozen
class SyncStarted:
    """The listing is done: ``listed`` files at ``commit``, ``to_process`` of them to do,
    ``unchanged`` already committed, ``to_delete`` gone upstream. ``listing_s``: seconds
    the listing took. ``complete`` is False when the source could not list everything;
    ``missing`` then says what it lacks (``Listing.missing``)."""

    ontology_id: str
    source: str
    commit: str | None
    listed: int
    to_process: int
    unchanged: int
    to_delete: int
    listing_s: float = 0.0
    complete: bool = True
    missing: tuple[str, ...] = ()


@attrs.frozen
class FileStarted:
    path: str
    size: int


@attrs.frozen
class FileSucceeded:
    """A file landed: the rows it wrote, its warnings, its seconds in all and per stage
    (a file a bulk fetch delivered has a fetch time of 0)."""

    path: str
    size: int
    classes: int
    properties: int
    axioms: int
    seconds: float
    warnings: tuple[str, ...] = ()
    stages: StageTimes = attrs.field(factory=StageTimes)


@attrs.frozen
class FileFailed:
    """A file failed in ``stage`` (fetch, parse -- validation included -- or write)."""

    failure: FileFailure
    stage: Stage
    stages: StageTimes = attrs.field(factory=StageTimes)


@attrs.frozen
class FileSkipped:
    """A file held nothing to sync (``reason``): it is recorded as skipped, not failed."""

    path: str
    reason: str
    stages: StageTimes = attrs.field(factory=StageTimes)


@attrs.frozen
class FileDeleted:
    path: str


@attrs.frozen
class FileRetrying:
    """``path`` (or ``(listing)``) is retried: attempt ``attempt`` failed with ``error``,
    the next one comes in ``wait_s`` seconds."""

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


@attrs.frozen
class RowsChanged:
    """A commit of ``paths`` (one file, or a batch written in one transaction) changed
    the public rows ``changes`` counts; its records are in the change feed under
    ``changes.run_id``. Sent by a ``ChangeFeed`` repository after the commit, only when
    something changed (the sum over a run is ``SyncReport.changes``)."""

    paths: tuple[str, ...]
    changes: ChangeSummary


ProgressEvent: TypeAlias = (
    SyncStarted
    | FileStarted
    | FileSucceeded
    | FileFailed
    | FileSkipped
    | FileDeleted
    | FileRetrying
    | RateLimited
    | SyncFinished
    | RowsChanged
)

#: How one file ended: exactly one of these follows each ``FileStarted``.
FileEnded: TypeAlias = FileSucceeded | FileFailed | FileSkipped

_KINDS: dict[str, type[ProgressEvent]] = {
    kind.__name__: kind
    for kind in (
        SyncStarted,
        FileStarted,
        FileSucceeded,
        FileFailed,
        FileSkipped,
        FileDeleted,
        FileRetrying,
        RateLimited,
        SyncFinished,
        RowsChanged,
    )
}
#: Event names of earlier versions, still read from stored shared-run outcomes.
_FORMER_NAMES: dict[str, type[ProgressEvent]] = {"FileSkippedEvent": FileSkipped}
_EPOCH = "_epoch"


def _plain(value: object) -> object:
    """A field value as JSON-ready data."""
    if isinstance(value, SyncReport | ChangeSummary):
        return value.to_dict()
    if attrs.has(type(value)):
        return attrs.asdict(value)  # type: ignore[arg-type]
    if isinstance(value, tuple):
        return list(value)
    return value


def event_to_dict(event: ProgressEvent) -> dict[str, Any]:
    """The JSON form of ``event``: ``{"event": TYPE, ...its fields}``, nested values as
    dicts (``SyncFinished``'s report as ``SyncReport.to_dict()`` gives it). ``Any``:
    the values are whatever JSON holds."""
    fields: dict[str, Any] = {"event": type(event).__name__}
    for field in attrs.fields(type(event)):
        value = getattr(event, field.name)
        if field.name.endswith("_at") and isinstance(value, int | float):
            fields[field.name], fields[field.name + _EPOCH] = iso_utc(value), value
        else:
            fields[field.name] = _plain(value)
    return fields


def _field_value(name: str, raw: Any) -> object:
    """A field value back from its JSON form (by the field's name: each name has one
    type across the events)."""
    if name == "stages":
        return StageTimes(**raw)
    if name == "failure":
        return FileFailure(**raw)
    if name == "stage":
        return Stage(raw)
    if name == "report":
        return SyncReport.from_dict(raw)
    if name == "changes":
        return ChangeSummary.from_dict(raw)
    if name.endswith("_at"):
        return epoch_of(raw)
    if isinstance(raw, list):
        return tuple(raw)
    return raw


def event_from_dict(raw: Mapping[str, Any]) -> ProgressEvent:
    """The event :func:`event_to_dict` gave ``raw`` for (other keys, such as a JSON-lines
    ``time``, are ignored); ``ValueError`` for an unknown event type."""
    name = str(raw.get("event"))
    kind = _KINDS.get(name) or _FORMER_NAMES.get(name)
    if kind is None:
        raise ValueError(f"not an event of streaming_sync: {raw.get('event')!r}")
    values: dict[str, Any] = {}
    for field in attrs.fields(kind):
        exact = raw.get(field.name + _EPOCH)  # a timestamp's epoch form, when it has one
        if exact is not None:
            values[field.name] = float(exact)
        elif field.name in raw:
            values[field.name] = _field_value(field.name, raw[field.name])
    return kind(**values)


__all__ = [
    "FileDeleted",
    "FileEnded",
    "FileFailed",
    "FileRetrying",
    "FileSkipped",
    "FileStarted",
    "FileSucceeded",
    "ProgressEvent",
    "RateLimited",
    "RowsChanged",
    "SyncFinished",
    "SyncStarted",
    "event_from_dict",
    "event_to_dict",
]
