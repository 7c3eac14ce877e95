"""The real CLI and its parse processes, killed from outside (issue 12, points 4 and 6).

Each test runs ``streaming-sync sync`` in its own process group, with pipes for stdout
and stderr as a caller that captures output has, on a folder holding a file whose parse
takes minutes (rdflib on RDF/XML with 1.2 million ``&amp;`` in a label), and kills
processes while that parse is in flight:

* the CLI itself (SIGKILL): ``communicate()`` returns, and no process of its group is
  left alive a few seconds later -- nothing holds the pipes or burns CPU on;
* the parse process (SIGKILL, as the out-of-memory killer): that file fails with the
  reason, the rest lands, exit 1;
* every parse process, again and again: the sync stops with exit 2 and says why.

Linux only (reads /proc); zombies count as gone (they hold no pipe and no memory).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_parse_pool import amp_rdf

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc"),
]


def _stat(pid: int) -> tuple[str, int, int, float] | None:
    """(state, ppid, pgrp, cpu seconds) of ``pid``, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return fields[0], int(fields[1]), int(fields[2]), (int(fields[11]) + int(fields[12])) / ticks


def _processes() -> Iterator[tuple[int, tuple[str, int, int, float]]]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            yield int(entry.name), stat


def alive_in_group(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``."""
    return [pid for pid, (state, _, group, _) in _processes() if group == pgid and state != "Z"]


def parse_processes(cli: int) -> dict[int, float]:
    """The CLI's grandchildren (its parse processes: the children of its fork server)
    with their CPU seconds."""
    table = dict(_processes())
    children = {pid for pid, (_, ppid, _, _) in table.items() if ppid == cli}
    return {pid: s[3] for pid, s in table.items() if s[1] in children and s[0] != "Z"}


def busy_parse_process(cli: subprocess.Popen[bytes], cpu: float = 2.0) -> int:
    """A parse process that has spent ``cpu`` seconds parsing: the slow file's."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and cli.poll() is None:
        busy = [pid for pid, seconds in parse_processes(cli.pid).items() if seconds >= cpu]
        if busy:
            return busy[0]
        time.sleep(0.05)
    raise AssertionError(f"no parse process got busy (CLI exit code {cli.poll()})")


def folder_with_a_slow_file(corpus: Path, root: Path, copies: int = 1) -> Path:
    folder = root / "src"
    folder.mkdir()
    for i in range(copies):
        (folder / f"a-amp{i}.rdf").write_bytes(amp_rdf(1_200_000))
    for relative in (
        "rdf/bosquet-ontologies/skos.ttl",
        "logseq-metaverse/Avatar.md",
        "logseq-metaverse/DigitalTwin.md",
    ):
        (folder / Path(relative).name).write_bytes((corpus / relative).read_bytes())
    return folder


def start_cli(folder: Path, db: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "streaming_sync", "sync", str(folder), "--db", str(db),
        "--parser", "rdflib", "--workers", "2", "--json",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def end_group(cli: subprocess.Popen[bytes]) -> None:
    """Whatever the test found, leave nothing of the CLI's group behind."""
    for pid in alive_in_group(cli.pid):
        kill(pid)
    if cli.returncode is None:
        cli.kill()
        cli.communicate(timeout=10)


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def test_sigkill_of_the_cli_leaves_no_process_holding_its_pipes(
    corpus: Path, tmp_path: Path
) -> None:
    """SIGKILL the CLI while a parse runs: ``communicate()`` returns (before the fix it
    hung: the fork server, the resource tracker and the workers kept the pipes open and
    ran on), and within 5 s no process of the CLI's group is alive."""
    cli = start_cli(folder_with_a_slow_file(corpus, tmp_path), tmp_path / "s.db")
    try:
        busy_parse_process(cli)
        os.kill(cli.pid, signal.SIGKILL)
        try:
            cli.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("the killed CLI's children still hold its stdout/stderr")
        deadline = time.monotonic() + 5
        while (left := alive_in_group(cli.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert left == [], f"processes of the killed CLI still run: {left}"
    finally:
        end_group(cli)


def test_a_parse_process_killed_from_outside_fails_its_file_and_the_rest_lands(
    corpus: Path, tmp_path: Path
) -> None:
    """SIGKILL the process parsing the slow file (as the out-of-memory killer would): the
    CLI reports that file failed -- ParseProcessDied, retryable, naming the signal -- the
    other files land, and the exit code is 1 (before the fix: a BrokenProcessPool
    traceback and no report)."""
    cli = start_cli(folder_with_a_slow_file(corpus, tmp_path), tmp_path / "s.db")
    try:
        os.kill(busy_parse_process(cli), signal.SIGKILL)
        out, err = cli.communicate(timeout=90)
    finally:
        end_group(cli)
    assert cli.returncode == 1, err.decode()[-3000:]
    report = json.loads(out)
    (failure,) = report["failures"]
    assert failure["path"] == "a-amp0.rdf" and failure["error_type"] == "ParseProcessDied"
    assert failure["retryable"] and "killed by signal 9 (SIGKILL" in failure["message"]
    assert report["files"]["succeeded"] == 3


def test_parse_processes_that_keep_dying_stop_the_cli_with_exit_2(
    corpus: Path, tmp_path: Path
) -> None:
    """Kill every parse process as soon as it appears: after processes + 2 deaths in a
    row the CLI stops with exit 2 and a message saying the parse processes keep dying;
    the report says the sync was aborted."""
    cli = start_cli(folder_with_a_slow_file(corpus, tmp_path, copies=8), tmp_path / "s.db")
    try:
        killed: set[int] = set()
        deadline = time.monotonic() + 90
        while cli.poll() is None and time.monotonic() < deadline:
            for pid in parse_processes(cli.pid).keys() - killed:
                kill(pid)
                killed.add(pid)
            time.sleep(0.02)
        out, err = cli.communicate(timeout=30)
    finally:
        end_group(cli)
    assert cli.returncode == 2, err.decode()[-3000:]
    assert b"parse processes died in a row" in err
    assert json.loads(out)["outcome"] == "aborted"
