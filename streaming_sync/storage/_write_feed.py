"""The change feed as the hooks every write runs (see ``storage._write``'s docstring for
what each hook point sees): the statements' keys, the order of the records, and the
``ChangeSummary`` of a transaction from their row counts."""

from __future__ import annotations

from collections.abc import Mapping

from .._change_counts import ChangeCounts, ChangeSummary
from ._steps import Hooks, HookSteps, Params, Statement, Steps

#: The change feed's hook before the recompute: copy the affected public rows aside.
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
#: Every key of the feed's after hook.
FEED_AFTER_KEYS = frozenset({*FEED_RECORDS, *FEED_CLEAR, *(gone for gone, _, _ in _REPLACED)})
#: Every key of the feed's hooks.
FEED_KEYS = frozenset(BEFORE_RECOMPUTE) | FEED_AFTER_KEYS


def after_recompute(params: Params) -> Steps:
    """The change feed's hook after the recompute: record what step 4 and the write did, in an
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


#: The hooks every write runs: the change feed's.
HOOKS = Hooks(
    before_recompute=BEFORE_RECOMPUTE,
    after_recompute=(HookSteps(FEED_AFTER_KEYS, after_recompute),),
)


def feed_summary(changed: Mapping[str, int]) -> ChangeSummary:
    """The ``ChangeSummary`` of one transaction from the rows each statement changed
    (as a driver sums them per key): the counts of the ``record_*`` statements."""
    counts: dict[str, dict[str, int]] = {}
    for key, (field, op) in FEED_RECORDS.items():
        ops = counts.setdefault(field, {})
        ops[op] = ops.get(op, 0) + max(changed.get(key, 0), 0)
    return ChangeSummary.of({field: ChangeCounts(**ops) for field, ops in counts.items()})


__all__ = [
    "BEFORE_RECOMPUTE",
    "FEED_AFTER_KEYS",
    "FEED_CLEAR",
    "FEED_KEYS",
    "FEED_RECORDS",
    "HOOKS",
    "after_recompute",
    "feed_summary",
]
