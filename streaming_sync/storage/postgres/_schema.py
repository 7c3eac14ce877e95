"""The PostgreSQL schema: versioned migrations, applied under an advisory lock.

The tables and columns are those of the SQLite schema (``docs/schema.md``), with types
adapted: timestamps are ``TIMESTAMPTZ``, flags ``BOOLEAN``, bodies ``BYTEA``, run reports
``JSONB``. Text the convergence invariant compares byte for byte (``properties``,
``domain``, ``range``) stays ``TEXT`` in the canonical form ``materialize`` specifies --
``JSONB`` would reorder keys and re-space arrays -- and each has a generated ``JSONB``
twin (``properties_jsonb``, ``domain_jsonb``, ``range_jsonb``) with a GIN index, for
queries like ``WHERE domain_jsonb ? 'ex:A'``. Every key and path column uses the "C"
collation, so ``ORDER BY path`` and ``MIN(path)`` are byte order, as the semantics need.

Secondary indexes lead with their own column and put ``ontology_id`` second: the
foreign-key checks and cascades run cached plans made when the tables were nearly empty,
and an index led by ``ontology_id`` alone ties with the primary key then -- and, once
picked, scans a whole ontology per check (quadratic over a sync).

Version 1 is the storage schema; version 2 adds the shared-sync work tables
(``sync_shared_runs``, ``sync_work``); version 3 adds ``file_link_targets`` and re-resolves
the page links by the rule that came with it (as the SQLite upgrade to its schema 2 does:
read ``storage/sqlite/_upgrade.py``); version 4 adds the change feed (``_feed_sql``: its
tables and capture triggers; the feed of an upgraded schema begins at the upgrade).
``migrate`` applies what is missing in one transaction holding
``pg_advisory_xact_lock`` on the schema's name, so processes opening the same database at
once never fail: the first creates, the others wait and find it done.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from ..._errors import SchemaError
from ..._model import LINK_AXIOM_ANNOTATIONS
from . import _feed_sql

SCHEMA_VERSION = 4

_K = 'TEXT COLLATE "C" NOT NULL'  # a key or path column: byte order

# The tables are the SQLite schema's (sqlite/_schema.py) with PostgreSQL types: kept as
# two full DDLs, since every column's type, collation or default differs.
_V1_PUBLIC = f"""
CREATE TABLE IF NOT EXISTS owl_classes (
    ontology_id {_K},
    class_iri   {_K},
    label       TEXT,
    comment     TEXT,
    file_sha1   TEXT,
    properties  TEXT,
    properties_jsonb JSONB GENERATED ALWAYS AS (properties::jsonb) STORED,
    last_synced TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ontology_id, class_iri)
);
CREATE INDEX IF NOT EXISTS idx_owl_classes_label ON owl_classes (label, ontology_id);
CREATE INDEX IF NOT EXISTS idx_owl_classes_properties ON owl_classes USING GIN (properties_jsonb);

CREATE TABLE IF NOT EXISTS owl_class_hierarchy (
    ontology_id {_K},
    class_iri   {_K},
    parent_iri  {_K},
    PRIMARY KEY (ontology_id, class_iri, parent_iri),
    FOREIGN KEY (ontology_id, class_iri)
        REFERENCES owl_classes (ontology_id, class_iri) ON DELETE CASCADE,
    FOREIGN KEY (ontology_id, parent_iri)
        REFERENCES owl_classes (ontology_id, class_iri) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_owl_class_hierarchy_parent
    ON owl_class_hierarchy (parent_iri, ontology_id);

CREATE TABLE IF NOT EXISTS owl_properties (
    ontology_id   {_K},
    property_iri  {_K},
    label         TEXT,
    property_type TEXT NOT NULL
        CHECK (property_type IN ('ObjectProperty', 'DataProperty', 'AnnotationProperty')),
    domain        TEXT NOT NULL DEFAULT '[]',
    range         TEXT NOT NULL DEFAULT '[]',
    domain_jsonb  JSONB GENERATED ALWAYS AS (domain::jsonb) STORED,
    range_jsonb   JSONB GENERATED ALWAYS AS (range::jsonb) STORED,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ontology_id, property_iri)
);
CREATE INDEX IF NOT EXISTS idx_owl_properties_type ON owl_properties (property_type, ontology_id);
CREATE INDEX IF NOT EXISTS idx_owl_properties_domain ON owl_properties USING GIN (domain_jsonb);
CREATE INDEX IF NOT EXISTS idx_owl_properties_range ON owl_properties USING GIN (range_jsonb);

CREATE TABLE IF NOT EXISTS owl_axioms (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ontology_id  {_K},
    axiom_type   TEXT NOT NULL CHECK (axiom_type IN ('SubClassOf', 'EquivalentClass',
                 'DisjointWith', 'ObjectPropertyAssertion', 'DataPropertyAssertion')),
    subject      TEXT NOT NULL,
    object       TEXT NOT NULL,
    annotations  TEXT,
    is_inferred  BOOLEAN NOT NULL DEFAULT false,
    created_at   TIMESTAMPTZ NOT NULL,
    property_iri TEXT,
    source_path  {_K},
    from_link    BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS idx_owl_axioms_subject ON owl_axioms (subject, ontology_id);
CREATE INDEX IF NOT EXISTS idx_owl_axioms_type ON owl_axioms (axiom_type, ontology_id);
CREATE INDEX IF NOT EXISTS idx_owl_axioms_source ON owl_axioms (source_path, ontology_id);

CREATE TABLE IF NOT EXISTS owl_other_axioms (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ontology_id {_K},
    source_path {_K},
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_owl_other_axioms_source
    ON owl_other_axioms (source_path, ontology_id);
"""

_FILE_FK = (
    "FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE"
)

_V1_PROVENANCE = f"""
CREATE TABLE IF NOT EXISTS sync_files (
    ontology_id {_K},
    path        {_K},
    blob_sha    TEXT NOT NULL,
    synced_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ontology_id, path)
);
CREATE TABLE IF NOT EXISTS file_classes (
    ontology_id {_K}, path {_K}, seq INTEGER NOT NULL, class_iri {_K},
    label TEXT, comment TEXT, properties TEXT,
    PRIMARY KEY (ontology_id, path, seq), {_FILE_FK}
);
CREATE INDEX IF NOT EXISTS idx_file_classes_iri ON file_classes (class_iri, ontology_id, path, seq);
CREATE TABLE IF NOT EXISTS file_edges (
    ontology_id {_K}, path {_K}, class_iri {_K}, parent_iri {_K},
    PRIMARY KEY (ontology_id, path, class_iri, parent_iri), {_FILE_FK}
);
CREATE INDEX IF NOT EXISTS idx_file_edges_edge ON file_edges (class_iri, parent_iri, ontology_id);
CREATE TABLE IF NOT EXISTS file_properties (
    ontology_id {_K}, path {_K}, seq INTEGER NOT NULL, property_iri {_K},
    property_type TEXT NOT NULL, label TEXT, domain TEXT NOT NULL, range TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, seq), {_FILE_FK}
);
CREATE INDEX IF NOT EXISTS idx_file_properties_iri
    ON file_properties (property_iri, ontology_id, path, seq);
CREATE TABLE IF NOT EXISTS file_links (
    ontology_id {_K}, path {_K}, seq INTEGER NOT NULL, class_iri {_K}, target {_K},
    PRIMARY KEY (ontology_id, path, seq), {_FILE_FK}
);
CREATE INDEX IF NOT EXISTS idx_file_links_target ON file_links (target, ontology_id);
CREATE TABLE IF NOT EXISTS file_pages (
    ontology_id {_K}, path {_K}, page_key {_K},
    PRIMARY KEY (ontology_id, path, page_key), {_FILE_FK}
);
CREATE INDEX IF NOT EXISTS idx_file_pages_key ON file_pages (page_key, ontology_id, path);
CREATE TABLE IF NOT EXISTS link_edges (
    ontology_id {_K}, path {_K}, seq INTEGER NOT NULL, class_iri {_K}, parent_iri {_K},
    PRIMARY KEY (ontology_id, path, seq, class_iri, parent_iri), {_FILE_FK}
);
CREATE INDEX IF NOT EXISTS idx_link_edges_edge ON link_edges (class_iri, parent_iri, ontology_id);

CREATE OR REPLACE FUNCTION sync_files_drop_axioms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM owl_axioms WHERE ontology_id = OLD.ontology_id AND source_path = OLD.path;
    DELETE FROM owl_other_axioms WHERE ontology_id = OLD.ontology_id AND source_path = OLD.path;
    RETURN OLD;
END $$;
DROP TRIGGER IF EXISTS sync_files_drop_axioms ON sync_files;
CREATE TRIGGER sync_files_drop_axioms AFTER DELETE ON sync_files
    FOR EACH ROW EXECUTE FUNCTION sync_files_drop_axioms();
"""

_V1_RUN_STATE = f"""
CREATE TABLE IF NOT EXISTS sync_failures (
    ontology_id {_K}, path {_K}, error_type TEXT NOT NULL, message TEXT NOT NULL,
    retryable BOOLEAN NOT NULL, attempts INTEGER NOT NULL, sha TEXT,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ontology_id, path)
);
CREATE TABLE IF NOT EXISTS sync_runs (
    ontology_id {_K},
    started_at  DOUBLE PRECISION NOT NULL,
    outcome     TEXT NOT NULL,
    report      JSONB NOT NULL,
    seq         BIGSERIAL NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ontology_id, started_at)
);
CREATE INDEX IF NOT EXISTS idx_sync_runs_seq ON sync_runs (ontology_id, seq);
CREATE TABLE IF NOT EXISTS http_cache (
    key       TEXT PRIMARY KEY,
    etag      TEXT NOT NULL,
    body      BYTEA NOT NULL,
    stored_at TIMESTAMPTZ NOT NULL
);
"""

_V2_SHARED = f"""
CREATE TABLE IF NOT EXISTS sync_shared_runs (
    run_id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ontology_id {_K},
    commit      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    started_at  DOUBLE PRECISION NOT NULL,
    summary     JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    finished_by TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_sync_shared_runs_open
    ON sync_shared_runs (ontology_id, commit) WHERE finished_at IS NULL;
CREATE TABLE IF NOT EXISTS sync_work (
    run_id       BIGINT NOT NULL REFERENCES sync_shared_runs (run_id) ON DELETE CASCADE,
    path         {_K},
    size         BIGINT NOT NULL,
    sha          TEXT NOT NULL,
    owner        TEXT,
    lease_until  TIMESTAMPTZ,
    claims       INTEGER NOT NULL DEFAULT 0,
    done         BOOLEAN NOT NULL DEFAULT false,
    completed_by TEXT,
    completed_at TIMESTAMPTZ,
    outcome      JSONB,
    PRIMARY KEY (run_id, path)
);
CREATE INDEX IF NOT EXISTS idx_sync_work_open ON sync_work (run_id, path) WHERE NOT done;
"""

# Kept beside its twin, the SQLite upgrade to schema 2 (sqlite/_upgrade.py), which says
# the same in SQLite's dialect: a released migration is frozen, each in its dialect.
# A page link resolves only to the classes the target page names with owl:class::.
# Version 2 kept no record of which those were: a Logseq page's are its file_classes rows
# whose block properties hold an "owl:class" key (a class only a fence declares has
# none); a page with no such row keeps every class, as before. Then every link is
# resolved again and the edges and placeholders only the old rule asserted go.
_NAMED_BY_BLOCK = "({alias}.properties::jsonb -> 'owl:class') IS NOT NULL"
_V3_LINK_TARGETS = f"""
CREATE TABLE IF NOT EXISTS file_link_targets (
    ontology_id {_K}, path {_K}, class_iri {_K},
    PRIMARY KEY (ontology_id, path, class_iri), {_FILE_FK}
);
INSERT INTO file_link_targets (ontology_id, path, class_iri)
SELECT c.ontology_id, c.path, c.class_iri FROM file_classes AS c
WHERE EXISTS (SELECT 1 FROM file_pages AS p
              WHERE p.ontology_id = c.ontology_id AND p.path = c.path)
  AND ({_NAMED_BY_BLOCK.format(alias="c")}
       OR NOT EXISTS (SELECT 1 FROM file_classes AS d
                      WHERE d.ontology_id = c.ontology_id AND d.path = c.path
                        AND {_NAMED_BY_BLOCK.format(alias="d")}))
ON CONFLICT DO NOTHING;
DELETE FROM owl_axioms WHERE from_link;
DELETE FROM link_edges;
INSERT INTO link_edges (ontology_id, path, seq, class_iri, parent_iri)
SELECT k.ontology_id, k.path, k.seq, k.class_iri, t.class_iri
FROM (SELECT l.ontology_id, l.path, l.seq, l.class_iri, (
          SELECT MIN(p.path) FROM file_pages AS p
          WHERE p.ontology_id = l.ontology_id AND p.page_key = l.target
            AND EXISTS (SELECT 1 FROM file_link_targets AS d
                        WHERE d.ontology_id = p.ontology_id AND d.path = p.path)
      ) AS target_path
      FROM file_links AS l) AS k
JOIN file_link_targets AS t ON t.ontology_id = k.ontology_id AND t.path = k.target_path
ON CONFLICT DO NOTHING;
INSERT INTO owl_axioms (ontology_id, axiom_type, subject, object, annotations, is_inferred,
                        created_at, property_iri, source_path, from_link)
SELECT e.ontology_id, 'SubClassOf', e.class_iri, e.parent_iri, '{LINK_AXIOM_ANNOTATIONS}',
       false, now(), NULL, e.path, true
FROM link_edges AS e;
DELETE FROM owl_class_hierarchy AS h
WHERE NOT EXISTS (SELECT 1 FROM file_edges AS f WHERE f.ontology_id = h.ontology_id
                  AND f.class_iri = h.class_iri AND f.parent_iri = h.parent_iri)
  AND NOT EXISTS (SELECT 1 FROM link_edges AS l WHERE l.ontology_id = h.ontology_id
                  AND l.class_iri = h.class_iri AND l.parent_iri = h.parent_iri);
INSERT INTO owl_classes (ontology_id, class_iri, last_synced, created_at, updated_at)
SELECT e.ontology_id, e.iri, now(), now(), now()
FROM (SELECT ontology_id, class_iri AS iri FROM link_edges
      UNION SELECT ontology_id, parent_iri FROM link_edges) AS e
ON CONFLICT (ontology_id, class_iri) DO NOTHING;
INSERT INTO owl_class_hierarchy (ontology_id, class_iri, parent_iri)
SELECT DISTINCT ontology_id, class_iri, parent_iri FROM link_edges
ON CONFLICT DO NOTHING;
DELETE FROM owl_classes AS o
WHERE NOT EXISTS (SELECT 1 FROM file_classes AS c
                  WHERE c.ontology_id = o.ontology_id AND c.class_iri = o.class_iri)
  AND NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h
                  WHERE h.ontology_id = o.ontology_id AND h.class_iri = o.class_iri)
  AND NOT EXISTS (SELECT 1 FROM owl_class_hierarchy AS h
                  WHERE h.ontology_id = o.ontology_id AND h.parent_iri = o.class_iri);
"""

#: Migration ``n`` brings a schema at version ``n - 1`` to version ``n``.
MIGRATIONS: dict[int, str] = {
    1: _V1_PUBLIC + _V1_PROVENANCE + _V1_RUN_STATE,
    2: _V2_SHARED,
    3: _V3_LINK_TARGETS,
    4: _feed_sql.MIGRATION,
}

#: Per connection: the affected set of the write in progress (see ``storage._write``),
#: and what the change feed keeps during a write (``_feed_sql.TEMP_DDL``).
TEMP_DDL = (
    """
CREATE TEMP TABLE IF NOT EXISTS sync_affected (
    kind  TEXT COLLATE "C" NOT NULL,
    a     TEXT COLLATE "C" NOT NULL,
    b     TEXT COLLATE "C" NOT NULL DEFAULT '',
    stale BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (kind, a, b)
) ON COMMIT DELETE ROWS;
"""
    + _feed_sql.TEMP_DDL
)

_VERSION_DDL = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


async def current_version(conn: asyncpg.Connection, schema: str) -> int | None:
    """The schema's version, or None when it has no ``schema_version`` table."""
    exists = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1"
        " AND tablename = 'schema_version')",
        schema,
    )
    if not exists:
        return None
    version = await conn.fetchval(f"SELECT MAX(version) FROM {quote(schema)}.schema_version")
    return None if version is None else int(version)


async def migrate(conn: asyncpg.Connection, schema: str, where: str) -> Sequence[int]:
    """Bring ``schema`` to ``SCHEMA_VERSION``; return the versions applied (none when it
    was current). Raises ``SchemaError`` for a newer version, changing nothing."""
    version = await current_version(conn, schema)
    if version == SCHEMA_VERSION:
        return ()  # the common case: no lock, no write
    async with conn.transaction():
        # hashtext is stable across sessions and servers of one major version: every
        # creator of this schema takes the same lock.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"streaming_sync.schema:{schema}"
        )
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
        version = await current_version(conn, schema) or 0
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"{where}: schema {schema!r} is at version {version}, this version of "
                f"streaming_sync knows up to {SCHEMA_VERSION}. Nothing was changed; "
                "upgrade streaming_sync or use another schema"
            )
        await conn.execute(_VERSION_DDL)
        applied = list(range(version + 1, SCHEMA_VERSION + 1))
        for step in applied:
            await conn.execute(MIGRATIONS[step])
            await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", step)
        return applied


def quote(identifier: str) -> str:
    """``identifier`` as a quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "TEMP_DDL", "current_version", "migrate", "quote"]
