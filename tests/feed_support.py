"""Change-feed test support: random upstream edits pushed to a GitHubLikeServer as
commits, and a sync in its own process that a test SIGKILLs.

``python -m tests.feed_support API_URL OWNER REPO DB DELAY [INTERVAL]`` syncs the
server's repository (line format, ``*.txt``; tests/lineformat.py) into DB -- a SQLite
file or a ``postgresql://...?schema=NAME`` URL -- sleeping DELAY seconds per file so
that a kill lands mid-sync. With INTERVAL it watches instead (``service.watch``),
printing each report as a JSON line, until killed.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sys
import time
from typing import Any

from streaming_sync import (
    OntologyData,
    OntologySnapshot,
    PathFilter,
    RetryPolicy,
    StreamingSyncService,
    SyncConfig,
)
from streaming_sync.testing.github_server import GitHubLikeServer

from .conftest import ROOT
from .lineformat import LineParser

IRIS = [f"ex:C{i}" for i in range(10)]
PAGES = ["alpha", "beta", "gamma"]


def random_text(rng: random.Random) -> bytes:
    """A line-format file sharing IRIs and page keys with its neighbours; sometimes
    broken (a parse error)."""
    lines = [
        f"class {rng.choice(IRIS)} {rng.choice(['', 'L1', 'L2'])}".rstrip()
        for _ in range(rng.randint(0, 3))
    ]
    lines += [f"sub {rng.choice(IRIS)} {rng.choice([*IRIS, 'ex:Out'])}" for _ in range(3)]
    if rng.random() < 0.4:
        lines.append(f"link {rng.choice(IRIS)} {rng.choice(PAGES)}")
    if rng.random() < 0.5:
        lines.append(f"page {rng.choice(PAGES)}")
    if rng.random() < 0.08:
        lines.append("fail broken on purpose")
    return "\n".join(lines).encode()


def push_edits(server: GitHubLikeServer, rng: random.Random, count: int) -> str:
    """``count`` random adds, modifications and deletions, pushed as one commit."""
    files = sorted(server.files)
    changes: dict[str, bytes | None] = {}
    for _ in range(count):
        action = rng.choice(["add", "add", "modify", "delete"]) if files else "add"
        if action == "add":
            changes[f"f{rng.randint(0, 10**6):07}.txt"] = random_text(rng)
        elif action == "modify":
            changes[rng.choice(files)] = random_text(rng)
        else:
            changes[rng.choice(files)] = None
    return server.commit(changes, message=f"{count} edits")


def expected_rows(files: dict[str, bytes]) -> OntologySnapshot:
    """``materialize`` of the files that parse (the reference rows, no database)."""
    from streaming_sync import StreamingSyncError, git_blob_sha1, materialize

    parser, parsed = LineParser(), {}
    for path, data in sorted(files.items()):
        try:
            parsed[path] = (git_blob_sha1(data), parser.parse(path, data))
        except StreamingSyncError:
            continue
    return materialize(parsed)


async def run_child(
    server: GitHubLikeServer, db: str, *, delay: float, kill_after: float | None
) -> int | None:
    """The sync of ``main`` in its own process; SIGKILLed after ``kill_after`` seconds
    (None: to its end, returning its exit code)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.feed_support", server.api_url, server.owner,
        server.repo, db, str(delay),
        cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    if kill_after is None:
        _, err = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode in (0, 1), err.decode()
        return process.returncode
    await asyncio.sleep(kill_after)  # the kill moment is the test's random choice
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.communicate(), 60)
    return None


async def start_watch_child(
    server: GitHubLikeServer, db: str, *, delay: float, interval: float
) -> asyncio.subprocess.Process:
    """``main`` in watch mode in its own process (reports as JSON lines on stdout)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.feed_support", server.api_url, server.owner,
        server.repo, db, str(delay), str(interval),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def reports_until(process: asyncio.subprocess.Process, commit: str) -> list[dict[str, Any]]:
    """The reports a watching child prints, up to the first of a settled sync of
    ``commit``."""
    assert process.stdout is not None
    seen = []
    while line := await process.stdout.readline():
        report = json.loads(line)
        seen.append(report)
        settled = report["outcome"] == "succeeded" or (
            report["outcome"] == "partial" and not any(f["retryable"] for f in report["failures"])
        )
        if report["commit"] == commit and settled:
            return seen
    raise AssertionError(f"the watcher ended before syncing {commit}: {seen[-1:]}")


class SlowParser(LineParser):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def parse(self, path: str, data: bytes) -> OntologyData:
        time.sleep(self.delay)
        return super().parse(path, data)


async def main(
    api_url: str, owner: str, repo: str, db: str, delay: float, interval: float | None = None
) -> int:
    from streaming_sync._defaults import open_repository
    from streaming_sync.sources.github import GitHubFetcher

    repository = await open_repository(db)
    fetcher = GitHubFetcher(
        owner=owner,
        repo=repo,
        api_url=api_url,
        path_filter=PathFilter(include=("*.txt",)),
        cache=repository,
        tarball_threshold=10**6,
    )
    service = StreamingSyncService(
        fetcher=fetcher,
        repository=repository,
        parser=SlowParser(delay),
        config=SyncConfig(
            workers=3,
            parse_processes=0,
            retry=RetryPolicy(max_attempts=3, base=0.01, cap=0.05),
        ),
        owned=[repository, fetcher],
    )
    async with service:
        if interval is not None:
            async for watched in service.watch(interval):
                sys.stdout.write(json.dumps(watched.to_dict()) + "\n")
                sys.stdout.flush()
        report = await service.sync()
    return 0 if not report.failures else 1


if __name__ == "__main__":
    api, owner_, repo_, db_, delay_ = sys.argv[1:6]
    every = float(sys.argv[6]) if len(sys.argv) > 6 else None
    sys.exit(asyncio.run(main(api, owner_, repo_, db_, float(delay_), every)))


__all__ = [
    "expected_rows",
    "push_edits",
    "random_text",
    "reports_until",
    "run_child",
    "start_watch_child",
]
