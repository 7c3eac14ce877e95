"""The rich progress bar of the CLI, rendered to a captured terminal."""

from __future__ import annotations

import io
import re
import time

import pytest

from streaming_sync import (
    FileCounts,
    FileFailed,
    FileFailure,
    FileSkipped,
    FileStarted,
    FileSucceeded,
    Outcome,
    RateLimited,
    RowCounts,
    Stage,
    SyncFinished,
    SyncReport,
    SyncStarted,
)

rich_console = pytest.importorskip("rich.console", reason="the [progress] extra is not installed")

from streaming_sync.observe.rich import RichProgressSink  # noqa: E402 -- after the skip guard


def sink_on_terminal() -> tuple[RichProgressSink, io.StringIO]:
    out = io.StringIO()
    console = rich_console.Console(file=out, force_terminal=True, width=160, color_system=None)
    return RichProgressSink(console), out


async def test_bar_shows_counts_tallies_and_outcome() -> None:
    """The bar counts files against the total, tallies outcomes, and ends with the
    run's outcome."""
    sink, out = sink_on_terminal()
    await sink.emit(SyncStarted("default", "src", "c0", 4, 4, 0, 0))
    await sink.emit(FileStarted("a.md", 10))
    await sink.emit(FileSucceeded("a.md", 10, 1, 0, 1, 0.01))
    await sink.emit(FileSkipped("b.md", "no ontology block"))
    failure = FileFailure("c.ttl", "ParseError", "c.ttl:3: bad", False, 1)
    await sink.emit(FileFailed(failure, Stage.PARSE))
    screen = out.getvalue()
    assert "3/4" in screen
    assert "ok 1 skip 1 fail 1" in screen
    assert "files/s" in screen
    report = SyncReport(
        "default", "src", "c0", Outcome.PARTIAL, FileCounts(listed=4), RowCounts(), time.time(), 0.5
    )
    await sink.emit(SyncFinished(report))
    assert "partial" in out.getvalue()


async def test_rate_limit_pause_is_shown_as_such() -> None:
    """While every request waits for a rate limit, the bar says so with the resume time."""
    sink, out = sink_on_terminal()
    await sink.emit(SyncStarted("default", "src", "c0", 10, 10, 0, 0))
    resume = time.time() + 120
    await sink.emit(RateLimited(resume, "primary rate limit"))
    screen = out.getvalue()
    assert "rate limited until" in screen
    assert time.strftime("%H:%M:%S", time.localtime(resume)) in screen


def frames(raw: str) -> list[str]:
    """The lines a terminal shows, control sequences removed."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    return [line for line in re.split(r"[\r\n]", text) if line.strip()]


@pytest.mark.parametrize("width", [80, 60])
async def test_eta_stays_readable_on_a_narrow_terminal(width: int) -> None:
    """At 80 (and 60) columns, with six-digit totals and a rate-limit pause, every line
    fits the console and shows the counts and the ETA in full; what gives way is the text
    after them (cut with an ellipsis), not the ETA."""
    out = io.StringIO()
    console = rich_console.Console(file=out, force_terminal=True, width=width, color_system=None)
    sink = RichProgressSink(console)
    await sink.emit(SyncStarted("default", "src", "c0", 123_456, 123_456, 0, 0))
    for n in range(50):
        await sink.emit(FileStarted(f"f{n}.md", 10))
        await sink.emit(FileSucceeded(f"f{n}.md", 10, 1, 0, 1, 0.01))
    await sink.emit(RateLimited(time.time() + 3_600, "primary rate limit"))
    sink.progress.stop()
    lines = frames(out.getvalue())
    assert lines and all(len(line) <= width for line in lines)
    assert all(re.search(r"\b\d+/123456 ETA (\d+:\d\d:\d\d|-:--:--)", line) for line in lines)
    assert any("rate limited" in line for line in lines)
