"""SIGINT and SIGTERM to the real CLI in the middle of a sync of the real Logseq corpus:
in-flight files finish or roll back, the last run's report says it was aborted, the exit
code is 130 / 143, and the next run processes only the rest and ends with the rows of a
clean sync. (Cancelling ``service.sync()`` from Python is covered by
tests/test_service.py::test_cancelled_sync_writes_final_checkpoint_and_resumes.)"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from asyncio.subprocess import DEVNULL, PIPE
from pathlib import Path

import pytest

from streaming_sync import Outcome
from streaming_sync.storage.sqlite import SqliteRepository

from .conftest import CORPUS, ROOT


def command(folder: Path, db: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "streaming_sync", "sync", str(folder), "--db", str(db),
        "--workers", "1", "--quiet", *extra,
    ]  # fmt: skip


def committed(db: Path) -> int:
    """Files committed so far, read by another connection while the sync writes."""
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(connection.execute("SELECT COUNT(*) FROM sync_files").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return 0


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uninterrupted CLI sync of the corpus into a fresh database (the reference)."""
    if CORPUS is None:
        pytest.skip("corpus not found")
    db = tmp_path_factory.mktemp("clean") / "clean.db"
    done = subprocess.run(
        command(CORPUS / "logseq-metaverse", db), cwd=ROOT, capture_output=True, timeout=120
    )
    assert done.returncode in (0, 1), done.stderr.decode()
    return db


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_signal_stops_cleanly_and_the_next_run_resumes(
    corpus: Path, tmp_path: Path, clean_db: Path, signum: int, code: int
) -> None:
    """The signal arrives once 15 files are committed: exit code 130 (SIGINT) or 143
    (SIGTERM), the stored report is 'aborted'/'cancelled', and the resumed run processes
    only the files not committed, ending equal to a clean sync."""
    folder, db = corpus / "logseq-metaverse", tmp_path / "live.db"
    process = await asyncio.create_subprocess_exec(
        *command(folder, db), cwd=ROOT, stdout=DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while process.returncode is None and time.monotonic() < deadline:
        if await asyncio.to_thread(committed, db) >= 15:
            break
        await asyncio.sleep(0.02)
    process.send_signal(signum)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == code, err.decode()
    assert b"interrupted" in err
    async with await SqliteRepository.open(db) as repo:
        _, last = await repo.load("default")
        landed = len(await repo.committed_files("default"))
    assert last is not None and last.outcome is Outcome.ABORTED and last.error == "cancelled"
    assert 15 <= landed < last.files.listed
    resumed = await asyncio.create_subprocess_exec(
        *command(folder, db, "--json"), cwd=ROOT, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(resumed.communicate(), 120)
    assert resumed.returncode in (0, 1), err.decode()
    report = json.loads(out)
    assert report["files"]["unchanged"] == landed
    assert report["files"]["processed"] == report["files"]["listed"] - landed
    async with (
        await SqliteRepository.open(db) as live,
        await SqliteRepository.open(clean_db) as clean,
    ):
        assert await live.snapshot("default") == await clean.snapshot("default")
