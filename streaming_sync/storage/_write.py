"""The write, once for every dialect: which statements run, in what order, with which
parameters -- and the snapshot read's rows assembled into an ``OntologySnapshot``.

This module does no I/O and holds no dialect's SQL. Its steps are generators (*sans-IO*):
they yield a :class:`Statement` (a ``key`` naming the statement, and its named
parameters) or a :class:`Batch` (a key, the names of its columns and one tuple of values
per row), and receive, for each, the number of rows it changed. Each backend keeps the
SQL text of every key in its own ``_sql`` module, with the parameters named (``:oid``, a
batch's columns), and a small driver that runs the steps inside ONE transaction:
SQLite synchronously on its connection's thread (a whole transaction is one call there),
PostgreSQL with asyncpg. A dialect whose SQL stamps rows itself (the transaction's
``now()`` on PostgreSQL) leaves ``now`` unused.

A transaction writes one file (``save_file``/``remove_file``), several
(``write_batch``: group commit) or one file in parts (``save_file_parts``). The
*affected set* -- the connection's temporary table ``sync_affected`` -- gathers every
class IRI, edge, property IRI and page key a write touched; a row of it is *stale* when
it came from a contribution that is gone (it must be checked, it may have to go), fresh
when it came from rows just inserted (asserted, by construction). The steps:

Per group of files with distinct paths, in the transaction's order, each step one
statement for the whole group (:func:`begin_files`, the rows, :func:`end_files`; a
streamed file is a group of one, its rows inserted part by part, :func:`file_part`):

1. ``collect_old``: what each file asserted before (its class IRIs, edges -- its own
   and those its page links resolved to --, property IRIs, page keys), marked stale.
2. ``drop_file``: their ``sync_files`` rows; the foreign keys cascade to every
   ``file_*`` and ``link_edges`` row of the files, a trigger drops their axioms. Then,
   for the saves, ``add_file`` (the records with the new SHAs) and the files' rows
   (:func:`file_rows`, in batches; a stream inserts them part by part, row numbers
   continuing).
3. ``collect_new``: the rows just inserted, fresh (and each file with page links among
   the link paths to resolve).

Once per transaction (:func:`finish`):

4. Re-resolve the page links that may have changed (``RELINK``): those of every written
   file with links, and of every file linking to a page key a written file had or has --
   nothing at all when there is neither, and nothing to undo when only written files
   link (their old link edges and link axioms went with their records).
5. ``before_recompute`` hooks, then ``RECOMPUTE``: upsert the rows of affected classes
   (never ``INSERT OR REPLACE``: it deletes, and the delete cascades to edges other
   files assert), placeholder rows for edge endpoints that have none, delete stale edges
   no longer asserted, insert affected edges, delete stale classes neither declared nor
   referenced, then the properties. The three deletions run only when something stale
   was collected (a first sync of new files skips them); without stale rows, a step
   whose kind of row no written file had is skipped too (``READS``: a page with no
   properties skips the property upsert). Then ``after_recompute`` hooks, and the
   affected set is emptied.

**Hooks** (:class:`Hooks`): statement keys (or :class:`HookSteps`, for statements that
depend on an earlier one's row count) a feature runs inside every write transaction,
once, at two points. At ``before_recompute`` the affected set is complete
(every written file's old and new rows, re-resolved link edges included) and the
public ``owl_classes``/``owl_class_hierarchy``/``owl_properties`` rows still hold the
values of before the transaction; at ``after_recompute`` they hold the new values and the
affected set is still there. (A written file's own ``owl_axioms``/``owl_other_axioms``
rows are replaced in step 2, per file, before either point.) A hook statement gets the
transaction's parameters (``:oid``, ``:now``, ``:run``) and must not touch the provenance tables:
the recompute relies on fresh affected rows being asserted. ``HOOKS`` is what every
write runs; a dialect's ``_sql`` must define SQL for each of its keys.

The change feed is the hooks every write runs (``HOOKS``): before the recompute it
copies the affected class, edge and property rows aside (``BEFORE_RECOMPUTE``); after
it (:func:`after_recompute`) it records, in ``sync_changes``, each row the recompute
added, removed or changed, and each axiom row the transaction's files removed or added
(the dialect's capture triggers keep the axiom rows a write deletes and the paths whose
records it inserts: axioms are replaced per file in step 2, not recomputed), tagged
with the run (``:run``), then empties what it kept. So a batch of files, or a file
streamed in parts, is recorded once, as one commit. The number of rows each
``record_*`` statement inserted is the commit's ``ChangeSummary`` (:func:`feed_summary`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import attrs

from .._model import (
    EMPTY,
    LINK_AXIOM_ANNOTATIONS,
    FileEntry,
    FileWrite,
    OntologyData,
    iri_list_json,
    properties_json,
)
from ._snapshot_sql import SNAPSHOT_QUERIES, assemble_snapshot
from ._steps import Batch, Hooks, HookSteps, Statement, Steps, run_hooks
from ._write_feed import (
    BEFORE_RECOMPUTE,
    FEED_AFTER_KEYS,
    FEED_CLEAR,
    FEED_KEYS,
    FEED_RECORDS,
    HOOKS,
    after_recompute,
    feed_summary,
)

#: The statements that re-resolve page links, in order (step 4): the link edges of the
#: link paths are collected stale, dropped with their axioms, resolved again, given
#: their axioms and collected fresh.
RELINK = (
    "collect_link_edges",
    "drop_link_edges",
    "drop_link_axioms",
    "resolve_links",
    "add_link_axioms",
    "collect_new_link_edges",
)
#: The steps of ``RELINK`` that undo the earlier resolution of files the transaction did
#: not write: skipped when ``mark_link_paths`` marked none (a written file's link edges
#: and link axioms went with its record).
UNDO_OTHERS = frozenset(RELINK[:3])
#: The statements that recompute the affected public rows, in order (step 5): one named
#: step sequence, run once per transaction between the two hook points.
RECOMPUTE = (
    "upsert_declared_classes",
    "insert_placeholders",
    "delete_edges",
    "insert_edges",
    "delete_classes",
    "upsert_properties",
    "delete_properties",
)
#: The steps of ``RECOMPUTE`` that can only remove what stale rows name: skipped when a
#: transaction collected none.
STALE_ONLY = frozenset({"delete_edges", "delete_classes", "delete_properties"})
#: The kind of affected rows each other step reads: without stale rows, a step whose
#: kind no written file had finds nothing to do, and is skipped.
READS: Mapping[str, str] = {
    "mark_link_paths": "key",
    "upsert_declared_classes": "iri",
    "insert_placeholders": "edge",
    "insert_edges": "edge",
    "upsert_properties": "prop",
}
#: The batches of a file's rows, in the order they are inserted (step 2), with the
#: parameter names of their columns (the values :func:`file_rows` gives).
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
#: The columns of ``add_file``'s rows (a group's records, one batch).
ADD_FILE_COLUMNS = ("oid", "path", "sha", "now")
#: Every batch's columns by key: the rows', and the records'.
BATCHES: Mapping[str, tuple[str, ...]] = {**FILE_ROWS, "add_file": ADD_FILE_COLUMNS}
#: The batch columns that hold one value for the whole batch (not ``path``: a batch
#: holds the rows of every file of a group, see ``write_batch``).
SHARED_COLUMNS = frozenset({"oid", "now"})
#: The statements of one file's write (steps 1-3) and the last one of a transaction.
FILE_STEPS = ("collect_old", "drop_file", "add_file", "collect_new")
FINISH_STEPS = ("mark_link_paths", "clear_affected")
#: Every key a dialect's SQL must define.
KEYS = frozenset({*FILE_STEPS, *FINISH_STEPS, *RELINK, *RECOMPUTE, *FILE_ROWS} | HOOKS.keys)


@attrs.define
class Transaction:
    """What the writes of one transaction have found so far (the driver makes one per
    transaction and hands it to each step)."""

    oid: str
    #: The timestamp bound to ``:now``.
    now: object
    #: The run id the change feed's records carry (``:run``; None outside a sync).
    run: str | None = None
    #: Some collected row came from a contribution that is gone.
    stale: bool = False
    #: Some written file has page links.
    linked: bool = False
    #: The kinds of the fresh rows collected so far (see ``READS``).
    kinds: set[str] = attrs.field(factory=set)

    def runs(self, key: str) -> bool:
        """Whether the step ``key`` may have something to do."""
        if key in STALE_ONLY:
            return self.stale
        return self.stale or key not in READS or READS[key] in self.kinds

    def params(self, paths: tuple[str, ...] = ()) -> dict[str, object]:
        """The named parameters of a statement; ``paths``: the files of a group (a
        driver binds the tuple as its dialect's array)."""
        return {
            "oid": self.oid,
            "paths": paths,
            "now": self.now,
            "link_annotations": LINK_AXIOM_ANNOTATIONS,
            "run": self.run,
        }


@attrs.define
class RowNumbers:
    """The next ``seq`` of a file's classes, properties and links: a stream's parts
    number their rows on from where the previous part stopped."""

    classes: int = 0
    properties: int = 0
    links: int = 0

    def advance(self, data: OntologyData) -> None:
        self.classes += len(data.classes)
        self.properties += len(data.properties)
        self.links += len(data.links)


def write_batch(
    oid: str,
    items: Iterable[FileWrite],
    now: object,
    hooks: Hooks | None = None,
    run: str | None = None,
) -> Steps:
    """Write every file of ``items`` in order (each exactly as ``save_file`` or
    ``remove_file`` would), then recompute once, inside the driver's transaction;
    ``run`` tags the change feed's records."""
    tx = Transaction(oid, now, run)
    for group in distinct_paths(items):
        yield from begin_files(tx, group)
        rows: dict[str, list[tuple[object, ...]]] = {key: [] for key in FILE_ROWS}
        for item in group:
            if item.data is not None:
                for key, part in file_rows(oid, item.entry.path, item.data, now).items():
                    rows[key] += part
                noted(tx, item.data)
        # One statement per step and one batch per table for the whole group, not one
        # per file: a driver's round trips (and, on SQLite, its thread's turns at the
        # GIL) go with the statements.
        for key, batch in rows.items():
            if batch:
                yield Batch(key, FILE_ROWS[key], batch)
        yield from end_files(tx, [item.entry.path for item in group if item.data is not None])
    yield from finish(tx, hooks)


def distinct_paths(items: Iterable[FileWrite]) -> Iterator[list[FileWrite]]:
    """``items`` in order, cut where a path comes again: within a group each file's rows
    can be inserted together, since no other write of the group touches its path."""
    group: list[FileWrite] = []
    paths: set[str] = set()
    for item in items:
        if item.entry.path in paths:
            yield group
            group, paths = [], set()
        group.append(item)
        paths.add(item.entry.path)
    if group:
        yield group


def noted(tx: Transaction, data: OntologyData) -> None:
    """Note in ``tx`` what kinds of rows ``data`` inserted (what ``finish`` must redo)."""
    tx.linked = tx.linked or bool(data.links)
    tx.kinds.update(kind for kind, rows in _KINDS.items() if getattr(data, rows))


def write_file(
    oid: str,
    path: str,
    entry: FileEntry | None,
    data: OntologyData,
    now: object,
    run: str | None = None,
) -> Steps:
    """Replace ``path``'s contribution with ``data`` committed at ``entry.sha`` -- or
    remove it, record included, when ``entry`` is None: a batch of one (``run`` as for
    :func:`write_batch`)."""
    return write_batch(oid, [_one(path, entry, data)], now, run=run)


def _one(path: str, entry: FileEntry | None, data: OntologyData) -> FileWrite:
    """A save of ``data`` at ``entry``, or -- ``entry`` None -- the removal of ``path``."""
    return FileWrite(entry, data) if entry is not None else FileWrite(FileEntry(path, 0, ""), None)


def begin_file(tx: Transaction, path: str, entry: FileEntry | None) -> Steps:
    """Steps 1-2 up to the rows for one file: :func:`begin_files` of a group of one."""
    return begin_files(tx, [_one(path, entry, EMPTY)])


def begin_files(tx: Transaction, group: Sequence[FileWrite]) -> Steps:
    """Steps 1-2 up to the rows, for a group of distinct paths: collect the files' old
    contributions, drop them, and record the new SHA of each save (``data`` not None)."""
    params = tx.params(paths=tuple(item.entry.path for item in group))
    collected = yield Statement("collect_old", params)
    tx.stale = tx.stale or collected > 0
    yield Statement("drop_file", params)
    saved = [(tx.oid, i.entry.path, i.entry.sha, tx.now) for i in group if i.data is not None]
    if saved:
        yield Batch("add_file", ADD_FILE_COLUMNS, saved)


#: The kind of affected row each field of ``OntologyData`` gives (``collect_new``).
_KINDS = {"iri": "classes", "edge": "edges", "prop": "properties", "key": "page_keys"}


def file_part(tx: Transaction, path: str, data: OntologyData, numbers: RowNumbers) -> Steps:
    """Insert ``data`` as (part of) ``path``'s rows, numbered on from ``numbers``."""
    for key, rows in file_rows(tx.oid, path, data, tx.now, numbers).items():
        if rows:  # an empty batch costs a round trip and does nothing
            yield Batch(key, FILE_ROWS[key], rows)
    numbers.advance(data)
    noted(tx, data)


def end_file(tx: Transaction, path: str) -> Steps:
    """Step 3: collect the rows just inserted for ``path``."""
    return end_files(tx, [path])


def end_files(tx: Transaction, paths: Sequence[str]) -> Steps:
    """Step 3 for the saved files of a group: collect the rows just inserted."""
    if paths:
        yield Statement("collect_new", tx.params(paths=tuple(paths)))


def finish(tx: Transaction, hooks: Hooks | None = None) -> Steps:
    """Steps 4-5, once per transaction, after its last file; ``hooks`` None: ``HOOKS``
    as it is when the write runs."""
    hooks = HOOKS if hooks is None else hooks
    params = tx.params()
    # ``marked`` counts the files linking to a written file's old or new page keys.
    marked = (yield Statement("mark_link_paths", params)) if tx.runs("mark_link_paths") else 0
    if marked or tx.linked:
        for key in RELINK:
            if not marked and key in UNDO_OTHERS:
                continue
            changed = yield Statement(key, params)
            if key == RELINK[0]:
                tx.stale = tx.stale or changed > 0
            elif key == RELINK[-1] and changed:
                tx.kinds.add("edge")
    yield from run_hooks(hooks.before_recompute, params)
    for key in RECOMPUTE:
        if tx.runs(key):
            yield Statement(key, params)
    yield from run_hooks(hooks.after_recompute, params)
    yield Statement("clear_affected", params)


def file_rows(
    oid: str, path: str, data: OntologyData, now: object, numbers: RowNumbers | None = None
) -> dict[str, list[tuple[object, ...]]]:
    """The rows of each batch of ``data``, in the column order of ``FILE_ROWS``; the
    ``seq`` of classes, properties and links counts on from ``numbers``."""
    start = numbers or RowNumbers()
    c0, p0, k0 = start.classes, start.properties, start.links
    return {
        "insert_file_classes": [
            (oid, path, c0 + i, c.iri, c.label, c.comment, properties_json(c.properties))
            for i, c in enumerate(data.classes)
        ],
        "insert_file_edges": [(oid, path, e.class_iri, e.parent_iri) for e in data.edges],
        "insert_file_properties": [
            (oid, path, p0 + i, p.iri, p.property_type.value, p.label, iri_list_json(p.domain),
             iri_list_json(p.range))
            for i, p in enumerate(data.properties)
        ],
        "insert_file_links": [
            (oid, path, k0 + i, k.class_iri, k.target) for i, k in enumerate(data.links)
        ],
        "insert_file_pages": [(oid, path, key) for key in data.page_keys],
        "insert_file_link_targets": [(oid, path, iri) for iri in data.link_targets],
        "insert_axioms": [
            (oid, path, now, a.axiom_type.value, a.subject, a.object, a.annotations,
             a.is_inferred, a.property_iri)
            for a in data.axioms
        ],
        "insert_other_axioms": [(oid, path, now, o.kind, o.text) for o in data.other_axioms],
    }  # fmt: skip


__all__ = [
    "ADD_FILE_COLUMNS",
    "BATCHES",
    "BEFORE_RECOMPUTE",
    "FEED_AFTER_KEYS",
    "FEED_CLEAR",
    "FEED_KEYS",
    "FEED_RECORDS",
    "FILE_ROWS",
    "FILE_STEPS",
    "FINISH_STEPS",
    "HOOKS",
    "KEYS",
    "READS",
    "RECOMPUTE",
    "RELINK",
    "SHARED_COLUMNS",
    "SNAPSHOT_QUERIES",
    "STALE_ONLY",
    "UNDO_OTHERS",
    "Batch",
    "HookSteps",
    "Hooks",
    "RowNumbers",
    "Statement",
    "Steps",
    "Transaction",
    "after_recompute",
    "assemble_snapshot",
    "begin_file",
    "end_file",
    "feed_summary",
    "file_part",
    "file_rows",
    "finish",
    "run_hooks",
    "write_batch",
    "write_file",
]
