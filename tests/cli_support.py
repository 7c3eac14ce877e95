"""Running the real CLI against a GitHubLikeServer of the test process, for tests that
kill it: shared by the GitHub convergence test and the soak test."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from streaming_sync.testing.github_server import GitHubLikeServer

from .conftest import ROOT


async def run_github_cli(
    server: GitHubLikeServer, db: Path, token: str, kill_after: float | None
) -> int | None:
    """``streaming-sync sync github:...`` into ``db``; SIGKILLed after ``kill_after``
    seconds (None: run to its end and return the exit code, which must be 0 or 1)."""
    command = [
        sys.executable, "-m", "streaming_sync", "sync", f"github:{server.owner}/{server.repo}",
        "--db", str(db), "--api-url", server.api_url, "--quiet", "--workers", "3",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=ROOT,
        env={**os.environ, "GITHUB_TOKEN": token},
        stdout=asyncio.subprocess.DEVNULL,
        # stderr is read to its end even after a SIGKILL: the parse processes die with
        # the CLI (they watch their parent), so no child keeps the pipe open.
        stderr=asyncio.subprocess.PIPE,
    )
    if kill_after is None:
        _, err = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode in (0, 1), err.decode()
        return process.returncode
    # The kill point is the test's random choice, not something to wait for.
    await asyncio.sleep(kill_after)
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.communicate(), 60)
    return None
