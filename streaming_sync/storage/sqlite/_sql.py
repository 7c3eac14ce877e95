"""The SQL text of the write on SQLite, one statement per key of the algorithm in
``storage._write`` (which says what each step does and in what order). Run by
``_driver`` on the connection's thread, inside the repository's transaction.

SQLite's dialect: ``INSERT OR IGNORE`` where a row may exist; ``:now`` (ISO-8601 text
from the driver) for timestamps; ``INDEXED BY`` where the planner would otherwise walk a
whole ontology; the domain/range union through the ``streaming_sync_iri_list`` function
the connection registers (``_open``). The affected set is the connection's temporary
table ``temp.sync_affected`` (``_schema.TEMP_SCRIPT``); its ``stale`` column is 0 or 1.

(The PostgreSQL text in ``postgres/_sql.py`` has the same statements in its dialect: the
two are kept apart, each complete, because nearly every statement differs in some
dialect detail and a reader should see what one database runs in one file.)
"""

from __future__ import annotations

from collections.abc import Mapping

from .._write import KEYS
from ._feed_sql import FEED_SQL

#: The SQL function the property upsert uses to turn a JSON array of IRIs (duplicates,
#: any order) into the stored form, ``_model.iri_list_json``, exactly.
IRI_LIST_FUNCTION = "streaming_sync_iri_list"

_AFFECTED = "temp.sync_affected"

#: The rows of the files of a group (``:paths``: the driver binds them as a JSON array).
_OWN = "WHERE ontology_id = :oid AND path IN (SELECT value FROM json_each(:paths))"
# Step 1: the old contribution, stale (an upsert: a row a written file collected fresh
# becomes stale when a later write of the transaction drops it again).
_COLLECT_OLD = f"""
INSERT INTO {_AFFECTED} (kind, a, b, stale)
SELECT 'iri', class_iri, '', 1 FROM file_classes {_OWN}
UNION ALL
SELECT 'edge', class_iri, parent_iri, 1 FROM file_edges {_OWN}
UNION ALL
SELECT 'edge', class_iri, parent_iri, 1 FROM link_edges {_OWN}
UNION ALL
SELECT 'prop', property_iri, '', 1 FROM file_properties {_OWN}
UNION ALL
SELECT 'key', page_key, '', 1 FROM file_pages {_OWN}
ON CONFLICT (kind, a, b) DO UPDATE SET stale = 1
"""
# Step 3: the rows just inserted, fresh; a file is a link path when it has links (its
# link edges are resolved once per transaction, and collected then).
_COLLECT_NEW = f"""
INSERT OR IGNORE INTO {_AFFECTED} (kind, a, b)
SELECT 'iri', class_iri, '' FROM file_classes {_OWN}
UNION ALL
SELECT 'edge', class_iri, parent_iri FROM file_edges {_OWN}
UNION ALL
SELECT 'prop', property_iri, '' FROM file_properties {_OWN}
UNION ALL
SELECT 'key', page_key, '' FROM file_pages {_OWN}
UNION ALL
SELECT DISTINCT 'lpath', path, '' FROM file_links {_OWN}
"""

_DROP_FILE = f"DELETE FROM sync_files {_OWN}"
_ADD_FILE = """
INSERT INTO sync_files (ontology_id, path, blob_sha, synced_at) VALUES (:oid, :path, :sha, :now)
"""

# Standard SQL below, some of it the same text as in postgres/_sql.py: kept, see the docstring.
_INSERT_FILE_CLASSES = """
INSERT INTO file_classes (ontology_id, path, seq, class_iri, label, comment, properties)
VALUES (:oid, :path, :seq, :class_iri, :label, :comment, :properties)
"""
_INSERT_FILE_EDGES = """
INSERT OR IGNORE INTO file_edges (ontology_id, path, class_iri, parent_iri)
VALUES (:oid, :path, :class_iri, :parent_iri)
"""
_INSERT_FILE_PROPERTIES = """
INSERT INTO file_properties
    (ontology_id, path, seq, property_iri, property_type, label, domain, range)
VALUES (:oid, :path, :seq, :property_iri, :property_type, :label, :domain, :range)
"""
_INSERT_FILE_LINKS = """
INSERT INTO file_links (ontology_id, path, seq, class_iri, target)
VALUES (:oid, :path, :seq, :class_iri, :target)
"""
_INSERT_FILE_PAGES = """
INSERT OR IGNORE INTO file_pages (ontology_id, path, page_key) VALUES (:oid, :path, :page_key)
"""
_INSERT_FILE_LINK_TARGETS = """
INSERT OR IGNORE INTO file_link_targets (ontology_id, path, class_iri)
VALUES (:oid, :path, :class_iri)
"""
_INSERT_AXIOMS = """
INSERT INTO owl_axioms (ontology_id, axiom_type, subject, object, annotations, is_inferred,
                        created_at, property_iri, source_path, from_link)
VALUES (:oid, :axiom_type, :subject, :object, :annotations, :is_inferred, :now, :property_iri,
        :path, 0)
"""
_INSERT_OTHER_AXIOMS = """
INSERT INTO owl_other_axioms (ontology_id, source_path, kind, text, created_at)
VALUES (:oid, :path, :kind, :text, :now)
"""

_LINK_PATHS = f"SELECT a FROM {_AFFECTED} WHERE kind = 'lpath'"

# Every file linking to one of the written files' old or new page keys (the written
# files with links are link paths already, from collect_new).
_MARK_LINK_PATHS = f"""
INSERT OR IGNORE INTO {_AFFECTED} (kind, a)
SELECT 'lpath', l.path FROM file_links AS l
WHERE l.ontology_id = :oid AND l.target IN (SELECT a FROM {_AFFECTED} WHERE kind = 'key')
"""
_LINK_EDGES_OF_PATHS = f"""
FROM link_edges AS e
WHERE e.ontology_id = :oid AND e.path IN ({_LINK_PATHS})"""
_COLLECT_LINK_EDGES = f"""
INSERT INTO {_AFFECTED} (kind, a, b, stale)
SELECT 'edge', e.class_iri, e.parent_iri, 1 {_LINK_EDGES_OF_PATHS}
ON CONFLICT (kind, a, b) DO UPDATE SET stale = 1
"""
_COLLECT_NEW_LINK_EDGES = f"""
INSERT OR IGNORE INTO {_AFFECTED} (kind, a, b)
SELECT 'edge', e.class_iri, e.parent_iri {_LINK_EDGES_OF_PATHS}
"""
_DROP_LINK_EDGES = f"DELETE FROM link_edges WHERE ontology_id = :oid AND path IN ({_LINK_PATHS})"
_DROP_LINK_AXIOMS = f"""
DELETE FROM owl_axioms
WHERE ontology_id = :oid AND from_link = 1 AND source_path IN ({_LINK_PATHS})
"""
# A link resolves to the link targets of the first page, by path, that has the key and
# offers a link target (never to the other classes that page declares).
_RESOLVE_LINKS = f"""
WITH linked AS (
    SELECT l.path, l.seq, l.class_iri, (
        SELECT MIN(p.path) FROM file_pages AS p
        WHERE p.ontology_id = :oid AND p.page_key = l.target
          AND EXISTS (SELECT 1 FROM file_link_targets AS d
                      WHERE d.ontology_id = :oid AND d.path = p.path)
    ) AS target_path
    FROM file_links AS l
    WHERE l.ontology_id = :oid AND l.path IN ({_LINK_PATHS})
)
INSERT OR IGNORE INTO link_edges (ontology_id, path, seq, class_iri, parent_iri)
SELECT :oid, k.path, k.seq, k.class_iri, t.class_iri
FROM linked AS k JOIN file_link_targets AS t ON t.ontology_id = :oid AND t.path = k.target_path
"""
_ADD_LINK_AXIOMS = f"""
INSERT INTO owl_axioms (ontology_id, axiom_type, subject, object, annotations, is_inferred,
                        created_at, property_iri, source_path, from_link)
SELECT :oid, 'SubClassOf', e.class_iri, e.parent_iri, :link_annotations, 0, :now, NULL,
       e.path, 1
FROM link_edges AS e
WHERE e.ontology_id = :oid AND e.path IN ({_LINK_PATHS})
"""

# The class IRIs whose row may have to go: stale ones, and the ends of stale edges.
_STALE_IRIS = f"""
WITH iris (iri) AS (
    SELECT a FROM {_AFFECTED} WHERE kind = 'iri' AND stale
    UNION SELECT a FROM {_AFFECTED} WHERE kind = 'edge' AND stale
    UNION SELECT b FROM {_AFFECTED} WHERE kind = 'edge' AND stale
)"""
# Only the classes a written file declares (or declared) can change their values; any
# other IRI an affected edge names just needs a row, which exists already unless it is new.
# Each class joins its first declaring row (by path, seq), whose label and comment are
# looked for further only when that row has none. INDEXED BY: the planner would
# otherwise prefer the primary key's (path, seq) order and walk every class row of the
# ontology (as for the properties below).
_DECLARING_ROWS = """
    FROM file_classes AS c INDEXED BY idx_file_classes_iri
    WHERE c.ontology_id = :oid AND c.class_iri = s.a"""
_FIRST_WITH = (
    "(SELECT c.{column} "
    + _DECLARING_ROWS
    + """ AND c.{column} IS NOT NULL
     ORDER BY c.path, c.seq LIMIT 1)"""
)
_UPSERT_DECLARED_CLASSES = f"""
INSERT INTO owl_classes (ontology_id, class_iri, label, comment, file_sha1, properties,
                         last_synced, created_at, updated_at)
SELECT :oid, s.a,
    COALESCE(f.label, {_FIRST_WITH.format(column="label")}),
    COALESCE(f.comment, {_FIRST_WITH.format(column="comment")}),
    (SELECT r.blob_sha FROM sync_files AS r WHERE r.ontology_id = :oid AND r.path = f.path),
    f.properties, :now, :now, :now
FROM {_AFFECTED} AS s
LEFT JOIN file_classes AS f
    ON f.ontology_id = :oid
    AND (f.path, f.seq) = (SELECT c.path, c.seq {_DECLARING_ROWS} ORDER BY c.path, c.seq LIMIT 1)
WHERE s.kind = 'iri'
ON CONFLICT (ontology_id, class_iri) DO UPDATE SET
    label = excluded.label, comment = excluded.comment, file_sha1 = excluded.file_sha1,
    properties = excluded.properties, last_synced = excluded.last_synced,
    updated_at = excluded.updated_at
"""
# Both ends of every affected edge (the declared classes have their rows already; an
# IRI repeated just conflicts).
_INSERT_PLACEHOLDERS = f"""
INSERT INTO owl_classes (ontology_id, class_iri, last_synced, created_at, updated_at)
SELECT :oid, e.iri, :now, :now, :now FROM (
    SELECT a AS iri FROM {_AFFECTED} WHERE kind = 'edge'
    UNION ALL SELECT b FROM {_AFFECTED} WHERE kind = 'edge'
) AS e WHERE true
ON CONFLICT (ontology_id, class_iri) DO NOTHING
"""

_ASSERTED = """(
    EXISTS (SELECT 1 FROM file_edges AS f
            WHERE f.ontology_id = :oid AND f.class_iri = {c} AND f.parent_iri = {p})
    OR EXISTS (SELECT 1 FROM link_edges AS l
               WHERE l.ontology_id = :oid AND l.class_iri = {c} AND l.parent_iri = {p}))"""
_DELETE_EDGES = f"""
DELETE FROM owl_class_hierarchy
WHERE ontology_id = :oid
  AND (class_iri, parent_iri) IN (SELECT a, b FROM {_AFFECTED} WHERE kind = 'edge' AND stale)
  AND NOT {_ASSERTED.format(c="owl_class_hierarchy.class_iri", p="owl_class_hierarchy.parent_iri")}
"""
# A fresh edge was just inserted by its file (or resolved): asserted, no need to look.
_INSERT_EDGES = f"""
INSERT OR IGNORE INTO owl_class_hierarchy (ontology_id, class_iri, parent_iri)
SELECT :oid, s.a, s.b FROM {_AFFECTED} AS s
WHERE s.kind = 'edge' AND (NOT s.stale OR {_ASSERTED.format(c="s.a", p="s.b")})
"""
_DELETE_CLASSES = f"""{_STALE_IRIS}
DELETE FROM owl_classes
WHERE ontology_id = :oid AND class_iri IN (SELECT iri FROM iris)
  AND NOT EXISTS (SELECT 1 FROM file_classes AS c
                  WHERE c.ontology_id = :oid AND c.class_iri = owl_classes.class_iri)
  AND NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h
                  WHERE h.ontology_id = :oid AND h.class_iri = owl_classes.class_iri)
  AND NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h
                  WHERE h.ontology_id = :oid AND h.parent_iri = owl_classes.class_iri)
"""

# INDEXED BY: without it SQLite walks the primary key (path, seq) order of the whole
# ontology to avoid a sort, which is quadratic over a sync.
_PROPERTY_ROWS = """
    FROM file_properties AS p INDEXED BY idx_file_properties_iri{also}
    WHERE p.ontology_id = :oid AND p.property_iri = s.a"""
_FIRST_PROPERTY_ROW = _PROPERTY_ROWS.format(also="")
_DOMAIN_ROWS = _PROPERTY_ROWS.format(also=", json_each(p.domain) AS j")
_RANGE_ROWS = _PROPERTY_ROWS.format(also=", json_each(p.range) AS j")
_UPSERT_PROPERTIES = f"""
INSERT INTO owl_properties (ontology_id, property_iri, label, property_type, domain, range,
                            created_at, updated_at)
SELECT :oid, s.a,
    (SELECT p.label {_FIRST_PROPERTY_ROW} AND p.label IS NOT NULL ORDER BY p.path, p.seq LIMIT 1),
    (SELECT p.property_type {_FIRST_PROPERTY_ROW} ORDER BY p.path, p.seq LIMIT 1),
    {IRI_LIST_FUNCTION}((SELECT json_group_array(j.value) {_DOMAIN_ROWS})),
    {IRI_LIST_FUNCTION}((SELECT json_group_array(j.value) {_RANGE_ROWS})),
    :now, :now
FROM {_AFFECTED} AS s
WHERE s.kind = 'prop' AND EXISTS (SELECT 1 {_FIRST_PROPERTY_ROW})
ON CONFLICT (ontology_id, property_iri) DO UPDATE SET
    label = excluded.label, property_type = excluded.property_type,
    domain = excluded.domain, range = excluded.range, updated_at = excluded.updated_at
"""
_DELETE_PROPERTIES = f"""
DELETE FROM owl_properties
WHERE ontology_id = :oid
  AND property_iri IN (SELECT a FROM {_AFFECTED} WHERE kind = 'prop' AND stale)
  AND NOT EXISTS (SELECT 1 FROM file_properties AS p
                  WHERE p.ontology_id = :oid AND p.property_iri = owl_properties.property_iri)
"""
_CLEAR_AFFECTED = f"DELETE FROM {_AFFECTED}"


#: The SQL of every statement key of ``storage._write``: each is the constant above
#: named after its key (``insert_edges`` -> ``_INSERT_EDGES``), or the change feed's.
SQL: Mapping[str, str] = {
    key: FEED_SQL[key] if key in FEED_SQL else globals()[f"_{key.upper()}"] for key in sorted(KEYS)
}


__all__ = ["IRI_LIST_FUNCTION", "SQL"]
