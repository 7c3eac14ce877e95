"""Upgrading a database written before page links kept to ``owl:class::`` (SQLite
schema 1 by ``streaming-sync migrate``, PostgreSQL schema 2 on open): the link targets
are derived from what the old rows kept, the links re-resolved, and the rows then equal
a fresh sync's -- no file needs processing again.

The old databases are in ``tests/data`` (``make_upgrade_fixtures.py`` made them with the
code of that release), synced from the pages of :func:`make_folder`.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import asyncpg
import attrs
import pytest

from streaming_sync import (
    EdgeRow,
    OntologySnapshot,
    SchemaError,
    SqliteRepository,
    StreamingSyncService,
    SyncConfig,
)
from streaming_sync.storage.postgres import PostgresRepository
from streaming_sync.storage.postgres import _schema as _pg_schema
from streaming_sync.storage.postgres._driver import read_snapshot as read_pg_snapshot
from streaming_sync.storage.sqlite import migrate
from streaming_sync.storage.sqlite._driver import read_snapshot

from .data.make_upgrade_fixtures import ONTOLOGY, PG_ROWS, SQLITE_DUMP, folder
from .pg_support import drop_schema, fresh_schema_name, pg_dsn

#: The annotations of the SubClassOf axiom a page link stands for (docs/schema.md).
LINK_AXIOM_ANNOTATIONS = '{"derived_from":"is-subclass-of"}'
BC = "http://narrativegoldmine.com/blockchain#"
MO = "http://metaverse-ontology.org/blockchain#"
#: The link edges the old rule wrote that the new one does not: the fence twins.
STALE = {
    EdgeRow(f"{BC}DistributedProtocol", f"{MO}BlockchainEntity"),
    EdgeRow(f"{BC}NetworkComponent", f"{MO}BlockchainEntity"),
    EdgeRow(f"{BC}SybilAttack", f"{MO}BlockchainEntity"),
    EdgeRow(f"{BC}SybilAttack", f"{MO}NetworkComponent"),
    EdgeRow(f"{BC}SybilAttack", f"{MO}NetworkNode"),
}
KEPT = {
    EdgeRow(f"{BC}DistributedProtocol", f"{BC}BlockchainEntity"),
    EdgeRow(f"{BC}NetworkComponent", f"{BC}BlockchainEntity"),
    EdgeRow(f"{BC}SybilAttack", f"{BC}BlockchainEntity"),
    EdgeRow(f"{BC}SybilAttack", f"{BC}NetworkComponent"),
}


def link_edges(snapshot: OntologySnapshot) -> set[EdgeRow]:
    return {
        EdgeRow(a.subject, a.object)
        for a in snapshot.axioms
        if a.annotations == LINK_AXIOM_ANNOTATIONS
    }


def without_links(snapshot: OntologySnapshot) -> OntologySnapshot:
    """What the upgrade must leave alone: every row but the link axioms and the edges."""
    axioms = tuple(a for a in snapshot.axioms if a.annotations != LINK_AXIOM_ANNOTATIONS)
    return attrs.evolve(snapshot, edges=frozenset(), axioms=axioms)


def check_upgraded(before: OntologySnapshot, after: OntologySnapshot) -> None:
    """Exact rows: the stale link edges and their axioms are gone, nothing else moved."""
    assert link_edges(before) == STALE | KEPT
    assert link_edges(after) == KEPT
    assert len([a for a in after.axioms if a.annotations == LINK_AXIOM_ANNOTATIONS]) == 4
    assert before.edges - after.edges == STALE and after.edges <= before.edges
    assert without_links(after) == without_links(before)


@pytest.fixture
def pages(corpus: Path, tmp_path: Path) -> Path:
    return folder(tmp_path / "pages", corpus)


@pytest.fixture
async def fresh(pages: Path, tmp_path: Path) -> OntologySnapshot:
    """The rows a sync of the same pages writes with this version."""
    return await sync(pages, str(tmp_path / "fresh.db"))


async def sync(pages: Path, db: str, *, expect_processed: int = 4) -> OntologySnapshot:
    """Sync ``pages`` into ``db``; the rows after it (``expect_processed`` files read)."""
    config = SyncConfig(ontology_id=ONTOLOGY, parse_processes=0)
    async with await StreamingSyncService.from_source(str(pages), db=db, config=config) as s:
        report = await s.sync()
        assert (report.files.failed, report.files.processed) == (0, expect_processed)
        return await s.repository.snapshot(ONTOLOGY)


def old_sqlite(path: Path) -> Path:
    """The old SQLite database, restored from its dump at ``path``."""
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(SQLITE_DUMP.read_text(encoding="utf-8"))
    return path


def old_sqlite_rows(path: Path) -> OntologySnapshot:
    """The public rows of a database this version refuses to open (the backend's private
    snapshot read, on a plain connection)."""
    with closing(sqlite3.connect(path)) as conn:
        return read_snapshot(conn, ONTOLOGY)


async def new_sqlite_rows(path: Path) -> OntologySnapshot:
    async with await SqliteRepository.open(path) as repository:
        return await repository.snapshot(ONTOLOGY)


def same_links_as(upgraded: OntologySnapshot, fresh: OntologySnapshot) -> None:
    """The upgraded rows agree with a fresh sync's on everything page links decide.
    (Not the whole snapshot: what later versions' parsers make of the pages' fences may
    change, while the old database stays as that release wrote it.)"""
    assert upgraded.edges == fresh.edges
    assert link_edges(upgraded) == link_edges(fresh)
    assert {c.class_iri for c in upgraded.classes} == {c.class_iri for c in fresh.classes}


def digest(path: Path) -> bytes:
    return path.read_bytes()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_sqlite_schema_1_is_refused_then_upgraded_by_migrate(
    pages: Path, fresh: OntologySnapshot, tmp_path: Path
) -> None:
    """Opening the old database refuses, naming the migrate command, and changes
    nothing; a dry run changes nothing; migrate backs up, removes exactly the link edges
    the old rule wrote and leaves every other row; a sync afterwards has nothing to do."""
    db = old_sqlite(tmp_path / "old.db")
    before, raw = old_sqlite_rows(db), digest(db)
    with pytest.raises(SchemaError, match=r"schema version 1\b.*streaming-sync migrate"):
        await new_sqlite_rows(db)  # closes what it opens, should the open wrongly succeed
    dry = await migrate(db, dry_run=True)
    assert (dry.status, dry.backup, digest(db)) == ("dry run", None, raw)

    result = await migrate(db)
    assert result.status == "upgraded" and result.backup is not None
    assert dict(result.counts) == {"link edges": 4, "hierarchy edges": 9, "classes": 9}
    assert "schema 1 -> 3" in result.message and "link edges 9 -> 4" in result.message
    with closing(sqlite3.connect(result.backup)) as backup:
        assert backup.execute("SELECT MAX(version) FROM schema_version").fetchone() == (1,)
    after = await new_sqlite_rows(db)
    check_upgraded(before, after)
    same_links_as(after, fresh)

    assert await sync(pages, str(db), expect_processed=0) == after
    assert (await migrate(db)).status == "up to date"


async def test_sqlite_upgrade_keeps_every_class_of_a_page_no_block_named(
    tmp_path: Path,
) -> None:
    """A target page none of whose stored classes carries owl:class block properties
    (a parser of one's own wrote it) keeps all its classes as link targets: the old rule,
    since nothing says which it meant; the Logseq pages beside it follow the new one."""
    db = old_sqlite(tmp_path / "old.db")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "UPDATE file_classes SET properties = NULL WHERE path = 'Blockchain Entity.md'"
        )
    await migrate(db)
    edges = link_edges(await new_sqlite_rows(db))
    assert edges == (STALE | KEPT) - {
        EdgeRow(f"{BC}SybilAttack", f"{MO}NetworkComponent"),
        EdgeRow(f"{BC}SybilAttack", f"{MO}NetworkNode"),
    }


async def test_sqlite_upgrade_refuses_a_schema_1_lacking_a_column(tmp_path: Path) -> None:
    """A version-1 database whose provenance tables are not schema 1's is refused by
    migrate, naming the table, with nothing changed."""
    db = old_sqlite(tmp_path / "old.db")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("ALTER TABLE file_pages RENAME COLUMN page_key TO name")
    raw = digest(db)
    with pytest.raises(SchemaError, match="file_pages lacks the columns page_key"):
        await migrate(db)
    assert digest(db) == raw and names(tmp_path) == ["old.db"]


async def load_old_postgres(dsn: str, schema: str) -> OntologySnapshot:
    """Schema 2 as that release created it (its migrations, kept verbatim in the private
    migrations module) holding the fixture's rows; returns its public rows (read by the
    backend's private snapshot read: the repository would upgrade the schema first)."""
    rows = json.loads(PG_ROWS.read_text(encoding="utf-8"))
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        for version in (1, 2):
            await conn.execute(_pg_schema.MIGRATIONS[version])
            await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
        for table, table_rows in rows.items():
            if table_rows:
                names = ", ".join(f'"{c}"' for c in table_rows[0])
                await conn.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} "
                    f"FROM json_populate_recordset(NULL::{table}, $1::json)",
                    json.dumps(table_rows),
                )
        return await read_pg_snapshot(conn, ONTOLOGY)
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_postgres_schema_2_is_upgraded_on_open(tmp_path: Path) -> None:
    """Opening the old PostgreSQL schema applies versions 3 and 4: the same rows as the
    upgraded SQLite database, the stale link edges gone and nothing else moved."""
    dsn, schema = pg_dsn(), fresh_schema_name()
    try:
        before = await load_old_postgres(dsn, schema)
        async with await PostgresRepository.open(dsn, schema=schema) as repo:
            after = await repo.snapshot(ONTOLOGY)
            async with repo.pool.acquire() as conn:
                assert await conn.fetchval("SELECT MAX(version) FROM schema_version") == 4
                assert await conn.fetchval("SELECT count(*) FROM file_link_targets") == 4
    finally:
        await drop_schema(dsn, schema)
    check_upgraded(before, after)
    sqlite_db = old_sqlite(tmp_path / "old.db")
    await migrate(sqlite_db)
    assert after == await new_sqlite_rows(sqlite_db)
