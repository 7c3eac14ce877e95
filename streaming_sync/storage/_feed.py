"""Reading and pruning the change feed, once for every dialect: the queries (standard
SQL with named parameters, as ``_write.SNAPSHOT_QUERIES``) and the rules that turn a
``since`` into the position to read after -- or into ``ChangesPruned`` when the feed no
longer holds what was asked. Each backend runs them in one transaction.

``since``:

* None -- everything the feed still holds;
* a position ``p`` (an int) -- the records after ``p``;
* a run id -- the records of that run and every later one (from its first record; for a
  run that recorded nothing, after the last record of the runs before it: run ids sort
  by their start time).

``sync_change_horizon`` holds, per ontology, the last position and the newest run that
``prune`` removed records of: a ``since`` at or before them is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import attrs

from .._errors import ChangesPruned

#: The read side, standard SQL every dialect runs as written (``:oid`` etc.).
READ_QUERIES: Mapping[str, str] = {
    "horizon": "SELECT position, run_id FROM sync_change_horizon WHERE ontology_id = :oid",
    "run_first": "SELECT MIN(position) FROM sync_changes WHERE ontology_id = :oid"
    " AND run_id = :run",
    "before_run": "SELECT MAX(position) FROM sync_changes WHERE ontology_id = :oid"
    " AND run_id < :run",
    "page": "SELECT position, run_id, committed_at, kind, old, new FROM sync_changes"
    " WHERE ontology_id = :oid AND position > :after ORDER BY position LIMIT :limit",
    "last": "SELECT MAX(position) FROM sync_changes WHERE ontology_id = :oid",
}

#: Pruning: the first position of the ``keep``-th newest run (by first position), the
#: last position committed before ``cutoff``, the newest run at or before a position,
#: the deletion, and the horizon's update (``:position``/``:run`` never go back).
PRUNE_QUERIES: Mapping[str, str] = {
    "nth_run": "SELECT MIN(position) AS first_position FROM sync_changes"
    " WHERE ontology_id = :oid AND run_id IS NOT NULL GROUP BY run_id"
    " ORDER BY first_position DESC LIMIT 1 OFFSET :skip",
    "before_time": "SELECT MAX(position) FROM sync_changes WHERE ontology_id = :oid"
    " AND committed_at < :cutoff",
    "newest_run": "SELECT MAX(run_id) FROM sync_changes WHERE ontology_id = :oid"
    " AND position <= :cut",
    "delete": "DELETE FROM sync_changes WHERE ontology_id = :oid AND position <= :cut",
    "horizon": "INSERT INTO sync_change_horizon (ontology_id, position, run_id, pruned_at)"
    " VALUES (:oid, :cut, :run, :now) ON CONFLICT (ontology_id) DO UPDATE SET"
    " position = CASE WHEN excluded.position > sync_change_horizon.position"
    " THEN excluded.position ELSE sync_change_horizon.position END,"
    " run_id = CASE WHEN sync_change_horizon.run_id IS NULL"
    " OR excluded.run_id > sync_change_horizon.run_id THEN excluded.run_id"
    " ELSE sync_change_horizon.run_id END, pruned_at = excluded.pruned_at",
}

#: Default page size of ``changes``.
DEFAULT_PAGE = 1000


@attrs.frozen
class Horizon:
    """What ``prune`` removed of one ontology's feed: every record at or before
    ``position``, and records of runs up to ``run_id``."""

    position: int = 0
    run_id: str | None = None


def check_page(since: int | str | None, limit: int) -> None:
    """``ValueError`` for a negative position or a limit below 1."""
    if isinstance(since, bool) or (isinstance(since, int) and since < 0):
        raise ValueError(f"since={since!r}: a position is a whole number, 0 or more")
    if not isinstance(since, int | str | None):
        raise ValueError(f"since={since!r}: give a position (int), a run id (str) or None")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit={limit!r}: must be a whole number, 1 or more")


def check_retention(keep_runs: int | None, keep_for: timedelta | None) -> None:
    """``ValueError`` unless at least one limit is given and each is sensible."""
    if keep_runs is None and keep_for is None:
        raise ValueError("prune: give keep_runs, keep_for or both")
    if keep_runs is not None and (
        isinstance(keep_runs, bool) or not isinstance(keep_runs, int) or keep_runs < 1
    ):
        raise ValueError(f"keep_runs={keep_runs!r}: keep at least 1 run")
    if keep_for is not None and keep_for < timedelta(0):
        raise ValueError(f"keep_for={keep_for!r}: must not be negative")


def pruned(what: str, horizon: Horizon) -> ChangesPruned:
    return ChangesPruned(
        f"the change feed no longer holds the changes since {what}: records up to "
        f"position {horizon.position} (runs up to {horizon.run_id}) were pruned. Read the "
        f"rows afresh, then follow the feed from position {horizon.position}",
        kept_after=horizon.position,
    )


def start_after(
    since: int | str | None,
    horizon: Horizon,
    run_first: int | None = None,
    before_run: int | None = None,
) -> int:
    """The position to read after, for ``since`` (see the module docstring);
    ``run_first``/``before_run`` are the ``run_first``/``before_run`` answers for a run
    id. Raises ``ChangesPruned`` when records it would need are gone."""
    if since is None:
        return horizon.position
    if isinstance(since, int):
        if since < horizon.position:
            raise pruned(f"position {since}", horizon)
        return since
    if horizon.run_id is not None and since <= horizon.run_id:
        raise pruned(f"run {since}", horizon)
    if run_first is not None:
        return run_first - 1
    return max(before_run or 0, horizon.position)


__all__ = [
    "DEFAULT_PAGE",
    "PRUNE_QUERIES",
    "READ_QUERIES",
    "Horizon",
    "check_page",
    "check_retention",
    "pruned",
    "start_after",
]
