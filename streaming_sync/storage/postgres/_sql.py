"""The per-file write on PostgreSQL: the same steps as ``_sqlite_write`` (read its
docstring), in PostgreSQL's dialect, inside the caller's transaction.

The caller holds ``pg_advisory_xact_lock`` on the ontology for the whole transaction, so
the writes of one ontology -- from any number of connections and processes -- run one at
a time: each recomputation sees every earlier commit and no two interleave (see
``PostgresRepository.save_file`` for the trade-off). The affected set lives in the
connection's temporary table ``pg_temp.sync_affected`` (emptied at commit).

Differences from SQLite: ``ON CONFLICT DO NOTHING`` for ``INSERT OR IGNORE``; ``now()``
(the transaction's start) for the timestamp; the domain/range union is built with
``string_agg`` over ``to_json`` (which escapes exactly as ``json.dumps`` does) in byte
order; the "C" collation of the key columns makes ``ORDER BY path`` byte order.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import asyncpg

from ..._model import (
    LINK_AXIOM_ANNOTATIONS,
    FileEntry,
    OntologyData,
    iri_list_json,
    properties_json,
)
from ..._snapshot import AxiomRow, ClassRow, EdgeRow, OntologySnapshot, OtherAxiomRow, PropertyRow

_AFFECTED = "pg_temp.sync_affected"

_COLLECT_FILE = f"""
INSERT INTO {_AFFECTED} (kind, a, b)
SELECT 'iri', class_iri, '' FROM file_classes WHERE ontology_id = :oid AND path = :path
UNION ALL
SELECT 'edge', class_iri, parent_iri FROM file_edges WHERE ontology_id = :oid AND path = :path
UNION ALL
SELECT 'edge', class_iri, parent_iri FROM link_edges WHERE ontology_id = :oid AND path = :path
UNION ALL
SELECT 'prop', property_iri, '' FROM file_properties WHERE ontology_id = :oid AND path = :path
UNION ALL
SELECT 'key', page_key, '' FROM file_pages WHERE ontology_id = :oid AND path = :path
ON CONFLICT DO NOTHING
"""
_DROP_FILE = "DELETE FROM sync_files WHERE ontology_id = :oid AND path = :path"
_ADD_FILE = """
INSERT INTO sync_files (ontology_id, path, blob_sha, synced_at) VALUES (:oid, :path, :sha, now())
"""

_INSERT_CLASS = """
INSERT INTO file_classes (ontology_id, path, seq, class_iri, label, comment, properties)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
_INSERT_EDGE = """
INSERT INTO file_edges (ontology_id, path, class_iri, parent_iri) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
"""
_INSERT_PROPERTY = """
INSERT INTO file_properties
    (ontology_id, path, seq, property_iri, property_type, label, domain, range)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
_INSERT_LINK = """
INSERT INTO file_links (ontology_id, path, seq, class_iri, target) VALUES ($1, $2, $3, $4, $5)
"""
_INSERT_PAGE = """
INSERT INTO file_pages (ontology_id, path, page_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
"""
_INSERT_LINK_TARGET = """
INSERT INTO file_link_targets (ontology_id, path, class_iri) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
"""
_INSERT_AXIOM = """
INSERT INTO owl_axioms (ontology_id, axiom_type, subject, object, annotations, is_inferred,
                        created_at, property_iri, source_path, from_link)
VALUES ($1, $2, $3, $4, $5, $6, now(), $7, $8, false)
"""
_INSERT_OTHER_AXIOM = """
INSERT INTO owl_other_axioms (ontology_id, source_path, kind, text, created_at)
VALUES ($1, $2, $3, $4, now())
"""

_LINK_PATHS = f"SELECT a FROM {_AFFECTED} WHERE kind = 'lpath'"
_MARK_LINK_PATHS = f"""
INSERT INTO {_AFFECTED} (kind, a)
SELECT 'lpath', :path
UNION ALL
SELECT 'lpath', l.path FROM file_links AS l
WHERE l.ontology_id = :oid AND l.target IN (SELECT a FROM {_AFFECTED} WHERE kind = 'key')
ON CONFLICT DO NOTHING
"""
_COLLECT_LINK_EDGES = f"""
INSERT INTO {_AFFECTED} (kind, a, b)
SELECT 'edge', e.class_iri, e.parent_iri FROM link_edges AS e
WHERE e.ontology_id = :oid AND e.path IN ({_LINK_PATHS})
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

_AFFECTED_IRIS = f"""
WITH iris (iri) AS (
    SELECT a FROM {_AFFECTED} WHERE kind = 'iri'
    UNION SELECT a FROM {_AFFECTED} WHERE kind = 'edge'
    UNION SELECT b FROM {_AFFECTED} WHERE kind = 'edge'
)"""
_CLASS_ROWS = "FROM file_classes AS c WHERE c.ontology_id = :oid AND c.class_iri = s.a"
_UPSERT_DECLARED_CLASSES = f"""
INSERT INTO owl_classes (ontology_id, class_iri, label, comment, file_sha1, properties,
                         last_synced, created_at, updated_at)
SELECT :oid, s.a,
    (SELECT c.label {_CLASS_ROWS} AND c.label IS NOT NULL ORDER BY c.path, c.seq LIMIT 1),
    (SELECT c.comment {_CLASS_ROWS} AND c.comment IS NOT NULL ORDER BY c.path, c.seq LIMIT 1),
    (SELECT f.blob_sha FROM file_classes AS c
     JOIN sync_files AS f ON f.ontology_id = c.ontology_id AND f.path = c.path
     WHERE c.ontology_id = :oid AND c.class_iri = s.a ORDER BY c.path, c.seq LIMIT 1),
    (SELECT c.properties {_CLASS_ROWS} ORDER BY c.path, c.seq LIMIT 1),
    now(), now(), now()
FROM {_AFFECTED} AS s WHERE s.kind = 'iri'
ON CONFLICT (ontology_id, class_iri) DO UPDATE SET
    label = excluded.label, comment = excluded.comment, file_sha1 = excluded.file_sha1,
    properties = excluded.properties, last_synced = excluded.last_synced,
    updated_at = excluded.updated_at
"""
_INSERT_PLACEHOLDERS = f"""{_AFFECTED_IRIS}
INSERT INTO owl_classes (ontology_id, class_iri, last_synced, created_at, updated_at)
SELECT :oid, iris.iri, now(), now(), now() FROM iris
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
  AND (h.class_iri, h.parent_iri) IN (SELECT a, b FROM {_AFFECTED} WHERE kind = 'edge')
  AND NOT {_ASSERTED.format(c="h.class_iri", p="h.parent_iri")}
"""
# Two statements, one EXISTS each: ``EXISTS ... OR EXISTS ...`` makes PostgreSQL hash the
# whole of file_edges and link_edges on every save (quadratic over a sync); a lone
# EXISTS is a semi-join over their (ontology_id, class_iri, parent_iri) indexes.
_INSERT_EDGES_FROM = """
INSERT INTO owl_class_hierarchy (ontology_id, class_iri, parent_iri)
SELECT :oid, s.a, s.b FROM {affected} AS s
WHERE s.kind = 'edge' AND EXISTS (
    SELECT 1 FROM {table} AS f WHERE f.ontology_id = :oid AND f.class_iri = s.a
    AND f.parent_iri = s.b)
ON CONFLICT DO NOTHING
"""
_INSERT_FILE_EDGES = _INSERT_EDGES_FROM.format(affected=_AFFECTED, table="file_edges")
_INSERT_LINK_EDGES = _INSERT_EDGES_FROM.format(affected=_AFFECTED, table="link_edges")
_DELETE_CLASSES = f"""{_AFFECTED_IRIS}
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
  AND o.property_iri IN (SELECT a FROM {_AFFECTED} WHERE kind = 'prop')
  AND NOT EXISTS (SELECT 1 FROM file_properties AS p
                  WHERE p.ontology_id = :oid AND p.property_iri = o.property_iri)
"""
_CLEAR = f"DELETE FROM {_AFFECTED}"

_RECOMPUTE = (
    _UPSERT_DECLARED_CLASSES,
    _INSERT_PLACEHOLDERS,
    _DELETE_EDGES,
    _INSERT_FILE_EDGES,
    _INSERT_LINK_EDGES,
    _DELETE_CLASSES,
    _UPSERT_PROPERTIES,
    _DELETE_PROPERTIES,
)
_RELINK = (
    _COLLECT_LINK_EDGES,
    _DROP_LINK_EDGES,
    _DROP_LINK_AXIOMS,
    _RESOLVE_LINKS,
    _ADD_LINK_AXIOMS,
    _COLLECT_LINK_EDGES,
)

_NAMED = re.compile(r"(?<!:):([a-z_]+)\b")


@functools.cache
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with ``:name`` parameters turned into ``$n`` (asyncpg's style), and the
    names in ``$n`` order (each name once; ``::type`` casts are left alone)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED.sub(number, sql), tuple(names)


async def run(conn: asyncpg.Connection, sql: str, params: dict[str, Any]) -> str:
    """Execute a statement with named parameters; returns its status (``INSERT 0 3``)."""
    text, names = positional(sql)
    return str(await conn.execute(text, *(params[n] for n in names)))


def _file_rows(oid: str, path: str, data: OntologyData) -> list[tuple[str, list[Any]]]:
    """The insert statements for ``data``'s provenance rows with their parameter rows."""
    batches: list[tuple[str, list[Any]]] = [
        (
            _INSERT_CLASS,
            [
                (oid, path, i, c.iri, c.label, c.comment, properties_json(c.properties))
                for i, c in enumerate(data.classes)
            ],
        ),
        (_INSERT_EDGE, [(oid, path, e.class_iri, e.parent_iri) for e in data.edges]),
        (
            _INSERT_PROPERTY,
            [
                (
                    oid,
                    path,
                    i,
                    p.iri,
                    str(p.property_type),
                    p.label,
                    iri_list_json(p.domain),
                    iri_list_json(p.range),
                )
                for i, p in enumerate(data.properties)
            ],
        ),
        (_INSERT_LINK, [(oid, path, i, k.class_iri, k.target) for i, k in enumerate(data.links)]),
        (_INSERT_PAGE, [(oid, path, key) for key in data.page_keys]),
        (_INSERT_LINK_TARGET, [(oid, path, iri) for iri in data.link_targets]),
        (
            _INSERT_AXIOM,
            [
                (
                    oid,
                    str(a.axiom_type),
                    a.subject,
                    a.object,
                    a.annotations,
                    a.is_inferred,
                    a.property_iri,
                    path,
                )
                for a in data.axioms
            ],
        ),
        (_INSERT_OTHER_AXIOM, [(oid, path, o.kind, o.text) for o in data.other_axioms]),
    ]
    return [(sql, rows) for sql, rows in batches if rows]


async def write_file(
    conn: asyncpg.Connection, oid: str, path: str, entry: FileEntry | None, data: OntologyData
) -> None:
    """Replace ``path``'s contribution with ``data`` committed at ``entry.sha`` (or remove
    it, record included, when ``entry`` is None). Runs inside the caller's transaction,
    which holds the ontology's advisory lock."""
    params = {
        "oid": oid,
        "path": path,
        "sha": entry.sha if entry is not None else None,
        "link_annotations": LINK_AXIOM_ANNOTATIONS,
    }
    await run(conn, _COLLECT_FILE, params)
    await run(conn, _DROP_FILE, params)
    if entry is not None:
        await run(conn, _ADD_FILE, params)
        for sql, rows in _file_rows(oid, path, data):
            await conn.executemany(sql, rows)
        await run(conn, _COLLECT_FILE, params)
    await _resolve_links(conn, params, has_links=bool(data.links))
    for sql in _RECOMPUTE:
        await run(conn, sql, params)
    await conn.execute(_CLEAR)


async def _resolve_links(
    conn: asyncpg.Connection, params: dict[str, Any], *, has_links: bool
) -> None:
    """Re-resolve the links of the file and of every file linking to its page keys
    (nothing to do when no other file links to its keys and it has no links now)."""
    status = await run(conn, _MARK_LINK_PATHS, params)
    if int(status.rsplit(" ", 1)[-1]) <= 1 and not has_links:
        return
    for sql in _RELINK:
        await run(conn, sql, params)


async def read_snapshot(conn: asyncpg.Connection, oid: str) -> OntologySnapshot:
    classes = await conn.fetch(
        "SELECT class_iri, label, comment, file_sha1, properties FROM owl_classes "
        "WHERE ontology_id = $1",
        oid,
    )
    edges = await conn.fetch(
        "SELECT class_iri, parent_iri FROM owl_class_hierarchy WHERE ontology_id = $1", oid
    )
    properties = await conn.fetch(
        "SELECT property_iri, label, property_type, domain, range FROM owl_properties "
        "WHERE ontology_id = $1",
        oid,
    )
    axioms = await conn.fetch(
        "SELECT axiom_type, subject, object, property_iri, annotations, is_inferred, "
        "source_path FROM owl_axioms WHERE ontology_id = $1",
        oid,
    )
    others = await conn.fetch(
        "SELECT source_path, kind, text FROM owl_other_axioms WHERE ontology_id = $1", oid
    )
    return OntologySnapshot.build(
        [ClassRow(*row) for row in classes],
        [EdgeRow(*row) for row in edges],
        [PropertyRow(*row) for row in properties],
        [AxiomRow(*row) for row in axioms],
        [OtherAxiomRow(*row) for row in others],
    )


__all__ = ["positional", "read_snapshot", "run", "write_file"]
