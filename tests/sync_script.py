"""A sync in its own process, for tests that kill it: ``python -m tests.sync_script
FOLDER DB [DELAY]``. Uses the line format (tests/lineformat.py), a folder source and the
SQLite repository; DELAY seconds of sleep per file widen the windows for SIGKILL."""

from __future__ import annotations

import asyncio
import sys

from streaming_sync._config import SyncConfig
from streaming_sync._service import StreamingSyncService
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


async def run(folder: str, db: str, delay: float) -> int:
    repo = await SqliteRepository.open(db)
    service = StreamingSyncService(
        fetcher=FolderFetcher(folder),
        repository=repo,
        parser=SlowParser(delay),
        config=SyncConfig(workers=3, parse_processes=0),
        owned=[repo],
    )
    async with service:
        report = await service.sync()
    return 0 if not report.failures else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(run(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0)))
