"""A tiny line format for service tests that are about the pipeline, not about parsing.

``class IRI [label]``, ``sub CHILD PARENT``, ``link CLASS PAGE``, ``page KEY``,
``fail REASON`` (a ParseError on that line), ``skip REASON`` (SkipFile).
"""

from __future__ import annotations

import threading

from streaming_sync._errors import ParseError, SkipFile
from streaming_sync._model import (
    Axiom,
    AxiomType,
    HierarchyEdge,
    OntologyClass,
    OntologyData,
    PageLink,
    page_key,
)


class LineParser:
    """Parses the line format; counts its calls (thread-safe) so tests can assert on them."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def accepts(self, path: str) -> bool:
        return path.endswith(".txt")

    def parse(self, path: str, data: bytes) -> OntologyData:
        with self._lock:
            self.calls.append(path)
        classes, edges, axioms, links, keys = [], [], [], [], []
        for number, line in enumerate(data.decode().splitlines(), 1):
            word, _, rest = line.partition(" ")
            if word == "class":
                iri, _, label = rest.partition(" ")
                classes.append(OntologyClass(iri, label or None))
            elif word == "sub":
                child, parent = rest.split()
                edges.append(HierarchyEdge(child, parent))
                axioms.append(Axiom(AxiomType.SUBCLASS_OF, child, parent))
            elif word == "link":
                cls, target = rest.split(" ", 1)
                links.append(PageLink(cls, page_key(target)))
            elif word == "page":
                keys.append(page_key(rest))
            elif word == "fail":
                raise ParseError(path, rest, line=number)
            elif word == "skip":
                raise SkipFile(path, rest)
        return OntologyData(
            classes=tuple(classes),
            edges=tuple(edges),
            axioms=tuple(axioms),
            links=tuple(links),
            page_keys=tuple(keys),
        )
