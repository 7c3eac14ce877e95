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
import os
import re
import shutil
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

import attrs

from .._model import iso_utc
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


def _eta(p: ProgressReport) -> str:
    if p.eta_s is None:
        return "--"
    if 0 < p.eta_s < 1:
        return "<1s"
    return f"{p.eta_s:.0f}s" if p.eta_s < 3600 else f"{p.eta_s / 3600:.1f}h"


def _clock_text(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def progress_line(p: ProgressReport) -> str:
    """One line of counts, rate and ETA (the log sink's and the summary's wording)."""
    return (
        f"{p.processed}/{p.total} files ({p.percentage:.0f}%): {p.succeeded} ok, "
        f"{p.skipped} skipped, {p.failed} failed, {p.in_flight} in flight; "
        f"{p.files_per_second:.1f} files/s, {p.mb_processed:.2f} MB, ETA {_eta(p)}"
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
                _clock_text(event.resume_at),
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


#: A bar narrower than this is left out: it would say too little to be worth the room.
_MIN_BAR = 10


class TerminalProgressSink:
    """A one-line progress bar redrawn in place on a terminal (``\\r`` + erase line):
    counts, rate, MB, ETA, files in flight, and a rate-limit pause shown as such.

    The line always fits the terminal (``columns``; None: the width of the terminal
    ``stream`` is, else ``$COLUMNS``, else 80), so it never wraps: when room is short the
    MB, the files in flight and the rate go first, then the bar (``width`` at most); the
    counts, tallies and ETA (or the rate-limit pause) stay.

    Redraws at most every ``min_interval`` seconds, except for the start, failures,
    rate-limit pauses and the end, which always redraw; the end adds a newline.
    ``clock`` (monotonic) and ``wall_clock`` (epoch, for rate-limit times) are
    injectable for tests.
    """

    def __init__(
        self,
        stream: TextIO,
        width: int = 30,
        *,
        columns: int | None = None,
        min_interval: float = 0.1,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self.stream, self.width, self.min_interval = stream, width, min_interval
        self.columns = columns
        self.clock, self.wall_clock = clock, wall_clock
        self.tracker = ProgressTracker(clock=clock)
        self._last_draw: float | None = None

    def terminal_columns(self) -> int:
        """The width the line must fit in."""
        if self.columns is not None:
            return self.columns
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            return shutil.get_terminal_size().columns

    def render(self) -> str:
        """The bar as it would be drawn now (no control characters), shorter than the
        terminal is wide (a line that fills the last column wraps on some terminals)."""
        p = self.tracker.snapshot()
        count = f"{p.processed}/{p.total} {p.percentage:3.0f}%"
        head = f"{count} ok {p.succeeded} skip {p.skipped} fail {p.failed} | "
        extras = [f"{p.files_per_second:.1f} files/s", f"{p.in_flight} active"]
        extras.append(f"{p.mb_processed:.2f} MB")
        pause = p.rate_limit_pause_s(self.wall_clock())
        if pause > 0:
            assert p.rate_limited_until is not None
            until = f"RATE LIMITED until {_clock_text(p.rate_limited_until)}"
            tails = [f"{until} (resuming in {pause:.0f}s)", f"{until} ({pause:.0f}s)"]
        elif p.finished:
            tails = [f"done in {p.elapsed_s:.1f}s"]
        else:
            tails = [f"ETA {_eta(p)}"]
        room = max(self.terminal_columns() - 1, 1)
        return self._fit(room, p.percentage, head, extras, tails) or _cut(
            f"{count} | {tails[-1]}", room
        )

    def _fit(
        self, room: int, percentage: float, head: str, extras: list[str], tails: list[str]
    ) -> str | None:
        """The richest line that fits in ``room`` characters: the bar (``width`` at most),
        ``head``, as many ``extras`` as fit (dropped from the end) and the first tail
        that fits; without the bar when even that does not fit; else None."""
        for tail in tails:
            for keep in range(len(extras), -1, -1):
                text = head + "".join(f"{extra} | " for extra in extras[:keep]) + tail
                width = min(self.width, room - len(text) - 3)  # "[", "] "
                if width >= _MIN_BAR:
                    filled = min(int(width * percentage / 100), width)
                    return f"[{'#' * filled}{'-' * (width - filled)}] {text}"
        for tail in tails:
            if len(head + tail) <= room:
                return head + tail
        return None

    async def emit(self, event: ProgressEvent) -> None:
        self.tracker.observe(event)
        now = self.clock()
        urgent = isinstance(event, SyncStarted | SyncFinished | RateLimited | FileFailed)
        if not urgent and self._last_draw is not None and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        self.stream.write("\r\x1b[2K" + self.render())
        if isinstance(event, SyncFinished):
            self.stream.write("\n")
        self.stream.flush()


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(room - 1, 0)] + "…"


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
