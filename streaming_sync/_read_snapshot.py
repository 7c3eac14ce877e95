"""The generic engine of the read API: answers from ``repository.snapshot()``.

It works on any backend that passes the repository contract (your own too), at the cost
of one snapshot per call, and answers in Python exactly what the SQLite engine
(``storage/sqlite/_read.py``) answers with SQL -- the tests compare the two on random
graphs and on the bundled sample. :func:`walk` is the one breadth-first walk both use
for shortest distances.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from ._protocols import Repository
from ._read_model import AxiomRole, Direction, OntologyCounts, SourceFile, search_rank
from ._snapshot import AxiomRow, ClassRow, EdgeRow, OntologySnapshot


def ends(edge: EdgeRow, direction: Direction) -> tuple[str, str]:
    """(the end we come from, the end we go to) of ``edge`` walking ``direction``."""
    if direction == "up":
        return edge.class_iri, edge.parent_iri
    return edge.parent_iri, edge.class_iri


def walk(
    edges: Iterable[EdgeRow], start: str, direction: Direction, max_depth: int | None = None
) -> tuple[list[EdgeRow], dict[str, int]]:
    """Breadth-first from ``start``: the edges met and each class's shortest distance
    (``start`` itself left out, even on a cycle). Each class is expanded once, so cycles
    end the walk instead of looping."""
    step: dict[str, list[EdgeRow]] = {}
    for edge in edges:
        step.setdefault(ends(edge, direction)[0], []).append(edge)
    depths, found = {start: 0}, []
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if max_depth is not None and depths[node] >= max_depth:
            continue
        for edge in step.get(node, ()):
            found.append(edge)
            far = ends(edge, direction)[1]
            if far not in depths:
                depths[far] = depths[node] + 1
                queue.append(far)
    del depths[start]
    return found, depths


def _plays(row: AxiomRow, iri: str, role: AxiomRole) -> bool:
    if role == "subject":
        return row.subject == iri
    if role == "object":
        return row.object == iri
    return iri in (row.subject, row.object)


class SnapshotEngine:
    """The generic engine: answers from ``repository.snapshot()`` (one per call)."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository

    async def _snapshot(self, oid: str) -> OntologySnapshot:
        return await self.repository.snapshot(oid)

    async def find_classes(
        self, oid: str, needle: str | None, limit: int, offset: int
    ) -> list[ClassRow]:
        rows = (await self._snapshot(oid)).classes
        if needle is None:
            ordered = sorted(rows, key=lambda r: r.class_iri)
        else:
            ranked = [(rank, r) for r in rows if (rank := search_rank(r, needle)) is not None]
            ordered = [r for _, r in sorted(ranked, key=lambda m: (m[0], m[1].class_iri))]
        return ordered[offset : offset + limit]

    async def class_row(self, oid: str, iri: str) -> ClassRow | None:
        rows = [r for r in (await self._snapshot(oid)).classes if r.class_iri == iri]
        return rows[0] if rows else None

    async def direct(self, oid: str, iri: str, direction: Direction) -> list[EdgeRow]:
        edges = (await self._snapshot(oid)).edges
        return [e for e in edges if ends(e, direction)[0] == iri]

    async def closure(self, oid: str, iri: str, direction: Direction) -> list[EdgeRow]:
        return walk((await self._snapshot(oid)).edges, iri, direction)[0]

    async def labels(self, oid: str, iris: Sequence[str]) -> dict[str, str | None]:
        wanted = set(iris)
        return {
            r.class_iri: r.label
            for r in (await self._snapshot(oid)).classes
            if r.class_iri in wanted
        }

    async def axioms(self, oid: str, iri: str, role: AxiomRole) -> list[AxiomRow]:
        rows = (await self._snapshot(oid)).axioms
        return [r for r in rows if _plays(r, iri, role)]

    async def sources(self, oid: str, iri: str) -> list[SourceFile]:
        """Derived: the files committed at the content of the declaring file that sorts
        first (``file_sha1``), and the files with axioms whose subject is ``iri``. Other
        files that also declare the class are not visible in a snapshot."""
        snapshot = await self._snapshot(oid)
        committed = await self.repository.committed_files(oid)
        row = next((r for r in snapshot.classes if r.class_iri == iri), None)
        found: dict[str, SourceFile] = {}
        if row is not None and row.file_sha1 is not None:
            for path, sha in committed.items():
                if sha == row.file_sha1:
                    found[path] = SourceFile(path, sha, True)
        for axiom in snapshot.axioms:
            path = axiom.source_path
            if axiom.subject == iri and path not in found and path in committed:
                found[path] = SourceFile(path, committed[path], False)
        return sorted(found.values())

    async def counts(self, oid: str) -> OntologyCounts:
        snapshot = await self._snapshot(oid)
        committed = await self.repository.committed_files(oid)
        return OntologyCounts(
            classes=len(snapshot.classes),
            declared_classes=sum(1 for r in snapshot.classes if r.file_sha1 is not None),
            edges=len(snapshot.edges),
            properties=len(snapshot.properties),
            axioms=len(snapshot.axioms),
            other_axioms=len(snapshot.other_axioms),
            files=len(committed),
        )

    async def ontology_ids(self) -> list[str]:
        raise NotImplementedError(
            "a Repository cannot list its ontology ids; open the reader on a SQLite "
            "database (OntologyReader.open(path)) to list them"
        )

    async def aclose(self) -> None:
        """The repository belongs to the caller: nothing to close."""


__all__ = ["SnapshotEngine", "ends", "walk"]
