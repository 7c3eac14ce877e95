"""The SQL text of the write on PostgreSQL, one statement per key of the algorithm in
``storage._write`` (which says what each step does and in what order). Run by
``_driver`` with asyncpg, inside a transaction that holds
``pg_advisory_xact_lock`` on the ontology, so the writes of one ontology -- from any
number of connections and processes -- run one at a time: each recomputation sees every
earlier commit and no two interleave (see ``PostgresRepository.save_file``).

PostgreSQL's dialect: ``ON CONFLICT DO NOTHING`` for ``INSERT OR IGNORE``; ``now()``
(the transaction's start) for timestamps, so ``:now`` is unused; the domain/range union
built with ``string_agg`` over ``to_json`` (which escapes exactly as ``json.dumps``
does) in byte order; the "C" collation of the key columns makes ``ORDER BY path`` byte
order. The affected set is the connection's ``pg_temp.sync_affected`` (emptied at
commit). Parameters are named (``:oid``); the driver numbers them (``$1``). A batch of
rows is ONE set-based ``INSERT ... SELECT FROM unnest(...)`` over its columns, each
bound as an array (``:seq::int[]``; ``:oid``, the one shared column, once -- ``:path``
is an array too, a batch holding several files' rows): one round trip and one
statement however many rows, where ``executemany`` would run the statement once per
row.

(The SQLite text in ``sqlite/_sql.py`` has the same statements in its dialect: the two
are kept apart, each complete, because nearly every statement differs in some dialect
detail and a reader should see what one database runs in one file.)
"""

from __future__ import annotations

from collections.abc import Mapping

from .._write import KEYS
from ._feed_sql import FEED_SQL

_AFFECTED = "pg_temp.sync_affected"

#: The rows of the files of a group (``:paths``: an array).
_OWN = "WHERE ontology_id = :oid AND path = ANY(:paths::text[])"
# UNION, not UNION ALL: an upsert may not meet the same key twice in one statement.
_COLLECT_OLD = f"""
INSERT INTO {_AFFECTED} (kind, a, b, stale)
SELECT 'iri', class_iri, '', true FROM file_classes {_OWN}
UNION SELECT 'edge', class_iri, parent_iri, true FROM file_edges {_OWN}
UNION SELECT 'edge', class_iri, parent_iri, true FROM link_edges {_OWN}
UNION SELECT 'prop', property_iri, '', true FROM file_properties {_OWN}
UNION SELECT 'key', page_key, '', true FROM file_pages {_OWN}
ON CONFLICT (kind, a, b) DO UPDATE SET stale = true
"""
_COLLECT_NEW = f"""
INSERT INTO {_AFFECTED} (kind, a, b)
SELECT 'iri', class_iri, '' FROM file_classes {_OWN}
UNION ALL SELECT 'edge', class_iri, parent_iri FROM file_edges {_OWN}
UNION ALL SELECT 'prop', property_iri, '' FROM file_properties {_OWN}
UNION ALL SELECT 'key', page_key, '' FROM file_pages {_OWN}
UNION ALL SELECT DISTINCT 'lpath', path, '' FROM file_links {_OWN}
ON CONFLICT DO NOTHING
"""
_DROP_FILE = f"DELETE FROM sync_files {_OWN}"
_ADD_FILE = """
INSERT INTO sync_files (ontology_id, path, blob_sha, synced_at)
SELECT :oid, r.path, r.sha, now() FROM unnest(:path::text[], :sha::text[]) AS r (path, sha)
"""

# The batches: each column an array, the rows one unnest() (see the docstring).
_INSERT_FILE_CLASSES = """
INSERT INTO file_classes (ontology_id, path, seq, class_iri, label, comment, properties)
SELECT :oid, r.* FROM unnest(:path::text[], :seq::int[], :class_iri::text[], :label::text[],
                             :comment::text[], :properties::text[]) AS r
"""
_INSERT_FILE_EDGES = """
INSERT INTO file_edges (ontology_id, path, class_iri, parent_iri)
SELECT :oid, r.* FROM unnest(:path::text[], :class_iri::text[], :parent_iri::text[]) AS r
ON CONFLICT DO NOTHING
"""
_INSERT_FILE_PROPERTIES = """
INSERT INTO file_properties
    (ontology_id, path, seq, property_iri, property_type, label, domain, range)
SELECT :oid, r.* FROM unnest(:path::text[], :seq::int[], :property_iri::text[],
                             :property_type::text[], :label::text[], :domain::text[],
                             :range::text[]) AS r
"""
_INSERT_FILE_LINKS = """
INSERT INTO file_links (ontology_id, path, seq, class_iri, target)
SELECT :oid, r.* FROM unnest(:path::text[], :seq::int[], :class_iri::text[], :target::text[]) AS r
"""
_INSERT_FILE_PAGES = """
INSERT INTO file_pages (ontology_id, path, page_key)
SELECT :oid, r.* FROM unnest(:path::text[], :page_key::text[]) AS r
ON CONFLICT DO NOTHING
"""
_INSERT_FILE_LINK_TARGETS = """
INSERT INTO file_link_targets (ontology_id, path, class_iri)
SELECT :oid, r.* FROM unnest(:path::text[], :class_iri::text[]) AS r
ON CONFLICT DO NOTHING
"""
_INSERT_AXIOMS = """
INSERT INTO owl_axioms (ontology_id, axiom_type, subject, object, annotations, is_inferred,
                        created_at, property_iri, source_path, from_link)
SELECT :oid, r.t, r.s, r.o, r.a, r.i, now(), r.p, r.path, false
FROM unnest(:axiom_type::text[], :subject::text[], :object::text[], :annotations::text[],
            :is_inferred::bool[], :property_iri::text[], :path::text[])
     AS r (t, s, o, a, i, p, path)
"""
_INSERT_OTHER_AXIOMS = """
INSERT INTO owl_other_axioms (ontology_id, source_path, kind, text, created_at)
SELECT :oid, r.path, r.kind, r.text, now()
FROM unnest(:path::text[], :kind::text[], :text::text[]) AS r (path, kind, text)
"""

_LINK_PATHS = f"SELECT a FROM {_AFFECTED} WHERE kind = 'lpath'"
# Every file linking to a written file's old or new page keys (the written files with
# links are link paths already, from collect_new).
_MARK_LINK_PATHS = f"""
INSERT INTO {_AFFECTED} (kind, a)
SELECT 'lpath', l.path FROM file_links AS l
WHERE l.ontology_id = :oid AND l.target IN (SELECT a FROM {_AFFECTED} WHERE kind = 'key')
ON CONFLICT DO NOTHING
"""
_LINK_EDGES_OF_PATHS = (
    f"FROM link_edges AS e WHERE e.ontology_id = :oid AND e.path IN ({_LINK_PATHS})"
)
_COLLECT_LINK_EDGES = f"""
INSERT INTO {_AFFECTED} (kind, a, b, stale)
SELECT DISTINCT 'edge', e.class_iri, e.parent_iri, true {_LINK_EDGES_OF_PATHS}
ON CONFLICT (kind, a, b) DO UPDATE SET stale = true
"""
_COLLECT_NEW_LINK_EDGES = f"""
INSERT INTO {_AFFECTED} (kind, a, b)
SELECT 'edge', e.class_iri, e.parent_iri {_LINK_EDGES_OF_PATHS}
ON CONFLICT DO NOTHING
"""
_DROP_LINK_EDGES = f"DELETE FROM link_edges WHERE ontology_id = :oid AND path IN ({_LINK_PATHS})"
_DROP_LINK_AXIOMS = f"""
DELETE FROM owl_axioms WHERE ontology_id = :oid AND from_link AND source_path IN ({_LINK_PATHS})
"""
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
INSERT INTO link_edges (ontology_id, path, seq, class_iri, parent_iri)
SELECT :oid, k.path, k.seq, k.class_iri, t.class_iri
FROM linked AS k JOIN file_link_targets AS t ON t.ontology_id = :oid AND t.path = k.target_path
ON CONFLICT DO NOTHING
"""
_ADD_LINK_AXIOMS = f"""
INSERT INTO owl_axioms (ontology_id, axiom_type, subject, object, annotations, is_inferred,
                        created_at, property_iri, source_path, from_link)
SELECT :oid, 'SubClassOf', e.class_iri, e.parent_iri, :link_annotations, false, now(), NULL,
       e.path, true
FROM link_edges AS e WHERE e.ontology_id = :oid AND e.path IN ({_LINK_PATHS})
"""

# The class IRIs whose row may have to go: stale ones, and the ends of stale edges.
_STALE_IRIS = f"""
WITH iris (iri) AS (
    SELECT a FROM {_AFFECTED} WHERE kind = 'iri' AND stale
    UNION SELECT a FROM {_AFFECTED} WHERE kind = 'edge' AND stale
    UNION SELECT b FROM {_AFFECTED} WHERE kind = 'edge' AND stale
)"""
# Each class joins its first declaring row (by path, seq), whose label and comment are
# looked for further only when that row has none (COALESCE stops at its first value).
_CLASS_ROWS = "FROM file_classes AS c WHERE c.ontology_id = :oid AND c.class_iri = s.a"
_FIRST_WITH = (
    """(SELECT c.{column} """
    + _CLASS_ROWS
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
    f.properties, now(), now(), now()
FROM {_AFFECTED} AS s
LEFT JOIN LATERAL (
    SELECT c.path, c.label, c.comment, c.properties {_CLASS_ROWS} ORDER BY c.path, c.seq LIMIT 1
) AS f ON true
WHERE s.kind = 'iri'
ON CONFLICT (ontology_id, class_iri) DO UPDATE SET
    label = excluded.label, comment = excluded.comment, file_sha1 = excluded.file_sha1,
    properties = excluded.properties, last_synced = excluded.last_synced,
    updated_at = excluded.updated_at
"""
# Both ends of every affected edge (the declared classes have their rows already).
_INSERT_PLACEHOLDERS = f"""
INSERT INTO owl_classes (ontology_id, class_iri, last_synced, created_at, updated_at)
SELECT :oid, e.iri, now(), now(), now() FROM (
    SELECT a AS iri FROM {_AFFECTED} WHERE kind = 'edge'
    UNION SELECT b FROM {_AFFECTED} WHERE kind = 'edge'
) AS e
ON CONFLICT (ontology_id, class_iri) DO NOTHING
"""
_ASSERTED = """(
    EXISTS (SELECT 1 FROM file_edges AS f
            WHERE f.ontology_id = :oid AND f.class_iri = {c} AND f.parent_iri = {p})
    OR EXISTS (SELECT 1 FROM link_edges AS l
               WHERE l.ontology_id = :oid AND l.class_iri = {c} AND l.parent_iri = {p}))"""
_DELETE_EDGES = f"""
DELETE FROM owl_class_hierarchy AS h
WHERE h.ontology_id = :oid
  AND (h.class_iri, h.parent_iri) IN (SELECT a, b FROM {_AFFECTED} WHERE kind = 'edge' AND stale)
  AND NOT {_ASSERTED.format(c="h.class_iri", p="h.parent_iri")}
"""
# A fresh edge was just inserted by its file (or resolved): asserted, no need to look. For
# a stale one, one EXISTS per branch of a UNION: ``EXISTS ... OR EXISTS ...`` makes
# PostgreSQL hash the whole of file_edges and link_edges on every write (quadratic over
# a sync); a lone EXISTS is a semi-join over their (ontology_id, class_iri, parent_iri)
# indexes.
_INSERT_EDGES = f"""
INSERT INTO owl_class_hierarchy (ontology_id, class_iri, parent_iri)
SELECT :oid, s.a, s.b FROM {_AFFECTED} AS s WHERE s.kind = 'edge' AND NOT s.stale
UNION
SELECT :oid, s.a, s.b FROM {_AFFECTED} AS s
WHERE s.kind = 'edge' AND s.stale AND EXISTS (
    SELECT 1 FROM file_edges AS f
    WHERE f.ontology_id = :oid AND f.class_iri = s.a AND f.parent_iri = s.b)
UNION
SELECT :oid, s.a, s.b FROM {_AFFECTED} AS s
WHERE s.kind = 'edge' AND s.stale AND EXISTS (
    SELECT 1 FROM link_edges AS l
    WHERE l.ontology_id = :oid AND l.class_iri = s.a AND l.parent_iri = s.b)
ON CONFLICT DO NOTHING
"""
_DELETE_CLASSES = f"""{_STALE_IRIS}
DELETE FROM owl_classes AS o
WHERE o.ontology_id = :oid AND o.class_iri IN (SELECT iri FROM iris)
  AND NOT EXISTS (SELECT 1 FROM file_classes AS c
                  WHERE c.ontology_id = :oid AND c.class_iri = o.class_iri)
  AND NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h
                  WHERE h.ontology_id = :oid AND h.class_iri = o.class_iri)
  AND NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h
                  WHERE h.ontology_id = :oid AND h.parent_iri = o.class_iri)
"""

_PROPERTY_ROWS = "FROM file_properties AS p WHERE p.ontology_id = :oid AND p.property_iri = s.a"
# The stored form of ``_model.iri_list_json``: a sorted (code point = UTF-8 byte order,
# hence COLLATE "C"), de-duplicated JSON array without spaces.
_IRI_UNION = """(
    SELECT '[' || COALESCE(string_agg(to_json(u.v)::text, ',' ORDER BY u.v COLLATE "C"), '')
           || ']'
    FROM (SELECT DISTINCT j.v
          FROM file_properties AS p, jsonb_array_elements_text(p.{column}::jsonb) AS j (v)
          WHERE p.ontology_id = :oid AND p.property_iri = s.a) AS u)"""
_UPSERT_PROPERTIES = f"""
INSERT INTO owl_properties (ontology_id, property_iri, label, property_type, domain, range,
                            created_at, updated_at)
SELECT :oid, s.a,
    (SELECT p.label {_PROPERTY_ROWS} AND p.label IS NOT NULL ORDER BY p.path, p.seq LIMIT 1),
    (SELECT p.property_type {_PROPERTY_ROWS} ORDER BY p.path, p.seq LIMIT 1),
    {_IRI_UNION.format(column="domain")},
    {_IRI_UNION.format(column="range")},
    now(), now()
FROM {_AFFECTED} AS s
WHERE s.kind = 'prop' AND EXISTS (SELECT 1 {_PROPERTY_ROWS})
ON CONFLICT (ontology_id, property_iri) DO UPDATE SET
    label = excluded.label, property_type = excluded.property_type,
    domain = excluded.domain, range = excluded.range, updated_at = excluded.updated_at
"""
_DELETE_PROPERTIES = f"""
DELETE FROM owl_properties AS o
WHERE o.ontology_id = :oid
  AND o.property_iri IN (SELECT a FROM {_AFFECTED} WHERE kind = 'prop' AND stale)
  AND NOT EXISTS (SELECT 1 FROM file_properties AS p
                  WHERE p.ontology_id = :oid AND p.property_iri = o.property_iri)
"""
_CLEAR_AFFECTED = f"DELETE FROM {_AFFECTED}"

#: The SQL of every statement key of ``storage._write``: each is the constant above
#: named after its key (``insert_edges`` -> ``_INSERT_EDGES``), or the change feed's.
SQL: Mapping[str, str] = {
    key: FEED_SQL[key] if key in FEED_SQL else globals()[f"_{key.upper()}"] for key in sorted(KEYS)
}


__all__ = ["SQL"]
