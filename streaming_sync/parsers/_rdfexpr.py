"""Expressions from their RDF encoding: the reverse of the W3C "OWL 2 Mapping to RDF
Graphs" for class expressions, data ranges, property expressions and lists.

Pure Python over the subject index :mod:`._rdfmap` builds (a :class:`Graph`, which also
records every triple a reading *uses*: what is never used is kept as a ``Triple`` by the
mapping, never dropped). The result is an :class:`streaming_sync._owl.Expr` in OWL 2
Functional Syntax, the same term the Functional Syntax reader produces:

* restrictions: ``ObjectSomeValuesFrom(<p> <C>)``, ``DataAllValuesFrom(<p> <dt>)``,
  ``ObjectHasValue(<p> <i>)``, ``DataHasValue(<p> "v")``, ``ObjectHasSelf(<p>)``;
  cardinalities with the number bare (``_owl.Integer``) and the filler only when the
  restriction is qualified: ``ObjectExactCardinality(1 <p> <C>)``,
  ``ObjectMinCardinality(2 <p>)``; n-ary data restrictions (``owl:onProperties``);
* ``Object``/``Data`` + ``IntersectionOf``/``UnionOf``/``ComplementOf``/``OneOf``,
  ``DatatypeRestriction(<dt> <facet> "v"^^<dt> ...)``, ``ObjectInverseOf(<p>)``;
  list members in list order.

The ``Data`` variant is chosen when the property is a data property of the file or the
filler is a datatype (an ``xsd:`` IRI, ``rdfs:Literal``, a declared ``rdfs:Datatype``, a
data range). A blank node in an expression position that encodes none of these (a
broken or cyclic structure) is :data:`._canonical.UNRESOLVED` (``_:anon``). Depth is
bounded: deeper nesting than :data:`MAX_DEPTH` raises :class:`NestingTooDeep`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Set

from .._owl import IRI, Anonymous, Expr, Integer, Literal, Term
from ._canonical import UNRESOLVED

OWL = "http://www.w3.org/2002/07/owl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = RDF + "type"
RDF_FIRST = RDF + "first"
RDF_REST = RDF + "rest"
RDF_NIL = RDF + "nil"
RDFS_DATATYPE = RDFS + "Datatype"
MAX_DEPTH = 64
#: Datatypes outside the xsd namespace.
BUILTIN_DATATYPES = frozenset(
    {
        RDFS + "Literal",
        RDF + "PlainLiteral",
        RDF + "langString",
        RDF + "XMLLiteral",
        RDF + "HTML",
        RDF + "JSON",
        OWL + "real",
        OWL + "rational",
    }
)
_CARDINALITIES = (
    (OWL + "cardinality", "ExactCardinality"),
    (OWL + "qualifiedCardinality", "ExactCardinality"),
    (OWL + "minCardinality", "MinCardinality"),
    (OWL + "minQualifiedCardinality", "MinCardinality"),
    (OWL + "maxCardinality", "MaxCardinality"),
    (OWL + "maxQualifiedCardinality", "MaxCardinality"),
)
_RESTRICTION_PARTS = (
    OWL + "onProperty",
    OWL + "onProperties",
    OWL + "someValuesFrom",
    OWL + "allValuesFrom",
    OWL + "hasValue",
    OWL + "hasSelf",
    OWL + "onClass",
    OWL + "onDataRange",
    *(key for key, _ in _CARDINALITIES),
)
#: rdf:type values that are part of an expression's encoding.
_EXPRESSION_TYPES = frozenset(
    IRI(t) for t in (OWL + "Restriction", OWL + "Class", RDFS_DATATYPE, OWL + "ObjectProperty")
)
_DIGITS = re.compile(r"[0-9]{1,18}")

Subject = IRI | Anonymous
#: ``Subject`` for isinstance (a tuple: ``IRI | Anonymous`` builds a union at every call)
SUBJECTS = (IRI, Anonymous)
Node = IRI | Anonymous | Literal
#: subject -> predicate IRI -> objects (a dict used as an ordered set).
Index = dict[Subject, dict[str, dict[Node, None]]]
Triple = tuple[Subject, str, Node]


class NestingTooDeep(Exception):  # noqa: N818 -- internal signal, turned into ParseError
    """A class expression nests deeper than MAX_DEPTH."""


def first(values: Mapping[Node, None] | None) -> Node | None:
    """One value of a functional predicate, the same whichever order a library gave."""
    if not values:
        return None
    if len(values) == 1:
        return next(iter(values))
    return min(values, key=_node_key)


def _node_key(node: Node) -> tuple[int, str]:
    if isinstance(node, IRI):
        return (0, node.value)
    if isinstance(node, Literal):
        return (1, node.lexical)
    return (2, "")


class Graph:
    """The triples of one file by subject, and the set of triples a reading used.

    ``used`` only ever holds triples of the graph (``use`` checks; everything else
    marks triples it read from the index), so ``len(used) == size`` means all are used.
    """

    def __init__(self, index: Index) -> None:
        self.index = index
        self.used: set[Triple] = set()
        self.size = sum(len(objects) for ps in index.values() for objects in ps.values())

    def objects(self, subject: Node | None, predicate: str) -> dict[Node, None]:
        if not isinstance(subject, SUBJECTS):
            return {}
        return self.index.get(subject, {}).get(predicate, {})

    def value(self, subject: Node, predicate: str, mark: bool = True) -> Node | None:
        """The one value of ``predicate`` (marked used); None when there is none."""
        objects = self.objects(subject, predicate)
        value = first(objects)
        if value is not None and mark:
            self.used.add((subject, predicate, value))  # type: ignore[arg-type]
        return value

    def use(self, subject: Subject, predicate: str, obj: Node) -> None:
        if obj in self.objects(subject, predicate):
            self.used.add((subject, predicate, obj))

    def use_all(self, subject: Subject, predicate: str) -> None:
        for obj in self.objects(subject, predicate):
            self.used.add((subject, predicate, obj))

    def triples(self) -> list[Triple]:
        return [(s, p, o) for s, ps in self.index.items() for p, os in ps.items() for o in os]


class ExprBuilder:
    """Builds expressions from one file's graph; ``data_properties`` and ``datatypes``
    are the file's own declarations. With ``mark=False`` nothing is marked used (to
    compare structures, e.g. the copies an annotated axiom's reification may hold)."""

    def __init__(self, graph: Graph, data_properties: Set[str], datatypes: Set[str]) -> None:
        self._graph = graph
        self._index = graph.index
        self._data_properties = data_properties
        self._datatypes = datatypes
        self._active: set[Anonymous] = set()
        self.mark = True
        self.unresolved = 0  # blank nodes met in an expression position that encode none

    # -- marking ------------------------------------------------------------------------
    def _value(self, node: Subject, predicate: str) -> Node | None:
        return self._graph.value(node, predicate, self.mark)

    def _use_types(self, node: Anonymous) -> None:
        if self.mark:
            for kind in self._graph.objects(node, RDF_TYPE):
                if kind in _EXPRESSION_TYPES:
                    self._graph.use(node, RDF_TYPE, kind)

    # -- public -------------------------------------------------------------------------
    def build(self, node: Node, depth: int = 0) -> Term:
        """The term for ``node``: named entities and literals as they are, a blank node
        as the expression it encodes (``_:anon`` when it encodes none)."""
        if not isinstance(node, Anonymous):
            return node
        if depth > MAX_DEPTH:
            raise NestingTooDeep
        predicates = self._index.get(node)
        if predicates is None or node in self._active:
            return self._unresolved()
        self._active.add(node)
        try:
            for key, builder in _BUILDERS:
                if key in predicates:
                    self._use_types(node)
                    return builder(self, node, depth + 1)
            return self._unresolved()
        finally:
            self._active.discard(node)

    def build_from(self, node: IRI, predicate: str) -> Term:
        """The expression the ``predicate`` triples of named ``node`` encode (OWL 1's
        ``:C owl:unionOf (...)``, read as ``EquivalentClasses(:C ObjectUnionOf(...))``)."""
        return _BUILDER_OF[predicate](self, node, 1)

    def _unresolved(self) -> Term:
        self.unresolved += 1
        return UNRESOLVED

    def encodes_expression(self, node: Node) -> bool:
        """Whether blank ``node`` encodes an expression (rather than an individual)."""
        predicates = self._index.get(node) if isinstance(node, Anonymous) else None
        return bool(predicates) and any(key in predicates for key in _BUILDER_OF)  # type: ignore[operator]

    def is_datatype(self, node: Node | None) -> bool:
        """Whether ``node`` names or encodes a data range."""
        if isinstance(node, IRI):
            value = node.value
            return value.startswith(XSD) or value in BUILTIN_DATATYPES or value in self._datatypes
        if isinstance(node, Anonymous):
            predicates = self._index.get(node, {})
            if IRI(RDFS_DATATYPE) in predicates.get(RDF_TYPE, {}):
                return True
            if OWL + "onDatatype" in predicates or OWL + "datatypeComplementOf" in predicates:
                return True
            items = self.members(first(predicates.get(OWL + "oneOf")), mark=False)
            return bool(items) and all(isinstance(item, Literal) for item in items)
        return False

    def members(self, head: Node | None, mark: bool | None = None) -> list[Node]:
        """The items of the RDF list at ``head`` (cycles and broken tails end it)."""
        mark = self.mark if mark is None else mark
        items: list[Node] = []
        seen: set[Node] = set()
        graph = self._graph
        while isinstance(head, Anonymous) and head not in seen:
            seen.add(head)
            predicates = self._index.get(head)
            if predicates is None:
                break
            item = graph.value(head, RDF_FIRST, mark)
            if item is not None:
                items.append(item)
            if mark and IRI(RDF + "List") in predicates.get(RDF_TYPE, {}):
                graph.use(head, RDF_TYPE, IRI(RDF + "List"))
            head = graph.value(head, RDF_REST, mark)
        return items

    def property_expression(self, node: Node) -> Term:
        """An object property expression: a property IRI or ``ObjectInverseOf(p)``."""
        if isinstance(node, Anonymous) and OWL + "inverseOf" in self._index.get(node, {}):
            return self.build(node)
        return node

    # -- builders -----------------------------------------------------------------------
    def _restriction(self, node: Subject, depth: int) -> Term:
        on_property = self._value(node, OWL + "onProperty")
        if on_property is None:
            return self._nary_data_restriction(node, depth)
        prop = self.property_expression(on_property)
        data = isinstance(prop, IRI) and prop.value in self._data_properties
        for key, name in (
            (OWL + "someValuesFrom", "SomeValuesFrom"),
            (OWL + "allValuesFrom", "AllValuesFrom"),
        ):
            filler = self._value(node, key)
            if filler is not None:
                kind = "Data" if data or self.is_datatype(filler) else "Object"
                return Expr(kind + name, (prop, self.build(filler, depth)))
        value = self._value(node, OWL + "hasValue")
        if value is not None:
            kind = "Data" if isinstance(value, Literal) else "Object"
            return Expr(kind + "HasValue", (prop, self.build(value, depth)))
        if self._value(node, OWL + "hasSelf") is not None:
            return Expr("ObjectHasSelf", (prop,))
        return self._cardinality(node, prop, data, depth)

    def _nary_data_restriction(self, node: Subject, depth: int) -> Term:
        props: tuple[Term, ...] = tuple(self.members(self._value(node, OWL + "onProperties")))
        for key, name in (
            (OWL + "someValuesFrom", "DataSomeValuesFrom"),
            (OWL + "allValuesFrom", "DataAllValuesFrom"),
        ):
            filler = self._value(node, key)
            if filler is not None:
                return Expr(name, (*props, self.build(filler, depth)))
        return self._unresolved()

    def _cardinality(self, node: Subject, prop: Term, data: bool, depth: int) -> Term:
        for key, name in _CARDINALITIES:
            number = self._value(node, key)
            if number is None:
                continue
            on_class = self._value(node, OWL + "onClass")
            on_range = self._value(node, OWL + "onDataRange")
            filler = on_range if on_range is not None else on_class
            kind = "Data" if data or on_range is not None or self.is_datatype(filler) else "Object"
            args: tuple[Term, ...] = (_integer(number), prop)
            if filler is not None:
                args += (self.build(filler, depth),)
            return Expr(kind + name, args)
        return self._unresolved()

    def _intersection(self, node: Subject, depth: int) -> Term:
        return self._nary(node, depth, "IntersectionOf", OWL + "intersectionOf")

    def _union(self, node: Subject, depth: int) -> Term:
        return self._nary(node, depth, "UnionOf", OWL + "unionOf")

    def _nary(self, node: Subject, depth: int, name: str, key: str) -> Term:
        items = self.members(self._value(node, key))
        data = self._is_data_range(node) or (
            bool(items) and all(self.is_datatype(item) for item in items)
        )
        args = tuple(self.build(item, depth) for item in items)
        return Expr(("Data" if data else "Object") + name, args)

    def _is_data_range(self, node: Subject) -> bool:
        return IRI(RDFS_DATATYPE) in self._graph.objects(node, RDF_TYPE)

    def _complement(self, node: Subject, depth: int) -> Term:
        target = self._value(node, OWL + "datatypeComplementOf")
        if target is not None:
            return Expr("DataComplementOf", (self.build(target, depth),))
        target = self._value(node, OWL + "complementOf")
        kind = "Data" if self._is_data_range(node) or self.is_datatype(target) else "Object"
        inner = self.build(target, depth) if target is not None else self._unresolved()
        return Expr(kind + "ComplementOf", (inner,))

    def _one_of(self, node: Subject, depth: int) -> Term:
        items = self.members(self._value(node, OWL + "oneOf"))
        data = self._is_data_range(node) or (
            bool(items) and all(isinstance(item, Literal) for item in items)
        )
        args = tuple(self.build(item, depth) for item in items)
        return Expr(("Data" if data else "Object") + "OneOf", args)

    def _datatype_restriction(self, node: Subject, depth: int) -> Term:
        datatype = self._value(node, OWL + "onDatatype")
        args: list[Term] = [
            self.build(datatype, depth) if datatype is not None else self._unresolved()
        ]
        for facet_node in self.members(self._value(node, OWL + "withRestrictions")):
            facets = self._index.get(facet_node) if isinstance(facet_node, Anonymous) else None
            for facet in sorted(facets or {}):
                value = self._value(facet_node, facet)  # type: ignore[arg-type]
                if value is not None:
                    args += [IRI(facet), self.build(value, depth)]
        return Expr("DatatypeRestriction", tuple(args))

    def _inverse(self, node: Subject, depth: int) -> Term:
        prop = self._value(node, OWL + "inverseOf")
        return Expr("ObjectInverseOf", (self.build(prop, depth) if prop else self._unresolved(),))


#: What builds the expression a blank node encodes, by the first of these predicates it
#: has. Plain functions, not bound methods kept on the builder: those would make each
#: ExprBuilder a reference cycle holding a whole file's graph until the cyclic garbage
#: collector runs (measured: the collector took ~20% of an RDF parse).
_BUILDERS: tuple[tuple[str, Callable[[ExprBuilder, Subject, int], Term]], ...] = (
    (OWL + "onProperty", ExprBuilder._restriction),
    (OWL + "onProperties", ExprBuilder._restriction),
    (OWL + "intersectionOf", ExprBuilder._intersection),
    (OWL + "unionOf", ExprBuilder._union),
    (OWL + "complementOf", ExprBuilder._complement),
    (OWL + "datatypeComplementOf", ExprBuilder._complement),
    (OWL + "oneOf", ExprBuilder._one_of),
    (OWL + "onDatatype", ExprBuilder._datatype_restriction),
    (OWL + "inverseOf", ExprBuilder._inverse),
)
_BUILDER_OF = dict(_BUILDERS)


def _integer(node: Node) -> Term:
    """A cardinality as a bare integer; a malformed one stays the literal it was."""
    if isinstance(node, Literal):
        text = node.lexical.strip()
        if _DIGITS.fullmatch(text):
            return Integer(int(text))
    return node


__all__ = [
    "MAX_DEPTH",
    "OWL",
    "RDF",
    "RDFS",
    "RDF_TYPE",
    "SUBJECTS",
    "XSD",
    "ExprBuilder",
    "Graph",
    "Index",
    "NestingTooDeep",
    "Node",
    "Subject",
    "Triple",
    "first",
]
