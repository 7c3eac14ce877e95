"""The read API's values: what :class:`~streaming_sync.OntologyReader` returns, and the
``ReadEngine`` protocol a storage backend implements to answer it with its own queries.

Here, below the reader and the backends, so that a backend's engine
(``storage/sqlite/_read.py``) implements the protocol without importing the reader, and
the reader opens a backend's engine without the backend importing it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import attrs

from ._snapshot import AxiomRow, ClassRow, EdgeRow

Direction = Literal["up", "down"]
AxiomRole = Literal["subject", "object", "any"]


@attrs.frozen
class ClassInfo:
    """One row of ``owl_classes``. A *placeholder* (``declared`` False) is a class that a
    hierarchy edge names but no file declares: its label, comment and ``file_sha1`` are
    None. ``file_sha1`` is the blob SHA of the declaring file that sorts first by path."""

    iri: str
    label: str | None = None
    comment: str | None = None
    file_sha1: str | None = None

    @property
    def declared(self) -> bool:
        return self.file_sha1 is not None

    @classmethod
    def from_row(cls, row: ClassRow) -> ClassInfo:
        return cls(row.class_iri, row.label, row.comment, row.file_sha1)


@attrs.frozen(order=True)
class RelatedClass:
    """A class met walking the hierarchy from another: ``depth`` is the length of the
    shortest path to it (1 for a direct parent or child)."""

    depth: int
    iri: str
    label: str | None = None


@attrs.frozen(order=True)
class SourceFile:
    """A file a class came from: ``declares`` is True when the file declares the class,
    False when it only states axioms about it (as their subject). ``sha`` is the blob SHA
    the file was committed at."""

    path: str
    sha: str
    declares: bool


@attrs.frozen
class Hierarchy:
    """The part of the hierarchy reached from ``root`` going ``direction`` (``"up"``:
    its ancestors, ``"down"``: its descendants): the classes, typed and labelled as
    :meth:`~streaming_sync.OntologyReader.ancestors` and ``descendants`` give them
    (``classes`` is exactly their result for the same arguments), and the edges between
    them -- everything needed to draw it. ``root`` is the start itself, at depth 0."""

    root: RelatedClass
    direction: Direction
    classes: tuple[RelatedClass, ...] = ()
    edges: tuple[EdgeRow, ...] = ()

    def label(self, iri: str) -> str | None:
        """The label of ``root`` or of one of ``classes`` (None if it has none)."""
        for related in (self.root, *self.classes):
            if related.iri == iri:
                return related.label
        return None

    def levels(self) -> dict[int, list[RelatedClass]]:
        """The classes by depth, ``root`` at 0, each level by IRI (rows to lay out)."""
        found: dict[int, list[RelatedClass]] = {}
        for related in (self.root, *self.classes):
            found.setdefault(related.depth, []).append(related)
        return found


@attrs.frozen
class OntologyCounts:
    """Row counts of one ontology id. ``classes`` includes placeholders;
    ``declared_classes`` only the classes some file declares. ``files`` are the committed
    files (including those that contributed nothing, e.g. skipped pages)."""

    classes: int = 0
    declared_classes: int = 0
    edges: int = 0
    properties: int = 0
    axioms: int = 0
    other_axioms: int = 0
    files: int = 0

    @property
    def placeholder_classes(self) -> int:
        return self.classes - self.declared_classes


class ReadEngine(Protocol):
    """What :class:`OntologyReader` needs from a storage engine (one per backend).

    ``find_classes`` returns one page of the classes: all of them by IRI when ``needle``
    is None, else those :func:`search_rank` matches, by (rank, IRI). IRIs reach an
    engine already expanded (no CURIEs)."""

    async def find_classes(
        self, oid: str, needle: str | None, limit: int, offset: int
    ) -> list[ClassRow]: ...

    async def class_row(self, oid: str, iri: str) -> ClassRow | None: ...

    async def direct(self, oid: str, iri: str, direction: Direction) -> list[EdgeRow]: ...

    async def closure(self, oid: str, iri: str, direction: Direction) -> list[EdgeRow]: ...

    async def labels(self, oid: str, iris: Sequence[str]) -> dict[str, str | None]: ...

    async def axioms(self, oid: str, iri: str, role: AxiomRole) -> list[AxiomRow]: ...

    async def sources(self, oid: str, iri: str) -> list[SourceFile]: ...

    async def counts(self, oid: str) -> OntologyCounts: ...

    async def ontology_ids(self) -> list[str]: ...

    async def aclose(self) -> None: ...


def fold(text: str) -> str:
    """The case-insensitive form a search compares (Unicode case folding, so ``É``
    finds ``é``; the SQLite engine registers the same function)."""
    return text.casefold()


#: The ranks of :func:`search_rank`, best first.
EXACT, PREFIX, SUBSTRING, NO_LABEL = 0, 1, 2, 3


def search_rank(row: ClassRow, needle: str) -> int | None:
    """How well ``row`` matches a search for ``needle`` (already :func:`fold`-ed), or
    None when it does not: :data:`EXACT` (the label or the IRI is the needle),
    :data:`PREFIX` (the label starts with it), :data:`SUBSTRING` (the label or the IRI
    contains it), and last :data:`NO_LABEL` (a class without a label -- placeholders --
    that matches by its IRI). Results sort by (rank, IRI); the SQLite engine computes the
    same rank in SQL (``storage/sqlite/_read.py``)."""
    iri, label = fold(row.class_iri), None if row.label is None else fold(row.label)
    if needle not in iri and (label is None or needle not in label):
        return None
    if label is None:
        return NO_LABEL
    if needle in (label, iri):
        return EXACT
    return PREFIX if label.startswith(needle) else SUBSTRING


__all__ = [
    "EXACT",
    "NO_LABEL",
    "PREFIX",
    "SUBSTRING",
    "AxiomRole",
    "ClassInfo",
    "Direction",
    "Hierarchy",
    "OntologyCounts",
    "ReadEngine",
    "RelatedClass",
    "SourceFile",
    "fold",
    "search_rank",
]
