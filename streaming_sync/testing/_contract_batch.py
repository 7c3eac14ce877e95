"""The group-commit and streamed-save parts of ``RepositoryContract`` (it inherits these
tests): a repository that declares ``BatchWriter`` or ``StreamWriter`` is held to
``streaming_sync.materialize`` for random batches and random splits into parts, and to
committing nothing when a batch or a stream fails midway. A repository that does not
declare a capability skips its tests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import NoReturn, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from .._errors import StreamingSyncError
from .._model import Axiom, OntologyData
from .._protocols import BatchWriter, Repository, StreamWriter
from ._contract_support import (
    CONTENTS,
    PATHS,
    ContractBase,
    cls,
    data,
    property_settings,
    sha_of,
    with_page_key,
)
from .memory import joined


class FaultInjectedError(Exception):
    """The contract's own failure, raised from inside a write (a field of the data that
    fails when the backend reads it) or from a stream's parts."""


class _FailingRows(tuple[Axiom, ...]):
    """Rows that fail when read: whichever backend reads a file's axioms while writing
    it meets the fault midway through its transaction."""

    __slots__ = ()

    def __iter__(self) -> NoReturn:
        raise FaultInjectedError("the contract's injected fault: reading these rows fails")


#: A file whose axioms cannot be read (the class before them can).
FAILING = attrs.evolve(data(cls("ex:Failing")), axioms=_FailingRows())

_SETTINGS = property_settings(40)
#: One batch: (path, index into the pool of contents, or None to remove); a path may
#: come more than once.
_BATCH = st.lists(st.tuples(PATHS, st.none() | st.integers(0, 4)), max_size=6)
#: Where a batch gets a failing file (None: it has none).
_FAULT = st.none() | st.integers(0, 6)


def _need(repository: Repository, capability: type[object]) -> None:
    if not isinstance(repository, capability):
        pytest.skip(f"{type(repository).__name__} does not declare {capability.__name__}")


class BatchWriterContract(ContractBase):
    """``write_batch``: each file as ``save_file``/``remove_file`` leave it, in one
    transaction that commits whole or not at all."""

    @_SETTINGS
    @given(
        pool=st.lists(CONTENTS, min_size=1, max_size=5),
        batches=st.lists(st.tuples(_BATCH, _FAULT), min_size=1, max_size=5),
    )
    async def test_random_batches_converge(
        self,
        repository: Repository,
        pool: list[OntologyData],
        batches: list[tuple[list[tuple[str, int | None]], int | None]],
    ) -> None:
        """After every batch of saves and removals (paths repeating within and across
        batches, files sharing IRIs, links and page keys), the rows equal materialize()
        of the files; a batch with a failing file commits nothing, and the same batch
        without it then commits whole."""
        _need(repository, BatchWriter)
        m = self.model(repository, f"batch-{uuid.uuid4().hex}")
        for version, (batch, fault) in enumerate(batches):
            ops: list[tuple[str, OntologyData | None, str]] = []
            for path, index in batch:
                if index is None:
                    ops.append((path, None, ""))
                else:
                    content = with_page_key(path, pool[index % len(pool)])
                    ops.append((path, content, sha_of(path, content, version)))
            if fault is not None:
                failing = [*ops]
                failing.insert(fault % (len(ops) + 1), ("failing.md", FAILING, "f" * 40))
                with pytest.raises((FaultInjectedError, StreamingSyncError)):
                    await m.write_batch(failing)
                await m.verify()
            await m.write_batch(ops)
            await m.verify()

    async def test_an_empty_batch_changes_nothing(self, repository: Repository) -> None:
        """A batch of no files commits nothing and fails nothing."""
        _need(repository, BatchWriter)
        m = self.model(repository)
        await m.save("a.md", data(cls("ex:A"), edges=[("ex:A", "ex:P")]))
        await m.write_batch([])
        await m.verify()

    async def test_a_batch_hands_over_between_its_own_files(self, repository: Repository) -> None:
        """Within one batch, a class moving from one file to another, an edge dropped by
        one file but added by the next, and a link to a page the same batch creates all
        end as they would after the files one by one."""
        _need(repository, BatchWriter)
        m = self.model(repository)
        await m.save("a.md", data(cls("ex:X", "old"), edges=[("ex:X", "ex:P")]))
        await m.save("l.md", data(cls("ex:L"), links=[("ex:L", "t")]))
        await m.write_batch(
            [
                ("a.md", data(cls("ex:Y")), "1" * 40),
                ("b.md", data(cls("ex:X", "new"), edges=[("ex:X", "ex:P")]), "2" * 40),
                ("t.md", data(cls("ex:T"), keys=["t"]), "3" * 40),
                ("a.md", None, ""),
            ]
        )
        snapshot = await m.verify()
        assert {(e.class_iri, e.parent_iri) for e in snapshot.edges} == {
            ("ex:X", "ex:P"),
            ("ex:L", "ex:T"),
        }


T = TypeVar("T")


def _chunk(values: tuple[T, ...], cuts: Sequence[int], i: int) -> tuple[T, ...]:
    """The ``i``-th of the pieces ``values`` falls into when cut at the percentages
    ``cuts`` (sorted)."""
    bounds = [0, *(len(values) * c // 100 for c in cuts), len(values)]
    return values[bounds[i] : bounds[i + 1]]


def _split(content: OntologyData, cuts: Sequence[int]) -> list[OntologyData]:
    """``content`` in ``len(cuts) + 1`` parts whose join, set-like duplicates aside, is
    ``content``: each field cut in order at the same percentages; edges and page keys
    also repeated whole in the last part; each part offers as link targets those of
    its classes."""
    cuts = sorted(cuts)
    parts = []
    for i in range(len(cuts) + 1):
        last = i == len(cuts)
        classes = _chunk(content.classes, cuts, i)
        declared = {c.iri for c in classes}
        parts.append(
            OntologyData(
                classes=classes,
                edges=content.edges if last else _chunk(content.edges, cuts, i),
                properties=_chunk(content.properties, cuts, i),
                axioms=_chunk(content.axioms, cuts, i),
                other_axioms=_chunk(content.other_axioms, cuts, i),
                links=_chunk(content.links, cuts, i),
                page_keys=content.page_keys if last else _chunk(content.page_keys, cuts, i),
                link_targets=tuple(t for t in content.link_targets if t in declared),
            )
        )
    return parts


async def _parts(
    parts: Iterable[OntologyData], *, fail_after: int | None = None
) -> AsyncIterator[OntologyData]:
    for i, part in enumerate(parts):
        if i == fail_after:
            raise FaultInjectedError(f"the contract's injected fault: part {i} failed")
        yield part
    if fail_after is not None:
        raise FaultInjectedError("the contract's injected fault: the parts failed at the end")


class StreamWriterContract(ContractBase):
    """``save_file_parts``: the file as ``save_file`` of its joined parts leaves it, in
    one transaction committed when the parts end -- never when they fail."""

    @_SETTINGS
    @given(
        pool=st.lists(CONTENTS, min_size=1, max_size=4),
        streams=st.lists(
            st.tuples(PATHS, st.integers(0, 3), st.lists(st.integers(0, 100), max_size=3)),
            min_size=1,
            max_size=4,
        ),
    )
    async def test_random_parts_converge(
        self,
        repository: Repository,
        pool: list[OntologyData],
        streams: list[tuple[str, int, list[int]]],
    ) -> None:
        """Files saved from random splits into parts (set-like rows repeated across
        parts, over files sharing IRIs, links and page keys) read back as materialize()
        of the joined parts."""
        _need(repository, StreamWriter)
        m = self.model(repository, f"parts-{uuid.uuid4().hex}")
        for version, (path, index, cuts) in enumerate(streams):
            parts = _split(with_page_key(path, pool[index % len(pool)]), cuts)
            whole = joined(parts)
            await m.save_parts(path, _parts(parts), whole, sha_of(path, whole, version))
            await m.verify()

    async def test_no_parts_save_an_empty_file(self, repository: Repository) -> None:
        """A stream of no parts commits the file at its SHA, with no rows."""
        _need(repository, StreamWriter)
        m = self.model(repository)
        await m.save("a.md", data(cls("ex:A")))
        await m.save_parts("a.md", _parts([]), OntologyData(), "e" * 40)
        assert (await m.verify()).classes == frozenset()

    @pytest.mark.parametrize("fail_after", [0, 1, 2])
    async def test_failing_parts_commit_nothing(
        self, repository: Repository, fail_after: int
    ) -> None:
        """When the parts' iterator raises -- before the first part, midway, or after the
        last -- its error propagates and the file keeps its committed rows and SHA."""
        _need(repository, StreamWriter)
        m = self.model(repository)
        await m.save("a.md", data(cls("ex:Old"), edges=[("ex:Old", "ex:P")]))
        parts = [data(cls("ex:New1")), data(cls("ex:New2"), edges=[("ex:New2", "ex:Q")])]
        with pytest.raises(FaultInjectedError):
            await m.save_parts(
                "a.md", _parts(parts, fail_after=fail_after), joined(parts), "e" * 40
            )
        await m.verify()

    async def test_a_failing_write_stops_the_parts(self, repository: Repository) -> None:
        """A part the backend fails to write fails the save with that error and commits
        nothing; the file keeps its rows."""
        _need(repository, StreamWriter)
        m = self.model(repository)
        await m.save("a.md", data(cls("ex:Old")))
        parts = [data(cls("ex:New")), FAILING, data(cls("ex:Later"))]
        with pytest.raises((FaultInjectedError, StreamingSyncError)):
            await m.save_parts("a.md", _parts(parts), data(), "e" * 40)
        await m.verify()

    async def test_a_cancelled_stream_commits_nothing(self, repository: Repository) -> None:
        """Cancelling the save while it waits for its next part rolls it back: the file
        keeps its committed rows and SHA, and the repository goes on working."""
        _need(repository, StreamWriter)
        m = self.model(repository)
        await m.save("a.md", data(cls("ex:Old")))
        handed_over, never = asyncio.Event(), asyncio.Event()

        async def parts() -> AsyncIterator[OntologyData]:
            yield data(cls("ex:New1"))
            yield data(cls("ex:New2"))
            handed_over.set()  # resumed: the second part was taken
            await never.wait()
            yield data(cls("ex:Never"))

        task = asyncio.create_task(m.save_parts("a.md", parts(), data(), "e" * 40))
        await handed_over.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await m.verify()
        await m.save("b.md", data(cls("ex:B")))
        await m.verify()


__all__ = ["FAILING", "BatchWriterContract", "FaultInjectedError", "StreamWriterContract"]
