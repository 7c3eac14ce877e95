"""Legacy-schema migration: each schema the original system left behind is detected,
backed up with SQLite's backup API, moved to schema 1 under ``legacy:<table>`` files,
checked, and can be restored; a second run and an unknown schema change nothing."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from streaming_sync import (
    HierarchyEdge,
    OntologyClass,
    OntologyData,
    SchemaError,
    StreamingSyncService,
    SyncConfig,
    materialize,
)
from streaming_sync.storage.sqlite import SqliteRepository, migrate, restore
from streaming_sync.testing import InMemoryFetcher

from .conftest import ROOT
from .lineformat import LineParser

# (a) one global IRI column, DATETIME timestamps, no ontology scope.
IRI_UNIQUE = """
CREATE TABLE owl_classes (
    iri         TEXT PRIMARY KEY,
    label       TEXT,
    description TEXT,
    file_sha1   TEXT,
    created_at  DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE owl_properties (
    iri TEXT PRIMARY KEY, label TEXT, property_type TEXT, domain TEXT, range TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE owl_axioms (
    id INTEGER PRIMARY KEY AUTOINCREMENT, axiom_type TEXT NOT NULL, subject TEXT NOT NULL,
    object TEXT NOT NULL, annotations TEXT, created_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO owl_classes (iri, label, description) VALUES
    ('mv:Avatar', 'Avatar', 'A digital representation'),
    ('mv:Agent', 'Agent', NULL),
    ('mv:Scene', NULL, 'A place');
INSERT INTO owl_properties (iri, label, property_type, domain, range) VALUES
    ('mv:represents', 'represents', 'object', 'mv:Avatar', '["mv:Agent"]'),
    ('mv:name', NULL, 'DatatypeProperty', NULL, NULL);
INSERT INTO owl_axioms (axiom_type, subject, object) VALUES
    ('SubClassOf', 'mv:Avatar', 'mv:Agent'),
    ('DisjointWith', 'mv:Avatar', 'mv:Scene'),
    ('HasKey', 'mv:Avatar', 'mv:name');
"""

# (b) owl_class_hierarchy whose foreign keys name owl_classes(iri), a column that does
# not exist: with foreign_keys=ON every insert failed ("foreign key mismatch").
HIERARCHY_FK_IRI = """
CREATE TABLE owl_classes (
    class_iri   TEXT PRIMARY KEY,
    label       TEXT,
    comment     TEXT,
    file_sha1   TEXT,
    last_synced DATETIME,
    created_at  DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE owl_class_hierarchy (
    class_iri  TEXT NOT NULL,
    parent_iri TEXT NOT NULL,
    PRIMARY KEY (class_iri, parent_iri),
    FOREIGN KEY (class_iri) REFERENCES owl_classes (iri),
    FOREIGN KEY (parent_iri) REFERENCES owl_classes (iri)
);
INSERT INTO owl_classes (class_iri, label, comment) VALUES
    ('bc:Token', 'Token', 'A unit of value'),
    ('bc:PublicKey', 'Public key', NULL);
INSERT INTO owl_class_hierarchy VALUES
    ('bc:Token', 'bc:Asset'),
    ('bc:PublicKey', 'bc:Key'),
    ('bc:Token', 'bc:PublicKey');
"""

# (c) autoincrement ids, a hierarchy by id.
AUTOINCREMENT_ID = """
CREATE TABLE owl_classes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    iri         TEXT UNIQUE NOT NULL,
    label       TEXT,
    description TEXT,
    created_at  DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE owl_class_hierarchy (
    class_id  INTEGER NOT NULL REFERENCES owl_classes (id),
    parent_id INTEGER NOT NULL REFERENCES owl_classes (id)
);
INSERT INTO owl_classes (iri, label) VALUES ('rb:Robot', 'Robot'), ('rb:Machine', 'Machine'),
    ('rb:Arm', NULL);
INSERT INTO owl_class_hierarchy VALUES (1, 2), (3, 1);
"""

# The original migration: rename, then create a STRICT table with DATETIME columns --
# which SQLite rejects ("unknown datatype"), leaving only owl_classes_old behind.
FAILED_STRICT_MIGRATION = """
ALTER TABLE owl_classes RENAME TO owl_classes_old;
CREATE TABLE owl_classes (
    ontology_id TEXT NOT NULL, class_iri TEXT NOT NULL, label TEXT,
    created_at DATETIME NOT NULL, PRIMARY KEY (ontology_id, class_iri)
) STRICT;
"""


def build(path: Path, ddl: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.executescript(ddl)
    connection.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def dump(path: Path) -> list[str]:
    """The database's content as SQL (a backup differs in header bytes, not in this)."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


async def rows(path: Path, oid: str = "default") -> object:
    async with await SqliteRepository.open(path) as repository:
        return await repository.snapshot(oid)


async def test_iri_unique_schema_migrates_with_backup(tmp_path: Path) -> None:
    """Variant (a): classes, properties (type aliases, single and JSON domain/range) and
    axioms (an unknown type kept as an other axiom) land under 'default' as legacy:<table>
    files; the backup beside the DB holds the untouched legacy rows."""
    db = tmp_path / "legacy.db"
    build(db, IRI_UNIQUE)
    before = dump(db)
    result = await migrate(db)
    assert result.status == "migrated" and result.variant == "iri-unique"
    assert result.counts == {"classes": 3, "edges": 0, "properties": 2, "axioms": 3}
    assert result.backup is not None and Path(result.backup).parent == tmp_path
    assert dump(Path(result.backup)) == before  # the untouched legacy rows
    snap = await rows(db)
    labels = {c.class_iri: (c.label, c.comment) for c in snap.classes}  # type: ignore[attr-defined]
    assert labels == {
        "mv:Avatar": ("Avatar", "A digital representation"),
        "mv:Agent": ("Agent", None),
        "mv:Scene": (None, "A place"),
    }
    props = {p.property_iri: p for p in snap.properties}  # type: ignore[attr-defined]
    assert props["mv:represents"].property_type == "ObjectProperty"
    assert (props["mv:represents"].domain, props["mv:represents"].range) == (
        '["mv:Avatar"]',
        '["mv:Agent"]',
    )
    assert props["mv:name"].property_type == "DataProperty"
    assert {a.source_path for a in snap.axioms} == {"legacy:owl_axioms"}  # type: ignore[attr-defined]
    assert [o.kind for o in snap.other_axioms] == ["HasKey"]  # type: ignore[attr-defined]
    async with await SqliteRepository.open(db) as repository:
        assert set(await repository.committed_files("default")) == {
            "legacy:owl_classes",
            "legacy:owl_properties",
            "legacy:owl_axioms",
        }
        assert await repository.check_integrity() == []


async def test_hierarchy_with_broken_foreign_keys_migrates(tmp_path: Path) -> None:
    """Variant (b): the hierarchy rows come over (their broken foreign keys do not stop
    the migration), undeclared parents become placeholders, and the public rows equal
    materialize() of the synthetic files."""
    db = tmp_path / "legacy.db"
    build(db, HIERARCHY_FK_IRI)
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.DatabaseError, match="foreign key mismatch"):
        connection.execute("INSERT INTO owl_class_hierarchy VALUES ('x', 'y')")
    connection.close()
    result = await migrate(db, ontology_id="chain")
    assert result.variant == "hierarchy-fk-iri"
    assert result.counts == {"classes": 2, "edges": 3, "properties": 0, "axioms": 0}
    snap = await rows(db, "chain")
    classes = OntologyData(
        classes=(
            OntologyClass("bc:Token", "Token", "A unit of value"),
            OntologyClass("bc:PublicKey", "Public key"),
        )
    )
    edges = OntologyData(
        edges=(
            HierarchyEdge("bc:Token", "bc:Asset"),
            HierarchyEdge("bc:PublicKey", "bc:Key"),
            HierarchyEdge("bc:Token", "bc:PublicKey"),
        )
    )
    async with await SqliteRepository.open(db) as repository:
        committed = await repository.committed_files("chain")
    expected = materialize(
        {
            "legacy:owl_classes": (committed["legacy:owl_classes"], classes),
            "legacy:owl_class_hierarchy": (committed["legacy:owl_class_hierarchy"], edges),
        }
    )
    assert snap == expected
    assert await rows(db, "default") == materialize({})


async def test_autoincrement_id_schema_migrates(tmp_path: Path) -> None:
    """Variant (c): the hierarchy by id is resolved to IRIs."""
    db = tmp_path / "legacy.db"
    build(db, AUTOINCREMENT_ID)
    result = await migrate(db)
    assert result.variant == "autoincrement-id"
    snap = await rows(db)
    edges = {(e.class_iri, e.parent_iri) for e in snap.edges}  # type: ignore[attr-defined]
    assert edges == {("rb:Robot", "rb:Machine"), ("rb:Arm", "rb:Robot")}


async def test_half_migrated_strict_failure_is_recovered(tmp_path: Path) -> None:
    """SQLite rejects DATETIME in a STRICT table, which is how the original migration
    died half-way (owl_classes renamed to owl_classes_old); migrate recovers those rows."""
    db = tmp_path / "legacy.db"
    build(db, AUTOINCREMENT_ID)
    connection = sqlite3.connect(db, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="unknown datatype"):
        connection.executescript(FAILED_STRICT_MIGRATION)
    connection.close()
    result = await migrate(db)
    assert result.variant is not None and result.variant.startswith("autoincrement-id")
    assert "half-migrated" in result.variant
    assert result.counts["classes"] == 3 and result.counts["edges"] == 2


async def test_second_run_and_dry_run_change_nothing(tmp_path: Path) -> None:
    """A dry run writes nothing (no backup either); a second migrate is a no-op."""
    db = tmp_path / "legacy.db"
    build(db, IRI_UNIQUE)
    before = digest(db)
    dry = await migrate(db, dry_run=True)
    assert dry.status == "dry run" and dry.counts["classes"] == 3
    assert digest(db) == before and names(tmp_path) == ["legacy.db"]
    await migrate(db)
    snap = await rows(db)
    files = names(tmp_path)
    again = await migrate(db)
    assert again.status == "up to date"
    assert names(tmp_path) == files  # no second backup
    assert await rows(db) == snap


async def test_unknown_schema_is_refused_and_untouched(tmp_path: Path) -> None:
    """owl_classes without any IRI column (and an owl_axioms of ours beside a legacy
    owl_classes of unknown shape) is refused with a clear message; the file is unchanged."""
    db = tmp_path / "odd.db"
    build(
        db,
        "CREATE TABLE owl_classes (uri TEXT, name TEXT); INSERT INTO owl_classes VALUES ('x','y');",
    )
    before = digest(db)
    with pytest.raises(SchemaError, match="no iri or class_iri column"):
        await migrate(db)
    assert digest(db) == before and names(tmp_path) == ["odd.db"]
    other = tmp_path / "other.db"
    build(other, "CREATE TABLE sync_files (ontology_id TEXT, path TEXT);")
    with pytest.raises(SchemaError, match="nothing was changed"):
        await migrate(other)


async def test_legacy_rows_are_replaced_by_the_first_complete_sync(tmp_path: Path) -> None:
    """The documented fate of legacy rows: a complete sync of a source into the same
    ontology ends with exactly the rows of a clean sync (legacy files are not in its
    listing), while --drop-legacy removes them without a sync."""
    db = tmp_path / "legacy.db"
    build(db, IRI_UNIQUE)
    await migrate(db)
    files = {"a.txt": b"class ex:A Alpha\nsub ex:A ex:Root"}
    async with await SqliteRepository.open(db) as repository:
        service = StreamingSyncService(
            fetcher=InMemoryFetcher(files),
            repository=repository,
            parser=LineParser(),
            config=SyncConfig(workers=1, parse_processes=0),
        )
        await service.sync()
        committed = await repository.committed_files("default")
        assert set(committed) == {"a.txt"}
        expected = materialize(
            {"a.txt": (committed["a.txt"], LineParser().parse("a.txt", files["a.txt"]))}
        )
        assert await repository.snapshot("default") == expected
    second = tmp_path / "second.db"
    build(second, IRI_UNIQUE)
    await migrate(second)
    dropped = await migrate(second, drop_legacy=True)
    assert dropped.status == "dropped legacy" and dropped.counts == {"files": 3}
    assert await rows(second) == materialize({})


async def test_restore_puts_the_legacy_file_back(tmp_path: Path) -> None:
    """restore copies the backup back (integrity checked first): the legacy tables and
    rows are as before the migration; a corrupt backup is refused, nothing changed."""
    db = tmp_path / "legacy.db"
    build(db, HIERARCHY_FK_IRI)
    result = await migrate(db)
    assert result.backup is not None
    bad = tmp_path / "bad.backup"
    bad.write_bytes(b"SQLite format 3\0" + b"\x07" * 5000)
    migrated = digest(db)
    from streaming_sync import FatalStorageError

    with pytest.raises(FatalStorageError, match=r"bad\.backup"):
        await restore(db, bad)
    assert digest(db) == migrated
    await restore(db, result.backup)
    with sqlite3.connect(db) as connection:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        count = connection.execute("SELECT COUNT(*) FROM owl_class_hierarchy").fetchone()[0]
    connection.close()
    assert "sync_files" not in tables and count == 3


def test_cli_migrate_and_restore(tmp_path: Path) -> None:
    """The CLI: migrate prints the variant and backup (exit 0), a refused schema exits 2
    with the reason, restore exits 0."""
    db = tmp_path / "legacy.db"
    build(db, AUTOINCREMENT_ID)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "streaming_sync", *args]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)

    done = cli("migrate", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "autoincrement-id" in done.stdout and "backup:" in done.stdout
    backup = next(
        line.split(": ", 1)[1] for line in done.stdout.splitlines() if line.startswith("backup:")
    )
    odd = tmp_path / "odd.db"
    build(odd, "CREATE TABLE owl_classes (uri TEXT);")
    refused = cli("migrate", "--db", str(odd))
    assert refused.returncode == 2
    assert str(odd) in refused.stderr and "nothing was changed" in refused.stderr
    restored = cli("restore", "--db", str(db), "--backup", backup)
    assert restored.returncode == 0, restored.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM owl_classes").fetchone()[0] == 3
    connection.close()
