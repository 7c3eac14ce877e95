"""PostgreSQL test support: find the server, give each test a fresh schema, and run a
shared-sync participant in its own process.

The tests need a server named by ``STREAMING_SYNC_TEST_PG_DSN`` (``.ci/postgres.sh``
starts one). Without it they are skipped with that reason -- except in CI (``CI=true``),
where a missing server is a failure.

``python -m tests.pg_support DSN SCHEMA FOLDER DELAY LEASE OUT [--join]`` runs one
participant of a shared sync (line format, folder source, PostgreSQL repository and
coordinator) and writes its report as JSON to OUT.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from streaming_sync import OntologyData, PathFilter, SyncConfig

DSN_ENV = "STREAMING_SYNC_TEST_PG_DSN"
TXT = PathFilter(include=("*.txt",))


def pg_dsn() -> str:
    """The test server's DSN; skips (fails in CI) when there is none."""
    dsn = os.environ.get(DSN_ENV)
    if dsn:
        return dsn
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: {DSN_ENV} is not set; .ci/run must start PostgreSQL (.ci/postgres.sh)")
    pytest.skip(f"no PostgreSQL server: set {DSN_ENV} (start one with .ci/postgres.sh start)")


def fresh_schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


@asynccontextmanager
async def fresh_repository(
    dsn: str, schema: str | None = None, pool_size: int = 10
) -> AsyncIterator[object]:
    """A ``PostgresRepository`` in a new schema, dropped afterwards."""
    from streaming_sync.storage.postgres import PostgresRepository

    repo = await PostgresRepository.open(
        dsn, schema=schema or fresh_schema_name(), pool_size=pool_size
    )
    try:
        yield repo
    finally:
        await drop_schema(dsn, repo.schema)
        await repo.aclose()


async def drop_schema(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


class SlowLineParser:
    """The line format (tests/lineformat.py), sleeping ``delay`` per file so a test can
    kill a participant mid-run; picklable."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def accepts(self, path: str) -> bool:
        return path.endswith(".txt")

    def parse(self, path: str, data: bytes) -> OntologyData:
        from tests.lineformat import LineParser

        time.sleep(self.delay)
        return LineParser().parse(path, data)


async def participant(
    dsn: str, schema: str, folder: str, delay: float, lease: float, *, join: bool = False
) -> dict[str, object]:
    """One participant of a shared sync; returns its report as a dict."""
    from streaming_sync import StreamingSyncService
    from streaming_sync.sources.folder import FolderFetcher
    from streaming_sync.storage.postgres import PostgresCoordinator, PostgresRepository

    repo = await PostgresRepository.open(dsn, schema=schema, pool_size=4)
    coordinator = PostgresCoordinator(repo, lease=lease, join=join, join_wait=10.0)
    service = StreamingSyncService(
        fetcher=FolderFetcher(folder, path_filter=TXT),
        repository=repo,
        parser=SlowLineParser(delay),
        config=SyncConfig(workers=2, parse_processes=0),
        coordinator=coordinator,
        owned=[repo],
    )
    async with service:
        report = await service.sync()
    return report.to_dict()


def main(argv: list[str]) -> int:
    dsn, schema, folder, delay, lease, out = argv[:6]
    report = asyncio.run(
        participant(dsn, schema, folder, float(delay), float(lease), join="--join" in argv)
    )
    with open(out, "w", encoding="utf-8") as stream:
        json.dump(report, stream)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = [
    "DSN_ENV",
    "SlowLineParser",
    "drop_schema",
    "fresh_repository",
    "fresh_schema_name",
    "participant",
    "pg_dsn",
]
