"""Generic RDF triples -> :class:`OntologyData`: the one mapping every RDF parser shares.

Pure Python, no outside library. A parser converts its library's terms to
``streaming_sync._owl`` terms -- :class:`IRI`, :class:`Anonymous` (a blank node, named
by any label stable within the parse), :class:`Literal` via :func:`make_literal` -- and
calls :func:`map_triples` with ``(subject, predicate IRI string, object)`` triples, so
two libraries produce equal rows by construction. The rules (the spec of the public
tables):

* Classes: IRI subjects typed ``owl:Class`` or ``rdfs:Class``; label and comment from
  ``rdfs:label``/``rdfs:comment`` chosen by :func:`pick_text` (labels lose ``[[ ]]``).
* ``A rdfs:subClassOf B`` (both IRIs): an edge and a ``SubClassOf`` axiom; to a blank
  node: a ``SubClassOf`` axiom whose object is the rendered expression (no edge).
  ``owl:equivalentClass`` and ``owl:disjointWith`` likewise (no edges).
* Properties: see :meth:`_Mapper.property_kind`; several kinds at once resolve
  Object > Data > Annotation. Domain and range keep named IRIs only.
* Individuals: IRI subjects typed ``owl:NamedIndividual``, ``owl:Thing`` or a class
  outside the RDF/RDFS/OWL vocabularies that the file does not make a meta-class
  (``rdfs:subClassOf rdfs:Class``...). Their triples with a property the file declares
  an ObjectProperty (to an IRI) or DatatypeProperty (to a literal) become assertion
  axioms; each such type a ``ClassAssertion`` other axiom.
* Every other OWL axiom met (``DisjointClasses``, ``DisjointUnion``, sub-properties,
  characteristics, inverses, chains, keys, same/different individuals, expression
  domains/ranges, negative assertions, GCIs are SubClassOf axioms) becomes an
  :class:`OtherAxiom` in canonical Functional Syntax. Annotation assertions and
  declarations are not axioms here: they are the class and property rows.

Output is deduplicated and sorted, so it never depends on the order of the triples.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .._errors import ParseError
from .._model import (
    Axiom,
    OntologyClass,
    OntologyData,
    OntologyProperty,
    PropertyType,
)
from .._owl import IRI, RDF_LANGSTRING, XSD_STRING, Literal
from ._rdfaxioms import AxiomCollector
from ._rdfexpr import (
    OWL,
    RDF,
    RDF_TYPE,
    RDFS,
    ExprBuilder,
    Index,
    NestingTooDeep,
    Node,
    Subject,
)

Triple = tuple[Subject, str, Node]
RDFS_LABEL = RDFS + "label"
RDFS_COMMENT = RDFS + "comment"
_CLASS_TYPES = (IRI(OWL + "Class"), IRI(RDFS + "Class"))
_OBJECT_TYPES = frozenset(
    OWL + name
    for name in (
        "ObjectProperty",
        "TransitiveProperty",
        "SymmetricProperty",
        "AsymmetricProperty",
        "ReflexiveProperty",
        "IrreflexiveProperty",
        "InverseFunctionalProperty",
    )
)
_PROPERTY_TYPES = _OBJECT_TYPES | {
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
    OWL + "FunctionalProperty",
    RDF + "Property",
}
_LINK = re.compile(r"\[\[(.*?)\]\]", re.S)


def make_literal(lexical: str, lang: str | None, datatype: str | None) -> Literal:
    """The canonical literal: language tags lower-case, ``xsd:string`` and
    ``rdf:langString`` left implicit (libraries differ in spelling them out)."""
    if lang:
        return Literal(lexical, lang=lang.lower())
    if datatype is None or datatype in (XSD_STRING, RDF_LANGSTRING):
        return Literal(lexical)
    return Literal(lexical, datatype=datatype)


def build_index(triples: Iterable[Triple]) -> Index:
    """subject -> predicate -> objects, in one pass; duplicate triples collapse."""
    index: Index = {}
    for subject, predicate, obj in triples:
        predicates = index.get(subject)
        if predicates is None:
            predicates = index[subject] = {}
        objects = predicates.get(predicate)
        if objects is None:
            predicates[predicate] = {obj: None}
        else:
            objects[obj] = None
    return index


def strip_links(text: str) -> str:
    """``[[Foo Bar]]`` -> ``Foo Bar``, anywhere in the text."""
    return _LINK.sub(r"\1", text) if "[[" in text else text


def pick_text(values: Mapping[Node, None] | None) -> str | None:
    """One literal, deterministically: language ``en``, then ``en-*``, then none, then
    the smallest (language, value) pair; within a rank the smallest value."""
    best: tuple[int, str, str] | None = None
    for value in values or ():
        if not isinstance(value, Literal):
            continue
        lang = value.lang or ""
        rank = 0 if lang == "en" else 1 if lang.startswith("en-") else 2 if not lang else 3
        key = (rank, lang, value.lexical)
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


def map_triples(path: str, triples: Iterable[Triple]) -> OntologyData:
    """The rows one RDF file contributes (see the module docstring)."""
    try:
        return _Mapper(build_index(triples)).run()
    except NestingTooDeep:
        raise ParseError(path, "class expression nesting too deep") from None


class _Mapper:
    def __init__(self, index: Index) -> None:
        self.index = index
        datatypes = {
            s.value
            for s, predicates in index.items()
            if isinstance(s, IRI) and IRI(RDFS + "Datatype") in predicates.get(RDF_TYPE, {})
        }
        data_properties: set[str] = set()
        self.expr = ExprBuilder(index, data_properties, datatypes)
        self.kinds = self._property_kinds()
        data_properties.update(i for i, k in self.kinds.items() if k is PropertyType.DATA)
        self.collector = AxiomCollector(index, self.expr, self.kinds)

    def run(self) -> OntologyData:
        classes: list[OntologyClass] = []
        properties: list[OntologyProperty] = []
        for subject, predicates in self.index.items():
            self.collector.visit(subject, predicates)
            if not isinstance(subject, IRI):
                continue
            types = predicates.get(RDF_TYPE)
            if types and (_CLASS_TYPES[0] in types or _CLASS_TYPES[1] in types):
                classes.append(_class_row(subject.value, predicates))
            kind = self.kinds.get(subject.value)
            if kind is not None:
                properties.append(_property_row(subject.value, kind, predicates))
        return OntologyData(
            classes=tuple(sorted(classes, key=lambda c: c.iri)),
            edges=tuple(sorted(self.collector.edges, key=lambda e: (e.class_iri, e.parent_iri))),
            properties=tuple(sorted(properties, key=lambda p: p.iri)),
            axioms=tuple(sorted(self.collector.axioms, key=_axiom_key)),
            other_axioms=tuple(sorted(self.collector.others, key=lambda o: (o.kind, o.text))),
            warnings=self.collector.warnings(),
        )

    def _property_kinds(self) -> dict[str, PropertyType]:
        kinds: dict[str, PropertyType] = {}
        for subject, predicates in self.index.items():
            if not isinstance(subject, IRI):
                continue
            names = {t.value for t in predicates.get(RDF_TYPE, ()) if isinstance(t, IRI)}
            if names & _PROPERTY_TYPES:
                kinds[subject.value] = self.property_kind(names, predicates)
        return kinds

    def property_kind(
        self, names: set[str], predicates: dict[str, dict[Node, None]]
    ) -> PropertyType:
        """Object > Data > Annotation. ``owl:FunctionalProperty`` alone is Object unless a
        range is a datatype; a bare ``rdf:Property`` is Data when every range is a
        datatype, Object when some range is a class, Annotation with no range."""
        ranges = list(predicates.get(RDFS + "range", ()))
        if names & _OBJECT_TYPES:
            return PropertyType.OBJECT
        if OWL + "DatatypeProperty" in names:
            return PropertyType.DATA
        if OWL + "FunctionalProperty" in names:
            if any(self.expr.is_datatype(r) for r in ranges):
                return PropertyType.DATA
            return PropertyType.OBJECT
        if OWL + "AnnotationProperty" in names:
            return PropertyType.ANNOTATION
        if not ranges:
            return PropertyType.ANNOTATION
        if all(self.expr.is_datatype(r) for r in ranges):
            return PropertyType.DATA
        return PropertyType.OBJECT


def _class_row(iri: str, predicates: dict[str, dict[Node, None]]) -> OntologyClass:
    label = pick_text(predicates.get(RDFS_LABEL))
    return OntologyClass(
        iri=iri,
        label=None if label is None else strip_links(label),
        comment=pick_text(predicates.get(RDFS_COMMENT)),
    )


def _property_row(
    iri: str, kind: PropertyType, predicates: dict[str, dict[Node, None]]
) -> OntologyProperty:
    label = pick_text(predicates.get(RDFS_LABEL))
    return OntologyProperty(
        iri=iri,
        property_type=kind,
        label=None if label is None else strip_links(label),
        domain=frozenset(_named(predicates.get(RDFS + "domain"))),
        range=frozenset(_named(predicates.get(RDFS + "range"))),
    )


def _named(values: Mapping[Node, None] | None) -> list[str]:
    return [v.value for v in values or () if isinstance(v, IRI)]


def _axiom_key(axiom: Axiom) -> tuple[str, str, str, str]:
    return (axiom.axiom_type, axiom.subject, axiom.object, axiom.property_iri or "")


__all__ = [
    "Triple",
    "build_index",
    "make_literal",
    "map_triples",
    "pick_text",
    "strip_links",
]
