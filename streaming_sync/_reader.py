"""The read API: query a synced ontology -- classes, hierarchy, axioms, sources, counts.

:class:`OntologyReader` answers the same questions over any ``Repository``. Two engines
sit behind it:

* the **generic** one (``_read_snapshot.SnapshotEngine``) reads
  ``await repository.snapshot(ontology_id)`` on every call and answers in Python, so it
  works on any backend that passes the repository contract (including your own);
* the **SQLite** one (``streaming_sync.storage.sqlite._read``) queries the public tables
  with recursive CTEs on its own read-only connection; ``OntologyReader.open`` picks it
  for a database path or a file-backed ``SqliteRepository``.

Both return the same typed values (``_read_model``, which also declares the
``ReadEngine`` protocol). Where they can differ is documented on the method
(:meth:`OntologyReader.sources`). Hierarchy walks are cycle-safe: a class is visited
once, at its shortest distance. Every method that takes an IRI takes a CURIE too
(``BFO:0000040``, ``mv:Avatar``; see ``_curie.PrefixMap``). For scripts that do not run
an event loop, ``BlockingOntologyReader`` (``_reader_blocking``) has the same methods.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Self

import attrs

from ._aio import AsyncClosing
from ._config import DEFAULT_ONTOLOGY_ID
from ._curie import PrefixMap
from ._protocols import Repository
from ._read_model import (
    AxiomRole,
    ClassInfo,
    Direction,
    Hierarchy,
    OntologyCounts,
    ReadEngine,
    RelatedClass,
    SourceFile,
    fold,
)
from ._read_snapshot import SnapshotEngine, ends, walk
from ._reader_changes import ChangeReading
from ._snapshot import AxiomRow, EdgeRow
from .parsers.logseq import DEFAULT_PREFIXES

#: Default page size of :meth:`OntologyReader.classes`.
DEFAULT_LIMIT = 100

#: The prefixes a reader knows unless told more: those the sync's parsers know.
READER_PREFIXES = PrefixMap(DEFAULT_PREFIXES)


def axiom_sort_key(row: AxiomRow) -> tuple[str, ...]:
    """Axioms come back in one order whatever the engine: by their values as text."""
    return tuple("" if v is None else str(v) for v in attrs.astuple(row))


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


def _check_walk(direction: str, max_depth: int | None) -> None:
    if direction not in ("up", "down"):
        raise ValueError(f"direction={direction!r}: use 'up' (ancestors) or 'down'")
    if max_depth is not None and max_depth < 0:
        raise ValueError(f"max_depth={max_depth}: use 0 or more, or None for no limit")


class OntologyReader(ChangeReading, AsyncClosing):
    """Query one ontology id of a repository.

    ``OntologyReader(repository)`` uses the generic engine (any ``Repository``);
    ``await OntologyReader.open(path_or_repository)`` picks the SQLite engine for a
    database path or a file-backed ``SqliteRepository`` and the generic one otherwise.
    An IRI that is not in the ontology gives None (:meth:`get_class`) or empty results.
    Wherever an IRI is asked for, a CURIE does too: the prefixes the sync's parsers
    know, the OBO convention (``BFO:0000040``) and ``prefixes`` (name -> namespace)
    given here; :meth:`curie` shows an IRI the short way. Use it as an async context
    manager, or call :meth:`aclose` (which closes only what the reader opened itself,
    never the repository it was given).
    """

    def __init__(
        self,
        repository: Repository,
        ontology_id: str = DEFAULT_ONTOLOGY_ID,
        *,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        self._engine: ReadEngine = SnapshotEngine(repository)
        self.ontology_id = ontology_id
        self.prefixes = READER_PREFIXES.with_prefixes(prefixes)

    @classmethod
    def from_engine(
        cls,
        engine: ReadEngine,
        ontology_id: str = DEFAULT_ONTOLOGY_ID,
        *,
        prefixes: Mapping[str, str] | None = None,
    ) -> Self:
        """A reader on any :class:`ReadEngine` (the reader owns and closes it)."""
        reader = cls.__new__(cls)
        reader._engine = engine
        reader.ontology_id = ontology_id
        reader.prefixes = READER_PREFIXES.with_prefixes(prefixes)
        return reader

    @classmethod
    async def open(
        cls,
        source: Repository | str | os.PathLike[str],
        *,
        ontology_id: str = DEFAULT_ONTOLOGY_ID,
        prefixes: Mapping[str, str] | None = None,
    ) -> Self:
        """A reader on a SQLite database file (a path), or on a repository: the SQLite
        engine for a ``SqliteRepository`` on a file, the generic one otherwise (an
        in-memory SQLite database cannot be shared with a second connection).

        The file is opened read-only (``mode=ro``, or ``immutable`` where not even the
        side files can be made), so a read-only file, folder or file system is read as
        it is. A path that is not a file raises ``ConfigError``; a file that is not a
        streaming_sync database (or of another schema version) raises ``SchemaError``."""
        # Imported here, on use: the reader sits above the backends and needs SQLite only
        # when asked to open a database (the import is downward, no circle).
        from .storage.sqlite import SqliteReadEngine, database_file

        path: str | os.PathLike[str] | None
        if isinstance(source, str | os.PathLike):
            path = source
        else:
            path = database_file(source)
            if path is None:
                return cls(source, ontology_id, prefixes=prefixes)
        engine = await SqliteReadEngine.open(path)
        return cls.from_engine(engine, ontology_id, prefixes=prefixes)

    @property
    def engine(self) -> ReadEngine:
        return self._engine

    def __repr__(self) -> str:
        return f"<OntologyReader {self.ontology_id!r} via {type(self._engine).__name__}>"

    async def aclose(self) -> None:
        """Close what the reader opened (idempotent)."""
        await self._engine.aclose()

    # -- names ---------------------------------------------------------------------------

    def iri(self, name: str) -> str:
        """The IRI ``name`` stands for: a CURIE expanded, anything else as it is."""
        return self.prefixes.expand(name)

    def curie(self, iri: str) -> str:
        """``iri`` the short way (``BFO:0000040``), or as it is when no prefix fits;
        :meth:`iri` of the result is ``iri`` again."""
        return self.prefixes.compress(iri)

    # -- classes -------------------------------------------------------------------------

    async def classes(
        self, search: str | None = None, *, limit: int = DEFAULT_LIMIT, offset: int = 0
    ) -> list[ClassInfo]:
        """Classes, placeholders included, by IRI (byte order); ``limit``/``offset`` page
        through. ``search`` keeps those whose IRI or label contains it, ignoring case,
        best first: the label (or the IRI) is exactly ``search``, then the label starts
        with it, then it is inside the label or the IRI, and last the classes without a
        label (placeholders); by IRI within each rank."""
        _check_page(limit, offset)
        needle = None if search is None else fold(search)
        rows = await self._engine.find_classes(self.ontology_id, needle, limit, offset)
        return [ClassInfo.from_row(r) for r in rows]

    async def get_class(self, iri: str) -> ClassInfo | None:
        """The class ``iri`` (an IRI or a CURIE), or None when the ontology has no such row."""
        row = await self._engine.class_row(self.ontology_id, self.iri(iri))
        return None if row is None else ClassInfo.from_row(row)

    async def properties(self, iri: str) -> dict[str, list[str]]:
        """The block properties of ``iri`` (key -> values in file order; ``{}`` when it
        has none), from the declaring file that sorts first by path."""
        row = await self._engine.class_row(self.ontology_id, self.iri(iri))
        return {} if row is None else parse_properties(row.properties)

    # -- hierarchy -----------------------------------------------------------------------

    async def parents(self, iri: str) -> list[RelatedClass]:
        """The direct superclasses of ``iri`` (a self-loop lists ``iri`` itself)."""
        return await self._related(self.iri(iri), "up")

    async def children(self, iri: str) -> list[RelatedClass]:
        """The direct subclasses of ``iri``."""
        return await self._related(self.iri(iri), "down")

    async def ancestors(self, iri: str, *, max_depth: int | None = None) -> list[RelatedClass]:
        """Every class above ``iri`` (at most ``max_depth`` steps up), each once at its
        shortest distance, by (depth, IRI). ``iri`` itself is never listed."""
        return list((await self.hierarchy(iri, direction="up", max_depth=max_depth)).classes)

    async def descendants(self, iri: str, *, max_depth: int | None = None) -> list[RelatedClass]:
        """Every class below ``iri``; as :meth:`ancestors`, downwards."""
        return list((await self.hierarchy(iri, direction="down", max_depth=max_depth)).classes)

    async def hierarchy(
        self, iri: str, *, direction: Direction = "up", max_depth: int | None = None
    ) -> Hierarchy:
        """The part of the hierarchy reached from ``iri`` going ``direction`` (``"up"``:
        towards its ancestors, ``"down"``: its descendants), at most ``max_depth`` steps:
        its ``classes`` are what :meth:`ancestors` (or :meth:`descendants`) return, its
        ``edges`` (sorted) the subclass edges between them: the subgraph to draw."""
        _check_walk(direction, max_depth)
        start = self.iri(iri)
        edges = await self._engine.closure(self.ontology_id, start, direction)
        met, depths = walk(edges, start, direction, max_depth)
        labels = await self._engine.labels(self.ontology_id, sorted({start, *depths}))
        classes = sorted(RelatedClass(d, c, labels.get(c)) for c, d in depths.items())
        return Hierarchy(
            root=RelatedClass(0, start, labels.get(start)),
            direction=direction,
            classes=tuple(classes),
            edges=tuple(sorted(set(met))),
        )

    async def _related(self, iri: str, direction: Direction) -> list[RelatedClass]:
        edges: list[EdgeRow] = await self._engine.direct(self.ontology_id, iri, direction)
        far = sorted({ends(e, direction)[1] for e in edges})
        labels = await self._engine.labels(self.ontology_id, far)
        return [RelatedClass(1, c, labels.get(c)) for c in far]

    # -- axioms, sources, counts ---------------------------------------------------------

    async def axioms(self, iri: str, *, role: AxiomRole = "subject") -> list[AxiomRow]:
        """The ``owl_axioms`` rows whose ``subject`` (or ``object``, or either: ``role``)
        is exactly ``iri``; each row names the file it came from (``source_path``)."""
        _check_role(role)
        rows = await self._engine.axioms(self.ontology_id, self.iri(iri), role)
        return sorted(rows, key=axiom_sort_key)

    async def sources(self, iri: str) -> list[SourceFile]:
        """The files ``iri`` came from, by path: those that declare it, and those that only
        state axioms about it (``declares`` False).

        The SQLite engine reads the per-file provenance tables, so every declaring file is
        listed. The generic engine sees only the public rows: it lists the files committed
        at the content of the first declaring file (``file_sha1``) and the files with
        axioms about ``iri``; a further file that declares the class without axioms
        about it is missed."""
        return await self._engine.sources(self.ontology_id, self.iri(iri))

    async def counts(self) -> OntologyCounts:
        """How many rows each public table holds for this ontology id, and how many files."""
        return await self._engine.counts(self.ontology_id)

    async def ontology_ids(self) -> list[str]:
        """Every ontology id in the database, sorted (SQLite engine only: a ``Repository``
        cannot list them, so the generic engine raises ``NotImplementedError``)."""
        return await self._engine.ontology_ids()


__all__ = [
    "DEFAULT_LIMIT",
    "READER_PREFIXES",
    "OntologyReader",
    "SnapshotEngine",
    "parse_properties",
    "walk",
]
