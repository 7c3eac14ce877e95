"""Event names in one style and timestamps in ISO 8601 (issue 16): every event is named
for what happened (``File`` + participle, ``Sync`` + participle, ``RateLimited``), the
file-skipped event included (``FileSkipped``; the exception a parser raises is
``SkipFile``); the JSON forms of events and reports carry ISO 8601 times in UTC with the
epoch seconds beside them, and still read what older versions stored."""

from __future__ import annotations

import pickle
import re
import typing
from datetime import datetime

import pytest

from streaming_sync import (
    FileCounts,
    FileSkipped,
    Outcome,
    ProgressEvent,
    RateLimited,
    RowCounts,
    SkipFile,
    StreamingSyncError,
    SyncReport,
)
from streaming_sync.observe.events import event_from_dict, event_to_dict

#: File/Sync events, and the two that are about neither one file nor the run:
#: ``RateLimited`` and ``RowsChanged`` (a commit of the change feed, one file or a batch).
STYLE = r"^(File|Sync)[A-Z][a-z]+(ed|ing)$|^RateLimited$|^RowsChanged$"


def test_every_event_is_named_in_one_style() -> None:
    """No ``...Event`` suffix on one of them: each name says what happened."""
    names = [kind.__name__ for kind in typing.get_args(ProgressEvent)]
    assert "FileSkipped" in names
    assert all(re.match(STYLE, name) for name in names), names


def test_the_skip_signal_is_an_exception_and_the_event_is_not() -> None:
    """``SkipFile`` is what a parser raises (one of the library's errors, picklable for
    the parse processes); ``FileSkipped`` is the event that reports it."""
    skip = pickle.loads(pickle.dumps(SkipFile("a.md", "empty file")))
    assert isinstance(skip, StreamingSyncError) and (skip.path, skip.reason) == (
        "a.md",
        "empty file",
    )
    assert not issubclass(FileSkipped, BaseException)


def test_an_event_stored_under_its_former_name_is_read() -> None:
    """A shared run's outcomes stored by an older version name the event
    ``FileSkippedEvent``: they are read back as ``FileSkipped``."""
    raw = {"event": "FileSkippedEvent", "path": "a.md", "reason": "empty file"}
    assert event_from_dict(raw) == FileSkipped("a.md", "empty file")


def test_timestamps_of_events_are_iso_8601_with_the_epoch_beside() -> None:
    """``RateLimited.resume_at`` (epoch seconds in Python) is ISO 8601 text in UTC in the
    JSON form, with ``resume_at_epoch``; reading it back gives the exact value."""
    event = RateLimited(resume_at=1_767_225_600.25, reason="primary rate limit")
    raw = event_to_dict(event)
    assert raw["resume_at"] == "2026-01-01T00:00:00.250000Z"
    assert raw["resume_at_epoch"] == 1_767_225_600.25
    assert event_from_dict(raw) == event
    del raw["resume_at_epoch"]
    assert event_from_dict(raw) == event  # the ISO text alone is enough


def report(started_at: float) -> SyncReport:
    return SyncReport(
        "default",
        "src",
        "c0",
        Outcome.SUCCEEDED,
        FileCounts(listed=1),
        RowCounts(),
        started_at,
        2.5,
    )


def test_report_timestamps_are_iso_8601_and_old_reports_still_load() -> None:
    """``SyncReport.to_dict``: ``started_at`` and ``finished_at`` in ISO 8601 (UTC),
    ``started_at_epoch`` exact; ``from_dict`` reads that, and the epoch number that
    reports stored before carried as ``started_at``."""
    original = report(1_767_225_600.123456)
    raw = original.to_dict()
    assert raw["started_at"] == "2026-01-01T00:00:00.123456Z"
    assert raw["finished_at"] == "2026-01-01T00:00:02.623456Z"
    assert raw["started_at_epoch"] == 1_767_225_600.123456
    assert datetime.fromisoformat(str(raw["started_at"])).tzinfo is not None
    assert SyncReport.from_dict(raw) == original
    stored_before = {**raw, "started_at": 1_767_225_600.123456}
    del stored_before["started_at_epoch"], stored_before["finished_at"]
    assert SyncReport.from_dict(stored_before) == original


@pytest.mark.parametrize("started_at", [0.0, 300.0, 1_700_000_000.000001])
def test_report_round_trip_is_exact(started_at: float) -> None:
    """The run history's key (``started_at``) survives the JSON form bit for bit."""
    assert SyncReport.from_dict(report(started_at).to_dict()) == report(started_at)
