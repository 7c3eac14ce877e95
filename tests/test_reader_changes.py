"""Reading the change feed: ``OntologyReader.changes`` (positions, runs, reports, pages,
pruned records refused) on every storage that keeps a feed, ``follow`` as records are
committed -- woken by PostgreSQL's NOTIFY rather than its poll interval -- and the
``changes``/``prune`` commands."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from streaming_sync import (
    Change,
    ChangesPruned,
    ConfigError,
    FileEntry,
    OntologyReader,
    OntologySnapshot,
    Repository,
    StreamingSyncService,
    SyncConfig,
    SyncReport,
    apply_changes,
)
from streaming_sync._cli import main
from streaming_sync._defaults import open_repository
from streaming_sync.testing.memory import InMemoryFetcher, InMemoryRepository

from .lineformat import LineParser
from .pg_support import drop_schema, fresh_schema_name, pg_dsn

NO_ROWS = OntologySnapshot.build([], [], [], [], [])


def files(n: int, label: str = "L") -> dict[str, bytes]:
    return {
        f"f{i}.txt": f"class ex:C{i} {label}{i}\nsub ex:C{i} ex:Root".encode() for i in range(n)
    }


async def sync(repository: Repository, content: Mapping[str, bytes]) -> SyncReport:
    service = StreamingSyncService(
        fetcher=InMemoryFetcher(dict(content)),
        repository=repository,
        parser=LineParser(),
        config=SyncConfig(workers=2, parse_processes=0),
    )
    return await service.sync()


@pytest.fixture(params=["sqlite", "memory", pytest.param("postgres", marks=pytest.mark.postgres)])
async def repository(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repository]:
    """A repository that keeps a change feed: a SQLite file, the in-memory reference, or
    a PostgreSQL schema."""
    if request.param == "memory":
        yield InMemoryRepository()
        return
    if request.param == "sqlite":
        async with await open_repository(tmp_path / "r.db") as repo:
            yield repo
        return
    dsn, schema = pg_dsn(), fresh_schema_name()
    try:
        async with await open_repository(f"{dsn}?schema={schema}") as repo:
            yield repo
    finally:
        await drop_schema(dsn, schema)


async def reader_on(repository: Repository, tmp_path: Path) -> OntologyReader:
    """The reader a user would open: on the file for SQLite, on the repository else."""
    return await OntologyReader.open(repository)


async def test_changes_since_positions_runs_and_reports(
    repository: Repository, tmp_path: Path
) -> None:
    """Two syncs: ``changes()`` holds both runs' records and replays to the rows;
    ``since`` the first report (or its run id) gives both runs, since the second only
    the second; a position reads after it; pages are ``limit`` long."""
    first = await sync(repository, files(3))
    second = await sync(repository, files(3, label="M"))
    async with await reader_on(repository, tmp_path) as reader:
        every = await reader.changes()
        assert apply_changes(NO_ROWS, every) == await repository.snapshot("default")
        assert [c.run_id for c in every] == sorted(c.run_id for c in every)  # type: ignore[type-var]
        latest = [c for c in every if c.run_id == second.changes.run_id]
        assert len(latest) == second.changes.total == 3  # three labels changed
        assert await reader.changes(since=second) == latest
        assert await reader.changes(since=second.changes.run_id) == latest
        assert await reader.changes(since=first) == every
        assert await reader.changes(since=every[2].position) == every[3:]
        assert await reader.changes(limit=2) == every[:2]
        with pytest.raises(ValueError, match="since=-1"):
            await reader.changes(since=-1)


async def test_pruned_changes_are_refused(repository: Repository, tmp_path: Path) -> None:
    """After pruning all but the last run, reading since an older run or position raises
    ChangesPruned saying where the feed can continue from; that position works."""
    first = await sync(repository, files(2))
    await sync(repository, files(2, label="N"))
    assert await repository.prune("default", keep_runs=1) == first.changes.total  # type: ignore[attr-defined]
    async with await reader_on(repository, tmp_path) as reader:
        with pytest.raises(ChangesPruned, match="no longer holds") as refused:
            await reader.changes(since=first)
        with pytest.raises(ChangesPruned):
            await reader.changes(since=0)
        assert await reader.changes(since=refused.value.kept_after) == await reader.changes()


async def test_follow_yields_records_as_syncs_commit(
    repository: Repository, tmp_path: Path
) -> None:
    """``follow()`` after the newest position yields exactly the records of the syncs
    that happen while it runs, in order, as they commit (a PostgreSQL reader wakes on
    NOTIFY: its poll interval here is far longer than the test may take)."""
    await sync(repository, files(2))
    poll = 600.0 if "Postgres" in type(repository).__name__ else 0.05
    async with await reader_on(repository, tmp_path) as reader:
        arrived: asyncio.Queue[Change] = asyncio.Queue()
        now = await reader.change_feed().last_position("default")
        following = reader.follow(now, poll=poll)

        async def follow() -> None:
            async for change in following:
                arrived.put_nowait(change)

        task = asyncio.create_task(follow())
        try:
            async with asyncio.timeout(30):
                for label in ("M", "N"):
                    report = await sync(repository, files(2, label=label))
                    got = [await arrived.get() for _ in range(report.changes.total)]
                    assert got == await reader.changes(since=report)
                    assert {c.run_id for c in got} == {report.changes.run_id}
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert arrived.empty()


async def test_a_storage_without_a_feed_is_refused() -> None:
    """A reader on a repository that keeps no feed says so (ConfigError)."""

    class NoFeed:
        def __init__(self) -> None:
            self.inner = InMemoryRepository()

        async def save_file(self, oid: str, entry: FileEntry, data: object) -> None:
            await self.inner.save_file(oid, entry, data)  # type: ignore[arg-type]

        async def remove_file(self, oid: str, path: str) -> None:
            await self.inner.remove_file(oid, path)

        async def committed_files(self, oid: str) -> Mapping[str, str]:
            return await self.inner.committed_files(oid)

        async def snapshot(self, oid: str) -> OntologySnapshot:
            return await self.inner.snapshot(oid)

        async def aclose(self) -> None:
            return None

    async with OntologyReader(NoFeed()) as reader:  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="keeps no change feed"):
            await reader.changes()


def test_the_changes_and_prune_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``changes --json`` prints one JSON object per record (``--since`` a position or
    a run id, ``--limit``), the text form one line each; ``prune --keep-runs 1`` deletes
    the older run's records, after which ``--since 0`` is refused with exit 2."""
    db = tmp_path / "c.db"

    async def two_syncs() -> tuple[SyncReport, SyncReport]:
        async with await open_repository(db) as repo:
            return await sync(repo, files(2)), await sync(repo, files(2, label="Z"))

    first, second = asyncio.run(two_syncs())
    assert main(["changes", "--db", str(db), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == first.changes.total + second.changes.total
    assert {line["run_id"] for line in lines} == {first.changes.run_id, second.changes.run_id}
    assert lines[0]["kind"] == "class" and lines[0]["op"] == "added"
    assert main(["changes", "--db", str(db), "--json", "--since", str(second.changes.run_id)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == second.changes.total == 2
    assert main(["changes", "--db", str(db), "--since", "1", "--limit", "2"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert len(text) == 2 and text[0].split()[0] == "2"
    assert main(["changes", "--db", str(db), "--since", str(lines[-1]["position"])]) == 0
    assert capsys.readouterr().out == ""
    assert main(["prune", "--db", str(db), "--keep-runs", "1"]) == 0
    assert f"pruned {first.changes.total} change record(s)" in capsys.readouterr().out
    assert main(["changes", "--db", str(db), "--since", "0"]) == 2
    assert "no longer holds the changes since position 0" in capsys.readouterr().err
    assert main(["changes", "--db", str(tmp_path / "none.db")]) == 2
    assert main(["prune", "--db", str(db)]) == 2
