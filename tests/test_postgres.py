"""The PostgreSQL backend: the repository contract, the convergence invariant, schema
creation and upgrades, concurrency, the checkpoint store and the HTTP cache.

Needs a server (``STREAMING_SYNC_TEST_PG_DSN``, see ``tests/pg_support.py``): skipped
without one, a failure in CI. Each test works in a fresh PostgreSQL schema.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from streaming_sync import (
    BatchWriter,
    CheckpointStore,
    FileCounts,
    FileEntry,
    FileFailure,
    Outcome,
    PathFilter,
    Repository,
    RowCounts,
    SchemaError,
    StorageError,
    StreamingSyncService,
    StreamWriter,
    SyncConfig,
    SyncReport,
)
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.storage.postgres import PostgresRepository
from streaming_sync.storage.postgres import _schema as _pg_schema
from streaming_sync.testing.contract import RepositoryContract, cls, data

from .conftest import ROOT
from .lineformat import LineParser
from .pg_support import drop_schema, fresh_repository, fresh_schema_name, pg_dsn
from .test_convergence import edit, expected_rows

pytestmark = pytest.mark.postgres
TXT = PathFilter(include=("*.txt",))


@pytest.fixture
def dsn() -> str:
    return pg_dsn()


@pytest.fixture
async def pg(dsn: str) -> AsyncIterator[PostgresRepository]:
    async with fresh_repository(dsn) as repo:
        assert isinstance(repo, PostgresRepository)
        yield repo


class TestPostgresRepository(RepositoryContract):
    """PostgreSQL passes the same contract as SQLite and the in-memory reference."""

    @pytest.fixture
    async def repository(self, pg: PostgresRepository) -> Repository:
        return pg

    async def check_invariants(self, repository: Repository) -> None:
        # Foreign keys are enforced by the server on every statement; check that no
        # affected-set row survives a commit (ON COMMIT DELETE ROWS).
        assert isinstance(repository, PostgresRepository)
        async with repository.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM pg_temp.sync_affected") == 0


async def test_is_a_repository_and_checkpoint_store(pg: PostgresRepository) -> None:
    """The backend satisfies both protocols the service needs, and declares group commit
    and streamed saves (so the contract holds it to them)."""
    assert isinstance(pg, Repository)
    assert isinstance(pg, CheckpointStore)
    assert isinstance(pg, BatchWriter)
    assert isinstance(pg, StreamWriter)


async def test_in_process_random_edit_sequences_converge(
    tmp_path: Path, pg: PostgresRepository
) -> None:
    """tests/test_convergence.py's random edit/sync rounds, on PostgreSQL: after every
    sync the rows equal materialize() of the upstream files."""
    rng = random.Random(42)
    folder = tmp_path / "upstream"
    folder.mkdir()
    for _ in range(15):
        for _ in range(rng.randint(1, 6)):
            edit(folder, rng)
        service = StreamingSyncService(
            fetcher=FolderFetcher(folder, path_filter=TXT),
            repository=pg,
            parser=LineParser(),
            config=SyncConfig(workers=3, parse_processes=0),
        )
        await service.sync()
        assert await pg.snapshot("default") == expected_rows(folder)


async def test_two_repositories_saving_shared_iris_concurrently(dsn: str) -> None:
    """Two pools (as two processes would have) saving files that share class IRIs, edges
    and page links at once never deadlock and end with the reference rows."""
    schema = fresh_schema_name()
    async with fresh_repository(dsn, schema) as first:
        assert isinstance(first, PostgresRepository)
        async with await PostgresRepository.open(dsn, schema=schema) as second:
            contents = {
                f"p{i}.md": data(
                    cls("ex:Shared", f"label {i}"),
                    cls(f"ex:C{i}"),
                    edges=[(f"ex:C{i}", "ex:Shared"), ("ex:Shared", "ex:Root")],
                    links=[(f"ex:C{i}", f"k{(i + 1) % 16}")],
                    keys=[f"k{i}"],
                )
                for i in range(16)
            }
            repos = [first, second]
            await asyncio.gather(
                *(
                    repos[i % 2].save_file("o", FileEntry(path, 0, f"{i:040x}"), content)
                    for i, (path, content) in enumerate(contents.items())
                )
            )
            from streaming_sync import materialize

            expected = materialize(
                {p: (f"{i:040x}", d) for i, (p, d) in enumerate(contents.items())}
            )
            assert await second.snapshot("o") == expected


async def test_concurrent_openers_create_the_schema_once(dsn: str) -> None:
    """Several processes opening a new database at once all succeed (advisory lock);
    the schema ends at the current version, each version applied once. (The current
    version is read from the private migrations module.)"""
    schema = fresh_schema_name()
    try:
        repos = await asyncio.gather(
            *(PostgresRepository.open(dsn, schema=schema, pool_size=1) for _ in range(5))
        )
        for repo in repos:
            await repo.aclose()
        conn = await asyncpg.connect(dsn)
        try:
            versions = await conn.fetch(f'SELECT version FROM "{schema}".schema_version')
        finally:
            await conn.close()
        assert sorted(v[0] for v in versions) == list(range(1, _pg_schema.SCHEMA_VERSION + 1))
    finally:
        await drop_schema(dsn, schema)


async def test_upgrade_from_version_1_keeps_rows(dsn: str) -> None:
    """A schema at version 1 (no shared-sync tables), built with the private migrations
    module's first migration, is upgraded in place on open, keeping its rows."""
    schema = fresh_schema_name()
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        await conn.execute(_pg_schema.MIGRATIONS[1])
        await conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        await conn.execute("INSERT INTO sync_files VALUES ('o', 'kept.md', 'abc', now())")
    finally:
        await conn.close()
    try:
        async with await PostgresRepository.open(dsn, schema=schema) as repo:
            assert await repo.committed_files("o") == {"kept.md": "abc"}
            async with repo.pool.acquire() as c:
                assert await c.fetchval("SELECT MAX(version) FROM schema_version") == (
                    _pg_schema.SCHEMA_VERSION
                )
                assert await c.fetchval("SELECT count(*) FROM sync_work") == 0
    finally:
        await drop_schema(dsn, schema)


async def test_newer_schema_is_refused_unchanged(dsn: str) -> None:
    """A schema from a newer version raises SchemaError naming both versions, and is
    not touched."""
    schema = fresh_schema_name()
    async with fresh_repository(dsn, schema) as repo:
        assert isinstance(repo, PostgresRepository)
        async with repo.pool.acquire() as conn:
            await conn.execute("INSERT INTO schema_version (version) VALUES (99)")
        with pytest.raises(SchemaError, match="version 99") as raised:
            await PostgresRepository.open(dsn, schema=schema)
        assert "Nothing was changed" in str(raised.value)


async def test_unreachable_server_is_fatal() -> None:
    """A server that is not there gives a fatal StorageError naming the redacted URL."""
    with pytest.raises(StorageError, match=r"postgresql://u@127\.0\.0\.1:9/x") as raised:
        await PostgresRepository.open("postgresql://u:secret@127.0.0.1:9/x")
    assert raised.value.fatal
    assert "secret" not in str(raised.value)


def report(started_at: float, outcome: Outcome = Outcome.SUCCEEDED) -> SyncReport:
    return SyncReport(
        ontology_id="o",
        source="memory:",
        commit="c",
        outcome=outcome,
        files=FileCounts(listed=3, succeeded=2),
        rows=RowCounts(classes=5),
        started_at=started_at,
        duration_s=1.5,
        failures=(FileFailure("x.md", "ParseError", "bad", False, 1, "s"),),
    )


async def test_checkpoint_store_round_trips(pg: PostgresRepository) -> None:
    """record_failures replaces the failing set; record_run keeps one report per start
    (the last call wins and becomes the latest); history is newest first."""
    failing = [FileFailure("a.md", "ParseError", "bad", False, 1, "s1")]
    await pg.record_failures("o", [FileFailure("old.md", "X", "m", True, 3, None)])
    await pg.record_failures("o", failing)
    await pg.record_run(report(100.0, Outcome.RUNNING))
    await pg.record_run(report(200.0))
    await pg.record_run(report(100.0, Outcome.PARTIAL))
    failures, latest = await pg.load("o")
    assert failures == failing
    assert latest == report(100.0, Outcome.PARTIAL)
    assert [r.started_at for r in await pg.history("o", 10)] == [200.0, 100.0]
    assert await pg.history("o", 1) == [report(200.0)]
    assert await pg.load("other") == ([], None)


async def test_http_cache(pg: PostgresRepository) -> None:
    """cache_put stores (etag, body) per key, replacing; cache_get returns it or None."""
    assert await pg.cache_get("k") is None
    await pg.cache_put("k", '"e1"', b"\x00body")
    await pg.cache_put("k", '"e2"', b"new")
    assert await pg.cache_get("k") == ('"e2"', b"new")


async def test_jsonb_twins_are_queryable(pg: PostgresRepository) -> None:
    """properties/domain/range keep their canonical text and have JSONB twins."""
    from streaming_sync import OntologyProperty, PropertyType

    prop = OntologyProperty("ex:p", PropertyType.OBJECT, None, {"ex:B", "ex:A"}, {"ex:R"})
    await pg.save_file("o", FileEntry("a.md", 0, "s"), data(cls("ex:A", k="v"), properties=(prop,)))
    async with pg.pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT domain FROM owl_properties WHERE domain_jsonb ? 'ex:A'")
            == '["ex:A","ex:B"]'
        )
        assert (
            await conn.fetchval(
                'SELECT class_iri FROM owl_classes WHERE properties_jsonb @> \'{"k":["v"]}\''
            )
            == "ex:A"
        )


def test_import_without_asyncpg_names_the_extra() -> None:
    """Importing the backend without asyncpg raises ImportError naming the install."""
    code = (
        "import sys; sys.modules['asyncpg'] = None\n"
        "try:\n    import streaming_sync.storage.postgres\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "pip install 'streaming_sync[postgres]'" in out.stdout
