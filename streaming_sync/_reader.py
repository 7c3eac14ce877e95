"""The read API: query a synced ontology -- classes, hierarchy, axioms, sources, counts.

:class:`OntologyReader` answers the same questions over any ``Repository``. Two engines
sit behind it:

* the **generic** one reads ``await repository.snapshot(ontology_id)`` on every call and
  answers in Python, so it works on any backend that passes the repository contract
  (including your own); it costs one snapshot per call;
* the **SQLite** one (``streaming_sync.storage.sqlite._read``) queries the public tables
  with recursive CTEs on its own read-only connection; ``OntologyReader.open`` picks it
  for a database path or a file-backed ``SqliteRepository``.

Both return the same typed values (``_read_model``, which also declares the
``ReadEngine`` protocol). Where they can differ is documented on the method
(:meth:`OntologyReader.sources`). Hierarchy walks are cycle-safe: a class is visited
once, at its shortest distance.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Self

import attrs

from ._aio import AsyncClosing
from ._config import DEFAULT_ONTOLOGY_ID
from ._protocols import Repository
from ._read_model import (
    AxiomRole,
    ClassInfo,
    Direction,
    OntologyCounts,
    ReadEngine,
    RelatedClass,
    SourceFile,
    fold,
)
from ._reader_changes import ChangeReading
from ._snapshot import AxiomRow, ClassRow, EdgeRow, OntologySnapshot

#: Default page size of :meth:`OntologyReader.classes`.
DEFAULT_LIMIT = 100


def axiom_sort_key(row: AxiomRow) -> tuple[str, ...]:
    """Axioms come back in one order whatever the engine: by their values as text."""
    return tuple("" if v is None else str(v) for v in attrs.astuple(row))


def _ends(edge: EdgeRow, direction: Direction) -> tuple[str, str]:
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
        step.setdefault(_ends(edge, direction)[0], []).append(edge)
    depths, found = {start: 0}, []
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if max_depth is not None and depths[node] >= max_depth:
            continue
        for edge in step.get(node, ()):
            found.append(edge)
            far = _ends(edge, direction)[1]
            if far not in depths:
                depths[far] = depths[node] + 1
                queue.append(far)
    del depths[start]
    return found, depths


class SnapshotEngine:
    """The generic engine: answers from ``repository.snapshot()`` (one per call)."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository

    async def _snapshot(self, oid: str) -> OntologySnapshot:
        return await self.repository.snapshot(oid)

    async def find_classes(
        self, oid: str, needle: str | None, limit: int, offset: int
    ) -> list[ClassRow]:
        rows = sorted((await self._snapshot(oid)).classes, key=lambda r: r.class_iri)
        if needle is not None:
            rows = [r for r in rows if needle in fold(r.class_iri) or needle in fold(r.label or "")]
        return rows[offset : offset + limit]

    async def class_row(self, oid: str, iri: str) -> ClassRow | None:
        rows = [r for r in (await self._snapshot(oid)).classes if r.class_iri == iri]
        return rows[0] if rows else None

    async def direct(self, oid: str, iri: str, direction: Direction) -> list[EdgeRow]:
        edges = (await self._snapshot(oid)).edges
        return [e for e in edges if _ends(e, direction)[0] == iri]

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


def _plays(row: AxiomRow, iri: str, role: AxiomRole) -> bool:
    if role == "subject":
        return row.subject == iri
    if role == "object":
        return row.object == iri
    return iri in (row.subject, row.object)


def parse_properties(raw: str | None) -> dict[str, list[str]]:
    """Block properties as stored (a JSON object of value lists) -> a dict."""
    if not raw:
        return {}
    loaded: Mapping[str, list[str]] = json.loads(raw)
    return {str(key): [str(v) for v in values] for key, values in loaded.items()}


def _check_page(limit: int, offset: int) -> None:
    if limit < 0 or offset < 0:
        raise ValueError(f"limit={limit}, offset={offset}: both must be 0 or more")


def _check_role(role: str) -> None:
    if role not in ("subject", "object", "any"):
        raise ValueError(f"role={role!r}: use 'subject', 'object' or 'any'")


def _check_direction(direction: str) -> None:
    if direction not in ("up", "down"):
        raise ValueError(f"direction={direction!r}: use 'up' (ancestors) or 'down'")


class OntologyReader(ChangeReading, AsyncClosing):
    """Query one ontology id of a repository.

    ``OntologyReader(repository)`` uses the generic engine (any ``Repository``);
    ``await OntologyReader.open(path_or_repository)`` picks the SQLite engine for a
    database path or a file-backed ``SqliteRepository`` and the generic one otherwise.
    An IRI that is not in the ontology gives None (:meth:`get_class`) or empty results.
    Use it as an async context manager, or call :meth:`aclose` (which closes only what
    the reader opened itself, never the repository it was given).
    """

    def __init__(self, repository: Repository, ontology_id: str = DEFAULT_ONTOLOGY_ID) -> None:
        self._engine: ReadEngine = SnapshotEngine(repository)
        self.ontology_id = ontology_id

    @classmethod
    def from_engine(cls, engine: ReadEngine, ontology_id: str = DEFAULT_ONTOLOGY_ID) -> Self:
        """A reader on any :class:`ReadEngine` (the reader owns and closes it)."""
        reader = cls.__new__(cls)
        reader._engine = engine
        reader.ontology_id = ontology_id
        return reader

    @classmethod
    async def open(
        cls,
        source: Repository | str | os.PathLike[str],
        *,
        ontology_id: str = DEFAULT_ONTOLOGY_ID,
    ) -> Self:
        """A reader on a SQLite database file (a path), or on a repository: the SQLite
        engine for a ``SqliteRepository`` on a file, the generic one otherwise (an
        in-memory SQLite database cannot be shared with a second connection).

        A path that is not a file raises ``ConfigError``; a file that is not a
        streaming_sync database (or of another schema version) raises ``SchemaError``."""
        # Imported here, on use: the reader sits above the backends and needs SQLite only
        # when asked to open a database (the import is downward, no circle).
        from .storage.sqlite import SqliteReadEngine, database_file

        if isinstance(source, str | os.PathLike):
            return cls.from_engine(await SqliteReadEngine.open(source), ontology_id)
        path = database_file(source)
        if path is not None:
            return cls.from_engine(await SqliteReadEngine.open(path), ontology_id)
        return cls(source, ontology_id)

    @property
    def engine(self) -> ReadEngine:
        return self._engine

    def __repr__(self) -> str:
        return f"<OntologyReader {self.ontology_id!r} via {type(self._engine).__name__}>"

    async def aclose(self) -> None:
        """Close what the reader opened (idempotent)."""
        await self._engine.aclose()

    # -- classes -------------------------------------------------------------------------

    async def classes(
        self, search: str | None = None, *, limit: int = DEFAULT_LIMIT, offset: int = 0
    ) -> list[ClassInfo]:
        """Classes by IRI (byte order), placeholders included. ``search`` keeps those whose
        IRI or label contains it, ignoring case; ``limit``/``offset`` page through."""
        _check_page(limit, offset)
        needle = None if search is None else fold(search)
        rows = await self._engine.find_classes(self.ontology_id, needle, limit, offset)
        return [ClassInfo.from_row(r) for r in rows]

    async def get_class(self, iri: str) -> ClassInfo | None:
        """The class ``iri``, or None when the ontology has no such row."""
        row = await self._engine.class_row(self.ontology_id, iri)
        return None if row is None else ClassInfo.from_row(row)

    async def properties(self, iri: str) -> dict[str, list[str]]:
        """The block properties of ``iri`` (key -> values in file order; ``{}`` when it
        has none), from the declaring file that sorts first by path."""
        row = await self._engine.class_row(self.ontology_id, iri)
        return {} if row is None else parse_properties(row.properties)

    # -- hierarchy -----------------------------------------------------------------------

    async def parents(self, iri: str) -> list[RelatedClass]:
        """The direct superclasses of ``iri`` (a self-loop lists ``iri`` itself)."""
        return await self._related(await self._engine.direct(self.ontology_id, iri, "up"), "up")

    async def children(self, iri: str) -> list[RelatedClass]:
        """The direct subclasses of ``iri``."""
        edges = await self._engine.direct(self.ontology_id, iri, "down")
        return await self._related(edges, "down")

    async def ancestors(self, iri: str, *, max_depth: int | None = None) -> list[RelatedClass]:
        """Every class above ``iri`` (at most ``max_depth`` steps up), each once at its
        shortest distance, by (depth, IRI). ``iri`` itself is never listed."""
        return await self._transitive(iri, "up", max_depth)

    async def descendants(self, iri: str, *, max_depth: int | None = None) -> list[RelatedClass]:
        """Every class below ``iri``; as :meth:`ancestors`, downwards."""
        return await self._transitive(iri, "down", max_depth)

    async def hierarchy(
        self, iri: str, *, direction: Direction = "up", max_depth: int | None = None
    ) -> list[EdgeRow]:
        """The edges on the paths from ``iri`` going ``direction`` (``"up"``: towards its
        ancestors, ``"down"``: its descendants), sorted: the subgraph to draw."""
        _check_direction(direction)
        edges = await self._engine.closure(self.ontology_id, iri, direction)
        return sorted(set(walk(edges, iri, direction, max_depth)[0]))

    async def _transitive(
        self, iri: str, direction: Direction, max_depth: int | None
    ) -> list[RelatedClass]:
        edges = await self._engine.closure(self.ontology_id, iri, direction)
        depths = walk(edges, iri, direction, max_depth)[1]
        labels = await self._engine.labels(self.ontology_id, sorted(depths))
        return sorted(RelatedClass(d, c, labels.get(c)) for c, d in depths.items())

    async def _related(self, edges: list[EdgeRow], direction: Direction) -> list[RelatedClass]:
        far = sorted({_ends(e, direction)[1] for e in edges})
        labels = await self._engine.labels(self.ontology_id, far)
        return [RelatedClass(1, c, labels.get(c)) for c in far]

    # -- axioms, sources, counts ---------------------------------------------------------

    async def axioms(self, iri: str, *, role: AxiomRole = "subject") -> list[AxiomRow]:
        """The ``owl_axioms`` rows whose ``subject`` (or ``object``, or either: ``role``)
        is exactly ``iri``; each row names the file it came from (``source_path``)."""
        _check_role(role)
        rows = await self._engine.axioms(self.ontology_id, iri, role)
        return sorted(rows, key=axiom_sort_key)

    async def sources(self, iri: str) -> list[SourceFile]:
        """The files ``iri`` came from, by path: those that declare it, and those that only
        state axioms about it (``declares`` False).

        The SQLite engine reads the per-file provenance tables, so every declaring file is
        listed. The generic engine sees only the public rows: it lists the files committed
        at the content of the first declaring file (``file_sha1``) and the files with
        axioms about ``iri``; a further file that declares the class without axioms
        about it is missed."""
        return await self._engine.sources(self.ontology_id, iri)

    async def counts(self) -> OntologyCounts:
        """How many rows each public table holds for this ontology id, and how many files."""
        return await self._engine.counts(self.ontology_id)

    async def ontology_ids(self) -> list[str]:
        """Every ontology id in the database, sorted (SQLite engine only: a ``Repository``
        cannot list them, so the generic engine raises ``NotImplementedError``)."""
        return await self._engine.ontology_ids()


__all__ = ["OntologyReader", "SnapshotEngine", "parse_properties", "walk"]
