"""The change feed on SQLite: its tables (schema 3), the per-connection tables and capture
triggers it works with, and the SQL of its hook statements (``storage._write``:
``before_recompute``, ``after_recompute``), merged into ``_sql.SQL``. The joins start from
the small per-write tables (CROSS JOIN fixes that order in SQLite): starting from a
public table would walk a whole ontology per write.

``sync_changes`` holds one row per public row a commit added, removed or changed:
``old``/``new`` are the row's values as a JSON array in the snapshot's column order
(NULL for the side that does not exist). ``position`` is ``AUTOINCREMENT``, so it never
goes back (not even after pruning removed every record); one writer at a time makes it
the commit order. ``sync_change_horizon`` remembers, per ontology, the last position
and run that ``prune`` removed, so a reader asking for older changes is told so.

Per connection (``TEMP_DDL``, created with ``_schema.TEMP_SCRIPT``): ``sync_feed_*``
hold the affected rows as they were before the recomputation, the axiom rows the write
deleted (captured by TEMP triggers as they go) and the paths whose ``sync_files`` record
it inserted, i.e. whose axioms it inserted anew. The after hook compares them with the
rows now and empties them; a rolled-back write rolls them back too.

(PostgreSQL's twin is ``postgres/_feed_sql.py``: same statements in its dialect.)
"""

from __future__ import annotations

from collections.abc import Mapping

#: Tables of schema 3, one statement each (``_upgrade`` adds them to an older database).
FEED_TABLES = (
    """
CREATE TABLE IF NOT EXISTS sync_changes (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
    ontology_id  TEXT NOT NULL,
    run_id       TEXT,
    committed_at TEXT NOT NULL,
    kind         TEXT NOT NULL
        CHECK (kind IN ('class', 'edge', 'property', 'axiom', 'other_axiom')),
    old          TEXT,
    new          TEXT
);
""",
    """
CREATE TABLE IF NOT EXISTS sync_change_horizon (
    ontology_id TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,
    run_id      TEXT,
    pruned_at   TEXT NOT NULL
);
""",
)
FEED_DDL = "".join(FEED_TABLES)

_AXIOM_COLUMNS = "axiom_type, subject, object, property_iri, annotations, is_inferred, source_path"
_OTHER_COLUMNS = "source_path, kind, text"

#: A deleted axiom row counts as gone unless its path's record was written earlier in the
#: same transaction: then the row was inserted by it (a batch writing a path twice, or
#: saving then removing it), and was never in the feed's "before".
_NOT_WRITTEN = """NOT EXISTS (SELECT 1 FROM temp.sync_feed_paths AS w
    WHERE w.ontology_id = OLD.ontology_id AND w.path = OLD.source_path)"""

#: Per connection: what the feed keeps during one write (see the module docstring).
TEMP_DDL = f"""
CREATE TEMP TABLE IF NOT EXISTS sync_feed_classes (
    class_iri TEXT PRIMARY KEY, label TEXT, comment TEXT, file_sha1 TEXT, properties TEXT
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS sync_feed_edges (
    class_iri TEXT NOT NULL, parent_iri TEXT NOT NULL, PRIMARY KEY (class_iri, parent_iri)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS sync_feed_properties (
    property_iri TEXT PRIMARY KEY, label TEXT, property_type TEXT, domain TEXT, range TEXT
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS sync_feed_axioms (
    ontology_id TEXT, axiom_type TEXT, subject TEXT, object TEXT, property_iri TEXT,
    annotations TEXT, is_inferred INTEGER, source_path TEXT
);
CREATE TEMP TABLE IF NOT EXISTS sync_feed_other_axioms (
    ontology_id TEXT, source_path TEXT, kind TEXT, text TEXT
);
CREATE TEMP TABLE IF NOT EXISTS sync_feed_paths (
    ontology_id TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (ontology_id, path)
) WITHOUT ROWID;

CREATE TEMP TRIGGER IF NOT EXISTS sync_feed_axiom_gone AFTER DELETE ON main.owl_axioms
WHEN {_NOT_WRITTEN} BEGIN
    INSERT INTO sync_feed_axioms (ontology_id, {_AXIOM_COLUMNS}) VALUES (OLD.ontology_id,
        OLD.axiom_type, OLD.subject, OLD.object, OLD.property_iri, OLD.annotations,
        OLD.is_inferred, OLD.source_path);
END;
CREATE TEMP TRIGGER IF NOT EXISTS sync_feed_other_axiom_gone AFTER DELETE ON main.owl_other_axioms
WHEN {_NOT_WRITTEN} BEGIN
    INSERT INTO sync_feed_other_axioms (ontology_id, {_OTHER_COLUMNS})
    VALUES (OLD.ontology_id, OLD.source_path, OLD.kind, OLD.text);
END;
CREATE TEMP TRIGGER IF NOT EXISTS sync_feed_file_written AFTER INSERT ON main.sync_files BEGIN
    INSERT OR IGNORE INTO sync_feed_paths (ontology_id, path) VALUES (NEW.ontology_id, NEW.path);
END;
"""

_AFFECTED = "temp.sync_affected"
_RECORD = "INSERT INTO sync_changes (ontology_id, run_id, committed_at, kind, old, new)"
_CLASS = "json_array({t}.class_iri, {t}.label, {t}.comment, {t}.file_sha1, {t}.properties)"
_PROPERTY = "json_array({t}.property_iri, {t}.label, {t}.property_type, {t}.domain, {t}.range)"
_EDGE = "json_array({t}.class_iri, {t}.parent_iri)"
_AFFECTED_IRIS = f"""(
    SELECT a FROM {_AFFECTED} WHERE kind = 'iri'
    UNION SELECT a FROM {_AFFECTED} WHERE kind = 'edge'
    UNION SELECT b FROM {_AFFECTED} WHERE kind = 'edge')"""

_FEED_COPY_CLASSES = f"""
INSERT INTO temp.sync_feed_classes
SELECT class_iri, label, comment, file_sha1, properties FROM owl_classes
WHERE ontology_id = :oid AND class_iri IN {_AFFECTED_IRIS}
"""
_FEED_COPY_EDGES = f"""
INSERT INTO temp.sync_feed_edges
SELECT h.class_iri, h.parent_iri FROM {_AFFECTED} AS s
CROSS JOIN owl_class_hierarchy AS h
  ON h.ontology_id = :oid AND h.class_iri = s.a AND h.parent_iri = s.b
WHERE s.kind = 'edge'
"""
_FEED_COPY_PROPERTIES = f"""
INSERT INTO temp.sync_feed_properties
SELECT p.property_iri, p.label, p.property_type, p.domain, p.range FROM {_AFFECTED} AS s
CROSS JOIN owl_properties AS p ON p.ontology_id = :oid AND p.property_iri = s.a
WHERE s.kind = 'prop'
"""

# Classes and properties are recorded by statements of the same three shapes (added,
# changed, removed): written out each, not generated from one template, so that each
# statement reads as the SQL it is (their columns and joins differ in the details).
_RECORD_CLASSES_ADDED = f"""{_RECORD}
SELECT :oid, :run, :now, 'class', NULL, {_CLASS.format(t="c")} FROM owl_classes AS c
WHERE c.ontology_id = :oid AND c.class_iri IN {_AFFECTED_IRIS}
  AND NOT EXISTS (SELECT 1 FROM temp.sync_feed_classes AS b WHERE b.class_iri = c.class_iri)
ORDER BY c.class_iri
"""
_RECORD_CLASSES_CHANGED = f"""{_RECORD}
SELECT :oid, :run, :now, 'class', {_CLASS.format(t="b")}, {_CLASS.format(t="c")}
FROM temp.sync_feed_classes AS b
CROSS JOIN owl_classes AS c ON c.ontology_id = :oid AND c.class_iri = b.class_iri
WHERE b.label IS NOT c.label OR b.comment IS NOT c.comment
   OR b.file_sha1 IS NOT c.file_sha1 OR b.properties IS NOT c.properties
ORDER BY b.class_iri
"""
_RECORD_CLASSES_REMOVED = f"""{_RECORD}
SELECT :oid, :run, :now, 'class', {_CLASS.format(t="b")}, NULL FROM temp.sync_feed_classes AS b
WHERE NOT EXISTS (SELECT 1 FROM owl_classes AS c
                  WHERE c.ontology_id = :oid AND c.class_iri = b.class_iri)
ORDER BY b.class_iri
"""
_RECORD_PROPERTIES_ADDED = f"""{_RECORD}
SELECT :oid, :run, :now, 'property', NULL, {_PROPERTY.format(t="p")}
FROM {_AFFECTED} AS s
CROSS JOIN owl_properties AS p ON p.ontology_id = :oid AND p.property_iri = s.a
WHERE s.kind = 'prop'
  AND NOT EXISTS (SELECT 1 FROM temp.sync_feed_properties AS b
                  WHERE b.property_iri = p.property_iri)
ORDER BY p.property_iri
"""
_RECORD_PROPERTIES_CHANGED = f"""{_RECORD}
SELECT :oid, :run, :now, 'property', {_PROPERTY.format(t="b")}, {_PROPERTY.format(t="p")}
FROM temp.sync_feed_properties AS b
CROSS JOIN owl_properties AS p ON p.ontology_id = :oid AND p.property_iri = b.property_iri
WHERE b.label IS NOT p.label OR b.property_type IS NOT p.property_type
   OR b.domain IS NOT p.domain OR b.range IS NOT p.range
ORDER BY b.property_iri
"""
_RECORD_PROPERTIES_REMOVED = f"""{_RECORD}
SELECT :oid, :run, :now, 'property', {_PROPERTY.format(t="b")}, NULL
FROM temp.sync_feed_properties AS b
WHERE NOT EXISTS (SELECT 1 FROM owl_properties AS p
                  WHERE p.ontology_id = :oid AND p.property_iri = b.property_iri)
ORDER BY b.property_iri
"""
_RECORD_EDGES_ADDED = f"""{_RECORD}
SELECT :oid, :run, :now, 'edge', NULL, {_EDGE.format(t="h")} FROM {_AFFECTED} AS s
CROSS JOIN owl_class_hierarchy AS h
  ON h.ontology_id = :oid AND h.class_iri = s.a AND h.parent_iri = s.b
WHERE s.kind = 'edge'
  AND NOT EXISTS (SELECT 1 FROM temp.sync_feed_edges AS b
                  WHERE b.class_iri = h.class_iri AND b.parent_iri = h.parent_iri)
ORDER BY h.class_iri, h.parent_iri
"""
_RECORD_EDGES_REMOVED = f"""{_RECORD}
SELECT :oid, :run, :now, 'edge', {_EDGE.format(t="b")}, NULL FROM temp.sync_feed_edges AS b
WHERE NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h WHERE h.ontology_id = :oid
                  AND h.class_iri = b.class_iri AND h.parent_iri = b.parent_iri)
ORDER BY b.class_iri, b.parent_iri
"""

# Axioms are a multiset: the n-th copy of a row on one side matches the n-th copy on
# the other (the row number within its group of equal rows). "Gone" is what the write
# deleted (captured); "now" is what it inserted: every axiom of a path whose record it
# wrote, and the link axioms of the other paths whose links it re-resolved ('lpath') --
# two index lookups by path (INDEXED BY: an OR of the two, or the planner's wish to
# read rows in the window's order through another index, would scan the ontology). The
# write counts what went first ("feed_gone_*": an UPDATE that changes nothing reports
# the rows it touched); when nothing went, every row now is new (the cheap path of a
# cold sync), else the multiset difference is recorded both ways.
_AXIOMS_NOW = f"""
    SELECT {_AXIOM_COLUMNS} FROM owl_axioms INDEXED BY idx_owl_axioms_source
    WHERE ontology_id = :oid
      AND source_path IN (SELECT path FROM temp.sync_feed_paths WHERE ontology_id = :oid)
    UNION ALL
    SELECT {_AXIOM_COLUMNS} FROM owl_axioms INDEXED BY idx_owl_axioms_source
    WHERE ontology_id = :oid AND from_link = 1
      AND source_path IN (SELECT a FROM {_AFFECTED} WHERE kind = 'lpath')
      AND source_path NOT IN (SELECT path FROM temp.sync_feed_paths WHERE ontology_id = :oid)"""
_AXIOMS_GONE = f"""
    SELECT {_AXIOM_COLUMNS} FROM temp.sync_feed_axioms WHERE ontology_id = :oid"""
_AXIOM = "json_array(axiom_type, subject, object, property_iri, annotations, is_inferred, " \
    "source_path)"  # fmt: skip
_OTHERS_NOW = f"""
    SELECT {_OTHER_COLUMNS} FROM owl_other_axioms INDEXED BY idx_owl_other_axioms_source
    WHERE ontology_id = :oid
      AND source_path IN (SELECT path FROM temp.sync_feed_paths WHERE ontology_id = :oid)"""
_OTHERS_GONE = f"""
    SELECT {_OTHER_COLUMNS} FROM temp.sync_feed_other_axioms WHERE ontology_id = :oid"""
_OTHER = "json_array(source_path, kind, text)"


def _all_new(kind: str, now: str, row: str) -> str:
    """Record every row of ``now`` as added (run when nothing of ``kind`` went), in the
    order the path index gives (no sort: the order within one commit means nothing)."""
    return f"""{_RECORD}
SELECT :oid, :run, :now, '{kind}', NULL, {row} FROM ({now})
"""


def _numbered(rows: str, columns: str) -> str:
    return f"SELECT {columns}, row_number() OVER (PARTITION BY {columns}) AS n FROM ({rows})"


def _difference(kind: str, mine: str, others: str, columns: str, row: str, added: bool) -> str:
    """Record each row of ``mine`` that ``others`` lacks, as a multiset."""
    old_new = f"NULL, {row}" if added else f"{row}, NULL"
    return f"""{_RECORD}
SELECT :oid, :run, :now, '{kind}', {old_new} FROM (
    {_numbered(mine, columns)} EXCEPT {_numbered(others, columns)}
) ORDER BY 5, 6
"""


_RECORD_AXIOMS_ADDED = _all_new("axiom", _AXIOMS_NOW, _AXIOM)
_RECORD_AXIOMS_ADDED_AMONG_GONE = _difference(
    "axiom", _AXIOMS_NOW, _AXIOMS_GONE, _AXIOM_COLUMNS, _AXIOM, added=True
)
_RECORD_AXIOMS_REMOVED = _difference(
    "axiom", _AXIOMS_GONE, _AXIOMS_NOW, _AXIOM_COLUMNS, _AXIOM, added=False
)
_RECORD_OTHER_AXIOMS_ADDED = _all_new("other_axiom", _OTHERS_NOW, _OTHER)
_RECORD_OTHER_AXIOMS_ADDED_AMONG_GONE = _difference(
    "other_axiom", _OTHERS_NOW, _OTHERS_GONE, _OTHER_COLUMNS, _OTHER, added=True
)
_RECORD_OTHER_AXIOMS_REMOVED = _difference(
    "other_axiom", _OTHERS_GONE, _OTHERS_NOW, _OTHER_COLUMNS, _OTHER, added=False
)

_FEED_GONE = "UPDATE temp.sync_feed_{t} SET ontology_id = ontology_id WHERE ontology_id = :oid"

FEED_SQL: Mapping[str, str] = {
    "feed_gone_axioms": _FEED_GONE.format(t="axioms"),
    "feed_gone_other_axioms": _FEED_GONE.format(t="other_axioms"),
    "feed_copy_classes": _FEED_COPY_CLASSES,
    "feed_copy_edges": _FEED_COPY_EDGES,
    "feed_copy_properties": _FEED_COPY_PROPERTIES,
    "record_classes_added": _RECORD_CLASSES_ADDED,
    "record_classes_changed": _RECORD_CLASSES_CHANGED,
    "record_classes_removed": _RECORD_CLASSES_REMOVED,
    "record_properties_added": _RECORD_PROPERTIES_ADDED,
    "record_properties_changed": _RECORD_PROPERTIES_CHANGED,
    "record_properties_removed": _RECORD_PROPERTIES_REMOVED,
    "record_edges_added": _RECORD_EDGES_ADDED,
    "record_edges_removed": _RECORD_EDGES_REMOVED,
    "record_axioms_added": _RECORD_AXIOMS_ADDED,
    "record_axioms_added_among_gone": _RECORD_AXIOMS_ADDED_AMONG_GONE,
    "record_axioms_removed": _RECORD_AXIOMS_REMOVED,
    "record_other_axioms_added": _RECORD_OTHER_AXIOMS_ADDED,
    "record_other_axioms_added_among_gone": _RECORD_OTHER_AXIOMS_ADDED_AMONG_GONE,
    "record_other_axioms_removed": _RECORD_OTHER_AXIOMS_REMOVED,
    "feed_clear_classes": "DELETE FROM temp.sync_feed_classes",
    "feed_clear_edges": "DELETE FROM temp.sync_feed_edges",
    "feed_clear_properties": "DELETE FROM temp.sync_feed_properties",
    "feed_clear_axioms": "DELETE FROM temp.sync_feed_axioms",
    "feed_clear_other_axioms": "DELETE FROM temp.sync_feed_other_axioms",
    "feed_clear_paths": "DELETE FROM temp.sync_feed_paths",
}

__all__ = ["FEED_DDL", "FEED_SQL", "FEED_TABLES", "TEMP_DDL"]
