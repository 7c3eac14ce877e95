"""Progress: the tracker's report, and every built-in sink (log, terminal bar, JSON lines,
callback), fed by a real sync with in-memory parts or by scripted events."""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import pty
import re
import struct
import termios
from datetime import datetime
from pathlib import Path

import pytest

from streaming_sync import (
    FileCounts,
    FileFailed,
    FileFailure,
    FileStarted,
    FileSucceeded,
    Outcome,
    ProgressEvent,
    ProgressTracker,
    RateLimited,
    RetryPolicy,
    RowCounts,
    Stage,
    StreamingSyncService,
    SyncConfig,
    SyncFinished,
    SyncReport,
    SyncStarted,
    TransientFetchError,
)
from streaming_sync._cli import main
from streaming_sync.observe.sinks import (
    CallbackSink,
    JsonLinesSink,
    LogSink,
    TerminalProgressSink,
    redact,
)
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository

from .lineformat import LineParser

FAST_RETRY = RetryPolicy(max_attempts=3, base=0.001, factor=2, cap=0.01)
FILES = {
    "a.txt": b"class ex:A Alpha\nsub ex:A ex:Root",
    "b.txt": b"class ex:B Beta\nclass ex:B2\nsub ex:B ex:A",
    "bad.txt": b"class ex:X\nfail broken line",
    "skip.txt": b"skip nothing here",
    "flaky.txt": b"class ex:F",
}
FAULTS = {"flaky.txt": [TransientFetchError("503 from https://x.invalid/?token=s3cr3tvalue")]}


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_service(*sinks: object, workers: int = 2) -> StreamingSyncService:
    return StreamingSyncService(
        fetcher=InMemoryFetcher(FILES, faults=FAULTS),
        repository=InMemoryRepository(),
        parser=LineParser(),
        sinks=sinks,  # type: ignore[arg-type]
        config=SyncConfig(workers=workers, parse_processes=0, retry=FAST_RETRY),
    )


def report(outcome: Outcome = Outcome.SUCCEEDED) -> SyncReport:
    return SyncReport("default", "memory:", "c0ffee", outcome, FileCounts(), RowCounts(), 0.0, 1.0)


def failure(path: str, message: str = "boom") -> FileFailure:
    return FileFailure(path, "ParseError", message, retryable=False, attempts=1)


def strip_bar(raw: str) -> list[str]:
    """The frames a terminal would show one after the other."""
    return [f for f in raw.replace("\x1b[2K", "").replace("\n", "\r").split("\r") if f]


# -- the tracker -------------------------------------------------------------------------


async def test_progress_report_after_sync_counts_every_outcome() -> None:
    """service.progress() after a sync: totals, outcomes, classes, bytes and retries agree
    with the files given (2 good + 1 flaky good, 1 bad, 1 skipped)."""
    svc = make_service()
    rep = await svc.sync()
    p = svc.progress()
    good = ("a.txt", "b.txt", "flaky.txt")
    assert (p.total, p.processed, p.succeeded, p.failed, p.skipped) == (5, 5, 3, 1, 1)
    assert p.bytes_processed == sum(len(FILES[f]) for f in good)
    assert p.classes == rep.rows.classes == 4
    assert p.retries == 1
    assert p.in_flight == 0
    assert p.finished
    assert p.percentage == 100.0
    assert p.eta_s == 0.0
    assert p.to_dict()["mb_processed"] == pytest.approx(p.bytes_processed / 1e6)


def test_tracker_rates_eta_and_reset_use_the_injected_clock() -> None:
    """Rates and ETA come from the clock; a new SyncStarted starts the counts again."""
    clock = FakeClock()
    t = ProgressTracker(clock=clock)
    t.observe(SyncStarted("default", "memory:", "c", 10, 4, 6, 0))
    assert t.snapshot().eta_s is None
    for path in ("a", "b"):
        t.observe(FileStarted(path, 1000))
        t.observe(FileSucceeded(path, 1000, 3, 0, 0, 0.1))
    clock.now += 2.0
    p = t.snapshot()
    assert p.files_per_second == 1.0
    assert p.classes_per_second == 3.0
    assert p.eta_s == 2.0
    assert p.mb_processed == 0.002
    assert (p.listed, p.unchanged) == (10, 6)
    t.observe(SyncStarted("default", "memory:", "d", 3, 3, 0, 0))
    assert (t.snapshot().processed, t.snapshot().total, t.snapshot().bytes_processed) == (0, 3, 0)


# -- the log sink ------------------------------------------------------------------------


async def test_log_sink_logs_every_n_files_with_structured_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A progress record every 2 files, with the counts in ``extra``; failures and retries
    have their own records; the secret in the retry's error text is redacted."""
    caplog.set_level(logging.INFO, logger="streaming_sync.progress")
    await make_service(LogSink(every_files=2, every_seconds=3600), workers=1).sync()
    records = [r for r in caplog.records if r.name == "streaming_sync.progress"]
    kinds = [getattr(r, "event", None) for r in records]
    assert kinds[0] == "sync.started"
    assert kinds[-1] == "sync.finished"
    progress = [r for r in records if getattr(r, "event", None) == "sync.progress"]
    assert [getattr(r, "processed", None) for r in progress] == [2, 4]
    assert all(getattr(r, "total", None) == 5 for r in progress)
    (failed,) = [r for r in records if getattr(r, "event", None) == "sync.file_failed"]
    assert getattr(failed, "path", None) == "bad.txt"
    assert getattr(failed, "error_type", None) == "ParseError"
    (retry,) = [r for r in records if getattr(r, "event", None) == "sync.file_retrying"]
    assert getattr(retry, "path", None) == "flaky.txt"
    assert "s3cr3tvalue" not in caplog.text
    assert "token=***" in caplog.text
    assert getattr(records[-1], "outcome", None) == "partial"


async def test_log_sink_logs_every_t_seconds_when_files_are_slow(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a high file count, a line still comes once ``every_seconds`` passed."""
    caplog.set_level(logging.INFO, logger="streaming_sync.progress")
    clock = FakeClock()
    sink = LogSink(every_files=1000, every_seconds=10, clock=clock)
    await sink.emit(SyncStarted("default", "memory:", "c", 5, 5, 0, 0))
    await sink.emit(FileSucceeded("a", 1, 0, 0, 0, 0.1))
    clock.now += 5
    await sink.emit(FileSucceeded("b", 1, 0, 0, 0, 0.1))
    assert not [r for r in caplog.records if getattr(r, "event", None) == "sync.progress"]
    clock.now += 6
    await sink.emit(FileSucceeded("c", 1, 0, 0, 0, 0.1))
    (line,) = [r for r in caplog.records if getattr(r, "event", None) == "sync.progress"]
    assert getattr(line, "processed", None) == 3
    assert "3/5 files" in line.getMessage()


def test_redact_hides_tokens_passwords_and_query_secrets() -> None:
    """Known credential shapes never survive redact(); ordinary text is unchanged."""
    text = (
        "GET https://user:hunter22@ghe.example/x?access_token=abcdef123&page=2 "
        "Authorization: token ghp_0123456789abcdefABCDEF0123 Bearer eyJhbGciOi.xyz"
    )
    clean = redact(text)
    for secret in ("hunter22", "abcdef123", "0123456789abcdef", "eyJhbGciOi"):
        assert secret not in clean
    assert "page=2" in clean
    assert redact("a.txt:3: bad token") == "a.txt:3: bad token"


# -- the terminal progress bar -----------------------------------------------------------


async def test_terminal_bar_renders_counts_rate_eta_to_a_captured_terminal() -> None:
    """Drawn to a StringIO: each frame is erased and redrawn in place; the last frame
    shows 5/5 100% with each outcome count and ends the line."""
    out = io.StringIO()
    await make_service(TerminalProgressSink(out, width=10, columns=150, min_interval=0)).sync()
    raw = out.getvalue()
    assert raw.startswith("\r\x1b[2K")
    assert raw.endswith("\n")
    assert raw.count("\n") == 1
    frames = strip_bar(raw)
    assert frames[0].startswith("[----------] 0/5   0%")
    last = frames[-1]
    assert last.startswith("[##########] 5/5 100% ok 3 skip 1 fail 1 |")
    assert "files/s" in last
    assert "MB" in last
    assert "done in" in last
    assert any("ETA" in f for f in frames[1:-1])


async def test_terminal_bar_shows_a_rate_limit_pause_as_such() -> None:
    """A RateLimited event whose resume time is ahead replaces the ETA with the pause and
    its countdown; once the time passed the ETA is back."""
    out, clock, wall = io.StringIO(), FakeClock(), FakeClock(50_000.0)
    bar = TerminalProgressSink(out, min_interval=0, clock=clock, wall_clock=wall)
    await bar.emit(SyncStarted("default", "memory:", "c", 4, 4, 0, 0))
    await bar.emit(FileStarted("a", 10))
    clock.now += 1
    await bar.emit(FileSucceeded("a", 10, 1, 0, 0, 0.1))
    await bar.emit(RateLimited(resume_at=50_042.0, reason="primary rate limit"))
    frame = strip_bar(out.getvalue())[-1]
    assert "RATE LIMITED until" in frame
    assert "(42s)" in frame  # the countdown ("resuming in 42s" where there is room)
    assert "ETA" not in frame
    assert len(frame) < 80  # the default terminal width (no terminal here)
    wall.now += 60
    assert "RATE LIMITED" not in bar.render()
    assert "ETA 3s" in bar.render()


async def test_terminal_bar_throttles_redraws() -> None:
    """Within min_interval only urgent events (start, failure, end) redraw."""
    out, clock = io.StringIO(), FakeClock()
    bar = TerminalProgressSink(out, min_interval=1.0, clock=clock)
    events: list[ProgressEvent] = [SyncStarted("default", "memory:", "c", 3, 3, 0, 0)]
    events += [FileStarted("a", 1), FileSucceeded("a", 1, 0, 0, 0, 0.1), FileStarted("b", 1)]
    events += [FileFailed(failure("b"), Stage.PARSE), SyncFinished(report(Outcome.PARTIAL))]
    for event in events:
        await bar.emit(event)
    assert len(strip_bar(out.getvalue())) == 3  # start, failure, finish


@pytest.mark.parametrize("columns", [80, 60, 40])
async def test_terminal_bar_fits_the_terminal_width(columns: int) -> None:
    """No frame fills the terminal's width (it would wrap and leave a trail of lines):
    with big counts, a rate-limit pause or the end, the bar and the lesser fields make
    room, while the counts and the ETA or pause stay readable (as long as any room is)."""
    clock, wall = FakeClock(), FakeClock(50_000.0)
    bar = TerminalProgressSink(io.StringIO(), columns=columns, clock=clock, wall_clock=wall)
    await bar.emit(SyncStarted("default", "memory:", "c", 123_456, 123_456, 0, 0))
    for n in range(1_000):
        await bar.emit(FileStarted(f"f{n}", 250_000))
        clock.now += 0.01
        await bar.emit(FileSucceeded(f"f{n}", 250_000, 1, 1, 1, 0.01))
    running = bar.render()
    await bar.emit(RateLimited(resume_at=50_000.0 + 3_600, reason="primary rate limit"))
    paused = bar.render()
    wall.now += 4_000
    await bar.emit(SyncFinished(report(Outcome.PARTIAL)))
    done = bar.render()
    assert all(len(frame) < columns for frame in (running, paused, done))
    assert "1000/123456" in running and "ETA 1225s" in running
    assert "RATE LIMITED until" in paused
    if columns >= 80:
        assert running.startswith("[") and "(3600s)" in paused  # a bar; the pause in full
    assert "1000/123456" in done


async def test_terminal_bar_through_a_real_pseudo_terminal() -> None:
    """Written to a pty 80 columns wide, the bytes a terminal receives hold the final
    frame, and no frame reaches the last column (where the terminal would wrap it)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        with os.fdopen(follower, "w", closefd=False) as tty:
            assert tty.isatty()
            await make_service(TerminalProgressSink(tty, min_interval=0)).sync()
        received = b""
        while b"\n" not in received:
            received += os.read(leader, 65536)
    finally:
        os.close(follower)
        os.close(leader)
    text = received.decode()
    assert "\x1b[2K" in text
    assert "5/5 100% ok 3 skip 1 fail 1" in text
    assert all(len(frame) < 80 for frame in strip_bar(text))


# -- JSON lines and callbacks ------------------------------------------------------------


async def test_json_lines_sink_writes_one_parsable_object_per_event() -> None:
    """Every event is one JSON line named by type, in order; the last carries the full
    report; error texts are redacted."""
    out = io.StringIO()
    rep = await make_service(JsonLinesSink(out)).sync()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    names = [line["event"] for line in lines]
    assert names[0] == "SyncStarted"
    assert names[-1] == "SyncFinished"
    assert names.count("FileStarted") == 5
    assert names.count("FileSucceeded") == 3
    assert names.count("FileFailed") == names.count("FileSkipped") == 1
    assert lines[0]["to_process"] == 5
    # ISO 8601 in UTC, with the epoch seconds beside it
    assert all(x["time"].endswith("Z") for x in lines)
    assert all(
        datetime.fromisoformat(x["time"]).timestamp() == pytest.approx(x["time_epoch"], abs=1e-5)
        for x in lines
    )
    assert lines[-1]["report"]["started_at"].endswith("Z")
    (failed,) = [x for x in lines if x["event"] == "FileFailed"]
    assert failed["failure"]["path"] == "bad.txt"
    (retry,) = [x for x in lines if x["event"] == "FileRetrying"]
    assert "s3cr3tvalue" not in retry["error"]
    assert lines[-1]["report"] == json.loads(json.dumps(rep.to_dict()))


async def test_callback_sink_accepts_plain_and_async_callables() -> None:
    """Both kinds of callable see every event in order; the sink's tracker follows."""
    seen_sync: list[str] = []
    seen_async: list[str] = []

    async def on_event(event: ProgressEvent) -> None:
        seen_async.append(type(event).__name__)

    plain = CallbackSink(lambda e: seen_sync.append(type(e).__name__))
    await make_service(plain, CallbackSink(on_event)).sync()
    assert seen_sync == seen_async
    assert seen_sync[-1] == "SyncFinished"
    assert seen_sync.count("FileRetrying") == 1
    assert plain.tracker.snapshot().processed == 5


async def test_a_broken_sink_never_breaks_the_sync() -> None:
    """A callback that raises is logged and ignored; the other sinks still get events."""
    out = io.StringIO()

    def explode(event: ProgressEvent) -> None:
        raise RuntimeError("sink bug")

    rep = await make_service(CallbackSink(explode), JsonLinesSink(out)).sync()
    assert rep.files.processed == 5
    assert out.getvalue().count("\n") > 5


# -- the command line --------------------------------------------------------------------


def write_folder(root: Path) -> Path:
    source = root / "src"
    source.mkdir()
    (source / "a.ttl").write_text(
        "@prefix ex: <http://example.org/> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "ex:A a owl:Class .\n"
    )
    return source


def test_cli_events_dash_makes_stdout_pure_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--events - --json``: stdout is JSON lines only, ending with SyncFinished and its
    report; the text summary (with stage times) goes to stderr."""
    source = write_folder(tmp_path)
    code = main(["sync", str(source), "--db", str(tmp_path / "x.db"), "--events", "-", "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-1]["event"] == "SyncFinished"
    assert lines[-1]["report"]["files"]["succeeded"] == 1
    assert re.search(r"stages: listing [\d.]+s, fetching [\d.]+s, parsing", err)


def test_cli_events_file_appends_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--events FILE`` appends: two runs leave two SyncStarted..SyncFinished series;
    stdout keeps the usual summary."""
    source, events = write_folder(tmp_path), tmp_path / "events.jsonl"
    for _ in range(2):
        assert (
            main(["sync", str(source), "--db", str(tmp_path / "x.db"), "--events", str(events)])
            == 0
        )
    names = [json.loads(line)["event"] for line in events.read_text().splitlines()]
    assert names.count("SyncStarted") == names.count("SyncFinished") == 2
    assert "succeeded: 1 listed" in capsys.readouterr().out
