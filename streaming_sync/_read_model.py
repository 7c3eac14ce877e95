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
    """What :class:`OntologyReader` needs from a storage engine (one per backend)."""

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


__all__ = [
    "AxiomRole",
    "ClassInfo",
    "Direction",
    "OntologyCounts",
    "ReadEngine",
    "RelatedClass",
    "SourceFile",
    "fold",
]
