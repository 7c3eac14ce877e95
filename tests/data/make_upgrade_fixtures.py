"""Write the databases ``tests/test_page_links.py`` upgrades: made by the release BEFORE
page links kept to ``owl:class::`` (SQLite schema 1, PostgreSQL schema 2).

Run it with that release's code first on the path, from the repository root, with the
test PostgreSQL server's URL in ``STREAMING_SYNC_TEST_PG_DSN``::

    git archive baa7f42 | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tests/data/make_upgrade_fixtures.py

It syncs :func:`folder` (the two pages in ``tests/data/page_links`` and two real pages
of the corpus) and writes

* ``sqlite_schema1_page_links.sql``: the SQLite database, as ``iterdump()`` text;
* ``pg_schema2_page_links.json``: every row of every table of the PostgreSQL schema
  (generated and identity columns left out), to load into a schema built by
  ``_pg_schema.MIGRATIONS[1]`` and ``[2]``, which are that release's DDL verbatim.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The real pages of the fixture, from the narrativegoldmine sample of the corpus.
CORPUS_PAGES = ("Distributed Protocol.md", "Sybil Attack.md")
ONTOLOGY = "links"
SQLITE_DUMP = HERE / "sqlite_schema1_page_links.sql"
PG_ROWS = HERE / "pg_schema2_page_links.json"
#: The tables of PostgreSQL schema 2 that hold rows after a sync, in an order that
#: keeps the foreign keys valid while loading.
PG_TABLES = (
    "sync_files",
    "file_classes",
    "file_edges",
    "file_properties",
    "file_links",
    "file_pages",
    "link_edges",
    "owl_classes",
    "owl_class_hierarchy",
    "owl_properties",
    "owl_axioms",
    "owl_other_axioms",
)


def folder(target: Path, corpus: Path) -> Path:
    """Fill ``target`` with the fixture's pages; return it."""
    target.mkdir(parents=True, exist_ok=True)
    for page in (HERE / "page_links").glob("*.md"):
        shutil.copyfile(page, target / page.name)
    for name in CORPUS_PAGES:
        shutil.copyfile(corpus / "logseq-narrativegoldmine-sample" / name, target / name)
    return target


async def _sync(source: Path, db: str) -> None:
    from streaming_sync import StreamingSyncService, SyncConfig

    config = SyncConfig(ontology_id=ONTOLOGY, parse_processes=0)
    async with await StreamingSyncService.from_source(str(source), db=db, config=config) as s:
        report = await s.sync()
    assert report.files.failed == 0, report


async def _pg_rows(dsn: str, source: Path) -> dict[str, list[dict[str, object]]]:
    import asyncpg

    schema = f"fixture_{uuid.uuid4().hex[:12]}"
    await _sync(source, f"{dsn}?schema={schema}")
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        rows = {}
        for table in PG_TABLES:
            columns = await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = $1"
                " AND table_name = $2 AND is_generated = 'NEVER' AND is_identity = 'NO'"
                " ORDER BY ordinal_position",
                schema,
                table,
            )
            names = ", ".join(f'"{c[0]}"' for c in columns)
            found = await conn.fetchval(
                f"SELECT COALESCE(json_agg(t ORDER BY t), '[]')"
                f" FROM (SELECT {names} FROM {table}) AS t"
            )
            rows[table] = json.loads(found)
        return rows
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


async def main() -> None:
    from streaming_sync.storage import _pg_schema, _sqlite_schema

    assert _sqlite_schema.SCHEMA_VERSION == 1 and _pg_schema.SCHEMA_VERSION == 2, (
        "run this with the code of the release before schema 2 (SQLite) / 3 (PostgreSQL)"
    )
    corpus = next(
        p
        for p in (
            Path(os.environ.get("STREAMING_SYNC_CORPUS", "/nonexistent")),
            HERE.parents[2] / "shared" / "corpus",  # beside the checkout
            HERE.parents[3] / "shared" / "corpus",  # beside a worktree of it
        )
        if p.is_dir()
    )
    with tempfile.TemporaryDirectory() as tmp:
        source = folder(Path(tmp) / "pages", corpus)
        db = Path(tmp) / "old.db"
        await _sync(source, str(db))
        with sqlite3.connect(db) as conn:
            SQLITE_DUMP.write_text("\n".join(conn.iterdump()) + "\n", encoding="utf-8")
        conn.close()
        rows = await _pg_rows(os.environ["STREAMING_SYNC_TEST_PG_DSN"], source)
    PG_ROWS.write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {SQLITE_DUMP.name} and {PG_ROWS.name}\n")


if __name__ == "__main__":
    asyncio.run(main())
