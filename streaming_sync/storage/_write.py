"""The per-file write, once for every dialect: which statements run, in what order, with
which parameters -- and the snapshot read's rows assembled into an ``OntologySnapshot``.

This module does no I/O and holds no dialect's SQL. :func:`write_file` is a generator
(*sans-IO*): it yields a :class:`Statement` (a ``key`` naming the statement, and its
named parameters) or a :class:`Batch` (a key, the names of its columns and one tuple of
values per row, for ``executemany``), and receives, for each, the number of rows it
changed. Each backend keeps the SQL text of every key in its own ``_sql`` module, with
the parameters named (``:oid``, a batch's columns), and a small driver that runs the
generator: SQLite synchronously on its connection's thread (the whole file is one call,
one thread hop), PostgreSQL with asyncpg. A dialect whose SQL stamps rows itself (the
transaction's ``now()`` on PostgreSQL) leaves ``now`` unused. (A batch's rows are tuples,
not mappings: binding by position is what keeps a large file's inserts cheap.)

The steps (each one set-based statement, so a file costs a small constant number of
statements whatever its size):

1. *Collect* what the file asserted before into the connection's temporary table
   ``sync_affected`` (class IRIs, edges -- its own and those its page links resolved
   to --, property IRIs, page keys).
2. Delete its ``sync_files`` row: the foreign keys cascade to every ``file_*`` and
   ``link_edges`` row of the file, a trigger drops its axioms. Insert the new record and
   rows (:func:`file_rows`), and collect them too.
3. Re-resolve the page links that may have changed: the file's own, and those of every
   file that links to one of the file's old or new page keys -- nothing to do when no
   other file links to its keys and it has no links now (the file's old link edges were
   collected in step 1 and dropped with its record).
4. Recompute the affected public rows in an order that keeps the foreign keys valid:
   upsert the rows of the classes the file declares or declared (never ``INSERT OR
   REPLACE``: it deletes, and the delete cascades to edges other files assert), insert
   placeholder rows for edge endpoints that have none, delete edges no longer asserted,
   insert asserted ones, delete class rows that are neither declared nor referenced;
   then the properties. Finally empty the affected set.

The change feed runs at two hook points around step 4, as statements of its own (so
they work whether step 4 runs once per file or once per batch of files):
:func:`before_recompute` copies the affected class, edge and property rows aside;
:func:`after_recompute` records, in ``sync_changes``, each row that step 4 added, removed
or changed, and each axiom row the write removed or added (the dialect's capture
triggers keep the axiom rows a write deletes and the paths whose records it inserts:
axioms are replaced per file in steps 2-3, not recomputed), tagged with the run
(``:run``), then empties what it kept. The number of rows each ``record_*`` statement
inserted is the commit's ``ChangeSummary`` (:func:`feed_summary`).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any

import attrs

from .._change_counts import ChangeCounts, ChangeSummary
from .._model import (
    LINK_AXIOM_ANNOTATIONS,
    FileEntry,
    OntologyData,
    iri_list_json,
    properties_json,
)
from .._snapshot import AxiomRow, ClassRow, EdgeRow, OntologySnapshot, OtherAxiomRow, PropertyRow

Params = Mapping[str, object]


@attrs.frozen
class Statement:
    """Run the dialect's SQL for ``key`` once, with the named ``params``."""

    key: str
    params: Params


@attrs.frozen
class Batch:
    """Run the dialect's SQL for ``key`` once per row (``executemany``); ``columns``
    names the parameters, in the order of each row's values."""

    key: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[object, ...]]


#: What a driver runs: statements and batches out, the number of rows each changed back
#: in (for a batch, the number of rows given).
Steps = Generator[Statement | Batch, int, None]

#: The statements that re-resolve page links, in order (step 3).
RELINK = (
    "collect_link_edges",
    "drop_link_edges",
    "drop_link_axioms",
    "resolve_links",
    "add_link_axioms",
    "collect_link_edges",
)
#: The statements that recompute the affected public rows, in order (step 4).
RECOMPUTE = (
    "upsert_declared_classes",
    "insert_placeholders",
    "delete_edges",
    "insert_edges",
    "delete_classes",
    "upsert_properties",
    "delete_properties",
)
#: The change feed's hook before step 4: copy the affected public rows aside.
BEFORE_RECOMPUTE = ("feed_copy_classes", "feed_copy_edges", "feed_copy_properties")
#: The feed's record statements, each with the summary field and operation its row
#: count adds to.
FEED_RECORDS: Mapping[str, tuple[str, str]] = {
    "record_classes_added": ("classes", "added"),
    "record_classes_changed": ("classes", "changed"),
    "record_properties_added": ("properties", "added"),
    "record_properties_changed": ("properties", "changed"),
    "record_edges_added": ("edges", "added"),
    "record_axioms_added": ("axioms", "added"),
    "record_axioms_added_among_gone": ("axioms", "added"),
    "record_axioms_removed": ("axioms", "removed"),
    "record_other_axioms_added": ("other_axioms", "added"),
    "record_other_axioms_added_among_gone": ("other_axioms", "added"),
    "record_other_axioms_removed": ("other_axioms", "removed"),
    "record_edges_removed": ("edges", "removed"),
    "record_properties_removed": ("properties", "removed"),
    "record_classes_removed": ("classes", "removed"),
}
#: Per kind of replaced row (axioms, other axioms): the statement counting the rows
#: the write deleted (touching them: its row count is theirs), the one recording every
#: row now when none went (the cold path), and the two recording the multiset
#: difference when some went.
_REPLACED = (
    ("feed_gone_axioms", "record_axioms_added",
     ("record_axioms_added_among_gone", "record_axioms_removed")),
    ("feed_gone_other_axioms", "record_other_axioms_added",
     ("record_other_axioms_added_among_gone", "record_other_axioms_removed")),
)  # fmt: skip
#: What the after hook empties: the copies, the captured rows and paths.
FEED_CLEAR = (
    "feed_clear_classes",
    "feed_clear_edges",
    "feed_clear_properties",
    "feed_clear_axioms",
    "feed_clear_other_axioms",
    "feed_clear_paths",
)
#: Every key of the feed's hooks.
FEED_KEYS = frozenset(
    {*BEFORE_RECOMPUTE, *FEED_RECORDS, *FEED_CLEAR, *(gone for gone, _, _ in _REPLACED)}
)


def before_recompute(params: Params) -> Steps:
    """The change feed's hook before step 4 (see the module docstring)."""
    for key in BEFORE_RECOMPUTE:
        yield Statement(key, params)


def after_recompute(params: Params) -> Steps:
    """The change feed's hook after step 4: record what step 4 and the write did, in an
    order an app can apply as it goes (classes before the edges naming them, removed
    edges before their classes), then empty what the feed kept."""
    for key in ("record_classes_added", "record_classes_changed", "record_properties_added",
                "record_properties_changed", "record_edges_added"):  # fmt: skip
        yield Statement(key, params)
    for gone_key, all_new, difference in _REPLACED:
        gone = yield Statement(gone_key, params)
        for key in difference if gone else (all_new,):
            yield Statement(key, params)
    for key in ("record_edges_removed", "record_properties_removed", "record_classes_removed"):
        yield Statement(key, params)
    for key in FEED_CLEAR:
        yield Statement(key, params)


#: The batches of a file's provenance rows, in the order they are inserted (step 2),
#: with the parameter names of their columns (the values :func:`file_rows` gives).
FILE_ROWS: Mapping[str, tuple[str, ...]] = {
    "insert_file_classes": (
        "oid", "path", "seq", "class_iri", "label", "comment", "properties",
    ),
    "insert_file_edges": ("oid", "path", "class_iri", "parent_iri"),
    "insert_file_properties": (
        "oid", "path", "seq", "property_iri", "property_type", "label", "domain", "range",
    ),
    "insert_file_links": ("oid", "path", "seq", "class_iri", "target"),
    "insert_file_pages": ("oid", "path", "page_key"),
    "insert_file_link_targets": ("oid", "path", "class_iri"),
    "insert_axioms": (
        "oid", "path", "now", "axiom_type", "subject", "object", "annotations",
        "is_inferred", "property_iri",
    ),
    "insert_other_axioms": ("oid", "path", "now", "kind", "text"),
}  # fmt: skip
#: Every key a dialect's SQL must define.
KEYS = frozenset(
    {"collect_file", "drop_file", "add_file", "mark_link_paths", "clear_affected"}
    | set(RELINK)
    | set(RECOMPUTE)
    | set(FILE_ROWS)
    | FEED_KEYS
)


def write_file(
    oid: str,
    path: str,
    entry: FileEntry | None,
    data: OntologyData,
    now: object,
    run: str | None = None,
) -> Steps:
    """Replace ``path``'s contribution with ``data`` committed at ``entry.sha`` -- or
    remove it, record included, when ``entry`` is None -- inside the driver's
    transaction. ``now`` is the timestamp bound to ``:now``; ``run`` the run id the
    change feed's records carry (``:run``; None outside a sync)."""
    params = {
        "oid": oid,
        "path": path,
        "now": now,
        "sha": entry.sha if entry is not None else None,
        "link_annotations": LINK_AXIOM_ANNOTATIONS,
        "run": run,
    }
    yield Statement("collect_file", params)
    yield Statement("drop_file", params)
    if entry is not None:
        yield Statement("add_file", params)
        for key, rows in file_rows(oid, path, data, now).items():
            if rows:  # an empty batch costs a round trip and does nothing
                yield Batch(key, FILE_ROWS[key], rows)
        yield Statement("collect_file", params)
    marked = yield Statement("mark_link_paths", params)
    # ``marked`` counts the file itself and every file linking to its old or new keys.
    if marked > 1 or data.links:
        for key in RELINK:
            yield Statement(key, params)
    yield from before_recompute(params)
    for key in RECOMPUTE:
        yield Statement(key, params)
    yield from after_recompute(params)
    yield Statement("clear_affected", params)


def feed_summary(changed: Mapping[str, int]) -> ChangeSummary:
    """The ``ChangeSummary`` of one transaction from the rows each statement changed
    (as a driver sums them per key): the counts of the ``record_*`` statements."""
    counts: dict[str, dict[str, int]] = {}
    for key, (field, op) in FEED_RECORDS.items():
        ops = counts.setdefault(field, {})
        ops[op] = ops.get(op, 0) + max(changed.get(key, 0), 0)
    return ChangeSummary.of({field: ChangeCounts(**ops) for field, ops in counts.items()})


def file_rows(
    oid: str, path: str, data: OntologyData, now: object
) -> dict[str, list[tuple[object, ...]]]:
    """The rows of each provenance batch of ``data``, in the column order of
    ``FILE_ROWS``."""
    return {
        "insert_file_classes": [
            (oid, path, i, c.iri, c.label, c.comment, properties_json(c.properties))
            for i, c in enumerate(data.classes)
        ],
        "insert_file_edges": [(oid, path, e.class_iri, e.parent_iri) for e in data.edges],
        "insert_file_properties": [
            (oid, path, i, p.iri, str(p.property_type), p.label, iri_list_json(p.domain),
             iri_list_json(p.range))
            for i, p in enumerate(data.properties)
        ],
        "insert_file_links": [
            (oid, path, i, k.class_iri, k.target) for i, k in enumerate(data.links)
        ],
        "insert_file_pages": [(oid, path, key) for key in data.page_keys],
        "insert_file_link_targets": [(oid, path, iri) for iri in data.link_targets],
        "insert_axioms": [
            (oid, path, now, str(a.axiom_type), a.subject, a.object, a.annotations,
             a.is_inferred, a.property_iri)
            for a in data.axioms
        ],
        "insert_other_axioms": [(oid, path, now, o.kind, o.text) for o in data.other_axioms],
    }  # fmt: skip


#: The snapshot read: one query per public table, standard SQL every dialect runs as
#: written (``:oid`` is the ontology id), in the column order :func:`assemble_snapshot`
#: reads. A driver runs them in one read transaction.
SNAPSHOT_QUERIES: Mapping[str, str] = {
    "classes": "SELECT class_iri, label, comment, file_sha1, properties FROM owl_classes "
    "WHERE ontology_id = :oid",
    "edges": "SELECT class_iri, parent_iri FROM owl_class_hierarchy WHERE ontology_id = :oid",
    "properties": "SELECT property_iri, label, property_type, domain, range FROM owl_properties "
    "WHERE ontology_id = :oid",
    "axioms": "SELECT axiom_type, subject, object, property_iri, annotations, is_inferred, "
    "source_path FROM owl_axioms WHERE ontology_id = :oid",
    "other_axioms": "SELECT source_path, kind, text FROM owl_other_axioms WHERE ontology_id = :oid",
}


def assemble_snapshot(rows: Mapping[str, Sequence[Sequence[Any]]]) -> OntologySnapshot:
    """The ``OntologySnapshot`` of the rows each of ``SNAPSHOT_QUERIES`` returned (as
    the driver fetched them: tuples or records, column values of the database's types)."""
    axioms = rows["axioms"]
    return OntologySnapshot.build(
        [ClassRow(*row) for row in rows["classes"]],
        [EdgeRow(*row) for row in rows["edges"]],
        [PropertyRow(*row) for row in rows["properties"]],
        # bool(): SQLite stores is_inferred as 0 or 1.
        [AxiomRow(t, s, o, p, a, bool(i), src) for t, s, o, p, a, i, src in axioms],
        [OtherAxiomRow(*row) for row in rows["other_axioms"]],
    )


__all__ = [
    "BEFORE_RECOMPUTE",
    "FEED_CLEAR",
    "FEED_KEYS",
    "FEED_RECORDS",
    "FILE_ROWS",
    "KEYS",
    "RECOMPUTE",
    "RELINK",
    "SNAPSHOT_QUERIES",
    "Batch",
    "Statement",
    "Steps",
    "after_recompute",
    "assemble_snapshot",
    "before_recompute",
    "feed_summary",
    "file_rows",
    "write_file",
]
