"""The SQLite schema (version 3): DDL, and the checks run when a database is opened.

``docs/schema.md`` describes every table and column. The four public ``owl_*`` tables
plus ``owl_other_axioms`` hold what ``streaming_sync.materialize`` specifies; the
``sync_*``/``file_*``/``link_edges`` tables are the per-file provenance the writer
recomputes them from; ``http_cache`` serves the GitHub source's conditional requests;
``sync_changes`` is the change feed (``_feed_sql``).
A database at an older version is upgraded by ``streaming-sync migrate``
(``_upgrade``).
"""

from __future__ import annotations

from collections.abc import Mapping

from . import _feed_sql

SCHEMA_VERSION = 3

#: The version that added each table that schema 1 did not have.
TABLE_SINCE: Mapping[str, int] = {
    "file_link_targets": 2,
    "sync_changes": 3,
    "sync_change_horizon": 3,
}

#: The classes a link to the page resolves to (``OntologyData.link_targets``). Alone,
#: not in the DDL below with its like tables: the upgrade to schema 2 creates it too.
LINK_TARGETS_DDL = """
CREATE TABLE IF NOT EXISTS file_link_targets (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    class_iri   TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, class_iri),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
"""

# Each table's DDL in full, as docs/schema.md and sqlite_master show it (the provenance
# tables share their shape on purpose; PostgreSQL's twin is postgres/_schema.py).
_PUBLIC_DDL = """
CREATE TABLE IF NOT EXISTS owl_classes (
    ontology_id TEXT NOT NULL,
    class_iri   TEXT NOT NULL,
    label       TEXT,
    comment     TEXT,
    file_sha1   TEXT,
    properties  TEXT,
    last_synced TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (ontology_id, class_iri)
);
CREATE INDEX IF NOT EXISTS idx_owl_classes_label ON owl_classes (ontology_id, label);

CREATE TABLE IF NOT EXISTS owl_class_hierarchy (
    ontology_id TEXT NOT NULL,
    class_iri   TEXT NOT NULL,
    parent_iri  TEXT NOT NULL,
    PRIMARY KEY (ontology_id, class_iri, parent_iri),
    FOREIGN KEY (ontology_id, class_iri)
        REFERENCES owl_classes (ontology_id, class_iri) ON DELETE CASCADE,
    FOREIGN KEY (ontology_id, parent_iri)
        REFERENCES owl_classes (ontology_id, class_iri) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_owl_class_hierarchy_parent
    ON owl_class_hierarchy (ontology_id, parent_iri);

CREATE TABLE IF NOT EXISTS owl_properties (
    ontology_id   TEXT NOT NULL,
    property_iri  TEXT NOT NULL,
    label         TEXT,
    property_type TEXT NOT NULL
        CHECK (property_type IN ('ObjectProperty', 'DataProperty', 'AnnotationProperty')),
    domain        TEXT NOT NULL DEFAULT '[]',
    range         TEXT NOT NULL DEFAULT '[]',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (ontology_id, property_iri)
);
CREATE INDEX IF NOT EXISTS idx_owl_properties_type ON owl_properties (ontology_id, property_type);

CREATE TABLE IF NOT EXISTS owl_axioms (
    id           INTEGER PRIMARY KEY,
    ontology_id  TEXT NOT NULL,
    axiom_type   TEXT NOT NULL CHECK (axiom_type IN ('SubClassOf', 'EquivalentClass',
                 'DisjointWith', 'ObjectPropertyAssertion', 'DataPropertyAssertion')),
    subject      TEXT NOT NULL,
    object       TEXT NOT NULL,
    annotations  TEXT,
    is_inferred  INTEGER NOT NULL DEFAULT 0 CHECK (is_inferred IN (0, 1)),
    created_at   TEXT NOT NULL,
    property_iri TEXT,
    source_path  TEXT NOT NULL,
    from_link    INTEGER NOT NULL DEFAULT 0 CHECK (from_link IN (0, 1))
);
CREATE INDEX IF NOT EXISTS idx_owl_axioms_subject ON owl_axioms (ontology_id, subject);
CREATE INDEX IF NOT EXISTS idx_owl_axioms_type ON owl_axioms (ontology_id, axiom_type);
CREATE INDEX IF NOT EXISTS idx_owl_axioms_source ON owl_axioms (ontology_id, source_path);

CREATE TABLE IF NOT EXISTS owl_other_axioms (
    id          INTEGER PRIMARY KEY,
    ontology_id TEXT NOT NULL,
    source_path TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_owl_other_axioms_source
    ON owl_other_axioms (ontology_id, source_path);
"""

# Every provenance table references its file's committed record, so deleting the
# ``sync_files`` row removes the file's whole contribution in one statement.
_PROVENANCE_DDL = (
    """
CREATE TABLE IF NOT EXISTS sync_files (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    blob_sha    TEXT NOT NULL,
    synced_at   TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path)
);

CREATE TABLE IF NOT EXISTS file_classes (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    class_iri   TEXT NOT NULL,
    label       TEXT,
    comment     TEXT,
    properties  TEXT,
    PRIMARY KEY (ontology_id, path, seq),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_file_classes_iri ON file_classes (ontology_id, class_iri, path, seq);

CREATE TABLE IF NOT EXISTS file_edges (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    class_iri   TEXT NOT NULL,
    parent_iri  TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, class_iri, parent_iri),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_file_edges_edge ON file_edges (ontology_id, class_iri, parent_iri);

CREATE TABLE IF NOT EXISTS file_properties (
    ontology_id   TEXT NOT NULL,
    path          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    property_iri  TEXT NOT NULL,
    property_type TEXT NOT NULL,
    label         TEXT,
    domain        TEXT NOT NULL,
    range         TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, seq),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_file_properties_iri
    ON file_properties (ontology_id, property_iri, path, seq);

CREATE TABLE IF NOT EXISTS file_links (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    class_iri   TEXT NOT NULL,
    target      TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, seq),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_file_links_target ON file_links (ontology_id, target);

CREATE TABLE IF NOT EXISTS file_pages (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    page_key    TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, page_key),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_file_pages_key ON file_pages (ontology_id, page_key, path);
"""
    + LINK_TARGETS_DDL
    + """
CREATE TABLE IF NOT EXISTS link_edges (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    class_iri   TEXT NOT NULL,
    parent_iri  TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, seq, class_iri, parent_iri),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_link_edges_edge ON link_edges (ontology_id, class_iri, parent_iri);

CREATE TRIGGER IF NOT EXISTS sync_files_drop_axioms AFTER DELETE ON sync_files BEGIN
    DELETE FROM owl_axioms WHERE ontology_id = OLD.ontology_id AND source_path = OLD.path;
    DELETE FROM owl_other_axioms WHERE ontology_id = OLD.ontology_id AND source_path = OLD.path;
END;
"""
)

_RUN_STATE_DDL = """
CREATE TABLE IF NOT EXISTS sync_failures (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    error_type  TEXT NOT NULL,
    message     TEXT NOT NULL,
    retryable   INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    sha         TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path)
);

CREATE TABLE IF NOT EXISTS sync_runs (
    ontology_id TEXT NOT NULL,
    started_at  REAL NOT NULL,
    outcome     TEXT NOT NULL,
    report      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (ontology_id, started_at)
);
CREATE INDEX IF NOT EXISTS idx_sync_runs_seq ON sync_runs (ontology_id, seq);

CREATE TABLE IF NOT EXISTS http_cache (
    key       TEXT PRIMARY KEY,
    etag      TEXT NOT NULL,
    body      BLOB NOT NULL,
    stored_at TEXT NOT NULL
);

-- The run lock: at most one sync per (database, ontology) at a time (see _lock.py).
CREATE TABLE IF NOT EXISTS sync_locks (
    ontology_id TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    acquired_at REAL NOT NULL,
    heartbeat   REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
);
"""

#: The whole schema, as one script run inside ``BEGIN IMMEDIATE ... COMMIT``.
CREATE_SCRIPT = (
    "BEGIN IMMEDIATE;\n"
    + _PUBLIC_DDL
    + _PROVENANCE_DDL
    + _RUN_STATE_DDL
    + _feed_sql.FEED_DDL
    + "INSERT OR IGNORE INTO schema_version (version, applied_at) "
    + f"VALUES ({SCHEMA_VERSION}, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));\n"
    + "COMMIT;\n"
)

#: Per connection: the affected set of the write in progress (see ``storage._write``),
#: and what the change feed keeps during a write (``_feed_sql.TEMP_DDL``).
TEMP_SCRIPT = (
    """
CREATE TEMP TABLE IF NOT EXISTS sync_affected (
    kind  TEXT NOT NULL,
    a     TEXT NOT NULL,
    b     TEXT NOT NULL DEFAULT '',
    stale INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, a, b)
) WITHOUT ROWID;
"""
    + _feed_sql.TEMP_DDL
)


def _columns(names: str) -> frozenset[str]:
    return frozenset(names.split())


#: The columns each table of ours must have; a table with fewer is a schema we do not know.
EXPECTED_COLUMNS: Mapping[str, frozenset[str]] = {
    "owl_classes": _columns(
        "ontology_id class_iri label comment file_sha1 properties last_synced created_at updated_at"
    ),
    "owl_class_hierarchy": _columns("ontology_id class_iri parent_iri"),
    "owl_properties": _columns(
        "ontology_id property_iri label property_type domain range created_at updated_at"
    ),
    "owl_axioms": _columns(
        "id ontology_id axiom_type subject object annotations is_inferred created_at"
        " property_iri source_path from_link"
    ),
    "owl_other_axioms": _columns("ontology_id source_path kind text"),
    "sync_files": _columns("ontology_id path blob_sha synced_at"),
    "file_classes": _columns("ontology_id path seq class_iri label comment properties"),
    "file_edges": _columns("ontology_id path class_iri parent_iri"),
    "file_properties": _columns(
        "ontology_id path seq property_iri property_type label domain range"
    ),
    "file_links": _columns("ontology_id path seq class_iri target"),
    "file_pages": _columns("ontology_id path page_key"),
    "file_link_targets": _columns("ontology_id path class_iri"),
    "link_edges": _columns("ontology_id path seq class_iri parent_iri"),
    "sync_failures": _columns("ontology_id path error_type message retryable attempts sha"),
    "sync_runs": _columns("ontology_id started_at outcome report seq"),
    "http_cache": _columns("key etag body"),
    "sync_locks": _columns("ontology_id holder host pid acquired_at heartbeat"),
    "schema_version": _columns("version"),
    "sync_changes": _columns("position ontology_id run_id committed_at kind old new"),
    "sync_change_horizon": _columns("ontology_id position run_id pruned_at"),
}

#: One row per (table, column) of the database, to compare with ``EXPECTED_COLUMNS``.
COLUMNS_QUERY = """
SELECT m.name, p.name
FROM sqlite_master AS m, pragma_table_info(m.name) AS p
WHERE m.type = 'table'
"""


def schema_problem(columns: Mapping[str, set[str]], version: int | None) -> str | None:
    """Why a database with these tables/columns and ``schema_version`` cannot be used as
    is, or None when it is ours (possibly partly created) or holds none of our tables."""
    if version is not None and version != SCHEMA_VERSION:
        return f"schema version {version}, this version of streaming_sync uses {SCHEMA_VERSION}"
    ours = sorted(name for name in EXPECTED_COLUMNS if name in columns)
    if ours and version is None:
        return f"tables {', '.join(ours)} exist but carry no schema_version (a legacy schema)"
    for name in ours:
        missing = EXPECTED_COLUMNS[name] - columns[name]
        if missing:
            return f"table {name} lacks the columns {', '.join(sorted(missing))}"
    return None


def is_complete(columns: Mapping[str, set[str]]) -> bool:
    """Whether every table of the schema exists (so opening needs no write)."""
    return all(name in columns for name in EXPECTED_COLUMNS)


__all__ = [
    "COLUMNS_QUERY",
    "CREATE_SCRIPT",
    "EXPECTED_COLUMNS",
    "LINK_TARGETS_DDL",
    "SCHEMA_VERSION",
    "TABLE_SINCE",
    "TEMP_SCRIPT",
    "is_complete",
    "schema_problem",
]
