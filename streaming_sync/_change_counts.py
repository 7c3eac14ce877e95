"""How many public rows a commit, or a whole run, changed: the summary of the change feed.

``ChangeSummary`` is what ``SyncReport.changes`` and the ``RowsChanged`` event carry:
per kind of public row (classes, hierarchy edges, properties, axioms, other axioms) the
rows added, removed and -- for classes and properties, whose values can change under the
same IRI -- changed. The records themselves are read with ``OntologyReader.changes``
(see ``streaming_sync._changes``).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

#: The kinds of public rows the feed records, in the order a summary lists them.
KINDS = ("classes", "edges", "properties", "axioms", "other_axioms")
#: The kinds whose rows have a key and values, so a row can be *changed* in place.
CHANGEABLE = frozenset({"classes", "properties"})


@attrs.frozen
class ChangeCounts:
    """Rows of one kind added, removed and changed (changed: same key, other values)."""

    added: int = 0
    removed: int = 0
    changed: int = 0

    @property
    def total(self) -> int:
        return self.added + self.removed + self.changed

    def __add__(self, other: ChangeCounts) -> ChangeCounts:
        return ChangeCounts(
            self.added + other.added, self.removed + other.removed, self.changed + other.changed
        )


_NONE = ChangeCounts()


@attrs.frozen
class ChangeSummary:
    """The rows one commit (``RowsChanged``) or one run (``SyncReport.changes``) changed,
    per kind. ``run_id`` names the run whose records they are (None outside a sync):
    ``OntologyReader.changes(since=run_id)`` reads them back."""

    classes: ChangeCounts = _NONE
    edges: ChangeCounts = _NONE
    properties: ChangeCounts = _NONE
    axioms: ChangeCounts = _NONE
    other_axioms: ChangeCounts = _NONE
    run_id: str | None = None

    @classmethod
    def of(cls, counts: Mapping[str, ChangeCounts], run_id: str | None = None) -> ChangeSummary:
        """A summary from counts by kind (``KINDS``; a kind left out counts nothing)."""
        get = counts.get
        return cls(
            get("classes", _NONE),
            get("edges", _NONE),
            get("properties", _NONE),
            get("axioms", _NONE),
            get("other_axioms", _NONE),
            run_id,
        )

    @property
    def total(self) -> int:
        """Every record counted: 0 when nothing changed."""
        return sum(getattr(self, kind).total for kind in KINDS)

    def __add__(self, other: ChangeSummary) -> ChangeSummary:
        counts = {kind: getattr(self, kind) + getattr(other, kind) for kind in KINDS}
        return ChangeSummary.of(counts, self.run_id or other.run_id)

    def to_dict(self) -> dict[str, object]:
        """``{"run_id": ..., "classes": {"added", "removed", "changed"}, "edges": {"added",
        "removed"}, ...}``: "changed" only for the kinds that have it."""
        shown: dict[str, object] = {"run_id": self.run_id}
        for kind in KINDS:
            counts = attrs.asdict(getattr(self, kind))
            if kind not in CHANGEABLE:
                del counts["changed"]
            shown[kind] = counts
        return shown

    @classmethod
    def from_dict(cls, raw: Mapping[str, object] | None) -> ChangeSummary:
        """The summary :meth:`to_dict` gave ``raw`` for (an empty one for None: reports
        recorded before the feed existed have none)."""
        if not raw:
            return cls()
        counts = {}
        for kind in KINDS:
            value = raw.get(kind) or {}
            assert isinstance(value, Mapping)
            counts[kind] = ChangeCounts(**{k: int(v) for k, v in value.items()})
        run_id = raw.get("run_id")
        return cls.of(counts, None if run_id is None else str(run_id))


__all__ = ["CHANGEABLE", "KINDS", "ChangeCounts", "ChangeSummary"]
