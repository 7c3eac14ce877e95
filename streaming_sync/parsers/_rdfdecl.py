"""Declarations of an RDF file: what each IRI is, as the reverse mapping needs to know.

The W3C mapping (section 3.1-3.2.1) first reads the typing triples: ``owl:Class``,
``owl:ObjectProperty``, ``owl:DatatypeProperty``, ``owl:AnnotationProperty``,
``rdfs:Datatype``, ``owl:NamedIndividual`` are declarations, and the kind of a property
decides how its triples read (``rdfs:range`` is an object, data or annotation property
range). Real files often leave declarations out, so :class:`Declarations` also infers a
kind where the file says enough (the rules are in ``docs/formats.md``):

* a characteristic type (``owl:TransitiveProperty``...) makes an object property;
  ``owl:FunctionalProperty`` a data property when a range is a datatype, else an object
  property;
* a bare ``rdf:Property`` (RDFS vocabularies) is a data property when every range is a
  datatype, an object property when some range is not, an annotation property with no
  range -- and is declared so (a lenient extension, like ``rdfs:Class`` for classes);
* an undeclared property with a datatype range is a data property, and one related by
  ``rdfs:subPropertyOf``, ``owl:equivalentProperty`` or ``owl:propertyDisjointWith`` to
  a property of known kind has that kind.

Several kinds resolve Object > Data > Annotation.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._model import PropertyType
from .._owl import IRI, Expr, OwlAxiom
from ._rdfexpr import BUILTIN_DATATYPES, OWL, RDF, RDF_TYPE, RDFS, XSD, Index, Node

CHARACTERISTICS = {
    OWL + "TransitiveProperty": "TransitiveObjectProperty",
    OWL + "SymmetricProperty": "SymmetricObjectProperty",
    OWL + "AsymmetricProperty": "AsymmetricObjectProperty",
    OWL + "ReflexiveProperty": "ReflexiveObjectProperty",
    OWL + "IrreflexiveProperty": "IrreflexiveObjectProperty",
    OWL + "InverseFunctionalProperty": "InverseFunctionalObjectProperty",
}
#: rdf:type objects that declare an entity, and the declaration they make.
DECLARATION_TYPES = {
    OWL + "Class": "Class",
    RDFS + "Class": "Class",
    OWL + "ObjectProperty": "ObjectProperty",
    OWL + "DatatypeProperty": "DataProperty",
    OWL + "AnnotationProperty": "AnnotationProperty",
    RDFS + "Datatype": "Datatype",
    OWL + "NamedIndividual": "NamedIndividual",
}
#: Annotation properties every ontology has.
BUILTIN_ANNOTATION_PROPERTIES = frozenset(
    {RDFS + n for n in ("label", "comment", "seeAlso", "isDefinedBy")}
    | {
        OWL + n
        for n in (
            "deprecated",
            "versionInfo",
            "priorVersion",
            "backwardCompatibleWith",
            "incompatibleWith",
        )
    }
)
BUILTIN_PROPERTIES = {
    OWL + "topObjectProperty": PropertyType.OBJECT,
    OWL + "bottomObjectProperty": PropertyType.OBJECT,
    OWL + "topDataProperty": PropertyType.DATA,
    OWL + "bottomDataProperty": PropertyType.DATA,
    **dict.fromkeys(BUILTIN_ANNOTATION_PROPERTIES, PropertyType.ANNOTATION),
}
_OBJECT_TYPES = frozenset({OWL + "ObjectProperty", *CHARACTERISTICS})
_PROPERTY_TYPES = _OBJECT_TYPES | {
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
    OWL + "FunctionalProperty",
    RDF + "Property",
}
_PAIRS = (RDFS + "subPropertyOf", OWL + "equivalentProperty", OWL + "propertyDisjointWith")
_DECLARED_KIND = {
    PropertyType.OBJECT: "ObjectProperty",
    PropertyType.DATA: "DataProperty",
    PropertyType.ANNOTATION: "AnnotationProperty",
}


class Declarations:
    """The declared (or inferred) kind of every IRI of one file's index."""

    def __init__(self, index: Index) -> None:
        self._index = index
        self.datatypes: set[str] = set()
        self.kinds: dict[str, PropertyType] = dict(BUILTIN_PROPERTIES)
        for subject, predicates in index.items():
            if not isinstance(subject, IRI):
                continue
            names = {t.value for t in predicates.get(RDF_TYPE, ()) if isinstance(t, IRI)}
            if RDFS + "Datatype" in names:
                self.datatypes.add(subject.value)
            if names & _PROPERTY_TYPES:
                self.kinds[subject.value] = self._declared_kind(names, predicates)
        self._infer()

    def is_datatype_iri(self, node: Node | None) -> bool:
        if not isinstance(node, IRI):
            return False
        value = node.value
        return value.startswith(XSD) or value in BUILTIN_DATATYPES or value in self.datatypes

    def kind(self, node: Node | None) -> PropertyType | None:
        return self.kinds.get(node.value) if isinstance(node, IRI) else None

    def _declared_kind(
        self, names: set[str], predicates: dict[str, dict[Node, None]]
    ) -> PropertyType:
        ranges = list(predicates.get(RDFS + "range", ()))
        if names & _OBJECT_TYPES:
            return PropertyType.OBJECT
        if OWL + "DatatypeProperty" in names:
            return PropertyType.DATA
        if OWL + "FunctionalProperty" in names:
            if any(self.is_datatype_iri(r) for r in ranges):
                return PropertyType.DATA
            return PropertyType.OBJECT
        if OWL + "AnnotationProperty" in names:
            return PropertyType.ANNOTATION
        if not ranges:
            return PropertyType.ANNOTATION
        if all(self.is_datatype_iri(r) for r in ranges):
            return PropertyType.DATA
        return PropertyType.OBJECT

    def _infer(self) -> None:
        """Kinds of undeclared properties from their datatype ranges and their partners."""
        for subject, predicates in self._index.items():
            if isinstance(subject, IRI) and subject.value not in self.kinds:
                ranges = predicates.get(RDFS + "range", {})
                if ranges and all(self.is_datatype_iri(r) for r in ranges):
                    self.kinds[subject.value] = PropertyType.DATA
        changed = True
        while changed:
            changed = False
            for subject, predicates in self._index.items():
                for predicate in _PAIRS:
                    for obj in predicates.get(predicate, ()):
                        changed |= self._share(subject, obj)

    def _share(self, a: Node, b: Node) -> bool:
        if not (isinstance(a, IRI) and isinstance(b, IRI)):
            return False
        known_a, known_b = self.kinds.get(a.value), self.kinds.get(b.value)
        if known_a is None and known_b is not None:
            self.kinds[a.value] = known_b
            return True
        if known_b is None and known_a is not None:
            self.kinds[b.value] = known_a
            return True
        return False

    def declaration(self, subject: IRI, type_iri: str, types: Iterable[Node]) -> OwlAxiom | None:
        """The Declaration ``subject rdf:type type_iri`` makes (None: the type declares
        nothing here; ``types``: all the subject's rdf:type objects). A bare
        ``rdf:Property`` declares the kind inferred; one beside an OWL property type is
        implied by that type (it is read, and declares nothing)."""
        entity = DECLARATION_TYPES.get(type_iri)
        if entity is not None:
            return _declaration(entity, subject)
        if type_iri != RDF + "Property":
            return None
        names = {t.value for t in types if isinstance(t, IRI)}
        if not names & _PROPERTY_TYPES - {RDF + "Property"}:
            kind = self.kinds.get(subject.value, PropertyType.ANNOTATION)
            return _declaration(_DECLARED_KIND[kind], subject)
        return None


def _declaration(entity: str, subject: IRI) -> OwlAxiom:
    return OwlAxiom("Declaration", (Expr(entity, (subject,)),))


__all__ = [
    "BUILTIN_ANNOTATION_PROPERTIES",
    "BUILTIN_PROPERTIES",
    "CHARACTERISTICS",
    "DECLARATION_TYPES",
    "Declarations",
]
