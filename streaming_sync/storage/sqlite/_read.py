"""The SQLite engine of the read API: SQL over the public tables (and the per-file
provenance for ``sources``), on its own read-only connection.

Hierarchy walks are recursive CTEs over the *set* of classes reached (``UNION``, not
``UNION ALL``), so they end on cycles and cost O(edges reached); the shortest distances
are then computed in Python from the edges the CTE returns (see
``streaming_sync._read_snapshot.walk``). A search ranks its matches in SQL, as
``_read_model.search_rank`` does in Python.
In WAL mode the reader never blocks a running sync, and a sync never blocks it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..._errors import ConfigError, SchemaError, ServiceClosedError
from ..._protocols import Repository
from ..._read_model import (
    EXACT,
    NO_LABEL,
    PREFIX,
    SUBSTRING,
    AxiomRole,
    Direction,
    OntologyCounts,
    SourceFile,
    fold,
)
from ..._snapshot import AxiomRow, ClassRow, EdgeRow
from ._connection import Connection
from ._feed import SqliteChangeFeed
from ._open import MEMORY, open_read_only, read_shape
from ._repository import DEFAULT_BUSY_TIMEOUT, SqliteRepository

logger = logging.getLogger(__name__)

_FOLD = "streaming_sync_fold"

_CLASS_COLUMNS = "class_iri, label, comment, file_sha1, properties"

# The ranks of _read_model.search_rank, in SQL: exact, label prefix, substring, no label.
_FIND = f"""
SELECT {_CLASS_COLUMNS} FROM owl_classes
WHERE ontology_id = ?1 AND (?2 IS NULL OR instr({_FOLD}(class_iri), ?2) > 0
                             OR instr({_FOLD}(coalesce(label, '')), ?2) > 0)
ORDER BY
    CASE
        WHEN ?2 IS NULL THEN 0
        WHEN label IS NULL THEN {NO_LABEL}
        WHEN {_FOLD}(label) = ?2 OR {_FOLD}(class_iri) = ?2 THEN {EXACT}
        WHEN instr({_FOLD}(label), ?2) = 1 THEN {PREFIX}
        ELSE {SUBSTRING}
    END,
    class_iri
LIMIT ?3 OFFSET ?4
"""

# (column we come from, column we go to) per direction.
_COLUMNS = {"up": ("class_iri", "parent_iri"), "down": ("parent_iri", "class_iri")}


def _closure_sql(direction: Direction) -> str:
    near, far = _COLUMNS[direction]
    return f"""
WITH RECURSIVE reached(iri) AS (
    VALUES (?2)
    UNION
    SELECT h.{far} FROM owl_class_hierarchy AS h
    JOIN reached ON h.ontology_id = ?1 AND h.{near} = reached.iri
)
SELECT h.class_iri, h.parent_iri FROM owl_class_hierarchy AS h
JOIN reached ON h.ontology_id = ?1 AND h.{near} = reached.iri
"""


_AXIOM_FILTER = {
    "subject": "subject = ?2",
    "object": "object = ?2",
    "any": "(subject = ?2 OR object = ?2)",
}

_SOURCES = """
SELECT f.path, s.blob_sha, 1 FROM file_classes AS f
JOIN sync_files AS s ON s.ontology_id = f.ontology_id AND s.path = f.path
WHERE f.ontology_id = ?1 AND f.class_iri = ?2
UNION
SELECT a.source_path, s.blob_sha, 0 FROM owl_axioms AS a
JOIN sync_files AS s ON s.ontology_id = a.ontology_id AND s.path = a.source_path
WHERE a.ontology_id = ?1 AND a.subject = ?2
"""

_COUNTS = """
SELECT
    (SELECT COUNT(*) FROM owl_classes WHERE ontology_id = ?1),
    (SELECT COUNT(*) FROM owl_classes WHERE ontology_id = ?1 AND file_sha1 IS NOT NULL),
    (SELECT COUNT(*) FROM owl_class_hierarchy WHERE ontology_id = ?1),
    (SELECT COUNT(*) FROM owl_properties WHERE ontology_id = ?1),
    (SELECT COUNT(*) FROM owl_axioms WHERE ontology_id = ?1),
    (SELECT COUNT(*) FROM owl_other_axioms WHERE ontology_id = ?1),
    (SELECT COUNT(*) FROM sync_files WHERE ontology_id = ?1)
"""

_IDS = """
SELECT ontology_id FROM sync_files UNION SELECT ontology_id FROM owl_classes
UNION SELECT ontology_id FROM sync_runs ORDER BY 1
"""


def database_file(repository: Repository) -> str | None:
    """The database file of a file-backed ``SqliteRepository``, else None."""
    if isinstance(repository, SqliteRepository) and repository.database != MEMORY:
        return repository.database
    return None


def _check_file(database: str) -> None:
    """ConfigError when ``database`` is no file (the read API never creates one)."""
    if database == MEMORY or not Path(database).is_file():
        raise ConfigError(
            f"{database}: no such database file; sync into it first "
            "(an in-memory database can only be read through its repository)"
        )


def _fold_or_none(value: object) -> str | None:
    return fold(value) if isinstance(value, str) else None


def _prepare(conn: sqlite3.Connection, database: str) -> None:
    """Refuse a file without our schema; register the search's case folding."""
    version = read_shape(conn)[1]
    if version is None:
        raise SchemaError(f"{database}: not a streaming_sync database (no schema_version table)")
    conn.create_function(_FOLD, 1, _fold_or_none, deterministic=True)


class SqliteReadEngine(SqliteChangeFeed):
    """Answers the read API with SQL; owns one read-only connection."""

    def __init__(self, db: Connection, database: str) -> None:
        self._db: Connection | None = db
        self.database = database

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> SqliteReadEngine:
        """Open ``path`` read-only, as ``status`` does (never writing to it), and check
        that it holds our schema at this version."""
        database = os.fspath(path)
        await asyncio.to_thread(_check_file, database)
        db = await open_read_only(database, DEFAULT_BUSY_TIMEOUT)
        try:
            await db.call(lambda conn: _prepare(conn, database), "opening for reading")
        except BaseException:
            await db.aclose()
            raise
        return cls(db, database)

    def __repr__(self) -> str:
        return f"<SqliteReadEngine {self.database!r}{' closed' if self._db is None else ''}>"

    def _require_open(self) -> Connection:
        if self._db is None:
            raise ServiceClosedError(f"the reader of {self.database!r} is closed; open a new one")
        return self._db

    async def _fetch(self, doing: str, sql: str, params: Sequence[Any]) -> list[Any]:
        return await self._require_open().fetchall(sql, params, doing=doing)

    async def aclose(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await db.aclose()

    # -- the engine ----------------------------------------------------------------------

    async def find_classes(
        self, oid: str, needle: str | None, limit: int, offset: int
    ) -> list[ClassRow]:
        rows = await self._fetch("listing classes", _FIND, (oid, needle, limit, offset))
        return [ClassRow(*row) for row in rows]

    async def class_row(self, oid: str, iri: str) -> ClassRow | None:
        sql = f"SELECT {_CLASS_COLUMNS} FROM owl_classes WHERE ontology_id = ? AND class_iri = ?"
        rows = await self._fetch("reading a class", sql, (oid, iri))
        return ClassRow(*rows[0]) if rows else None

    async def direct(self, oid: str, iri: str, direction: Direction) -> list[EdgeRow]:
        near = _COLUMNS[direction][0]
        sql = (
            "SELECT class_iri, parent_iri FROM owl_class_hierarchy "
            f"WHERE ontology_id = ? AND {near} = ?"
        )
        return [EdgeRow(*row) for row in await self._fetch("reading edges", sql, (oid, iri))]

    async def closure(self, oid: str, iri: str, direction: Direction) -> list[EdgeRow]:
        rows = await self._fetch("walking the hierarchy", _closure_sql(direction), (oid, iri))
        return [EdgeRow(*row) for row in rows]

    async def labels(self, oid: str, iris: Sequence[str]) -> dict[str, str | None]:
        sql = (
            "SELECT class_iri, label FROM owl_classes WHERE ontology_id = ? "
            "AND class_iri IN (SELECT value FROM json_each(?))"
        )
        rows = await self._fetch("reading labels", sql, (oid, json.dumps(list(iris))))
        return {str(iri): label for iri, label in rows}

    async def axioms(self, oid: str, iri: str, role: AxiomRole) -> list[AxiomRow]:
        sql = (
            "SELECT axiom_type, subject, object, property_iri, annotations, is_inferred, "
            f"source_path FROM owl_axioms WHERE ontology_id = ?1 AND {_AXIOM_FILTER[role]}"
        )
        rows = await self._fetch("reading axioms", sql, (oid, iri))
        return [AxiomRow(t, s, o, p, a, bool(i), src) for t, s, o, p, a, i, src in rows]

    async def sources(self, oid: str, iri: str) -> list[SourceFile]:
        found: dict[str, SourceFile] = {}
        for path, sha, declares in await self._fetch("reading sources", _SOURCES, (oid, iri)):
            known = found.get(path)
            if known is None or (declares and not known.declares):
                found[path] = SourceFile(str(path), str(sha), bool(declares))
        return sorted(found.values())

    async def counts(self, oid: str) -> OntologyCounts:
        [row] = await self._fetch("counting rows", _COUNTS, (oid,))
        return OntologyCounts(*(int(v) for v in row))

    async def ontology_ids(self) -> list[str]:
        return [str(oid) for (oid,) in await self._fetch("listing ontology ids", _IDS, ())]


__all__ = ["SqliteReadEngine", "database_file"]
