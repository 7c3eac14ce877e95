"""Annotations in RDF: reified axioms, annotations of annotations, annotation triples.

The W3C mapping writes an annotated axiom as its main triple ``s p o`` plus a blank node
``_:x rdf:type owl:Axiom ; owl:annotatedSource s ; owl:annotatedProperty p ;
owl:annotatedTarget o`` carrying the annotations as its own triples; an annotated
annotation likewise with ``owl:Annotation``; an axiom that is a blank node
(``owl:AllDisjointClasses``...) and the ontology header carry theirs directly.
:class:`Annotations` finds them (section 3.2.2 of the mapping, read backwards).

The source and target of a reification are compared by structure, not node identity:
some writers (the OWL API among them) give the reification its own copy of a blank-node
expression or list. Every triple read here is marked used in the :class:`Graph`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._owl import ANNOTATION, IRI, Anonymous, Expr, Literal, Term
from ._rdfdecl import BUILTIN_ANNOTATION_PROPERTIES
from ._rdfexpr import OWL, RDF, RDF_FIRST, RDF_TYPE, RDFS, XSD, ExprBuilder, Graph, Node, first

SOURCE, PROPERTY, TARGET = (
    OWL + "annotatedSource",
    OWL + "annotatedProperty",
    OWL + "annotatedTarget",
)
REIFICATION_TYPES = frozenset({IRI(OWL + "Axiom"), IRI(OWL + "Annotation")})
_REIFICATION_PARTS = frozenset({RDF_TYPE, SOURCE, PROPERTY, TARGET})
_RESERVED = (RDF, RDFS, OWL, XSD)
_MAX_NESTING = 16
_AS_IS = (IRI, Literal)  # annotation values kept as they are (a tuple: no union per call)

Key = object


def is_annotation_property(predicate: str) -> bool:
    """Whether a triple with ``predicate`` may be an annotation: any IRI outside the
    RDF/RDFS/OWL/XSD vocabularies, and the built-in annotation properties."""
    return not predicate.startswith(_RESERVED) or predicate in BUILTIN_ANNOTATION_PROPERTIES


def is_reification(subject: Node, predicates: dict[str, dict[Node, None]]) -> bool:
    if not isinstance(subject, Anonymous):
        return False
    if SOURCE in predicates:
        return True
    types = predicates.get(RDF_TYPE)
    return types is not None and not REIFICATION_TYPES.isdisjoint(types)


class Annotations:
    """The annotations of one file's axioms (see the module docstring)."""

    def __init__(self, graph: Graph, expr: ExprBuilder) -> None:
        self._graph = graph
        self._expr = expr
        self._by_property: dict[str, list[Anonymous]] = {}
        for subject, predicates in graph.index.items():
            if is_reification(subject, predicates):
                prop = first(predicates.get(PROPERTY))
                if isinstance(prop, IRI) and isinstance(subject, Anonymous):
                    self._by_property.setdefault(prop.value, []).append(subject)
        self._keyed: dict[str, dict[tuple[Key, Key], list[Anonymous]]] = {}
        #: the predicates some reification names (only their triples need looking up)
        self.annotated = frozenset(self._by_property)

    def of_triple(
        self, subject: Node, predicate: str, obj: Node, depth: int = 0
    ) -> list[tuple[Expr, ...]]:
        """The annotation sets of the reifications of ``subject predicate obj`` (one per
        reifying node; none when the triple is not annotated)."""
        nodes = self._by_property.get(predicate)
        if not nodes or depth > _MAX_NESTING:
            return []
        keyed = self._keyed.get(predicate)
        if keyed is None:
            keyed = self._keyed[predicate] = {}
            for node in nodes:
                source = first(self._graph.objects(node, SOURCE))
                target = first(self._graph.objects(node, TARGET))
                if source is not None and target is not None:
                    keyed.setdefault((self.key(source), self.key(target)), []).append(node)
        found = keyed.get((self.key(subject), self.key(obj)), [])
        return [self._consume(node, subject, obj, depth) for node in found]

    def of_node(self, node: Node, structural: Iterable[str], depth: int = 0) -> tuple[Expr, ...]:
        """The annotations carried by ``node`` itself: its triples other than the
        ``structural`` ones whose predicate may be an annotation property."""
        skip = set(structural)
        out: list[Expr] = []
        predicates = self._graph.index.get(node, {}) if not isinstance(node, Literal) else {}
        for predicate, values in predicates.items():
            if predicate in skip or not is_annotation_property(predicate):
                continue
            for value in values:
                term = self.value(value)
                if term is None:
                    continue
                nested = [a for s in self.of_triple(node, predicate, value, depth + 1) for a in s]
                self._graph.use(node, predicate, value)  # type: ignore[arg-type]
                out.append(Expr(ANNOTATION, (*nested, IRI(predicate), term)))
        return tuple(out)

    def value(self, node: Node) -> Term | None:
        """An annotation value: an IRI, a literal or an anonymous individual (None: a
        blank node that encodes a structure, which no annotation can hold)."""
        if isinstance(node, _AS_IS):
            return node
        predicates = self._graph.index.get(node, {})
        if RDF_FIRST in predicates or self._expr.encodes_expression(node):
            return None
        return node

    def key(self, node: Node) -> Key:
        """What a reification's source or target must equal: an IRI or literal itself, a
        blank expression or list by its structure, any other blank node by identity."""
        if not isinstance(node, Anonymous):
            return node
        expr = self._expr
        previous, expr.mark = expr.mark, False
        try:
            if RDF_FIRST in self._graph.index.get(node, {}):
                return ("list", tuple(self.key(m) for m in expr.members(node)))
            if expr.encodes_expression(node):
                return expr.build(node)
            return node
        finally:
            expr.mark = previous

    def _consume(self, node: Anonymous, subject: Node, obj: Node, depth: int) -> tuple[Expr, ...]:
        graph = self._graph
        for part in (RDF_TYPE, SOURCE, PROPERTY, TARGET):
            for value in graph.objects(node, part):
                if part != RDF_TYPE or value in REIFICATION_TYPES:
                    graph.use(node, part, value)
        for part, main in ((SOURCE, subject), (TARGET, obj)):
            copy = first(graph.objects(node, part))
            if isinstance(copy, Anonymous) and copy != main:  # a copy: its triples are read too
                if RDF_FIRST in graph.index.get(copy, {}):
                    for member in self._expr.members(copy):
                        self._expr.build(member)
                else:
                    self._expr.build(copy)
        return self.of_node(node, _REIFICATION_PARTS, depth)


__all__ = ["REIFICATION_TYPES", "Annotations", "is_annotation_property", "is_reification"]
