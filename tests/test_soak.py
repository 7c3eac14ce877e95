"""Soak: the real Logseq corpus served by the GitHub-like server with ~10% transient
faults (5xx, resets, truncated bodies) plus 429s, synced by the real CLI that is
SIGKILLed at random moments and run again until no retryable failure is left. The end
state equals a clean sync into a fresh database, and no good file is lost."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync.testing.github_server import Fault, GitHubLikeServer, RequestRecord

from .cli_support import run_github_cli

TOKEN = "ghp_" + "soak" * 9


async def run_cli(server: GitHubLikeServer, db: Path, kill_after: float | None) -> int | None:
    return await run_github_cli(server, db, TOKEN, kill_after)


async def state(db: Path) -> tuple[object, dict[str, str], set[tuple[str, bool]]]:
    async with await SqliteRepository.open(db) as repo:
        failing, _ = await repo.load("default")
        return (
            await repo.snapshot("default"),
            dict(await repo.committed_files("default")),
            {(f.path, f.retryable) for f in failing},
        )


@pytest.mark.slow
async def test_faults_and_sigkills_converge_to_a_clean_sync(corpus: Path, tmp_path: Path) -> None:
    """~10% faulty requests and 2% 429s, three SIGKILLed runs, then runs until only
    permanent failures remain: rows, committed files and failing files equal those of a
    clean sync of the same commit into a fresh database."""
    rng = random.Random(2024)
    faults_rng = random.Random(7)

    def more_faults(record: RequestRecord) -> Fault | None:
        """Every tarball download is cut short, so the files come blob by blob through the
        10% faults whatever the kill moments (on a loaded machine a killed run may do
        little, and one whole tarball would leave too few faults to prove anything), and
        2% of API requests get a 429."""
        if record.origin == "download":
            return Fault("truncate")
        if faults_rng.random() < 0.02:
            return Fault.secondary(retry_after=0.2, status=429)
        return None

    db = tmp_path / "live.db"
    async with GitHubLikeServer(
        corpus / "logseq-metaverse", fault_rate=0.1, faults=more_faults, seed=3
    ) as server:
        for _ in range(3):
            await run_cli(server, db, kill_after=rng.uniform(0.8, 2.5))
        for _ in range(8):
            await run_cli(server, db, kill_after=None)
            _, _, failing = await state(db)
            if not any(retryable for _, retryable in failing):
                break
        live = await state(db)
        faulted = [r.fault for r in server.requests if r.fault]
        assert len(faulted) >= 10 and "truncate" in faulted
        server.fault_rate, server.faults = 0.0, None
        fresh = tmp_path / "fresh.db"
        await run_cli(server, fresh, kill_after=None)
        clean = await state(fresh)
    assert live[1] == clean[1]  # every good file landed, at the same content
    assert live[2] == clean[2]  # the same (permanent) failures, nothing retryable left
    assert live[0] == clean[0]
