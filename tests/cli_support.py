"""Running the real CLI in a subprocess: :func:`cli` (blocking) and :func:`acli` (for a
test whose event loop serves a GitHubLikeServer meanwhile), both with an environment
free of the caller's own ``STREAMING_SYNC_*`` settings; and :func:`run_github_cli`, for
the tests that kill it (the GitHub convergence test and the soak test)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from streaming_sync.testing.github_server import GitHubLikeServer

from .conftest import ROOT

SAMPLE = ROOT / "examples" / "sample"


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without ``STREAMING_SYNC_*`` settings (a developer's
    shell may hold some; the tests' own ``STREAMING_SYNC_TEST_*`` and the corpus stay),
    and without a GitHub token, plus ``extra``."""
    keep = ("STREAMING_SYNC_TEST_", "STREAMING_SYNC_CORPUS")
    env = {
        key: value
        for key, value in os.environ.items()
        if (not key.startswith("STREAMING_SYNC_") or key.startswith(keep)) and key != "GITHUB_TOKEN"
    }
    return {**env, **(extra or {})}


def cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m streaming_sync ARGS`` run to its end (``env`` added to a clean one)."""
    command = [sys.executable, "-m", "streaming_sync", *args]
    return subprocess.run(
        command,
        cwd=cwd,
        env=clean_env(env),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )


async def acli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path = ROOT
) -> tuple[int, str, str]:
    """:func:`cli` without blocking the event loop: (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "streaming_sync", *args],
        cwd=cwd,
        env=clean_env(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


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
