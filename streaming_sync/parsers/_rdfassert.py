"""Property assertions in RDF: ``s p o`` for a property ``p`` that is no OWL vocabulary.

By the kind of ``p`` in the file's declarations (section 3.2.5 of the W3C mapping, read
backwards): an ``ObjectPropertyAssertion`` between two individuals, a
``DataPropertyAssertion`` with a literal, an ``AnnotationAssertion`` with an annotation
value for any other IRI outside the reserved vocabularies. :func:`assertion_reader`
decides once per predicate which of these its triples are (the declarations are read
before any axiom), so a file's many assertions cost one call each.
"""

from __future__ import annotations

from collections.abc import Callable

from .._model import PropertyType
from .._owl import IRI, Literal, OwlAxiom, Term
from ._rdfannot import is_annotation_property
from ._rdfexpr import Node, Subject

#: Reads one triple ``(subject, predicate, object)``: an axiom, or None.
Handler = Callable[[Subject, str, Node], OwlAxiom | None]


def assertion_reader(
    prop: IRI,
    kind_of: Callable[[Node | None], PropertyType | None],
    individual: Callable[[Node], Term | None],
    annotation_value: Callable[[Node], Term | None],
) -> Handler | None:
    """The reader of the assertions with property ``prop`` (None: its triples are no
    assertion); ``individual`` and ``annotation_value`` say what a node is as one."""
    kind = kind_of(prop)
    if kind is PropertyType.OBJECT:

        def object_assertion(subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
            source = individual(subject)
            target = individual(obj) if not isinstance(obj, Literal) else None
            if source is None or target is None:
                return None
            return OwlAxiom("ObjectPropertyAssertion", (prop, source, target))

        return object_assertion
    if kind is PropertyType.DATA:

        def data_assertion(subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
            source = individual(subject)
            if source is None or not isinstance(obj, Literal):
                return None
            return OwlAxiom("DataPropertyAssertion", (prop, source, obj))

        return data_assertion
    if not is_annotation_property(prop.value):
        return None

    def annotation_assertion(subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
        source = individual(subject)
        if source is None:
            return None
        value = annotation_value(obj)
        return None if value is None else OwlAxiom("AnnotationAssertion", (prop, source, value))

    return annotation_assertion


__all__ = ["Handler", "assertion_reader"]
