"""The change feed of ``InMemoryRepository``: the reference semantics again -- each write's
records are :func:`streaming_sync._changes.diff_snapshots` of the rows before and after
it -- kept in lists, with the same reading and pruning rules as the SQL backends
(``storage._feed``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs

from .._changes import Change, current_run_id, diff_snapshots, iso_utc, report_commit, summarize
from .._snapshot import OntologySnapshot
from ..storage._feed import DEFAULT_PAGE, Horizon, check_page, check_retention, start_after


class MemoryChangeFeed:
    """``ChangeFeed`` over lists (a mixin: the class records each write with
    :meth:`record_write`)."""

    def __init__(self) -> None:
        self.feed: dict[str, list[Change]] = {}
        self.horizons: dict[str, Horizon] = {}
        self._position = 0

    async def record_write(
        self,
        ontology_id: str,
        paths: Sequence[str],
        before: OntologySnapshot,
        after: OntologySnapshot,
    ) -> None:
        """Record what one write did (``before`` -> ``after``) and report it."""
        run, now = current_run_id(), iso_utc(datetime.now(UTC))
        records = []
        for change in diff_snapshots(before, after):
            self._position += 1
            records.append(
                attrs.evolve(change, position=self._position, run_id=run, committed_at=now)
            )
        self.feed.setdefault(ontology_id, []).extend(records)
        await report_commit(paths, summarize(records))

    async def changes(
        self, ontology_id: str, since: int | str | None = None, limit: int = DEFAULT_PAGE
    ) -> list[Change]:
        check_page(since, limit)
        records = self.feed.get(ontology_id, [])
        run_first = before_run = None
        if isinstance(since, str):
            mine = [c.position for c in records if c.run_id == since]
            run_first = min(mine, default=None)
            earlier = [c.position for c in records if c.run_id is not None and c.run_id < since]
            before_run = max(earlier, default=None)
        horizon = self.horizons.get(ontology_id, Horizon())
        after = start_after(since, horizon, run_first, before_run)
        return [c for c in records if c.position > after][:limit]

    async def last_position(self, ontology_id: str) -> int:
        return max((c.position for c in self.feed.get(ontology_id, [])), default=0)

    async def prune(
        self,
        ontology_id: str,
        *,
        keep_runs: int | None = None,
        keep_for: timedelta | None = None,
    ) -> int:
        check_retention(keep_runs, keep_for)
        records = self.feed.get(ontology_id, [])
        cut = 0
        if keep_runs is not None:
            firsts: dict[str, int] = {}
            for c in records:
                if c.run_id is not None:
                    firsts.setdefault(c.run_id, c.position)
            newest = sorted(firsts.values(), reverse=True)
            if len(newest) >= keep_runs:
                cut = newest[keep_runs - 1] - 1
        if keep_for is not None:
            cutoff = iso_utc(datetime.now(UTC) - keep_for)
            cut = max([cut, *(c.position for c in records if c.committed_at < cutoff)])
        gone = [c for c in records if c.position <= cut]
        if not gone:
            return 0
        old = self.horizons.get(ontology_id, Horizon())
        runs = [r for r in (old.run_id, *(c.run_id for c in gone)) if r is not None]
        self.horizons[ontology_id] = Horizon(max(old.position, cut), max(runs, default=None))
        self.feed[ontology_id] = [c for c in records if c.position > cut]
        return len(gone)


__all__ = ["MemoryChangeFeed"]
