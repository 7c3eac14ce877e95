"""``streaming-sync migrate`` / ``restore``: legacy schemas to the current schema, and
older schema versions upgraded in place (``_sqlite_upgrade``), with backups.

:func:`migrate` recognises a legacy schema (``_sqlite_legacy``), writes a backup with
SQLite's online backup API, and then -- in ONE transaction, so a failure leaves the file
as it was -- reads the legacy rows, drops the legacy tables, creates our schema and
writes each legacy table as one synthetic file ``legacy:<table>`` through the same
per-file writer a sync uses. The public rows therefore equal
``streaming_sync.materialize`` of those synthetic files, and a later sync treats them
like any other file: the first complete sync of a source into the same ontology removes
them (they are not in its listing), ``migrate --drop-legacy`` removes them at once.
Row counts are checked before the commit. A database at the current schema is left
alone; an unknown schema is refused with nothing changed.

:func:`restore` (re-exported from ``_sqlite_backup``, which says what it checks) puts a
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

import aiosqlite
import attrs

from ..._errors import ConfigError, SchemaError
from ..._model import FileEntry, OntologyData, git_blob_sha1
from . import _legacy as legacy
from . import _schema as schema
from ._backup import RestoreResult, backup_path, copy_database, restore
from ._open import close_connection, now_iso, run_to_completion, translate_error
from ._sql import IRI_LIST_FUNCTION, iri_list, write_file
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
    the current schema (see the module docstring)."""
    path = os.fspath(database)
    if not await asyncio.to_thread(Path(path).is_file):
        raise ConfigError(f"--db {path}: no such database file")
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("PRAGMA busy_timeout = 5000")
        # Legacy foreign keys may name columns that do not exist: with checks on, even
        # dropping such a table fails ("foreign key mismatch").
        await db.execute("PRAGMA foreign_keys = OFF")
        columns, version = await _read_shape(db, path)
        try:
            layout = legacy.detect(columns)
        except SchemaError as unknown:
            raise SchemaError(
                f"{path}: {unknown}: not a schema `streaming-sync migrate` knows;"
                " nothing was changed"
            ) from None
        if layout is None:
            return await _ours(db, path, columns, version, ontology_id, dry_run, drop_legacy)
        _refuse_mixed(path, columns, layout)
        return await _migrate(db, path, ontology_id, layout, columns, dry_run)
    except sqlite3.Error as exc:
        raise translate_error(exc, path, "migrating") from exc
    finally:
        await close_connection(db)


async def _read_shape(db: aiosqlite.Connection, path: str) -> tuple[dict[str, set[str]], Any]:
    columns: dict[str, set[str]] = {}
    for table, column in await db.execute_fetchall(schema.COLUMNS_QUERY):
        columns.setdefault(str(table), set()).add(str(column))
    version = None
    if "schema_version" in columns:
        rows = list(await db.execute_fetchall("SELECT MAX(version) FROM schema_version"))
        version = rows[0][0] if rows else None
    return columns, version


async def _ours(
    db: aiosqlite.Connection,
    path: str,
    columns: Mapping[str, set[str]],
    version: int | None,
    oid: str,
    dry_run: bool,
    drop_legacy: bool,
) -> MigrationResult:
    """A database of ours: upgrade an older schema version in place (after a backup,
    see ``_sqlite_upgrade``), then drop the ``legacy:`` files if asked to."""
    if version is not None and version < schema.SCHEMA_VERSION:

        def backup() -> Path:
            copy_database(path, target := backup_path(path))
            return target

        done = await upgrade(db, path, columns, version, dry_run=dry_run, backup=backup)
        status = "dry run" if dry_run else "upgraded"
        result = MigrationResult(path, status, None, done.backup, done.after, done.summary)
    elif (problem := schema.schema_problem(columns, version)) is not None:
        raise SchemaError(
            f"{path}: {problem}: not a schema `streaming-sync migrate` knows; nothing was changed"
        )
    else:
        message = f"already at schema {schema.SCHEMA_VERSION}; nothing to do"
        result = MigrationResult(path, "up to date", message=message)
    if not drop_legacy or dry_run:
        return result
    await close_connection(db)
    dropped = await _drop_legacy(path, oid)
    if result.status == "up to date":
        return dropped
    return attrs.evolve(result, message=f"{result.message}; {dropped.message}")


def _refuse_mixed(path: str, columns: Mapping[str, set[str]], layout: legacy.LegacyLayout) -> None:
    """Our table names that exist beside the legacy ones must already be ours."""
    for name, expected in schema.EXPECTED_COLUMNS.items():
        if name in columns and name not in layout.tables and not expected <= columns[name]:
            raise SchemaError(
                f"{path}: table {name} is neither legacy nor ours; nothing was changed"
            )


async def _legacy_data(
    db: aiosqlite.Connection, layout: legacy.LegacyLayout, columns: Mapping[str, set[str]]
) -> dict[str, OntologyData]:
    """One synthetic file per legacy table: ``legacy:<table>`` -> its rows."""

    async def rows(sql: str | None) -> list[Any]:
        return [] if sql is None else list(await db.execute_fetchall(sql))

    files = {layout.classes: legacy.classes_data(await rows(legacy.class_query(layout)))}
    if layout.hierarchy:
        files[layout.hierarchy] = legacy.hierarchy_data(await rows(legacy.hierarchy_query(layout)))
    if layout.properties:
        query = legacy.property_query(layout, columns[layout.properties])
        files[layout.properties] = legacy.properties_data(await rows(query))
    if layout.axioms:
        query = legacy.axiom_query(layout, columns[layout.axioms])
        files[layout.axioms] = legacy.axioms_data(await rows(query))
    return {legacy.LEGACY_PREFIX + table: data for table, data in files.items()}


def _expected_counts(files: Mapping[str, OntologyData]) -> dict[str, int]:
    data = list(files.values())
    return {
        "classes": len({c.iri for d in data for c in d.classes}),
        "edges": len({e for d in data for e in d.edges}),
        "properties": len({p.iri for d in data for p in d.properties}),
        "axioms": sum(len(d.axioms) + len(d.other_axioms) for d in data),
    }


async def _landed_counts(db: aiosqlite.Connection, oid: str) -> dict[str, int]:
    queries = {
        "classes": "SELECT COUNT(*) FROM owl_classes WHERE ontology_id = ? "
        "AND file_sha1 IS NOT NULL",
        "edges": "SELECT COUNT(*) FROM owl_class_hierarchy WHERE ontology_id = ?",
        "properties": "SELECT COUNT(*) FROM owl_properties WHERE ontology_id = ?",
        "axioms": "SELECT (SELECT COUNT(*) FROM owl_axioms WHERE ontology_id = ?1) + "
        "(SELECT COUNT(*) FROM owl_other_axioms WHERE ontology_id = ?1)",
    }
    counts = {}
    for kind, sql in queries.items():
        rows = list(await db.execute_fetchall(sql, (oid,)))
        counts[kind] = int(rows[0][0])
    return counts


async def _migrate(
    db: aiosqlite.Connection,
    path: str,
    oid: str,
    layout: legacy.LegacyLayout,
    columns: Mapping[str, set[str]],
    dry_run: bool,
) -> MigrationResult:
    if dry_run:
        expected = _expected_counts(await _legacy_data(db, layout, columns))
        return MigrationResult(
            path, "dry run", layout.variant, counts=expected, message="nothing was changed"
        )
    await db.execute("BEGIN IMMEDIATE")  # no other writer from here on
    try:
        target = backup_path(path)
        await asyncio.to_thread(copy_database, path, target)
        try:
            files = await _legacy_data(db, layout, columns)
        except SchemaError as unknown:
            raise SchemaError(f"{path}: {unknown}; nothing was changed") from None
        expected = _expected_counts(files)
        await _rebuild(db, oid, layout, files)
        landed = await _landed_counts(db, oid)
        if landed != expected:
            raise SchemaError(
                f"{path}: row counts after migrating {landed} differ from the legacy rows"
                f" {expected}; rolled back, nothing was changed"
            )
        await db.execute("COMMIT")
    except BaseException:
        await run_to_completion(_rollback(db))
        raise
    logger.info("%s: migrated %s (%s); backup at %s", path, layout.variant, expected, target)
    return MigrationResult(
        path,
        "migrated",
        layout.variant,
        backup=str(target),
        counts=expected,
        message=f"legacy rows are under ontology {oid!r} as files " + ", ".join(sorted(files)),
    )


async def _rebuild(
    db: aiosqlite.Connection,
    oid: str,
    layout: legacy.LegacyLayout,
    files: Mapping[str, OntologyData],
) -> None:
    """Drop the legacy tables, create schema 1, write the synthetic files."""
    for table in layout.tables:
        await db.execute(f'DROP TABLE "{table}"')
    for statement in _statements(schema.CREATE_SCRIPT):
        await db.execute(statement)
    await db.execute(schema.TEMP_SCRIPT)
    await db.create_function(IRI_LIST_FUNCTION, 1, iri_list, deterministic=True)
    now = now_iso()
    for path, data in sorted(files.items()):
        sha = git_blob_sha1(repr(data).encode())
        await write_file(db, oid, path, FileEntry(path, 0, sha), data, now)
    problems = list(await db.execute_fetchall("PRAGMA foreign_key_check"))
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


async def _rollback(db: aiosqlite.Connection) -> None:
    try:
        await db.execute("ROLLBACK")
    except sqlite3.Error as exc:
        logger.debug("rollback after a failed migration: %s", exc)


async def _drop_legacy(path: str, oid: str) -> MigrationResult:
    """Remove the synthetic ``legacy:`` files of ``oid`` (after a backup)."""
    from ._repository import SqliteRepository

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
