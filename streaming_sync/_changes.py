"""The change feed's records: what one commit did to the public rows, typed.

Every write of a ``ChangeFeed`` repository records, in the same transaction as the rows,
one record per public row it added, removed or changed. Each record has a ``position``
(increasing in commit order within an ontology), the ``run_id`` of the sync that made
it, the commit time, an ``op`` and the row(s):

* ``ClassChange`` / ``PropertyChange``: ``old`` and ``new`` row (None for added/removed);
* ``EdgeChange``, ``AxiomChange``, ``OtherAxiomChange``: the ``row`` added or removed.

:func:`apply_changes` is the meaning of a feed: applied in order to the rows before
them, records give the rows after them -- the property the feed tests check after
random edits, kills and faults. :func:`diff_snapshots` is the reference a backend's SQL
must agree with (the in-memory repository records exactly it).

The run a write belongs to is not an argument of ``save_file``: the service sets it for
the duration of a sync as a :class:`FeedContext` (a context variable, so tasks the sync
starts inherit it and two services sharing one repository never mix their runs), and a
repository reads it with :func:`feed_context` to tag its records and report each commit
(``RowsChanged``) to the sync's event stream.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import json
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeAlias

import attrs

from ._change_counts import ChangeCounts, ChangeSummary
from ._snapshot import AxiomRow, ClassRow, EdgeRow, OntologySnapshot, OtherAxiomRow, PropertyRow
from .observe.events import RowsChanged


class ChangeOp(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@attrs.frozen
class _Record:
    """What every record has: its place in the feed, its operation, the run that made
    it (None for a write outside a sync) and when it was committed (ISO-8601, UTC)."""

    position: int
    op: ChangeOp
    run_id: str | None
    committed_at: str


@attrs.frozen
class ClassChange(_Record):
    """A row of ``owl_classes`` added (``old`` None), removed (``new`` None) or changed
    (``fields`` names the columns that differ; ``file_sha1`` alone changes when the
    declaring file's content changed elsewhere)."""

    old: ClassRow | None
    new: ClassRow | None

    @property
    def iri(self) -> str:
        row = self.new or self.old
        assert row is not None
        return row.class_iri

    @property
    def fields(self) -> tuple[str, ...]:
        return _differing(self.old, self.new)


@attrs.frozen
class PropertyChange(_Record):
    """A row of ``owl_properties`` added, removed or changed (as ``ClassChange``)."""

    old: PropertyRow | None
    new: PropertyRow | None

    @property
    def iri(self) -> str:
        row = self.new or self.old
        assert row is not None
        return row.property_iri

    @property
    def fields(self) -> tuple[str, ...]:
        return _differing(self.old, self.new)


@attrs.frozen
class EdgeChange(_Record):
    """A hierarchy edge added or removed."""

    row: EdgeRow


@attrs.frozen
class AxiomChange(_Record):
    """An ``owl_axioms`` row added or removed (axioms are a multiset: an axiom two files
    state is two rows, each with its ``source_path``)."""

    row: AxiomRow


@attrs.frozen
class OtherAxiomChange(_Record):
    """An ``owl_other_axioms`` row added or removed."""

    row: OtherAxiomRow


Change: TypeAlias = ClassChange | PropertyChange | EdgeChange | AxiomChange | OtherAxiomChange
Row: TypeAlias = ClassRow | EdgeRow | PropertyRow | AxiomRow | OtherAxiomRow

#: The stored name of each kind (``sync_changes.kind``), its record type and row type.
KIND_OF: dict[type[Any], str] = {
    ClassChange: "class",
    PropertyChange: "property",
    EdgeChange: "edge",
    AxiomChange: "axiom",
    OtherAxiomChange: "other_axiom",
}
_ROW_OF: dict[str, type[Any]] = {
    "class": ClassRow,
    "property": PropertyRow,
    "edge": EdgeRow,
    "axiom": AxiomRow,
    "other_axiom": OtherAxiomRow,
}
_RECORD_OF = {kind: record for record, kind in KIND_OF.items()}
#: The summary field each stored kind counts in.
SUMMARY_FIELD = {
    "class": "classes",
    "property": "properties",
    "edge": "edges",
    "axiom": "axioms",
    "other_axiom": "other_axioms",
}


def _differing(old: Any, new: Any) -> tuple[str, ...]:
    if old is None or new is None:
        return ()
    return tuple(
        f.name for f in attrs.fields(type(old)) if getattr(old, f.name) != getattr(new, f.name)
    )


def old_row(change: Change) -> Row | None:
    if isinstance(change, ClassChange | PropertyChange):
        return change.old
    return change.row if change.op is ChangeOp.REMOVED else None


def new_row(change: Change) -> Row | None:
    if isinstance(change, ClassChange | PropertyChange):
        return change.new
    return change.row if change.op is ChangeOp.ADDED else None


def kind_of(change: Change) -> str:
    """``class``, ``property``, ``edge``, ``axiom`` or ``other_axiom``."""
    return KIND_OF[type(change)]


def make_change(
    kind: str,
    old: Row | None,
    new: Row | None,
    *,
    position: int = 0,
    run_id: str | None = None,
    committed_at: str = "",
) -> Change:
    """The record of ``kind`` for a row going from ``old`` to ``new`` (either None)."""
    op = ChangeOp.ADDED if old is None else ChangeOp.REMOVED if new is None else ChangeOp.CHANGED
    record = _RECORD_OF[kind]
    if kind in ("class", "property"):
        return record(position, op, run_id, committed_at, old, new)  # type: ignore[no-any-return]
    if op is ChangeOp.CHANGED:
        raise ValueError(f"a {kind} row is added or removed, never changed")
    return record(position, op, run_id, committed_at, new or old)  # type: ignore[no-any-return]


def row_from_values(kind: str, values: Sequence[Any]) -> Row:
    """A row of ``kind`` from its column values in the snapshot's order (as the feed
    stores them: a JSON array). ``is_inferred`` is stored 0/1 by SQLite."""
    if kind == "axiom":
        t, s, o, p, a, inferred, src = values
        return AxiomRow(t, s, o, p, a, bool(inferred), src)
    return _ROW_OF[kind](*values)  # type: ignore[no-any-return]


def decode(
    position: int,
    run_id: str | None,
    committed_at: str,
    kind: str,
    old: str | None,
    new: str | None,
) -> Change:
    """A record as the feed stores it: old/new are JSON arrays of row values (or NULL)."""
    return make_change(
        kind,
        None if old is None else row_from_values(kind, json.loads(old)),
        None if new is None else row_from_values(kind, json.loads(new)),
        position=position,
        run_id=run_id,
        committed_at=committed_at,
    )


def _row_dict(row: Row | None) -> dict[str, Any] | None:
    return None if row is None else attrs.asdict(row)


def change_to_dict(change: Change) -> dict[str, Any]:
    """The JSON form of a record (``streaming-sync changes --json`` writes one per line):
    ``position``, ``run_id``, ``committed_at``, ``kind``, ``op``, and the ``old`` and
    ``new`` rows as objects (None where there is none)."""
    return {
        "position": change.position,
        "run_id": change.run_id,
        "committed_at": change.committed_at,
        "kind": kind_of(change),
        "op": str(change.op),
        "old": _row_dict(old_row(change)),
        "new": _row_dict(new_row(change)),
    }


def change_from_dict(raw: dict[str, Any]) -> Change:
    """The record :func:`change_to_dict` gave ``raw`` for."""
    kind = str(raw["kind"])

    def row(value: dict[str, Any] | None) -> Row | None:
        return None if value is None else _ROW_OF[kind](**value)

    return make_change(
        kind,
        row(raw.get("old")),
        row(raw.get("new")),
        position=int(raw["position"]),
        run_id=raw.get("run_id"),
        committed_at=str(raw.get("committed_at", "")),
    )


def summarize(changes: Iterable[Change], run_id: str | None = None) -> ChangeSummary:
    """The counts of ``changes`` per kind and operation."""
    tally: Counter[tuple[str, str]] = Counter(
        (SUMMARY_FIELD[kind_of(c)], str(c.op)) for c in changes
    )
    counts = {
        field: ChangeCounts(*(tally[(field, str(op))] for op in ChangeOp))
        for field in SUMMARY_FIELD.values()
    }
    return ChangeSummary.of(counts, run_id)


# -- the meaning of a feed -----------------------------------------------------------------


class FeedMismatchError(AssertionError):
    """A record does not fit the rows it is applied to (a lost, doubled or misordered
    record): what :func:`apply_changes` raises."""


def _keyed_diff(kind: str, before: Iterable[Any], after: Iterable[Any]) -> Iterator[Change]:
    """Rows keyed by their first column (an IRI): added, removed or changed."""
    old = {attrs.astuple(r)[0]: r for r in before}
    new = {attrs.astuple(r)[0]: r for r in after}
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a != b:
            yield make_change(kind, a, b)


def _multiset_diff(kind: str, before: Iterable[Any], after: Iterable[Any]) -> Iterator[Change]:
    old, new = Counter(before), Counter(after)
    for row in sorted((old - new).elements(), key=_text_key):
        yield make_change(kind, row, None)
    for row in sorted((new - old).elements(), key=_text_key):
        yield make_change(kind, None, row)


def _text_key(row: Any) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in attrs.astuple(row))


def diff_snapshots(before: OntologySnapshot, after: OntologySnapshot) -> list[Change]:
    """The records that take ``before`` to ``after`` (positions 0): the reference a
    backend's change feed must agree with."""
    return [
        *_keyed_diff("class", before.classes, after.classes),
        *_multiset_diff("edge", before.edges, after.edges),
        *_keyed_diff("property", before.properties, after.properties),
        *_multiset_diff("axiom", before.axioms, after.axioms),
        *_multiset_diff("other_axiom", before.other_axioms, after.other_axioms),
    ]


def apply_changes(snapshot: OntologySnapshot, changes: Iterable[Change]) -> OntologySnapshot:
    """``snapshot`` with ``changes`` applied in order. Strict: a removed or changed row
    must be there with exactly the ``old`` values, an added keyed row must not be
    (``FeedMismatchError`` otherwise), so a lost, doubled or misordered record shows."""
    classes = {r.class_iri: r for r in snapshot.classes}
    properties = {r.property_iri: r for r in snapshot.properties}
    bags: dict[str, Counter[Any]] = {
        "edge": Counter(snapshot.edges),
        "axiom": Counter(snapshot.axioms),
        "other_axiom": Counter(snapshot.other_axioms),
    }
    for change in changes:
        if isinstance(change, ClassChange):
            _apply_keyed(classes, change.iri, change.old, change.new, change)
        elif isinstance(change, PropertyChange):
            _apply_keyed(properties, change.iri, change.old, change.new, change)
        else:
            _apply_bag(bags[kind_of(change)], change)
    return OntologySnapshot.build(
        list(classes.values()),
        list(bags["edge"].elements()),
        list(properties.values()),
        list(bags["axiom"].elements()),
        list(bags["other_axiom"].elements()),
    )


def _apply_keyed(rows: dict[str, Any], key: str, old: Any, new: Any, change: Change) -> None:
    if rows.get(key) != old:
        raise FeedMismatchError(f"{change!r} does not fit the row {rows.get(key)!r}")
    if new is None:
        del rows[key]
    else:
        rows[key] = new


def _apply_bag(bag: Counter[Any], change: EdgeChange | AxiomChange | OtherAxiomChange) -> None:
    if change.op is ChangeOp.ADDED:
        if isinstance(change, EdgeChange) and bag[change.row]:
            raise FeedMismatchError(f"{change!r}: the edge is there already")
        bag[change.row] += 1
    elif bag[change.row] > 0:
        bag[change.row] -= 1
    else:
        raise FeedMismatchError(f"{change!r}: no such row to remove")


# -- runs and the context of a write -------------------------------------------------------


def iso_utc(moment: datetime | float) -> str:
    """``moment`` (aware datetime or epoch seconds) as ISO-8601 UTC with microseconds."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id(now: float | None = None) -> str:
    """A run id: the start time (ISO-8601 UTC, so run ids sort by time) and four random
    hex digits, unique per ontology."""
    moment = datetime.now(UTC) if now is None else datetime.fromtimestamp(now, UTC)
    return f"{iso_utc(moment)}-{secrets.token_hex(2)}"


def is_run_id(text: str) -> bool:
    """Whether ``text`` has the shape of a run id (a position is a whole number)."""
    return not text.isdigit() and "T" in text


#: How a repository reports one commit's changes to the sync that made it.
EmitRows = Callable[[RowsChanged], Awaitable[None]]


@attrs.frozen
class FeedContext:
    """The sync a write belongs to: its ``run_id`` (tags the records) and where to
    report each commit's ``RowsChanged`` (the sync's event stream)."""

    run_id: str
    emit: EmitRows | None = None


_CONTEXT: contextvars.ContextVar[FeedContext | None] = contextvars.ContextVar(
    "streaming_sync_feed", default=None
)


def feed_context() -> FeedContext | None:
    """The sync the current task writes for (None outside a sync)."""
    return _CONTEXT.get()


def current_run_id() -> str | None:
    """The run id the current write's records carry (None outside a sync)."""
    context = _CONTEXT.get()
    return None if context is None else context.run_id


@contextlib.asynccontextmanager
async def feeding(run_id: str, emit: EmitRows | None = None) -> Any:
    """Writes made inside the block (and by the tasks it starts) belong to ``run_id``."""
    token = _CONTEXT.set(FeedContext(run_id, emit))
    try:
        yield _CONTEXT.get()
    finally:
        _CONTEXT.reset(token)


async def report_commit(paths: Sequence[str], summary: ChangeSummary) -> None:
    """Tell the current sync (if any) that a commit of ``paths`` changed ``summary``'s
    rows: a ``RowsChanged`` event, only when something changed."""
    context = feed_context()
    if context is None or context.emit is None or summary.total == 0:
        return
    await context.emit(RowsChanged(tuple(paths), attrs.evolve(summary, run_id=context.run_id)))


__all__ = [
    "AxiomChange",
    "Change",
    "ChangeOp",
    "ClassChange",
    "EdgeChange",
    "FeedContext",
    "FeedMismatchError",
    "OtherAxiomChange",
    "PropertyChange",
    "apply_changes",
    "change_from_dict",
    "change_to_dict",
    "current_run_id",
    "decode",
    "diff_snapshots",
    "feed_context",
    "feeding",
    "is_run_id",
    "iso_utc",
    "kind_of",
    "make_change",
    "new_run_id",
    "report_commit",
    "summarize",
]
