"""The change feed end to end: syncs record what they changed exactly once, whatever
kills and faults happen meanwhile -- applying the records in order to the rows before
the first sync gives the rows after the last one -- on SQLite and on PostgreSQL; a
re-sync without upstream change records nothing; reports and events carry the counts."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streaming_sync import (
    ChangeFeed,
    ChangeSummary,
    ClassChange,
    ClassRow,
    EdgeChange,
    OntologySnapshot,
    RowsChanged,
    StreamingSyncService,
    SyncConfig,
    SyncReport,
    apply_changes,
)
from streaming_sync._changes import summarize
from streaming_sync._defaults import open_repository
from streaming_sync.testing.github_server import GitHubLikeServer
from streaming_sync.testing.memory import InMemoryFetcher, RecordingSink

from .feed_support import expected_rows, push_edits, run_child
from .lineformat import LineParser
from .pg_support import drop_schema, fresh_schema_name, pg_dsn

NO_ROWS = OntologySnapshot.build([], [], [], [], [])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL schema (dropped afterwards)."""
    if request.param == "sqlite":
        yield str(tmp_path / "feed.db")
        return
    dsn, schema = pg_dsn(), fresh_schema_name()
    try:
        yield f"{dsn}?schema={schema}"
    finally:
        await drop_schema(dsn, schema)


async def feed_and_rows(db: str) -> tuple[list[object], OntologySnapshot]:
    async with await open_repository(db) as repo:
        assert isinstance(repo, ChangeFeed)
        return list(await repo.changes("default", limit=10**6)), await repo.snapshot("default")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 6])
async def test_feed_replays_through_edits_kills_and_faults(database: str, seed: int) -> None:
    """Random upstream commits, syncs SIGKILLed at random moments and ~20% faulty
    requests; then syncs until none fails for a retryable reason: the feed, applied in
    order to no rows, gives exactly the rows in the database -- which are the rows of
    the upstream (no record lost, none doubled) -- and every record names its run.
    (20%, not 10%: a sync now makes fewer requests -- the commit and tree in one
    round, a 304 for no change -- and a killed one may have made only a few.)"""
    rng = random.Random(seed)
    async with GitHubLikeServer({}, fault_rate=0.2, seed=seed) as server:
        push_edits(server, rng, 15)
        for round_ in range(5):
            push_edits(server, rng, rng.randint(1, 6))
            await run_child(server, database, delay=0.01, kill_after=rng.uniform(0.2, 1.0))
            if round_ % 2:
                await run_child(server, database, delay=0.002, kill_after=None)
        faulted = [r for r in server.requests if r.fault]
        server.fault_rate = 0.0
        await run_child(server, database, delay=0, kill_after=None)
        upstream = server.files
    feed, rows = await feed_and_rows(database)
    assert len(faulted) >= 5
    assert apply_changes(NO_ROWS, feed) == rows  # type: ignore[arg-type]
    assert rows == expected_rows(upstream)
    positions = [c.position for c in feed]  # type: ignore[attr-defined]
    assert positions == sorted(set(positions))
    assert all(c.run_id for c in feed)  # type: ignore[attr-defined]


def line_files(n: int) -> dict[str, bytes]:
    return {
        f"f{i:02}.txt": f"class ex:C{i} L{i}\nsub ex:C{i} ex:C{(i + 1) % n}".encode()
        for i in range(n)
    }


async def sync_files(db: str, files: dict[str, bytes], *, full: bool = False) -> SyncReport:
    sink = RecordingSink()
    async with await open_repository(db) as repo:
        service = StreamingSyncService(
            fetcher=InMemoryFetcher(files),
            repository=repo,
            parser=LineParser(),
            sinks=[sink],
            config=SyncConfig(workers=3, parse_processes=0, full=full),
        )
        report = await service.sync()
    total = ChangeSummary(run_id=report.changes.run_id)
    for event in sink.events:
        if isinstance(event, RowsChanged):
            assert event.changes.total > 0 and event.changes.run_id == total.run_id
            total += event.changes
    assert total == report.changes  # the report is the sum of the commits' events
    return report


async def test_a_resync_without_upstream_change_records_nothing(database: str) -> None:
    """The first sync records every row it wrote (its report counts them, its run id
    tags them); syncing again without an upstream change -- also with ``full``, which
    rewrites every file -- records nothing and reports zero changes."""
    files = line_files(6)
    first = await sync_files(database, files)
    feed, rows = await feed_and_rows(database)
    assert first.changes == summarize(feed, first.changes.run_id)  # type: ignore[arg-type]
    assert first.changes.classes.added == 6 and first.changes.edges.added == 6
    assert {c.run_id for c in feed} == {first.changes.run_id}  # type: ignore[attr-defined]
    assert apply_changes(NO_ROWS, feed) == rows  # type: ignore[arg-type]
    for full in (False, True):
        again = await sync_files(database, files, full=full)
        assert again.changes.total == 0 and again.changes.run_id != first.changes.run_id
        assert (await feed_and_rows(database))[0] == feed


async def test_an_upstream_edit_records_its_difference(database: str) -> None:
    """One file edited and one deleted upstream: the next sync records the label
    change, the edge swap, the removed edge, and the deleted file's class turning into
    a placeholder (another file's edge still names it) -- nothing for untouched files."""
    files = line_files(4)
    await sync_files(database, files)
    before, _ = await feed_and_rows(database)
    edited = {**files, "f00.txt": b"class ex:C0 New\nsub ex:C0 ex:C2"}
    del edited["f03.txt"]
    report = await sync_files(database, edited)
    feed, rows = await feed_and_rows(database)
    new = feed[len(before) :]
    assert apply_changes(NO_ROWS, feed) == rows  # type: ignore[arg-type]
    changed = report.changes
    assert (changed.classes.changed, changed.edges.added, changed.edges.removed) == (2, 1, 2)
    edges = {(c.op, c.row.class_iri, c.row.parent_iri) for c in new if isinstance(c, EdgeChange)}
    assert edges == {
        ("added", "ex:C0", "ex:C2"),
        ("removed", "ex:C0", "ex:C1"),
        ("removed", "ex:C3", "ex:C0"),
    }
    classes = {c.iri: c for c in new if isinstance(c, ClassChange)}
    assert classes["ex:C0"].fields == ("label", "file_sha1")
    assert classes["ex:C3"].new == ClassRow("ex:C3", None, None, None, None)
    assert report.to_dict()["changes"] == changed.to_dict()
    assert SyncReport.from_dict(report.to_dict()).changes == changed
