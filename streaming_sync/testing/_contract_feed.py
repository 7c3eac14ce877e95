"""``ChangeFeedContract``: the part of ``RepositoryContract`` that a backend declaring the
``ChangeFeed`` capability must pass (a backend without it skips these tests).

Each write's records must be exactly the reference difference of the rows before and
after it (``diff_snapshots``, compared as a multiset: the order within one commit is the
backend's), so that applying the whole feed to no rows gives the rows now; a write that
changes nothing records nothing; records carry the run of the sync that wrote them and
each commit reports its ``RowsChanged``; ``since`` and ``prune`` follow ``storage._feed``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .._changes import (
    Change,
    apply_changes,
    change_to_dict,
    diff_snapshots,
    feeding,
    kind_of,
    summarize,
)
from .._errors import ChangesPruned
from .._model import Axiom, AxiomType, FileEntry, FileWrite, OntologyData
from .._protocols import BatchWriter, ChangeFeed, Repository, StreamWriter
from .._snapshot import OntologySnapshot
from ..observe.events import ProgressEvent, RowsChanged
from ._contract_batch import _parts, _split
from ._contract_support import (
    CONTENTS,
    OPERATIONS,
    ContractBase,
    cls,
    data,
    property_settings,
    sha_of,
    with_page_key,
)

EMPTY_ROWS = OntologySnapshot.build([], [], [], [], [])


def _feed(repository: Repository) -> ChangeFeed:
    if not isinstance(repository, ChangeFeed):
        pytest.skip(f"{type(repository).__name__} keeps no change feed (not a ChangeFeed)")
    return repository


def _essence(changes: list[Change]) -> Counter[str]:
    """What a commit's records say, without their place, run and time."""
    found: Counter[str] = Counter()
    for change in changes:
        shown = change_to_dict(change)
        found[repr((kind_of(change), shown["op"], shown["old"], shown["new"]))] += 1
    return found


class FeedSteps:
    """A repository under test, its feed, and the position read up to."""

    def __init__(self, repository: Repository, oid: str) -> None:
        self.repo, self.feed, self.oid = repository, _feed(repository), oid
        self.seen = 0
        self.files: dict[str, tuple[str, OntologyData]] = {}

    async def new_records(self) -> list[Change]:
        records = await self.feed.changes(self.oid, since=self.seen, limit=100_000)
        if records:
            positions = [c.position for c in records]
            assert positions == sorted(set(positions))
            assert positions[0] > self.seen
            self.seen = positions[-1]
        return records

    async def step(self, path: str, content: OntologyData | None, sha: str = "") -> list[Change]:
        """Save (or remove, for None) ``path``; assert its records are the reference
        difference of the rows; return them."""
        before = await self.repo.snapshot(self.oid)
        if content is None:
            await self.repo.remove_file(self.oid, path)
        else:
            await self.repo.save_file(
                self.oid, FileEntry(path, 0, sha or sha_of(path, content)), content
            )
        return await self.recorded(before)

    async def recorded(self, before: OntologySnapshot) -> list[Change]:
        """The records of the commit just made: the reference difference from
        ``before`` to the rows now."""
        after = await self.repo.snapshot(self.oid)
        records = await self.new_records()
        assert _essence(records) == _essence(diff_snapshots(before, after))
        return records


class ChangeFeedContract(ContractBase):
    """The change feed's behaviour (see the module docstring)."""

    async def test_feed_replays_to_the_rows(self, repository: Repository) -> None:
        """Every write records exactly the rows it added, removed or changed; applying
        the whole feed, in order, to no rows gives the rows now."""
        steps = FeedSteps(repository, "feed")
        edge = (("ex:A", "ex:B"),)
        await steps.step("a.md", data(cls("ex:A", "A", k="v"), edges=edge, keys=["a"]))
        await steps.step("b.md", data(cls("ex:A", "other"), links=[("ex:A", "a")]))
        await steps.step("a.md", data(cls("ex:A", "A2"), axioms=(_AXIOM, _AXIOM)))
        await steps.step("a.md", None)
        everything = await steps.feed.changes("feed", limit=100_000)
        assert apply_changes(EMPTY_ROWS, everything) == await repository.snapshot("feed")

    async def test_an_unchanged_write_records_nothing(self, repository: Repository) -> None:
        """Saving a file again with the same content (or removing an unknown path)
        changes no public row and records nothing."""
        steps = FeedSteps(repository, "same")
        content = data(cls("ex:A", "A"), edges=[("ex:A", "ex:B")], axioms=(_AXIOM,), keys=["a"])
        assert await steps.step("a.md", content)
        assert await steps.step("a.md", content) == []
        assert await steps.step("nowhere.md", None) == []

    async def test_records_carry_the_run_and_each_commit_is_reported(
        self, repository: Repository
    ) -> None:
        """Writes inside a sync's feed context carry its run id and report one
        ``RowsChanged`` per commit that changed something, counting its records."""
        steps = FeedSteps(repository, "runs")
        heard: list[ProgressEvent] = []

        async def emit(event: RowsChanged) -> None:
            heard.append(event)

        async with feeding("2000-01-01T00:00:00.000000Z-0001", emit):
            first = await steps.step("a.md", data(cls("ex:A"), edges=[("ex:A", "ex:B")]))
            await steps.step("a.md", data(cls("ex:A"), edges=[("ex:A", "ex:B")]))
        outside = await steps.step("a.md", None)
        assert {c.run_id for c in first} == {"2000-01-01T00:00:00.000000Z-0001"}
        assert {c.run_id for c in outside} == {None}
        assert heard == [
            RowsChanged(("a.md",), summarize(first, "2000-01-01T00:00:00.000000Z-0001"))
        ]

    async def test_since_a_position_or_a_run(self, repository: Repository) -> None:
        """``since`` a position reads after it; ``since`` a run id reads that run's
        records and every later one (a run that recorded nothing: after the runs before
        it); pages are at most ``limit`` long."""
        steps = FeedSteps(repository, "since")
        runs = [f"2000-01-0{d}T00:00:00.000000Z-0000" for d in (1, 2, 3)]
        async with feeding(runs[0]):
            await steps.step("a.md", data(cls("ex:A"), cls("ex:B")))
        async with feeding(runs[2]):
            late = await steps.step("b.md", data(cls("ex:C")))
        feed = steps.feed
        every = await feed.changes("since")
        assert await feed.changes("since", since=every[0].position) == every[1:]
        assert await feed.changes("since", since=runs[2]) == late
        assert await feed.changes("since", since=runs[1]) == late  # recorded nothing
        assert await feed.changes("since", since=runs[0], limit=1) == every[:1]
        assert await feed.last_position("since") == every[-1].position
        assert await feed.changes("since", since=every[-1].position) == []

    async def test_pruned_records_are_refused_not_skipped(self, repository: Repository) -> None:
        """After pruning to the newest run, asking since an older position or run raises
        ``ChangesPruned`` naming what is kept; the kept records still read."""
        steps = FeedSteps(repository, "prune")
        runs = [f"2000-01-0{d}T00:00:00.000000Z-0000" for d in (1, 2)]
        async with feeding(runs[0]):
            old = await steps.step("a.md", data(cls("ex:A")))
        async with feeding(runs[1]):
            new = await steps.step("b.md", data(cls("ex:B")))
        assert await steps.feed.prune("prune", keep_runs=1) == len(old)
        with pytest.raises(ChangesPruned) as pruned:
            await steps.feed.changes("prune", since=0)
        assert pruned.value.kept_after == old[-1].position
        with pytest.raises(ChangesPruned):
            await steps.feed.changes("prune", since=runs[0])
        assert await steps.feed.changes("prune") == new
        assert await steps.feed.changes("prune", since=runs[1]) == new
        assert await steps.feed.changes("prune", since=pruned.value.kept_after) == new
        assert await steps.feed.prune("prune", keep_for=timedelta(days=1)) == 0
        assert await steps.feed.prune("prune", keep_for=timedelta(0)) == len(new)

    @property_settings(30)
    @given(pool=st.lists(CONTENTS, min_size=1, max_size=5), ops=OPERATIONS)
    async def test_random_sequences_record_exactly_their_differences(
        self,
        repository: Repository,
        pool: list[OntologyData],
        ops: list[tuple[str, int | None]],
    ) -> None:
        """Random save/remove sequences over files sharing IRIs, links and page keys:
        each write records exactly its difference, and the feed replays to the rows."""
        oid = f"feed-{uuid.uuid4().hex}"
        steps = FeedSteps(repository, oid)
        for path, index in ops:
            if index is None:
                await steps.step(path, None)
            else:
                content = with_page_key(path, pool[index % len(pool)])
                await steps.step(path, content, sha_of(path, content, index))
        everything = await steps.feed.changes(oid, limit=100_000)
        assert apply_changes(EMPTY_ROWS, everything) == await repository.snapshot(oid)

    @property_settings(20)
    @given(pool=st.lists(CONTENTS, min_size=1, max_size=5), ops=OPERATIONS, size=st.integers(2, 5))
    async def test_a_batch_is_one_commit_of_its_whole_difference(
        self,
        repository: Repository,
        pool: list[OntologyData],
        ops: list[tuple[str, int | None]],
        size: int,
    ) -> None:
        """Random saves and removals written in batches (``BatchWriter``, a path may come
        twice in one): each batch records exactly the difference of the rows before and
        after it, tagged with the run, reported as ONE ``RowsChanged`` naming its files;
        the feed replays to the rows."""
        if not isinstance(repository, BatchWriter):
            pytest.skip(f"{type(repository).__name__} does not declare BatchWriter")
        oid = f"feed-batch-{uuid.uuid4().hex}"
        steps, run = FeedSteps(repository, oid), "2000-01-01T00:00:00.000000Z-0002"
        heard: list[ProgressEvent] = []
        expected: list[RowsChanged] = []

        async def emit(event: RowsChanged) -> None:
            heard.append(event)

        async with feeding(run, emit):
            for start in range(0, len(ops), size):
                items = [_write_of(path, index, pool) for path, index in ops[start : start + size]]
                before = await repository.snapshot(oid)
                await repository.write_batch(oid, items)
                records = await steps.recorded(before)
                assert {c.run_id for c in records} <= {run}
                if records:
                    paths = tuple(item.entry.path for item in items)
                    expected.append(RowsChanged(paths, summarize(records, run)))
        assert heard == expected
        everything = await steps.feed.changes(oid, limit=100_000)
        assert apply_changes(EMPTY_ROWS, everything) == await repository.snapshot(oid)

    async def test_a_streamed_file_is_one_commit(self, repository: Repository) -> None:
        """A file saved in parts (``StreamWriter``) records, once its parts end, exactly
        the difference of the whole file, as one commit of the run."""
        if not isinstance(repository, StreamWriter):
            pytest.skip(f"{type(repository).__name__} does not declare StreamWriter")
        steps, run = FeedSteps(repository, "feed-stream"), "2000-01-01T00:00:00.000000Z-0003"
        heard: list[ProgressEvent] = []

        async def emit(event: RowsChanged) -> None:
            heard.append(event)

        edges = (("ex:A", "ex:B"), ("ex:C", "ex:B"))
        first = data(cls("ex:A", "A"), cls("ex:B"), cls("ex:C"), edges=edges, axioms=(_AXIOM,))
        second = data(cls("ex:A", "A2"), cls("ex:D"), edges=edges[:1], axioms=(_AXIOM, _AXIOM))
        async with feeding(run, emit):
            for content, sha in ((first, "1" * 40), (second, "2" * 40)):
                before = await repository.snapshot("feed-stream")
                parts = _parts(_split(content, [30, 60]))
                await repository.save_file_parts("feed-stream", FileEntry("a.ofn", 0, sha), parts)
                records = await steps.recorded(before)
                assert records
                assert {c.run_id for c in records} == {run}
        assert [event.paths for event in heard if isinstance(event, RowsChanged)] == [
            ("a.ofn",),
            ("a.ofn",),
        ]


def _write_of(path: str, index: int | None, pool: list[OntologyData]) -> FileWrite:
    """The batch item of one random operation: a removal (None) or a save."""
    if index is None:
        return FileWrite(FileEntry(path, 0, ""), None)
    content = with_page_key(path, pool[index % len(pool)])
    return FileWrite(FileEntry(path, 0, sha_of(path, content, index)), content)


_AXIOM = Axiom(AxiomType.SUBCLASS_OF, "ex:A", "ex:B")


__all__ = ["ChangeFeedContract", "FeedSteps"]
