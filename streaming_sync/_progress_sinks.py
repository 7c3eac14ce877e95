"""Built-in progress sinks: log lines, a terminal progress bar, JSON lines, callbacks."""

from __future__ import annotations

import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

import attrs

from ._events import (
    FileFailed,
    FileRetrying,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
)
from ._progress import ProgressTracker

logger = logging.getLogger("streaming_sync.progress")


def _line(tracker: ProgressTracker) -> str:
    p = tracker.snapshot()
    eta = "?" if p.eta_s is None else f"{p.eta_s:.0f}s"
    return (
        f"{p.processed}/{p.total} files ({p.percentage:.0f}%): {p.succeeded} ok, "
        f"{p.skipped} skipped, {p.failed} failed; {p.files_per_second:.1f} files/s, "
        f"ETA {eta}"
    )


class LogSink:
    """Logs a progress line every ``every_files`` files or ``every_seconds`` seconds,
    whichever comes first, plus failures, retries, rate-limit pauses and the summary."""

    def __init__(
        self, every_files: int = 100, every_seconds: float = 5.0, log: logging.Logger = logger
    ) -> None:
        self.every_files, self.every_seconds, self.log = every_files, every_seconds, log
        self.tracker = ProgressTracker()
        self._last_count, self._last_time = 0, time.monotonic()

    async def emit(self, event: ProgressEvent) -> None:
        self.tracker.observe(event)
        if isinstance(event, SyncStarted):
            self.log.info(
                "sync of %s at %s: %d files listed, %d to process, %d unchanged, %d to delete",
                event.source,
                event.commit,
                event.listed,
                event.to_process,
                event.unchanged,
                event.to_delete,
            )
        elif isinstance(event, FileFailed):
            self.log.warning("failed: %s", event.failure.message)
        elif isinstance(event, FileRetrying):
            self.log.info(
                "retrying %s (attempt %d) in %.1fs: %s",
                event.path,
                event.attempt + 1,
                event.wait_s,
                event.error,
            )
        elif isinstance(event, RateLimited):
            self.log.warning(
                "rate limited: waiting until %s (%s)",
                time.strftime("%H:%M:%S", time.localtime(event.resume_at)),
                event.reason,
            )
        elif isinstance(event, SyncFinished):
            self.log.info("finished: %s", _line(self.tracker))
            return
        self._maybe_progress()

    def _maybe_progress(self) -> None:
        count = self.tracker.snapshot().processed
        now = time.monotonic()
        if count - self._last_count >= self.every_files or (
            count > self._last_count and now - self._last_time >= self.every_seconds
        ):
            self._last_count, self._last_time = count, now
            self.log.info("progress: %s", _line(self.tracker))


class TerminalProgressSink:
    """A one-line progress bar redrawn on a terminal: counts, rate, ETA, and a
    rate-limit pause shown as such."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream, self.width = stream, width
        self.tracker = ProgressTracker()

    def render(self) -> str:
        p = self.tracker.snapshot()
        filled = int(self.width * p.percentage / 100)
        bar = "#" * filled + "-" * (self.width - filled)
        eta = "--" if p.eta_s is None else f"{p.eta_s:4.0f}s"
        text = (
            f"[{bar}] {p.processed}/{p.total} {p.percentage:3.0f}% "
            f"ok {p.succeeded} skip {p.skipped} fail {p.failed} "
            f"{p.files_per_second:6.1f} files/s ETA {eta}"
        )
        if p.rate_limited_until and p.rate_limited_until > time.time() and not p.finished:
            text += f" | rate limited, resuming in {p.rate_limited_until - time.time():.0f}s"
        return text

    async def emit(self, event: ProgressEvent) -> None:
        self.tracker.observe(event)
        self.stream.write("\r\x1b[2K" + self.render())
        if isinstance(event, SyncFinished):
            self.stream.write("\n")
        self.stream.flush()


def _event_dict(event: ProgressEvent) -> dict[str, Any]:
    body = attrs.asdict(event, recurse=True)
    if isinstance(event, SyncFinished):
        body = {"report": event.report.to_dict()}
    return {"event": type(event).__name__, "time": time.time(), **body}


class JsonLinesSink:
    """Writes each event as one JSON object per line to ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    async def emit(self, event: ProgressEvent) -> None:
        self.stream.write(json.dumps(_event_dict(event), ensure_ascii=False, default=str) + "\n")
        self.stream.flush()


class CallbackSink:
    """Calls ``callback(event)``; the callback may be a plain function or a coroutine."""

    def __init__(self, callback: Callable[[ProgressEvent], Awaitable[None] | None]) -> None:
        self.callback = callback

    async def emit(self, event: ProgressEvent) -> None:
        result = self.callback(event)
        if inspect.isawaitable(result):
            await result


__all__ = ["CallbackSink", "JsonLinesSink", "LogSink", "TerminalProgressSink"]
