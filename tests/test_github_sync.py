"""Whole syncs from the GitHub-like server: rate limits, budgets, token hygiene, and the
convergence invariant across upstream commits and SIGKILLs of the real CLI."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
from pathlib import Path

import pytest

from streaming_sync import (
    Outcome,
    PathFilter,
    RateLimited,
    RetryPolicy,
    StreamingSyncService,
    SyncAborted,
    SyncConfig,
    SyncMetrics,
)
from streaming_sync.sources.github import GitHubFetcher
from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync.testing import InMemoryRepository, RecordingSink
from streaming_sync.testing.github_server import GitHubLikeServer

from .cli_support import run_github_cli
from .lineformat import LineParser

TOKEN = "ghp_" + "S3cr3tT0kenValue" * 2
TXT = PathFilter(include=("*.txt",))


def files(n: int) -> dict[str, bytes]:
    return {f"pages/f{i:03}.txt": f"class ex:C{i}\nsub ex:C{i} ex:Root".encode() for i in range(n)}


def service(
    server: GitHubLikeServer,
    repo: object,
    sink: RecordingSink | None = None,
    **fetcher_options: object,
) -> StreamingSyncService:
    fetcher = GitHubFetcher(
        owner=server.owner,
        repo=server.repo,
        api_url=server.api_url,
        token=TOKEN,
        path_filter=TXT,
        tarball_threshold=10**6,
        **fetcher_options,  # type: ignore[arg-type]
    )
    return StreamingSyncService(
        fetcher=fetcher,
        repository=repo,
        parser=LineParser(),  # type: ignore[arg-type]
        sinks=[sink] if sink else [],
        config=SyncConfig(workers=6, parse_processes=0, retry=RetryPolicy(base=0.01, cap=0.05)),
        owned=[fetcher],
    )


async def test_rate_limit_smaller_than_the_repository_waits_for_reset() -> None:
    """A budget of 15 requests per 1 s window for 40 files: the sync completes after
    pausing every worker, reports the pause, and never exceeds the budget."""
    async with GitHubLikeServer(files(40), rate_limit=15, rate_window=1.0) as server:
        sink = RecordingSink()
        repo = InMemoryRepository()
        metrics = SyncMetrics()
        async with service(server, repo, sink, reset_margin=0.05) as svc:
            svc.sinks.append(metrics)
            report = await svc.sync()
            stats = svc.stats()
        # The rate-limit gauge reads the fetcher's estimate of GitHub's budget.
        assert stats.rate_limit_remaining is not None
        assert 0 <= stats.rate_limit_remaining < 15
        snapshot = metrics.snapshot(stats)
        assert snapshot.rate_limit_remaining == stats.rate_limit_remaining
        assert snapshot.counters["rate_limit_pauses"] >= 1
        assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == 40
        assert server.over_budget == 0
        assert sink.of_type(RateLimited)
        assert report.stages.rate_limited > 0


async def test_wait_budget_stops_cleanly_and_keeps_what_landed() -> None:
    """With a rate-limit window longer than the wait budget, the sync stops as fatal with
    a message saying when to try again; files fetched before stay committed."""
    async with GitHubLikeServer(files(30), rate_limit=12, rate_window=120.0) as server:
        repo = InMemoryRepository()
        async with service(server, repo, wait_budget=1.0) as svc:
            with pytest.raises(SyncAborted, match="try again") as caught:
                await svc.sync()
        report = caught.value.report
        assert report.outcome is Outcome.ABORTED  # type: ignore[attr-defined]
        committed = await repo.committed_files("default")
        assert 0 < len(committed) < 30
        assert server.over_budget == 0


async def test_unchanged_resync_costs_two_conditional_requests(db_path: Path) -> None:
    """With ETags kept in the SQLite database, re-syncing an unchanged repository sends
    at most 2 requests, answered 304, and processes nothing."""
    async with GitHubLikeServer(files(20)) as server:
        async with await SqliteRepository.open(db_path) as repo:
            async with service(server, repo, cache=repo) as svc:
                await svc.sync()
            before = len(server.requests)
            async with service(server, repo, cache=repo) as svc:
                report = await svc.sync()
        again = server.requests[before:]
        assert report.files.processed == 0 and report.files.unchanged == 20
        assert len(again) <= 2 and all(r.status == 304 for r in again)


async def test_token_never_reaches_logs_reports_or_database(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Through faults, retries and failures, the token appears in no log line, report or
    database row, and never on the download origin."""
    caplog.set_level(logging.DEBUG)
    async with (
        GitHubLikeServer(files(30), fault_rate=0.1, seed=7) as server,
        await SqliteRepository.open(db_path) as repo,
    ):
        fetcher = GitHubFetcher(
            owner=server.owner,
            repo=server.repo,
            api_url=server.api_url,
            token=TOKEN,
            path_filter=TXT,
            tarball_threshold=1,
            cache=repo,
        )
        async with StreamingSyncService(
            fetcher=fetcher,
            repository=repo,
            parser=LineParser(),
            config=SyncConfig(
                workers=4,
                parse_processes=0,
                retry=RetryPolicy(max_attempts=10, base=0.01, cap=0.02),
            ),
            owned=[fetcher],
        ) as svc:
            report = await svc.sync()
    texts = [r.getMessage() for r in caplog.records] + [str(report.to_dict()), repr(report)]
    assert not [t for t in texts if TOKEN in t]
    # closing(): a sqlite3 connection's own `with` only commits; Python 3.13 warns about
    # (and our warnings-as-errors fail on) a connection left for the collector to close.
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                assert TOKEN not in repr(row), table
    raw = await asyncio.to_thread(db_path.read_bytes)  # WAL was checkpointed on close
    assert TOKEN.encode() not in raw
    assert all(TOKEN not in str(r.headers) for r in server.download_requests())


async def run_cli(server: GitHubLikeServer, db: Path, kill_after: float | None) -> int | None:
    return await run_github_cli(server, db, TOKEN, kill_after)


async def db_snapshot(db: Path) -> object:
    async with await SqliteRepository.open(db) as repo:
        return await repo.snapshot("default")


@pytest.mark.slow
async def test_cli_killed_across_upstream_commits_converges(tmp_path: Path, corpus: Path) -> None:
    """The real CLI syncing real Logseq pages from the server, SIGKILLed at random moments
    while upstream files are added, changed, renamed and deleted, ends with exactly the
    rows of a clean sync of the final commit."""
    source = corpus / "logseq-metaverse" / "VisioningLab"
    pages = {p.name: p.read_bytes() for p in sorted(source.glob("*.md"))[:120]}
    rng = random.Random(11)
    db = tmp_path / "live.db"
    async with GitHubLikeServer(pages, fault_rate=0.05, seed=5) as server:
        for round_ in range(3):
            await run_cli(server, db, kill_after=rng.uniform(0.6, 2.0))
            names = sorted(server.files)
            changes: dict[str, bytes | None] = {}
            for name in rng.sample(names, 4):
                changes[name] = server.files[name] + f"\n- round {round_}".encode()
            changes[rng.choice(names)] = None
            renamed = rng.choice([n for n in names if n not in changes])
            server.commit(changes, renames={renamed: f"renamed-{round_}-{renamed}"})
        for _ in range(5):  # transient faults may leave files failing: run until all landed
            if await run_cli(server, db, kill_after=None) == 0:
                break
        live = await db_snapshot(db)
        server.fault_rate = 0.0
        fresh_db = tmp_path / "fresh.db"
        assert await run_cli(server, fresh_db, kill_after=None) == 0
        assert live == await db_snapshot(fresh_db)
