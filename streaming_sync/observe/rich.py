"""A progress bar drawn with rich (``pip install streaming_sync[progress]``).

The only module of streaming_sync that imports rich (``streaming_sync.observe.rich``;
before 0.2 it was ``streaming_sync.progress_rich``). The CLI uses it on a terminal when
rich is installed, and the built-in ``TerminalProgressSink`` otherwise. It redraws on
each event (``auto_refresh=False``: no drawing thread), shows counts, files/s, ETA and
the outcome tallies, and a rate-limit pause as such.
"""

from __future__ import annotations

import time

# The same guard as observe/prometheus.py's, kept in each: every extra's module names
# its own install command.
try:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "the rich progress bar needs rich: pip install 'streaming_sync[progress]'"
    ) from error

from .events import (
    FileDeleted,
    FileFailed,
    FileSkippedEvent,
    FileSucceeded,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
)
from .tally import ProgressTracker


class RichProgressSink:
    """A ``ProgressSink`` drawing one rich progress bar per sync on ``console``
    (default: rich's console on standard error)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.tracker = ProgressTracker()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>7} files/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[tally]} {task.fields[status]}"),
            console=self.console,
            auto_refresh=False,
        )
        self._task: TaskID | None = None

    async def emit(self, event: ProgressEvent) -> None:
        self.tracker.observe(event)
        if isinstance(event, SyncStarted):
            self.progress.start()
            self._task = self.progress.add_task(
                "sync", total=event.to_process, rate="0.0", tally="", status=""
            )
        if self._task is None:
            return
        self._update(event)
        self.progress.refresh()
        if isinstance(event, SyncFinished):
            self.progress.stop()
            self._task = None

    def _update(self, event: ProgressEvent) -> None:
        assert self._task is not None
        p = self.tracker.snapshot()
        status = ""
        pause = p.rate_limit_pause_s(time.time())
        if pause > 0 and p.rate_limited_until is not None:
            until = time.strftime("%H:%M:%S", time.localtime(p.rate_limited_until))
            status = f"[yellow]rate limited until {until} ({pause:.0f}s)"
        elif isinstance(event, SyncFinished):
            status = f"[green]{event.report.outcome}"
        elif isinstance(event, RateLimited):
            status = "[yellow]rate limited"
        advance = isinstance(event, FileSucceeded | FileFailed | FileSkippedEvent)
        self.progress.update(
            self._task,
            advance=1 if advance else 0,
            rate=f"{p.files_per_second:.1f}",
            tally=f"ok {p.succeeded} skip {p.skipped} fail {p.failed}"
            + (" del" if isinstance(event, FileDeleted) else ""),
            status=status,
        )


__all__ = ["RichProgressSink"]
