"""What the sans-IO write (``storage._write``) hands a driver: statements and batches of
rows by key (each dialect holds the SQL of every key), and the hooks a write runs around
its recompute. Kept apart from the algorithm so the change feed's hooks
(``_write_feed``) can build on them without importing the algorithm that runs them."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence

import attrs

Params = Mapping[str, object]


@attrs.frozen
class Statement:
    """Run the dialect's SQL for ``key`` once, with the named ``params``."""

    key: str
    params: Params


@attrs.frozen
class Batch:
    """Run the dialect's SQL for ``key`` over ``rows`` (``executemany``, or one
    set-based statement over the columns); ``columns`` names the parameters, in the order
    of each row's values. The columns of ``SHARED_COLUMNS`` hold the same value in every
    row, so a driver may bind them once. (Rows are tuples, not mappings: binding by
    position is what keeps a large file's inserts cheap.)"""

    key: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[object, ...]]


#: What a driver runs: statements and batches out, the number of rows each changed back
#: in (for a batch, the number of rows given).
Steps = Generator[Statement | Batch, int, None]


@attrs.frozen
class HookSteps:
    """A hook whose statements depend on what earlier ones changed: ``steps`` makes them
    from the transaction's parameters (and receives each one's row count); ``keys`` names
    every statement it may yield (each dialect defines their SQL)."""

    keys: frozenset[str]
    steps: Callable[[Params], Steps]


@attrs.frozen
class Hooks:
    """What runs once per write transaction around the recompute (see the module
    docstring for what each point sees): ``before_recompute`` just before its first
    statement, ``after_recompute`` just after its last, before the affected set is
    emptied. Each entry is a statement key, or :class:`HookSteps`."""

    before_recompute: tuple[str | HookSteps, ...] = ()
    after_recompute: tuple[str | HookSteps, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        entries = self.before_recompute + self.after_recompute
        return frozenset(
            key for entry in entries for key in ((entry,) if isinstance(entry, str) else entry.keys)
        )


def run_hooks(entries: tuple[str | HookSteps, ...], params: Params) -> Steps:
    """The statements of one hook point, in order."""
    for entry in entries:
        if isinstance(entry, str):
            yield Statement(entry, params)
        else:
            yield from entry.steps(params)


__all__ = ["Batch", "HookSteps", "Hooks", "Params", "Statement", "Steps", "run_hooks"]
