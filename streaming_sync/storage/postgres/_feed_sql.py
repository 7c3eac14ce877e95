"""The change feed on PostgreSQL: its tables and capture triggers (migration 4), the
per-connection tables it works with, and the SQL of its hook statements
(``storage._write``: ``before_recompute``, ``after_recompute``), merged into ``_sql.SQL``.

The same design as SQLite's (``sqlite/_feed_sql.py``, whose docstring says it), in
PostgreSQL's dialect: ``position`` is an identity column -- the writes of one ontology
hold its advisory lock from before their first record to their commit, so positions
increase in commit order within an ontology; ``run_id`` uses the "C" collation so run ids
compare as their text (they sort by time). The capture triggers are statement triggers
with transition tables (one call per deleting statement, not per row); a session without
the per-connection tables -- any client that is not a streaming_sync writer -- is left
alone. The per-connection tables are ``ON COMMIT DELETE ROWS``, so the clearing
statements are empty (the driver skips an empty statement: no round trip).
"""

from __future__ import annotations

from collections.abc import Mapping

_K = 'TEXT COLLATE "C"'

_CAPTURE = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.{target}') IS NOT NULL THEN
        INSERT INTO pg_temp.{target} SELECT {columns} FROM {rows}{where};
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS {name} ON {table};
CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {side} TABLE AS {rows}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""
_AXIOM_COLUMNS = "axiom_type, subject, object, property_iri, annotations, is_inferred, source_path"
_OTHER_COLUMNS = "source_path, kind, text"
#: A deleted axiom row counts as gone unless its path's record was written earlier in the
#: same transaction: then the row was inserted by it (a batch writing a path twice, or
#: saving then removing it), and was never in the feed's "before".
_NOT_WRITTEN = """
            WHERE NOT EXISTS (SELECT 1 FROM pg_temp.sync_feed_paths AS w
                WHERE w.ontology_id = gone.ontology_id AND w.path = gone.source_path)"""

#: Migration 4: the feed's tables and capture triggers.
MIGRATION = (
    f"""
CREATE TABLE IF NOT EXISTS sync_changes (
    position     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ontology_id  {_K} NOT NULL,
    run_id       {_K},
    committed_at TIMESTAMPTZ NOT NULL,
    kind         TEXT NOT NULL
        CHECK (kind IN ('class', 'edge', 'property', 'axiom', 'other_axiom')),
    old          TEXT,
    new          TEXT
);
CREATE TABLE IF NOT EXISTS sync_change_horizon (
    ontology_id {_K} PRIMARY KEY,
    position    BIGINT NOT NULL,
    run_id      {_K},
    pruned_at   TIMESTAMPTZ NOT NULL
);
"""
    + _CAPTURE.format(
        name="sync_feed_axioms_gone",
        target="sync_feed_axioms",
        columns=f"ontology_id, {_AXIOM_COLUMNS}",
        rows="gone",
        where=_NOT_WRITTEN,
        table="owl_axioms",
        event="DELETE",
        side="OLD",
    )
    + _CAPTURE.format(
        name="sync_feed_other_axioms_gone",
        target="sync_feed_other_axioms",
        columns=f"ontology_id, {_OTHER_COLUMNS}",
        rows="gone",
        where=_NOT_WRITTEN,
        table="owl_other_axioms",
        event="DELETE",
        side="OLD",
    )
    + _CAPTURE.format(
        name="sync_feed_files_written",
        target="sync_feed_paths",
        columns="ontology_id, path",
        rows="written",
        where="",
        table="sync_files",
        event="INSERT",
        side="NEW",
    )
)

#: Per connection: what the feed keeps during one write (emptied at each commit).
TEMP_DDL = f"""
CREATE TEMP TABLE IF NOT EXISTS sync_feed_classes (
    class_iri {_K}, label TEXT, comment TEXT, file_sha1 TEXT, properties TEXT
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS sync_feed_edges (
    class_iri {_K}, parent_iri {_K}
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS sync_feed_properties (
    property_iri {_K}, label TEXT, property_type TEXT, domain TEXT, range TEXT
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS sync_feed_axioms (
    ontology_id {_K}, axiom_type TEXT, subject TEXT, object TEXT, property_iri TEXT,
    annotations TEXT, is_inferred BOOLEAN, source_path {_K}
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS sync_feed_other_axioms (
    ontology_id {_K}, source_path {_K}, kind TEXT, text TEXT
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS sync_feed_paths (
    ontology_id {_K}, path {_K}
) ON COMMIT DELETE ROWS;
"""

_AFFECTED = "pg_temp.sync_affected"
_RECORD = "INSERT INTO sync_changes (ontology_id, run_id, committed_at, kind, old, new)"
_CLASS = (
    "json_build_array({t}.class_iri, {t}.label, {t}.comment, {t}.file_sha1, {t}.properties)::text"
)
_PROPERTY = (
    "json_build_array({t}.property_iri, {t}.label, {t}.property_type, {t}.domain, {t}.range)::text"
)
_EDGE = "json_build_array({t}.class_iri, {t}.parent_iri)::text"
_AFFECTED_IRIS = f"""(
    SELECT a FROM {_AFFECTED} WHERE kind = 'iri'
    UNION SELECT a FROM {_AFFECTED} WHERE kind = 'edge'
    UNION SELECT b FROM {_AFFECTED} WHERE kind = 'edge')"""


def _differs(table: str, columns: str) -> str:
    """Whether the copy ``b`` and the row ``table`` differ in any of ``columns``."""
    return " OR ".join(f"b.{c} IS DISTINCT FROM {table}.{c}" for c in columns.split())


_FEED_COPY_CLASSES = f"""
INSERT INTO pg_temp.sync_feed_classes
SELECT class_iri, label, comment, file_sha1, properties FROM owl_classes
WHERE ontology_id = :oid AND class_iri IN {_AFFECTED_IRIS}
"""
_FEED_COPY_EDGES = f"""
INSERT INTO pg_temp.sync_feed_edges
SELECT h.class_iri, h.parent_iri FROM {_AFFECTED} AS s
JOIN owl_class_hierarchy AS h
  ON h.ontology_id = :oid AND h.class_iri = s.a AND h.parent_iri = s.b
WHERE s.kind = 'edge'
"""
_FEED_COPY_PROPERTIES = f"""
INSERT INTO pg_temp.sync_feed_properties
SELECT p.property_iri, p.label, p.property_type, p.domain, p.range FROM {_AFFECTED} AS s
JOIN owl_properties AS p ON p.ontology_id = :oid AND p.property_iri = s.a
WHERE s.kind = 'prop'
"""

# Classes and properties are recorded by statements of the same three shapes (added,
# changed, removed): written out each, not generated from one template, so that each
# statement reads as the SQL it is (their columns and joins differ in the details).
_RECORD_CLASSES_ADDED = f"""{_RECORD}
SELECT :oid, :run, now(), 'class', NULL, {_CLASS.format(t="c")} FROM owl_classes AS c
WHERE c.ontology_id = :oid AND c.class_iri IN {_AFFECTED_IRIS}
  AND NOT EXISTS (SELECT 1 FROM pg_temp.sync_feed_classes AS b WHERE b.class_iri = c.class_iri)
ORDER BY c.class_iri
"""
_RECORD_CLASSES_CHANGED = f"""{_RECORD}
SELECT :oid, :run, now(), 'class', {_CLASS.format(t="b")}, {_CLASS.format(t="c")}
FROM pg_temp.sync_feed_classes AS b
JOIN owl_classes AS c ON c.ontology_id = :oid AND c.class_iri = b.class_iri
WHERE {_differs("c", "label comment file_sha1 properties")}
ORDER BY b.class_iri
"""
_RECORD_CLASSES_REMOVED = f"""{_RECORD}
SELECT :oid, :run, now(), 'class', {_CLASS.format(t="b")}, NULL
FROM pg_temp.sync_feed_classes AS b
WHERE NOT EXISTS (SELECT 1 FROM owl_classes AS c
                  WHERE c.ontology_id = :oid AND c.class_iri = b.class_iri)
ORDER BY b.class_iri
"""
_RECORD_PROPERTIES_ADDED = f"""{_RECORD}
SELECT :oid, :run, now(), 'property', NULL, {_PROPERTY.format(t="p")}
FROM {_AFFECTED} AS s JOIN owl_properties AS p ON p.ontology_id = :oid AND p.property_iri = s.a
WHERE s.kind = 'prop'
  AND NOT EXISTS (SELECT 1 FROM pg_temp.sync_feed_properties AS b
                  WHERE b.property_iri = p.property_iri)
ORDER BY p.property_iri
"""
_RECORD_PROPERTIES_CHANGED = f"""{_RECORD}
SELECT :oid, :run, now(), 'property', {_PROPERTY.format(t="b")}, {_PROPERTY.format(t="p")}
FROM pg_temp.sync_feed_properties AS b
JOIN owl_properties AS p ON p.ontology_id = :oid AND p.property_iri = b.property_iri
WHERE {_differs("p", "label property_type domain range")}
ORDER BY b.property_iri
"""
_RECORD_PROPERTIES_REMOVED = f"""{_RECORD}
SELECT :oid, :run, now(), 'property', {_PROPERTY.format(t="b")}, NULL
FROM pg_temp.sync_feed_properties AS b
WHERE NOT EXISTS (SELECT 1 FROM owl_properties AS p
                  WHERE p.ontology_id = :oid AND p.property_iri = b.property_iri)
ORDER BY b.property_iri
"""
_RECORD_EDGES_ADDED = f"""{_RECORD}
SELECT :oid, :run, now(), 'edge', NULL, {_EDGE.format(t="h")} FROM {_AFFECTED} AS s
JOIN owl_class_hierarchy AS h
  ON h.ontology_id = :oid AND h.class_iri = s.a AND h.parent_iri = s.b
WHERE s.kind = 'edge'
  AND NOT EXISTS (SELECT 1 FROM pg_temp.sync_feed_edges AS b
                  WHERE b.class_iri = h.class_iri AND b.parent_iri = h.parent_iri)
ORDER BY h.class_iri, h.parent_iri
"""
_RECORD_EDGES_REMOVED = f"""{_RECORD}
SELECT :oid, :run, now(), 'edge', {_EDGE.format(t="b")}, NULL FROM pg_temp.sync_feed_edges AS b
WHERE NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h WHERE h.ontology_id = :oid
                  AND h.class_iri = b.class_iri AND h.parent_iri = b.parent_iri)
ORDER BY b.class_iri, b.parent_iri
"""

# Axioms are a multiset: EXCEPT ALL is the multiset difference. "Now" is what the write
# inserted (see sqlite/_feed_sql.py): two lookups by path, each on its index. The write
# counts what went first; when nothing went every row now is new (a cold sync's path).
_AXIOMS_NOW = f"""
    SELECT {_AXIOM_COLUMNS} FROM owl_axioms
    WHERE ontology_id = :oid
      AND source_path IN (SELECT path FROM pg_temp.sync_feed_paths WHERE ontology_id = :oid)
    UNION ALL
    SELECT {_AXIOM_COLUMNS} FROM owl_axioms
    WHERE ontology_id = :oid AND from_link
      AND source_path IN (SELECT a FROM {_AFFECTED} WHERE kind = 'lpath')
      AND source_path NOT IN (SELECT path FROM pg_temp.sync_feed_paths WHERE ontology_id = :oid)"""
_AXIOMS_GONE = f"SELECT {_AXIOM_COLUMNS} FROM pg_temp.sync_feed_axioms WHERE ontology_id = :oid"
_AXIOM = (
    "json_build_array(axiom_type, subject, object, property_iri, annotations, is_inferred,"
    " source_path)::text"
)
_OTHERS_NOW = f"""
    SELECT {_OTHER_COLUMNS} FROM owl_other_axioms
    WHERE ontology_id = :oid
      AND source_path IN (SELECT path FROM pg_temp.sync_feed_paths WHERE ontology_id = :oid)"""
_OTHERS_GONE = (
    f"SELECT {_OTHER_COLUMNS} FROM pg_temp.sync_feed_other_axioms WHERE ontology_id = :oid"
)
_OTHER = "json_build_array(source_path, kind, text)::text"


def _all_new(kind: str, now: str, row: str) -> str:
    """Record every row of ``now`` as added (run when nothing of ``kind`` went)."""
    return f"""{_RECORD}
SELECT :oid, :run, now(), '{kind}', NULL, {row} FROM ({now}) AS x
"""


def _difference(kind: str, mine: str, others: str, row: str, added: bool) -> str:
    """Record each row of ``mine`` that ``others`` lacks, as a multiset. Each side is a
    subquery of its own: "now" is a UNION ALL, and UNION and EXCEPT bind alike (left to
    right), so ``gone EXCEPT ALL a UNION ALL b`` would add all of ``b``."""
    old_new = f"NULL, {row}" if added else f"{row}, NULL"
    return f"""{_RECORD}
SELECT :oid, :run, now(), '{kind}', {old_new} FROM (
    SELECT * FROM ({mine}) AS m EXCEPT ALL SELECT * FROM ({others}) AS o
) AS x
ORDER BY 5, 6
"""


_FEED_GONE = "UPDATE pg_temp.sync_feed_{t} SET ontology_id = ontology_id WHERE ontology_id = :oid"

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
    "record_axioms_added": _all_new("axiom", _AXIOMS_NOW, _AXIOM),
    "record_axioms_added_among_gone": _difference("axiom", _AXIOMS_NOW, _AXIOMS_GONE, _AXIOM, True),
    "record_axioms_removed": _difference("axiom", _AXIOMS_GONE, _AXIOMS_NOW, _AXIOM, False),
    "record_other_axioms_added": _all_new("other_axiom", _OTHERS_NOW, _OTHER),
    "record_other_axioms_added_among_gone": _difference(
        "other_axiom", _OTHERS_NOW, _OTHERS_GONE, _OTHER, True
    ),
    "record_other_axioms_removed": _difference(
        "other_axiom", _OTHERS_GONE, _OTHERS_NOW, _OTHER, False
    ),
    # ON COMMIT DELETE ROWS empties them: nothing to run (see the module docstring).
    "feed_clear_classes": "",
    "feed_clear_edges": "",
    "feed_clear_properties": "",
    "feed_clear_axioms": "",
    "feed_clear_other_axioms": "",
    "feed_clear_paths": "",
}

#: Sent after a commit that changed rows (in its transaction: delivered at commit).
NOTIFY = """
SELECT pg_notify(:channel, json_build_object(
    'schema', current_schema(), 'ontology_id', :oid::text, 'run_id', :run::text,
    'position', (SELECT MAX(position) FROM sync_changes WHERE ontology_id = :oid))::text)
"""

__all__ = ["FEED_SQL", "MIGRATION", "NOTIFY", "TEMP_DDL"]
