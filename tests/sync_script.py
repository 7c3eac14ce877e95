"""A sync in its own process, for tests that kill it: ``python -m tests.sync_script
FOLDER DB [DELAY [KILL_AT]]``. Uses the line format (tests/lineformat.py), a folder source
and the SQLite repository; DELAY seconds of sleep per file widen the windows for SIGKILL
from outside; KILL_AT > 0 makes the process SIGKILL itself when its KILL_AT-th file
starts, i.e. while other files are in flight (a deterministic crash point)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from streaming_sync import FileStarted, PathFilter, StreamingSyncService, SyncConfig
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.storage.sqlite import SqliteRepository
from tests.lineformat import LineParser


class SlowParser(LineParser):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def parse(self, path: str, data: bytes):  # type: ignore[no-untyped-def]
        import time

        time.sleep(self.delay)
        return super().parse(path, data)


class KillAt:
    """A progress sink that SIGKILLs this process when the n-th file starts."""

    def __init__(self, n: int) -> None:
        self.n = n

    async def emit(self, event: object) -> None:
        if isinstance(event, FileStarted):
            self.n -= 1
            if self.n == 0:
                os.kill(os.getpid(), signal.SIGKILL)


async def run(folder: str, db: str, delay: float, kill_at: int) -> int:
    repo = await SqliteRepository.open(db)
    service = StreamingSyncService(
        fetcher=FolderFetcher(folder, path_filter=PathFilter(include=("*.txt",))),
        repository=repo,
        parser=SlowParser(delay),
        config=SyncConfig(workers=3, parse_processes=0),
        sinks=[KillAt(kill_at)] if kill_at > 0 else [],
        owned=[repo],
    )
    async with service:
        report = await service.sync()
    return 0 if not report.failures else 1


if __name__ == "__main__":
    args = [*sys.argv[1:], "0", "0"]
    sys.exit(asyncio.run(run(args[0], args[1], float(args[2]), int(args[3]))))
