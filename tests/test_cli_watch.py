"""``streaming-sync watch`` as a process: progress per sync, ``/healthz``, ``/metrics``,
a signed webhook syncing at once and a forged one refused, SIGTERM ending it cleanly
(143), the webhook secret nowhere in its output or database; and a watcher SIGKILLed
mid-sync, then restarted, loses and duplicates no change record."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from streaming_sync import OntologySnapshot, apply_changes
from streaming_sync._defaults import open_repository
from streaming_sync.testing.github_server import GitHubLikeServer
from streaming_sync.testing.webhooks import deliver

from .conftest import ROOT
from .feed_support import expected_rows, push_edits, reports_until, start_watch_child

SAMPLE = ROOT / "examples" / "sample" / "metaverse"
SECRET = "whsec-" + "9f" * 16
NO_ROWS = OntologySnapshot.build([], [], [], [], [])


async def endpoint(stderr: asyncio.StreamReader, name: str) -> str:
    """The URL the watcher says it serves ``name`` on (its first lines on stderr)."""
    while line := (await stderr.readline()).decode():
        found = re.search(rf"streaming-sync: {name} on (http://\S+)", line)
        if found:
            return found.group(1)
    raise AssertionError(f"the watcher never said where its {name} endpoint is")


async def next_report(stdout: asyncio.StreamReader) -> dict[str, object]:
    line = await stdout.readline()
    assert line, "the watcher stopped printing reports"
    report: dict[str, object] = json.loads(line)
    return report


async def test_the_watch_command_end_to_end(tmp_path: Path) -> None:
    """The watcher prints a JSON report per sync; ``/healthz`` says ready with the last
    outcome and its age, ``/metrics`` serves the sync's metrics; a signed push (the poll
    interval is an hour) syncs at once, a forged one gets 401; SIGTERM ends it with 143;
    the secret is in no output, log or database file."""
    files = {p.name: p.read_bytes() for p in sorted(SAMPLE.glob("*.md"))[:4]}
    db = tmp_path / "watch.db"
    async with GitHubLikeServer(files) as server:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "streaming_sync", "watch", f"github:{server.owner}/{server.repo}",
            "--db", str(db), "--api-url", server.api_url, "--json", "--interval", "3600",
            "--health-port", "0", "--webhook-port", "0", "--webhook-secret-env", "HOOK_SECRET",
            "--metrics-port", "0", "--workers", "2",
            cwd=ROOT, env={**os.environ, "HOOK_SECRET": SECRET, "GITHUB_TOKEN": "t"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        try:
            async with asyncio.timeout(60):
                health = await endpoint(process.stderr, "health")
                hook = await endpoint(process.stderr, "webhook")
                metrics = await endpoint(process.stderr, "metrics")
                first = await next_report(process.stdout)
                async with aiohttp.ClientSession() as http:
                    async with http.get(health) as answer:
                        status = await answer.json()
                        assert answer.status == 200
                    async with http.get(metrics) as answer:
                        exposed = await answer.text()
                        assert answer.status == 200 and "streaming_sync_" in exposed
                assert status["ready"] and status["live"] and status["last_outcome"] == "succeeded"
                assert status["last_sync_age_s"] >= 0 and status["syncs"] == 1
                assert (await deliver(hook, {"zen": "hi"}, "wrong", event="ping"))[0] == 401
                server.add_webhook(hook, SECRET)
                name = sorted(files)[0]
                head = server.commit({name: files[name] + b"\n- a new line\n"})
                pushed = await next_report(process.stdout)
            assert pushed["commit"] == head != first["commit"]
            assert server.hook_answers == [(202, '{"message": "sync scheduled"}')]
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 143, err.decode()
    assert SECRET.encode() not in out + err
    for path in await asyncio.to_thread(lambda: list(tmp_path.iterdir())):
        assert SECRET.encode() not in await asyncio.to_thread(path.read_bytes), path


@pytest.mark.slow
async def test_a_watcher_killed_mid_sync_and_restarted_loses_no_change(tmp_path: Path) -> None:
    """Watchers SIGKILLed while they sync the commits pushed meanwhile (three times, with
    faulty requests), then a new watcher on the same database: once it synced the head,
    the feed -- applied in order to no rows -- gives exactly the rows, which are the
    upstream's (no change record lost, none doubled)."""
    rng = random.Random(11)
    db = str(tmp_path / "killed.db")
    async with GitHubLikeServer({}, fault_rate=0.05, seed=11) as server:
        push_edits(server, rng, 12)
        for _ in range(3):
            watcher = await start_watch_child(server, db, delay=0.1, interval=0.1)
            push_edits(server, rng, rng.randint(3, 6))
            await asyncio.sleep(rng.uniform(0.8, 1.6))  # the kill moment is the test's choice
            watcher.send_signal(signal.SIGKILL)
            await watcher.wait()
        server.fault_rate = 0.0
        head = push_edits(server, rng, 3)
        restarted = await start_watch_child(server, db, delay=0.0, interval=0.1)
        try:
            reports = await asyncio.wait_for(reports_until(restarted, head), 60)
        finally:
            restarted.send_signal(signal.SIGKILL)
            await restarted.wait()
        upstream = server.files
    assert reports[-1]["commit"] == head
    async with await open_repository(db) as repo:
        feed = await repo.changes("default", limit=10**6)
        rows = await repo.snapshot("default")
        killed = [r for r in await repo.history("default", 100) if str(r.outcome) == "running"]
    assert killed, "no watcher was killed while it synced: the test proved nothing"
    assert apply_changes(NO_ROWS, feed) == rows == expected_rows(upstream)
