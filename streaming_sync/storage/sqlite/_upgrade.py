"""Upgrades of a streaming_sync SQLite database from an older schema version, in place.

``streaming-sync migrate`` runs them (a sync or a reader refuses an older schema and
names that command). :func:`upgrade` takes the write lock, writes a backup with the
online backup API, and applies every step from the database's version to
``SCHEMA_VERSION`` in ONE transaction, so a failure leaves the file as it was.

Step 2 (``file_link_targets``): a page link resolves only to the classes the target page
names with ``owl:class::``, no longer to every class the page declares. Schema 1 kept no
record of which classes those were, so the step derives it from what it did keep: a
Logseq page's ``owl:class::`` classes are exactly its ``file_classes`` rows whose block
properties hold an ``owl:class`` key (a class only a fence declares has no block
properties). A page with no such row -- written by a parser of your own -- keeps every
class as a link target, as before. Then every page link is resolved again and the
hierarchy edges and placeholder classes only the old rule asserted are removed, so the
rows equal what a fresh sync writes. See ``docs/schema.md``.

Step 3 (the change feed): adds ``sync_changes`` and ``sync_change_horizon``, empty. The
feed of an upgraded database begins at the upgrade: its records take the rows as they
were then to the rows now (``OntologyReader.changes`` says so, see ``docs/keeping-current.md``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

from ..._errors import SchemaError
from ..._model import LINK_AXIOM_ANNOTATIONS
from . import _feed_sql
from . import _schema as schema
from ._connection import in_transaction
from ._open import now_iso

logger = logging.getLogger(__name__)

# Kept beside its twin, PostgreSQL's migration 3 (postgres/_schema.py), which says the
# same in PostgreSQL's dialect: a released upgrade is frozen, each in its dialect.
_NAMED_BY_BLOCK = "json_type({alias}.properties, '$.\"owl:class\"') IS NOT NULL"
_DERIVE_LINK_TARGETS = f"""
INSERT OR IGNORE INTO file_link_targets (ontology_id, path, class_iri)
SELECT c.ontology_id, c.path, c.class_iri FROM file_classes AS c
WHERE EXISTS (SELECT 1 FROM file_pages AS p
              WHERE p.ontology_id = c.ontology_id AND p.path = c.path)
  AND ({_NAMED_BY_BLOCK.format(alias="c")}
       OR NOT EXISTS (SELECT 1 FROM file_classes AS d
                      WHERE d.ontology_id = c.ontology_id AND d.path = c.path
                        AND {_NAMED_BY_BLOCK.format(alias="d")}))
"""
# The rule of _sql.py's "resolve_links", for every link of every ontology at once.
_RESOLVE_ALL_LINKS = """
INSERT OR IGNORE INTO link_edges (ontology_id, path, seq, class_iri, parent_iri)
SELECT k.ontology_id, k.path, k.seq, k.class_iri, t.class_iri
FROM (SELECT l.ontology_id, l.path, l.seq, l.class_iri, (
          SELECT MIN(p.path) FROM file_pages AS p
          WHERE p.ontology_id = l.ontology_id AND p.page_key = l.target
            AND EXISTS (SELECT 1 FROM file_link_targets AS d
                        WHERE d.ontology_id = p.ontology_id AND d.path = p.path)
      ) AS target_path
      FROM file_links AS l) AS k
JOIN file_link_targets AS t ON t.ontology_id = k.ontology_id AND t.path = k.target_path
"""
_ADD_ALL_LINK_AXIOMS = """
INSERT INTO owl_axioms (ontology_id, axiom_type, subject, object, annotations, is_inferred,
                        created_at, property_iri, source_path, from_link)
SELECT e.ontology_id, 'SubClassOf', e.class_iri, e.parent_iri, :link_annotations, 0, :now,
       NULL, e.path, 1
FROM link_edges AS e
"""
_DELETE_UNASSERTED_EDGES = """
DELETE FROM owl_class_hierarchy AS h
WHERE NOT EXISTS (SELECT 1 FROM file_edges AS f WHERE f.ontology_id = h.ontology_id
                  AND f.class_iri = h.class_iri AND f.parent_iri = h.parent_iri)
  AND NOT EXISTS (SELECT 1 FROM link_edges AS l WHERE l.ontology_id = h.ontology_id
                  AND l.class_iri = h.class_iri AND l.parent_iri = h.parent_iri)
"""
_INSERT_LINK_PLACEHOLDERS = """
INSERT INTO owl_classes (ontology_id, class_iri, last_synced, created_at, updated_at)
SELECT e.ontology_id, e.iri, :now, :now, :now
FROM (SELECT ontology_id, class_iri AS iri FROM link_edges
      UNION SELECT ontology_id, parent_iri FROM link_edges) AS e WHERE true
ON CONFLICT (ontology_id, class_iri) DO NOTHING
"""
_INSERT_LINK_EDGES = """
INSERT OR IGNORE INTO owl_class_hierarchy (ontology_id, class_iri, parent_iri)
SELECT DISTINCT ontology_id, class_iri, parent_iri FROM link_edges
"""
_DELETE_UNUSED_PLACEHOLDERS = """
DELETE FROM owl_classes AS o
WHERE NOT EXISTS (SELECT 1 FROM file_classes AS c
                  WHERE c.ontology_id = o.ontology_id AND c.class_iri = o.class_iri)
  AND NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h
                  WHERE h.ontology_id = o.ontology_id AND h.class_iri = o.class_iri)
  AND NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h
                  WHERE h.ontology_id = o.ontology_id AND h.parent_iri = o.class_iri)
"""

#: Step ``n`` brings a database at version ``n - 1`` to version ``n``, statement by statement.
STEPS: Mapping[int, tuple[str, ...]] = {
    2: (
        schema.LINK_TARGETS_DDL,
        _DERIVE_LINK_TARGETS,
        "DELETE FROM owl_axioms WHERE from_link = 1",
        "DELETE FROM link_edges",
        _RESOLVE_ALL_LINKS,
        _ADD_ALL_LINK_AXIOMS,
        _DELETE_UNASSERTED_EDGES,
        _INSERT_LINK_PLACEHOLDERS,
        _INSERT_LINK_EDGES,
        _DELETE_UNUSED_PLACEHOLDERS,
    ),
    3: _feed_sql.FEED_TABLES,
}

#: What the upgrade reports, each counted before and after it.
_COUNTS = {
    "link edges": "SELECT COUNT(*) FROM link_edges",
    "hierarchy edges": "SELECT COUNT(*) FROM owl_class_hierarchy",
    "classes": "SELECT COUNT(*) FROM owl_classes",
}


@attrs.frozen
class Upgrade:
    """What :func:`upgrade` did: the versions it went from and to, the row counts before
    and after (``link edges``, ``hierarchy edges``, ``classes``) and the backup."""

    from_version: int
    to_version: int
    before: Mapping[str, int]
    after: Mapping[str, int]
    backup: str | None

    @property
    def summary(self) -> str:
        """One line for the user: the versions and how each count changed."""
        if self.backup is None:
            return f"schema {self.from_version} -> {self.to_version}; nothing was changed"
        changes = ", ".join(f"{k} {self.before[k]} -> {self.after[k]}" for k in self.before)
        return f"schema {self.from_version} -> {self.to_version}: {changes}"


def upgrade_problem(columns: Mapping[str, set[str]], version: int) -> str | None:
    """Why a database at ``version`` cannot be brought to ``SCHEMA_VERSION`` by
    :func:`upgrade` (not an older version we know, or a table of it lacks a column),
    or None when it can."""
    if version not in range(1, schema.SCHEMA_VERSION):
        return (
            f"schema version {version}, this version of streaming_sync uses {schema.SCHEMA_VERSION}"
        )
    for name, expected in schema.EXPECTED_COLUMNS.items():
        if schema.TABLE_SINCE.get(name, 1) <= version:
            missing = expected - columns.get(name, set())
            if missing:
                return f"table {name} lacks the columns {', '.join(sorted(missing))}"
    return None


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {kind: int(conn.execute(sql).fetchone()[0]) for kind, sql in _COUNTS.items()}


def _apply(
    conn: sqlite3.Connection, path: str, version: int, backup: Callable[[], Path]
) -> tuple[Path, dict[str, int]]:
    """The upgrade's transaction: the backup, then every step, checked and counted."""
    target = backup()  # under the write lock: no other writer from here on
    params = {"now": now_iso(), "link_annotations": LINK_AXIOM_ANNOTATIONS}
    for step in range(version + 1, schema.SCHEMA_VERSION + 1):
        for statement in STEPS[step]:
            conn.execute(statement, params)
        conn.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
            (step, params["now"]),
        )
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise SchemaError(
            f"{path}: foreign key violations after upgrading: {problems[:5]};"
            " rolled back, nothing was changed"
        )
    return target, _counts(conn)


def upgrade(
    conn: sqlite3.Connection,
    path: str,
    columns: Mapping[str, set[str]],
    version: int,
    *,
    dry_run: bool,
    backup: Callable[[], Path],
) -> Upgrade:
    """Bring the open database ``conn`` (with these tables and ``columns``) from
    ``version`` to ``SCHEMA_VERSION``, on the connection's thread; no transaction may be
    open. ``backup()`` writes the backup once the write lock is held. With ``dry_run``
    nothing is written and ``after`` equals ``before``. Raises ``SchemaError``, changing
    nothing, when the database is not one :func:`upgrade_problem` accepts."""
    problem = upgrade_problem(columns, version)
    if problem is not None:
        raise SchemaError(
            f"{path}: {problem}: not a schema `streaming-sync migrate` knows; nothing was changed"
        )
    before = _counts(conn)
    if dry_run:
        return Upgrade(version, schema.SCHEMA_VERSION, before, before, None)

    target, after = in_transaction(
        conn, lambda conn: _apply(conn, path, version, backup), "BEGIN IMMEDIATE"
    )
    logger.info("%s: upgraded from schema %d (%s -> %s)", path, version, before, after)
    return Upgrade(version, schema.SCHEMA_VERSION, before, after, str(target))


__all__ = ["STEPS", "Upgrade", "upgrade", "upgrade_problem"]
