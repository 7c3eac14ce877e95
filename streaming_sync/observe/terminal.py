"""``TerminalProgressSink``: the built-in one-line progress bar (the CLI draws it on a
terminal when rich is not installed; see ``streaming_sync.observe.rich`` otherwise),
and the ETA and clock texts the log lines share with it. ``observe.sinks`` exports it
with the other built-in sinks."""

from __future__ import annotations

import os
import shutil
import time
from typing import TextIO

from .events import FileFailed, ProgressEvent, RateLimited, SyncFinished, SyncStarted
from .tally import Clock, ProgressReport, ProgressTracker


def eta_text(p: ProgressReport) -> str:
    """The ETA as a bar shows it: ``--``, ``<1s``, ``42s``, ``1.5h``."""
    if p.eta_s is None:
        return "--"
    if 0 < p.eta_s < 1:
        return "<1s"
    return f"{p.eta_s:.0f}s" if p.eta_s < 3600 else f"{p.eta_s / 3600:.1f}h"


def clock_text(epoch: float) -> str:
    """``epoch`` as the local time of day (``HH:MM:SS``)."""
    return time.strftime("%H:%M:%S", time.localtime(epoch))


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
            until = f"RATE LIMITED until {clock_text(p.rate_limited_until)}"
            tails = [f"{until} (resuming in {pause:.0f}s)", f"{until} ({pause:.0f}s)"]
        elif p.finished:
            tails = [f"done in {p.elapsed_s:.1f}s"]
        else:
            tails = [f"ETA {eta_text(p)}"]
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


__all__ = ["TerminalProgressSink", "clock_text", "eta_text"]
