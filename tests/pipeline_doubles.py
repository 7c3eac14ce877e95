"""A repository double with the write capabilities of issue 15 -- group commit
(``BatchWriter.write_batch``) and streamed writes (``StreamWriter.save_file_parts``) --
that records what it was asked, for the pipeline's tests. Each call is all or nothing:
a batch that fails, or a stream whose parts raise, leaves no trace.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence

from streaming_sync._model import FileEntry, FileWrite, OntologyData
from streaming_sync.testing import InMemoryRepository


def union(parts: Sequence[OntologyData]) -> OntologyData:
    """The parts of one file as one ``OntologyData``: each table's rows as a set (a row
    in several parts once), in first-seen order."""

    def rows(name: str) -> tuple[object, ...]:
        return tuple(dict.fromkeys(row for part in parts for row in getattr(part, name)))

    names = ("classes", "edges", "properties", "axioms", "other_axioms", "links", "page_keys")
    merged = {name: rows(name) for name in names}
    warnings = tuple(dict.fromkeys(w for part in parts for w in part.warnings))
    return OntologyData(**merged, warnings=warnings)  # type: ignore[arg-type]


class CapableRepository(InMemoryRepository):
    """``InMemoryRepository`` that is a ``BatchWriter`` and a ``StreamWriter``.

    ``batches``: the paths of each committed batch, ``tried`` of each batch asked for;
    ``streamed``: path -> parts of each committed stream. ``fail_batch(paths)`` may
    return an error for a batch to raise (nothing of it committed); ``hold``, when set,
    makes every write wait for it."""

    def __init__(
        self,
        fail_on_save: Callable[[str], Exception | None] | None = None,
        fail_batch: Callable[[list[str]], Exception | None] | None = None,
    ) -> None:
        super().__init__(fail_on_save)
        self.fail_batch = fail_batch
        self.batches: list[list[str]] = []
        self.tried: list[list[str]] = []
        self.streamed: dict[str, int] = {}
        self.hold: asyncio.Event | None = None

    async def _held(self) -> None:
        if self.hold is not None:
            await self.hold.wait()

    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
        # Written here, not through the base class, whose save_file may itself be a
        # batch of one (``fail_batch`` is about batches this double is asked for).
        await self._held()
        if self.fail_on_save is not None and (error := self.fail_on_save(entry.path)):
            raise error
        self.files.setdefault(ontology_id, {})[entry.path] = (entry.sha, data)
        self.saves += 1

    async def remove_file(self, ontology_id: str, path: str) -> None:
        await self._held()
        self.files.get(ontology_id, {}).pop(path, None)

    async def write_batch(self, ontology_id: str, items: Sequence[FileWrite]) -> None:
        await self._held()
        paths = [item.entry.path for item in items]
        self.tried.append(paths)
        error = self.fail_batch(paths) if self.fail_batch is not None else None
        if error is not None:
            raise error
        for item in items:  # the checks first, so that a failure commits nothing
            if item.data is not None and self.fail_on_save is not None:
                failed = self.fail_on_save(item.entry.path)
                if failed is not None:
                    raise failed
        files = self.files.setdefault(ontology_id, {})
        for item in items:
            if item.data is None:
                files.pop(item.entry.path, None)
            else:
                files[item.entry.path] = (item.entry.sha, item.data)
                self.saves += 1
        self.batches.append(paths)

    async def save_file_parts(
        self, ontology_id: str, entry: FileEntry, parts: AsyncIterator[OntologyData]
    ) -> None:
        collected = [part async for part in parts]
        await self._held()
        self.files.setdefault(ontology_id, {})[entry.path] = (entry.sha, union(collected))
        self.saves += 1
        self.streamed[entry.path] = len(collected)


__all__ = ["CapableRepository", "union"]
