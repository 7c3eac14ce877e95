"""OWL class expressions and data ranges from their RDF encoding (blank-node structures).

Pure Python over the subject index :mod:`._rdfmap` builds. The result is an
:class:`streaming_sync._owl.Expr` in OWL 2 Functional Syntax, rendered by
``_owl.render`` -- the same text the Functional Syntax reader produces:

* restrictions: ``ObjectSomeValuesFrom(<p> <C>)``, ``DataAllValuesFrom(<p> <dt>)``,
  ``ObjectHasValue(<p> <i>)``, ``DataHasValue(<p> "v")``, ``ObjectHasSelf(<p>)``;
  cardinalities with the number bare (``_owl.Integer``) and the filler only when the
  restriction is qualified: ``ObjectExactCardinality(1 <p> <C>)``,
  ``ObjectMinCardinality(2 <p>)``;
* ``Object``/``Data`` + ``IntersectionOf``/``UnionOf``/``ComplementOf``/``OneOf``,
  ``DatatypeRestriction(<dt> <facet> "v"^^<dt> ...)``, ``ObjectInverseOf(<p>)``;
  list members in list order.

The ``Data`` variant is chosen when the property is a datatype property of the file or
the filler is a datatype (an ``xsd:`` IRI, ``rdfs:Literal``, a declared
``rdfs:Datatype``, a data range). A blank node that encodes none of these (an anonymous
individual, a broken or cyclic structure) renders as ``_:anon``: blank-node labels differ
between libraries and runs, so they never reach a row. Depth is bounded: deeper nesting
than :data:`MAX_DEPTH` raises :class:`NestingTooDeep`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Set

from .._owl import IRI, Anonymous, Expr, Integer, Literal, Term

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
_UNRESOLVED = Anonymous("anon")
_DIGITS = re.compile(r"[0-9]{1,18}")

Subject = IRI | Anonymous
Node = IRI | Anonymous | Literal
#: subject -> predicate IRI -> objects (a dict used as an ordered set).
Index = dict[Subject, dict[str, dict[Node, None]]]


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


class ExprBuilder:
    """Builds expressions from one file's index; ``data_properties`` and ``datatypes``
    are the file's own declarations."""

    def __init__(self, index: Index, data_properties: Set[str], datatypes: Set[str]) -> None:
        self._index = index
        self._data_properties = data_properties
        self._datatypes = datatypes
        self._active: set[Anonymous] = set()
        self._builders: tuple[tuple[str, Callable[[dict[str, dict[Node, None]], int], Term]], ...]
        self._builders = (
            (OWL + "onProperty", self._restriction),
            (OWL + "intersectionOf", self._nary("IntersectionOf", OWL + "intersectionOf")),
            (OWL + "unionOf", self._nary("UnionOf", OWL + "unionOf")),
            (OWL + "complementOf", self._complement),
            (OWL + "datatypeComplementOf", self._complement),
            (OWL + "oneOf", self._one_of),
            (OWL + "onDatatype", self._datatype_restriction),
            (OWL + "inverseOf", self._inverse),
        )

    def build(self, node: Node, depth: int = 0) -> Term:
        """The term for ``node``: named entities and literals as they are."""
        if not isinstance(node, Anonymous):
            return node
        if depth > MAX_DEPTH:
            raise NestingTooDeep
        predicates = self._index.get(node)
        if predicates is None or node in self._active:
            return _UNRESOLVED
        self._active.add(node)
        try:
            for key, builder in self._builders:
                if key in predicates:
                    return builder(predicates, depth + 1)
            return _UNRESOLVED
        finally:
            self._active.discard(node)

    def is_datatype(self, node: Node | None) -> bool:
        """Whether ``node`` names or encodes a data range."""
        if isinstance(node, IRI):
            value = node.value
            return value.startswith(XSD) or value in BUILTIN_DATATYPES or value in self._datatypes
        if isinstance(node, Anonymous):
            predicates = self._index.get(node, {})
            types = predicates.get(RDF_TYPE, {})
            return IRI(RDFS_DATATYPE) in types or (
                OWL + "onDatatype" in predicates or OWL + "datatypeComplementOf" in predicates
            )
        return False

    def members(self, head: Node | None) -> list[Node]:
        """The items of the RDF list at ``head`` (cycles and broken tails end it)."""
        items: list[Node] = []
        seen: set[Node] = set()
        while isinstance(head, Anonymous) and head not in seen:
            seen.add(head)
            predicates = self._index.get(head)
            if predicates is None:
                break
            item = first(predicates.get(RDF_FIRST))
            if item is not None:
                items.append(item)
            head = first(predicates.get(RDF_REST))
        return items

    def _list(self, head: Node | None, depth: int) -> tuple[Term, ...]:
        return tuple(self.build(item, depth) for item in self.members(head))

    def _restriction(self, predicates: dict[str, dict[Node, None]], depth: int) -> Term:
        on_property = first(predicates[OWL + "onProperty"])
        prop = self.build(on_property, depth) if on_property is not None else _UNRESOLVED
        data = isinstance(prop, IRI) and prop.value in self._data_properties
        for key, name in (
            (OWL + "someValuesFrom", "SomeValuesFrom"),
            (OWL + "allValuesFrom", "AllValuesFrom"),
        ):
            filler = first(predicates.get(key))
            if filler is not None:
                kind = "Data" if data or self.is_datatype(filler) else "Object"
                return Expr(kind + name, (prop, self.build(filler, depth)))
        value = first(predicates.get(OWL + "hasValue"))
        if value is not None:
            kind = "Data" if isinstance(value, Literal) else "Object"
            return Expr(kind + "HasValue", (prop, self.build(value, depth)))
        if OWL + "hasSelf" in predicates:
            return Expr("ObjectHasSelf", (prop,))
        return self._cardinality(predicates, prop, data, depth)

    def _cardinality(
        self, predicates: dict[str, dict[Node, None]], prop: Term, data: bool, depth: int
    ) -> Term:
        for key, name in _CARDINALITIES:
            number = first(predicates.get(key))
            if number is None:
                continue
            on_class = first(predicates.get(OWL + "onClass"))
            on_range = first(predicates.get(OWL + "onDataRange"))
            filler = on_range if on_range is not None else on_class
            kind = "Data" if data or on_range is not None or self.is_datatype(filler) else "Object"
            args: tuple[Term, ...] = (_integer(number), prop)
            if filler is not None:
                args += (self.build(filler, depth),)
            return Expr(kind + name, args)
        return _UNRESOLVED

    def _nary(self, name: str, key: str) -> Callable[[dict[str, dict[Node, None]], int], Term]:
        def build(predicates: dict[str, dict[Node, None]], depth: int) -> Term:
            items = self.members(first(predicates[key]))
            data = self._is_data_range(predicates) or (
                bool(items) and all(self.is_datatype(item) for item in items)
            )
            args = tuple(self.build(item, depth) for item in items)
            return Expr(("Data" if data else "Object") + name, args)

        return build

    def _is_data_range(self, predicates: dict[str, dict[Node, None]]) -> bool:
        return IRI(RDFS_DATATYPE) in predicates.get(RDF_TYPE, {})

    def _complement(self, predicates: dict[str, dict[Node, None]], depth: int) -> Term:
        target = first(predicates.get(OWL + "datatypeComplementOf"))
        if target is not None:
            return Expr("DataComplementOf", (self.build(target, depth),))
        target = first(predicates[OWL + "complementOf"])
        kind = "Data" if self._is_data_range(predicates) or self.is_datatype(target) else "Object"
        inner = self.build(target, depth) if target is not None else _UNRESOLVED
        return Expr(kind + "ComplementOf", (inner,))

    def _one_of(self, predicates: dict[str, dict[Node, None]], depth: int) -> Term:
        items = self.members(first(predicates[OWL + "oneOf"]))
        data = self._is_data_range(predicates) or (
            bool(items) and all(isinstance(item, Literal) for item in items)
        )
        args = tuple(self.build(item, depth) for item in items)
        return Expr(("Data" if data else "Object") + "OneOf", args)

    def _datatype_restriction(self, predicates: dict[str, dict[Node, None]], depth: int) -> Term:
        datatype = first(predicates[OWL + "onDatatype"])
        args: list[Term] = [self.build(datatype, depth) if datatype is not None else _UNRESOLVED]
        for facet_node in self.members(first(predicates.get(OWL + "withRestrictions"))):
            facets = self._index.get(facet_node) if isinstance(facet_node, Anonymous) else None
            for facet, values in sorted((facets or {}).items()):
                value = first(values)
                if value is not None:
                    args += [IRI(facet), self.build(value, depth)]
        return Expr("DatatypeRestriction", tuple(args))

    def _inverse(self, predicates: dict[str, dict[Node, None]], depth: int) -> Term:
        prop = first(predicates[OWL + "inverseOf"])
        return Expr("ObjectInverseOf", (self.build(prop, depth) if prop else _UNRESOLVED,))


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
    "XSD",
    "ExprBuilder",
    "Index",
    "NestingTooDeep",
    "Node",
    "Subject",
    "first",
]
