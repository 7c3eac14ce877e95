"""``streaming-sync migrate`` / ``restore``: legacy schemas to the current schema, and
older schema versions upgraded in place (``_upgrade``), with backups.

:func:`migrate` recognises a legacy schema (``_legacy``), writes a backup with
SQLite's online backup API, and then -- in ONE transaction, so a failure leaves the file
as it was -- reads the legacy rows, drops the legacy tables, creates our schema and
writes each legacy table as one synthetic file ``legacy:<table>`` through the same
per-file writer a sync uses. The public rows therefore equal
``streaming_sync.materialize`` of those synthetic files, and a later sync treats them
like any other file: the first complete sync of a source into the same ontology removes
them (they are not in its listing), ``migrate --drop-legacy`` removes them at once.
Row counts are checked before the commit. A database at the current schema is left
alone; an unknown schema is refused with nothing changed.

:func:`restore` (re-exported from ``_backup``, which says what it checks) puts a
backup back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ..._errors import ConfigError, SchemaError
from ..._model import FileEntry, OntologyData, git_blob_sha1
from . import _legacy as legacy
from . import _schema as schema
from ._backup import RestoreResult, backup_path, copy_database, restore
from ._connection import Connection, in_transaction
from ._driver import write_file
from ._open import iri_list, now_iso, read_shape
from ._repository import SqliteRepository
from ._sql import IRI_LIST_FUNCTION
from ._upgrade import upgrade

logger = logging.getLogger(__name__)


@attrs.frozen
class MigrationResult:
    """What ``migrate`` did: ``status`` is ``migrated``, ``upgraded``, ``up to date``,
    ``dry run`` or ``dropped legacy``; ``counts`` the legacy rows by kind (and what
    landed), or after an upgrade the rows it recounted."""

    database: str
    status: str
    variant: str | None = None
    backup: str | None = None
    counts: Mapping[str, int] = attrs.field(factory=dict)
    message: str = ""


async def migrate(
    database: str | os.PathLike[str],
    *,
    ontology_id: str = "default",
    dry_run: bool = False,
    drop_legacy: bool = False,
) -> MigrationResult:
    """Migrate the legacy schema of ``database``, or upgrade an older schema version, to
    the current schema (see the module docstring). The work is one call on the
    connection's thread; cancelling it interrupts the statement running and rolls back."""
    path = os.fspath(database)
    if not await asyncio.to_thread(Path(path).is_file):
        raise ConfigError(f"--db {path}: no such database file")
    db = await Connection.open(path)
    try:
        result = await db.call(
            lambda conn: _migrate(conn, path, ontology_id, dry_run), "migrating", interruptible=True
        )
    finally:
        await db.aclose()
    if not drop_legacy or dry_run or result.status == "migrated":
        return result
    dropped = await _drop_legacy(path, ontology_id)
    if result.status == "up to date":
        return dropped
    return attrs.evolve(result, message=f"{result.message}; {dropped.message}")


def _migrate(conn: sqlite3.Connection, path: str, oid: str, dry_run: bool) -> MigrationResult:
    conn.execute("PRAGMA busy_timeout = 5000")
    # Legacy foreign keys may name columns that do not exist: with checks on, even
    # dropping such a table fails ("foreign key mismatch").
    conn.execute("PRAGMA foreign_keys = OFF")
    columns, version = read_shape(conn)
    try:
        layout = legacy.detect(columns)
    except SchemaError as unknown:
        raise SchemaError(
            f"{path}: {unknown}: not a schema `streaming-sync migrate` knows; nothing was changed"
        ) from None
    if layout is None:
        return _ours(conn, path, columns, version, dry_run)
    _refuse_mixed(path, columns, layout)
    return _migrate_legacy(conn, path, oid, layout, columns, dry_run)


def _ours(
    conn: sqlite3.Connection,
    path: str,
    columns: Mapping[str, set[str]],
    version: int | None,
    dry_run: bool,
) -> MigrationResult:
    """A database of ours: upgrade an older schema version in place (after a backup,
    see ``_upgrade``)."""
    if version is not None and version < schema.SCHEMA_VERSION:

        def backup() -> Path:
            copy_database(path, target := backup_path(path))
            return target

        done = upgrade(conn, path, columns, version, dry_run=dry_run, backup=backup)
        status = "dry run" if dry_run else "upgraded"
        return MigrationResult(path, status, None, done.backup, done.after, done.summary)
    if (problem := schema.schema_problem(columns, version)) is not None:
        raise SchemaError(
            f"{path}: {problem}: not a schema `streaming-sync migrate` knows; nothing was changed"
        )
    message = f"already at schema {schema.SCHEMA_VERSION}; nothing to do"
    return MigrationResult(path, "up to date", message=message)


def _refuse_mixed(path: str, columns: Mapping[str, set[str]], layout: legacy.LegacyLayout) -> None:
    """Our table names that exist beside the legacy ones must already be ours."""
    for name, expected in schema.EXPECTED_COLUMNS.items():
        if name in columns and name not in layout.tables and not expected <= columns[name]:
            raise SchemaError(
                f"{path}: table {name} is neither legacy nor ours; nothing was changed"
            )


def _legacy_data(
    conn: sqlite3.Connection, layout: legacy.LegacyLayout, columns: Mapping[str, set[str]]
) -> dict[str, OntologyData]:
    """One synthetic file per legacy table: ``legacy:<table>`` -> its rows."""

    def rows(sql: str | None) -> list[Any]:
        return [] if sql is None else conn.execute(sql).fetchall()

    files = {layout.classes: legacy.classes_data(rows(legacy.class_query(layout)))}
    if layout.hierarchy:
        files[layout.hierarchy] = legacy.hierarchy_data(rows(legacy.hierarchy_query(layout)))
    if layout.properties:
        query = legacy.property_query(layout, columns[layout.properties])
        files[layout.properties] = legacy.properties_data(rows(query))
    if layout.axioms:
        query = legacy.axiom_query(layout, columns[layout.axioms])
        files[layout.axioms] = legacy.axioms_data(rows(query))
    return {legacy.LEGACY_PREFIX + table: data for table, data in files.items()}


def _expected_counts(files: Mapping[str, OntologyData]) -> dict[str, int]:
    data = list(files.values())
    return {
        "classes": len({c.iri for d in data for c in d.classes}),
        "edges": len({e for d in data for e in d.edges}),
        "properties": len({p.iri for d in data for p in d.properties}),
        "axioms": sum(len(d.axioms) + len(d.other_axioms) for d in data),
    }


_LANDED = {
    "classes": "SELECT COUNT(*) FROM owl_classes WHERE ontology_id = ?1 AND file_sha1 IS NOT NULL",
    "edges": "SELECT COUNT(*) FROM owl_class_hierarchy WHERE ontology_id = ?1",
    "properties": "SELECT COUNT(*) FROM owl_properties WHERE ontology_id = ?1",
    "axioms": "SELECT (SELECT COUNT(*) FROM owl_axioms WHERE ontology_id = ?1) + "
    "(SELECT COUNT(*) FROM owl_other_axioms WHERE ontology_id = ?1)",
}


def _landed_counts(conn: sqlite3.Connection, oid: str) -> dict[str, int]:
    return {kind: int(conn.execute(sql, (oid,)).fetchone()[0]) for kind, sql in _LANDED.items()}


def _migrate_legacy(
    conn: sqlite3.Connection,
    path: str,
    oid: str,
    layout: legacy.LegacyLayout,
    columns: Mapping[str, set[str]],
    dry_run: bool,
) -> MigrationResult:
    if dry_run:
        expected = _expected_counts(_legacy_data(conn, layout, columns))
        return MigrationResult(
            path, "dry run", layout.variant, counts=expected, message="nothing was changed"
        )
    target = backup_path(path)
    files, expected = in_transaction(
        conn,
        lambda conn: _replace_legacy(conn, path, oid, layout, columns, target),
        "BEGIN IMMEDIATE",
    )
    logger.info("%s: migrated %s (%s); backup at %s", path, layout.variant, expected, target)
    return MigrationResult(
        path,
        "migrated",
        layout.variant,
        backup=str(target),
        counts=expected,
        message=f"legacy rows are under ontology {oid!r} as files " + ", ".join(sorted(files)),
    )


def _replace_legacy(
    conn: sqlite3.Connection,
    path: str,
    oid: str,
    layout: legacy.LegacyLayout,
    columns: Mapping[str, set[str]],
    target: Path,
) -> tuple[dict[str, OntologyData], dict[str, int]]:
    """The migration's transaction: the backup, the legacy rows as synthetic files in our
    schema, and the check that every row landed."""
    copy_database(path, target)  # under the write lock: no other writer from here on
    try:
        files = _legacy_data(conn, layout, columns)
    except SchemaError as unknown:
        raise SchemaError(f"{path}: {unknown}; nothing was changed") from None
    expected = _expected_counts(files)
    _rebuild(conn, oid, layout, files)
    landed = _landed_counts(conn, oid)
    if landed != expected:
        raise SchemaError(
            f"{path}: row counts after migrating {landed} differ from the legacy rows"
            f" {expected}; rolled back, nothing was changed"
        )
    return files, expected


def _rebuild(
    conn: sqlite3.Connection,
    oid: str,
    layout: legacy.LegacyLayout,
    files: Mapping[str, OntologyData],
) -> None:
    """Drop the legacy tables, create our schema, write the synthetic files."""
    for table in layout.tables:
        conn.execute(f'DROP TABLE "{table}"')
    for statement in _statements(schema.CREATE_SCRIPT):
        conn.execute(statement)
    for statement in _statements(schema.TEMP_SCRIPT):
        conn.execute(statement)
    conn.create_function(IRI_LIST_FUNCTION, 1, iri_list, deterministic=True)
    now = now_iso()
    for path, data in sorted(files.items()):
        sha = git_blob_sha1(repr(data).encode())
        write_file(conn, oid, path, FileEntry(path, 0, sha), data, now)
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise SchemaError(f"foreign key violations after migrating: {problems[:5]}")


def _statements(script: str) -> list[str]:
    """The statements of ``script`` one by one, without its BEGIN/COMMIT (we are inside
    a transaction already; ``executescript`` would commit it)."""
    found, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statement = pending.strip()
            pending = ""
            if statement.upper() not in ("BEGIN IMMEDIATE;", "COMMIT;"):
                found.append(statement)
    return found


async def _drop_legacy(path: str, oid: str) -> MigrationResult:
    """Remove the synthetic ``legacy:`` files of ``oid`` (after a backup)."""
    async with await SqliteRepository.open(path) as repository:
        committed = await repository.committed_files(oid)
        paths = sorted(p for p in committed if p.startswith(legacy.LEGACY_PREFIX))
        if not paths:
            return MigrationResult(path, "up to date", message="no legacy rows to drop")
        target = backup_path(path)
        await asyncio.to_thread(copy_database, path, target)
        for legacy_path in paths:
            await repository.remove_file(oid, legacy_path)
    return MigrationResult(
        path,
        "dropped legacy",
        backup=str(target),
        counts={"files": len(paths)},
        message="removed " + ", ".join(paths),
    )


__all__ = [
    "MigrationResult",
    "RestoreResult",
    "backup_path",
    "copy_database",
    "migrate",
    "restore",
]
