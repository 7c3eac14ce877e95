"""A progress bar drawn with rich (``pip install streaming_sync[progress]``).

The only module of streaming_sync that imports rich (``streaming_sync.observe.rich``;
before 0.2 it was ``streaming_sync.progress_rich``). The CLI uses it on a terminal when
rich is installed, and the built-in ``TerminalProgressSink`` otherwise. It redraws on
each event (``auto_refresh=False``: no drawing thread), shows counts, files/s, ETA and
the outcome tallies, and a rate-limit pause as such.

It fits the console's width: the counts and the ETA always show in full; the text after
them (a pause or the outcome, the tallies, the rate) is cut to the room left, and the
bar takes what remains (at 80 columns: a short bar, counts, ETA, tallies).
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
        TimeRemainingColumn,
    )
    from rich.table import Column
    from rich.text import Text
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "the rich progress bar needs rich: pip install 'streaming_sync[progress]'"
    ) from error

from .events import (
    FileDeleted,
    FileFailed,
    FileSkipped,
    FileSucceeded,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
)
from .tally import ProgressTracker

#: Columns besides the text: the bar's least width, "ETA", the time left ("0:13:08",
#: "-:--:--"), and one space between columns (five of them).
_BAR_MIN, _ETA_WIDTH, _GAPS = 10, 3 + 8, 5


class RichProgressSink:
    """A ``ProgressSink`` drawing one rich progress bar per sync on ``console``
    (default: rich's console on standard error)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.tracker = ProgressTracker()
        self.progress = Progress(
            BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=_BAR_MIN)),
            MofNCompleteColumn(table_column=Column(no_wrap=True)),
            TextColumn("ETA", table_column=Column(no_wrap=True)),
            TimeRemainingColumn(table_column=Column(no_wrap=True)),
            TextColumn("{task.fields[info]}", table_column=Column(no_wrap=True)),
            console=self.console,
            auto_refresh=False,
            expand=True,
        )
        self._task: TaskID | None = None

    async def emit(self, event: ProgressEvent) -> None:
        self.tracker.observe(event)
        if isinstance(event, SyncStarted):
            self.progress.start()
            self._task = self.progress.add_task("sync", total=event.to_process, info="")
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
            status = f"[yellow]rate limited until {until} ({pause:.0f}s)[/yellow]"
        elif isinstance(event, SyncFinished):
            status = f"[green]{event.report.outcome}[/green]"
        elif isinstance(event, RateLimited):
            status = "[yellow]rate limited[/yellow]"
        advance = isinstance(event, FileSucceeded | FileFailed | FileSkipped)
        tally = f"ok {p.succeeded} skip {p.skipped} fail {p.failed}"
        tally += " del" if isinstance(event, FileDeleted) else ""
        parts = [status, tally, f"{p.files_per_second:.1f} files/s"]
        info = " ".join(part for part in parts if part)
        self.progress.update(self._task, advance=1 if advance else 0, info=self._cut(info))

    def _cut(self, info: str) -> str:
        """``info`` cut to the room the other columns leave (rich markup kept out of
        the count), so the counts and the ETA are never squeezed."""
        assert self._task is not None
        total = self.progress.tasks[self._task].total or 0
        counts = 2 * len(str(int(total))) + 1  # MofNCompleteColumn pads "done" to the total
        room = self.console.width - _BAR_MIN - counts - _ETA_WIDTH - _GAPS - 1
        plain = Text.from_markup(info)
        if plain.cell_len > room:
            plain.truncate(max(room, 1), overflow="ellipsis")
        return plain.markup


__all__ = ["RichProgressSink"]
