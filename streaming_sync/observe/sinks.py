"""Built-in progress sinks: log lines, a terminal progress bar, JSON lines, callbacks.

Any number of them can be given to a service at once (``sinks=[...]``); each keeps its
own ``ProgressTracker`` fed by the same events. Nothing here ever writes a credential:
events carry none, and error texts pass through :func:`redact` before they are logged
or written, in case a foreign error message quoted a URL or a header.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

import attrs

from .._timestamps import iso_utc
from .events import (
    FileDeleted,
    FileFailed,
    FileRetrying,
    FileSkipped,
    FileSucceeded,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
    event_to_dict,
)
from .tally import Clock, ProgressReport, ProgressTracker
from .terminal import TerminalProgressSink, clock_text, eta_text

logger = logging.getLogger("streaming_sync.progress")

_SECRETS = (
    # GitHub tokens: classic (ghp_/gho_/ghu_/ghs_/ghr_) and fine-grained (github_pat_).
    (re.compile(r"\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{8,}"), r"\1***"),
    # Authorization header values and "token xxx" / "Bearer xxx".
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 ***"),
    # user:password@ in URLs.
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1***@"),
    # secrets in query strings.
    (
        re.compile(r"(?i)([?&](?:access_token|token|password|secret|api_key|key)=)[^&\s\"']+"),
        r"\1***",
    ),
)


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``***``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def progress_line(p: ProgressReport) -> str:
    """One line of counts, rate and ETA (the log sink's and the summary's wording)."""
    return (
        f"{p.processed}/{p.total} files ({p.percentage:.0f}%): {p.succeeded} ok, "
        f"{p.skipped} skipped, {p.failed} failed, {p.in_flight} in flight; "
        f"{p.files_per_second:.1f} files/s, {p.mb_processed:.2f} MB, ETA {eta_text(p)}"
    )


def _progress_fields(p: ProgressReport) -> dict[str, object]:
    return {
        "event": "sync.progress",
        "processed": p.processed,
        "total": p.total,
        "succeeded": p.succeeded,
        "failed": p.failed,
        "skipped": p.skipped,
        "in_flight": p.in_flight,
        "files_per_second": round(p.files_per_second, 3),
        "bytes_processed": p.bytes_processed,
        "eta_s": None if p.eta_s is None else round(p.eta_s, 1),
    }


class LogSink:
    """Logs a progress line every ``every_files`` files or ``every_seconds`` seconds,
    whichever comes first, plus the start, failures, retries, rate-limit pauses and the
    summary; at DEBUG also each file that landed, was skipped or deleted. Each record
    carries its values as structured fields in ``extra`` (``record.event``,
    ``record.processed``, ``record.path``, ...)."""

    def __init__(
        self,
        every_files: int = 100,
        every_seconds: float = 5.0,
        log: logging.Logger = logger,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self.every_files, self.every_seconds, self.log = every_files, every_seconds, log
        self.clock = clock
        self.tracker = ProgressTracker(clock=clock)
        self._last_count, self._last_time = 0, clock()

    async def emit(self, event: ProgressEvent) -> None:
        self.tracker.observe(event)
        if isinstance(event, SyncStarted):
            self._last_count, self._last_time = 0, self.clock()
            self._started(event)
        elif isinstance(event, FileFailed):
            self._failed(event)
        elif isinstance(event, FileRetrying):
            self.log.info(
                "retrying %s (attempt %d) in %.1fs: %s",
                event.path,
                event.attempt + 1,
                event.wait_s,
                redact(event.error),
                extra={
                    "event": "sync.file_retrying",
                    "path": event.path,
                    "attempt": event.attempt + 1,
                    "wait_s": event.wait_s,
                },
            )
        elif isinstance(event, RateLimited):
            self.log.warning(
                "rate limited: waiting until %s (%s)",
                clock_text(event.resume_at),
                event.reason,
                extra={
                    "event": "sync.rate_limited",
                    "resume_at": event.resume_at,
                    "reason": event.reason,
                },
            )
        elif isinstance(event, SyncFinished):
            self._finished(event)
            return
        elif isinstance(event, FileSucceeded | FileSkipped | FileDeleted):
            self._file_ended(event)
        self._maybe_progress()

    def _file_ended(self, event: FileSucceeded | FileSkipped | FileDeleted) -> None:
        if not self.log.isEnabledFor(logging.DEBUG):
            return
        fields: dict[str, object] = {"path": event.path}
        if isinstance(event, FileSucceeded):
            message = "synced %s: %d classes, %d properties, %d axioms, %d warning(s)"
            args: tuple[object, ...] = (event.classes, event.properties, event.axioms)
            args += (len(event.warnings),)
            fields.update(event="sync.file_succeeded", seconds=round(event.seconds, 6))
        elif isinstance(event, FileSkipped):
            message, args = "skipped %s: %s", (event.reason,)
            fields.update(event="sync.file_skipped", reason=event.reason)
        else:
            message, args = "deleted %s (gone from the source)", ()
            fields.update(event="sync.file_deleted")
        self.log.debug(message, event.path, *args, extra=fields)

    def _started(self, event: SyncStarted) -> None:
        self.log.info(
            "sync of %s at %s: %d files listed, %d to process, %d unchanged, %d to delete",
            event.source,
            event.commit or "-",
            event.listed,
            event.to_process,
            event.unchanged,
            event.to_delete,
            extra={"event": "sync.started", **attrs.asdict(event)},
        )

    def _failed(self, event: FileFailed) -> None:
        f = event.failure
        self.log.warning(
            "failed (%s): %s",
            event.stage,
            redact(f.message),
            extra={
                "event": "sync.file_failed",
                "path": f.path,
                "stage": str(event.stage),
                "error_type": f.error_type,
                "retryable": f.retryable,
                "attempts": f.attempts,
            },
        )

    def _finished(self, event: SyncFinished) -> None:
        r = event.report
        fields = _progress_fields(self.tracker.snapshot())
        self.log.info(
            "finished (%s): %s",
            r.outcome,
            progress_line(self.tracker.snapshot()),
            extra={
                **fields,
                "event": "sync.finished",
                "outcome": str(r.outcome),
                "duration_s": round(r.duration_s, 3),
                "commit": r.commit,
            },
        )

    def _maybe_progress(self) -> None:
        p = self.tracker.snapshot()
        now = self.clock()
        if p.processed - self._last_count >= self.every_files or (
            p.processed > self._last_count and now - self._last_time >= self.every_seconds
        ):
            self._last_count, self._last_time = p.processed, now
            self.log.info("progress: %s", progress_line(p), extra=_progress_fields(p))


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def event_dict(event: ProgressEvent, now: float | None = None) -> dict[str, Any]:
    """The JSON shape of an event: ``{"event": TYPE, "time": ISO, "time_epoch": EPOCH,
    ...its fields}`` (``event_to_dict`` with the time -- ISO 8601 in UTC, and the epoch
    seconds beside it -- credentials redacted); ``SyncFinished`` carries the report as
    ``SyncReport.to_dict()`` gives it."""
    body = event_to_dict(event)
    stamp = time.time() if now is None else now
    head = {"event": body.pop("event"), "time": iso_utc(stamp), "time_epoch": round(stamp, 6)}
    return {**head, **_redacted(body)}


class JsonLinesSink:
    """Writes each event as one JSON object per line to ``stream`` (see
    :func:`event_dict` for the shape), flushing after each line.

    When the reader of ``stream`` goes away (a broken pipe: ``... --events - | head``),
    the sink stops writing, quietly, and says so in ``closed``; the sync goes on."""

    def __init__(self, stream: TextIO, *, wall_clock: Clock = time.time) -> None:
        self.stream, self.wall_clock = stream, wall_clock
        self.closed = False

    async def emit(self, event: ProgressEvent) -> None:
        if self.closed:
            return
        line = json.dumps(event_dict(event, self.wall_clock()), ensure_ascii=False, default=str)
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except BrokenPipeError:
            self.closed = True
            logger.debug("the reader of the JSON-lines stream went away; no more events to it")


class CallbackSink:
    """Calls ``callback(event)``; the callback may be a plain function or a coroutine
    function (awaited in order). ``tracker`` keeps the progress, so an app's callback can
    read ``sink.tracker.snapshot()``."""

    def __init__(self, callback: Callable[[ProgressEvent], Awaitable[None] | None]) -> None:
        self.callback = callback
        self.tracker = ProgressTracker()

    async def emit(self, event: ProgressEvent) -> None:
        self.tracker.observe(event)
        result = self.callback(event)
        if inspect.isawaitable(result):
            await result


__all__ = [
    "CallbackSink",
    "JsonLinesSink",
    "LogSink",
    "TerminalProgressSink",
    "event_dict",
    "progress_line",
    "redact",
]
