"""Rows from the structural model: the one mapping every parser's axioms go through.

The Functional Syntax reader, the Logseq fences and the RDF mapping all hand
:class:`~streaming_sync._owl.OwlAxiom` values to a :class:`RowBuilder` (or to
:func:`ontology_rows`), which brings each to canonical form (``._canonical``) and files it
into one file's :class:`~streaming_sync._model.OntologyData`. Which axiom gives which rows
is the table in ``docs/formats.md``; every axiom (or part of one) no row type can hold
becomes an ``OtherAxiom`` in canonical Functional Syntax -- nothing is dropped silently.
The result is sorted, deduplicated and independent of the order the axioms came in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, TypeVar

from .._model import (
    Axiom,
    AxiomType,
    HierarchyEdge,
    OntologyClass,
    OntologyData,
    OntologyProperty,
    OtherAxiom,
    PageLink,
    PropertyType,
)
from .._owl import IRI, Expr, Literal, OwlAxiom, Term, render, render_axiom, render_entity
from ._anonymous import rename_anonymous
from ._canonical import REORDERED, canonical, mentions_anonymous
from ._rowparts import (
    ALL_PROPERTIES,
    CHARACTERISTICS,
    DOMAIN_RANGE,
    EQUIVALENCES,
    FAMILY_OF,
    PROPERTY_KINDS,
    RDFS_COMMENT,
    RDFS_LABEL,
    ClassRow,
    Equivalences,
    PropertyRow,
    annotations_json,
    label_rank,
    strip_links,
)

R = TypeVar("R")
# attrgetter: the sort keys of build() without a Python call per row
_EDGE_KEY = attrgetter("class_iri", "parent_iri")
_OTHER_KEY = attrgetter("kind", "text")


class RowBuilder:
    """Accumulates the rows of one file; :meth:`build` returns them as ``OntologyData``.

    Axioms go in through :meth:`add_axiom` (or :meth:`add` for a Functional Syntax term);
    the Logseq parser also declares block classes and page links directly."""

    def __init__(self) -> None:
        self.classes: dict[str, ClassRow] = {}
        # rows are collected in lists and deduplicated once, in build(): a dict per
        # table would cost more memory than the rows of a large file
        self.edges: list[HierarchyEdge] = []
        self.properties: dict[str, PropertyRow] = {}
        self.axioms: list[Axiom] = []
        self.other: list[OtherAxiom] = []
        self.links: dict[PageLink, None] = {}
        self.warnings: list[str] = []
        #: the best rdfs:label/comment so far of a class or property declared before it
        self._best: dict[tuple[str, str], Literal] = {}
        #: label/comment assertions about IRIs not (yet) declared: decided in build()
        self._pending: list[tuple[str, str, Literal]] = []
        self._deferred: list[OwlAxiom] = []
        self._equivalences = Equivalences()

    # -- rows declared directly (Logseq blocks, Turtle fences) ----------------------
    def declare_class(
        self,
        iri: str,
        label: str | None = None,
        comment: str | None = None,
        properties: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Declare a class; a repeated IRI merges (first label/comment wins)."""
        row = self.classes.setdefault(iri, ClassRow())
        row.label = row.label if row.label is not None else label
        row.comment = row.comment if row.comment is not None else comment
        row.add_properties(properties)

    def declare_property(
        self,
        iri: str,
        property_type: PropertyType,
        *,
        label: str | None = None,
        domain: Iterable[str] = (),
        range_: Iterable[str] = (),
        implied: bool = False,
    ) -> None:
        """Declare a property (``implied``: an axiom about it implies its type); several
        types resolve Object > Data > Annotation, declared ones first; domains and ranges
        are unioned."""
        row = self.properties.setdefault(iri, PropertyRow())
        (row.implied if implied else row.declared).add(property_type)
        row.label = row.label if row.label is not None else label
        row.domain.update(dict.fromkeys(domain))
        row.range.update(dict.fromkeys(range_))

    def add_link(self, class_iri: str, target: str) -> None:
        self.links.setdefault(PageLink(class_iri, target))

    def merge(self, data: OntologyData) -> None:
        """Add the rows of another parse of the same file (e.g. a Turtle fence)."""
        for cls in data.classes:
            self.declare_class(cls.iri, cls.label, cls.comment, cls.properties)
        self.edges.extend(data.edges)
        for prop in data.properties:
            self.declare_property(
                prop.iri,
                prop.property_type,
                label=prop.label,
                domain=sorted(prop.domain),
                range_=sorted(prop.range),
            )
        self.axioms.extend(data.axioms)
        self.other.extend(data.other_axioms)
        self.links.update(dict.fromkeys(data.links))
        self.warnings.extend(data.warnings)

    # -- the model ------------------------------------------------------------------
    def add(self, term: Term) -> None:
        """A top-level Functional Syntax term: an axiom, or a whole ``Ontology(...)``."""
        if not isinstance(term, Expr):
            return
        if term.name != "Ontology":
            self.add_axiom(OwlAxiom.from_expr(term))
            return
        for arg in term.args:
            if isinstance(arg, Expr):
                self.add_axiom(OwlAxiom.from_expr(arg))
            elif not isinstance(arg, IRI):
                self.warnings.append(f"ignored {render(arg)} in Ontology(...)")

    def add_axiom(self, axiom: OwlAxiom, *, named_only: bool = False) -> None:
        """File one axiom (those naming anonymous individuals wait for :meth:`build`,
        which names them canonically). ``named_only``: the caller knows that no
        anonymous individual occurs in it (its reader resolved none), so it is not
        searched for one (12% of a Logseq page's parse, measured)."""
        kind = axiom.kind
        if axiom.annotations or kind in REORDERED:  # else canonical already
            axiom = canonical(axiom)
        if kind in FAMILY_OF or (not named_only and mentions_anonymous(axiom)):
            self._deferred.append(axiom)  # names, or the kind declarations give, come last
            return
        handler = _HANDLERS.get(kind)  # _map, inlined: called for nearly every axiom
        if handler is None or not handler(self, axiom):
            self._other(axiom)

    def _map(self, axiom: OwlAxiom) -> None:
        handler = _HANDLERS.get(axiom.kind)
        if handler is None or not handler(self, axiom):
            self._other(axiom)

    def _other(self, axiom: OwlAxiom) -> None:
        self.other.append(OtherAxiom(sys.intern(axiom.kind), render_axiom(axiom)))

    def _row(
        self,
        axiom_type: AxiomType,
        subject: Term,
        obj: Term,
        axiom: OwlAxiom,
        property_iri: str | None = None,
    ) -> None:
        row = Axiom(
            axiom_type,
            render_entity(subject),
            render_entity(obj),
            property_iri,
            annotations_json(axiom.annotations),
        )
        self.axioms.append(row)

    # Each handler returns whether its rows hold the whole axiom, annotations included;
    # when not, the axiom is also kept as an OtherAxiom.
    def _declaration(self, axiom: OwlAxiom) -> bool:
        entity = axiom.args[0] if len(axiom.args) == 1 else None
        if not isinstance(entity, Expr) or len(entity.args) != 1:
            return False
        kind, iri = entity.name, entity.args[0]
        if not isinstance(iri, IRI):
            return False
        if kind == "Class":
            self.declare_class(iri.value)
        elif kind in PROPERTY_KINDS:
            self.declare_property(iri.value, PROPERTY_KINDS[kind])
        else:
            return False  # NamedIndividual, Datatype: no row of their own
        return not axiom.annotations

    def _subclass(self, axiom: OwlAxiom) -> bool:
        if len(axiom.args) != 2:
            return False
        sub, sup = axiom.args
        if isinstance(sub, IRI) and isinstance(sup, IRI):
            self.edges.append(HierarchyEdge(sub.value, sup.value))
        self._row(AxiomType.SUBCLASS_OF, sub, sup, axiom)
        return True

    def _equivalence(self, axiom: OwlAxiom) -> bool:
        if len(axiom.args) < 2:
            return False
        self._equivalences.add(axiom)
        return True

    def _disjoint(self, axiom: OwlAxiom) -> bool:
        args = axiom.args
        if len(args) < 2:
            return False
        for i, first in enumerate(args):
            for second in args[i + 1 :]:
                self._row(AxiomType.DISJOINT_WITH, first, second, axiom)
        return True

    def _object_assertion(self, axiom: OwlAxiom) -> bool:
        args = axiom.args
        if len(args) != 3 or not isinstance(args[0], IRI):
            return False
        self._row(AxiomType.OBJECT_PROPERTY_ASSERTION, args[1], args[2], axiom, args[0].value)
        return True

    def _data_assertion(self, axiom: OwlAxiom) -> bool:
        args = axiom.args
        if len(args) != 3 or not isinstance(args[0], IRI) or not isinstance(args[2], Literal):
            return False
        self._row(AxiomType.DATA_PROPERTY_ASSERTION, args[1], args[2], axiom, args[0].value)
        return True

    def _domain_range(self, axiom: OwlAxiom) -> bool:
        property_type, which = DOMAIN_RANGE[axiom.kind]
        args = axiom.args
        if len(args) != 2 or not isinstance(args[0], IRI):
            return False
        target = [args[1].value] if isinstance(args[1], IRI) else []
        if which == "domain":
            self.declare_property(args[0].value, property_type, domain=target, implied=True)
        else:
            self.declare_property(args[0].value, property_type, range_=target, implied=True)
        return bool(target) and not axiom.annotations

    def _characteristic(self, axiom: OwlAxiom) -> bool:
        if len(axiom.args) == 1 and isinstance(axiom.args[0], IRI):
            self.declare_property(axiom.args[0].value, CHARACTERISTICS[axiom.kind], implied=True)
        return False  # the row does not say which characteristic: keep the axiom too

    def _annotation_assertion(self, axiom: OwlAxiom) -> bool:
        if len(axiom.args) != 3:
            return False
        prop, subject, value = axiom.args
        if not (isinstance(prop, IRI) and isinstance(subject, IRI) and isinstance(value, Literal)):
            return False
        if prop.value not in (RDFS_LABEL, RDFS_COMMENT):
            return False
        if axiom.annotations:
            self._other(axiom)  # the row has no place for its annotations
        if self._labels(prop.value, subject.value):
            self._offer(prop.value, subject.value, value)
        else:
            self._pending.append((prop.value, subject.value, value))
        return True  # a label or comment, or (decided in build()) an OtherAxiom

    # -- result ---------------------------------------------------------------------
    def _labels(self, prop: str, subject: str) -> bool:
        """Whether ``subject`` takes ``prop`` (rdfs:label/comment) as its row's: a class
        of this file takes both, a property of it its label."""
        return subject in self.classes or (prop == RDFS_LABEL and subject in self.properties)

    def _offer(self, prop: str, subject: str, value: Literal) -> None:
        key = (prop, subject)
        known = self._best.get(key)
        if known is None or label_rank(value) < label_rank(known):
            self._best[key] = value

    def _apply_labels(self) -> None:
        """rdfs:label/comment assertions on this file's classes (and labels on its
        properties) fill the gaps the declarations left -- the best one by
        :func:`label_rank` -- the rest are OtherAxioms."""
        for prop, subject, value in self._pending:
            if self._labels(prop, subject):
                self._offer(prop, subject, value)
            else:
                axiom = OwlAxiom("AnnotationAssertion", (IRI(prop), IRI(subject), value))
                self._other(axiom)
        self._pending = []
        for (prop, subject), value in self._best.items():
            if subject in self.classes:
                row = self.classes[subject]
                if prop == RDFS_LABEL and row.label is None:
                    row.label = strip_links(value.lexical)
                elif prop == RDFS_COMMENT and row.comment is None:
                    row.comment = value.lexical
            elif self.properties[subject].label is None:
                self.properties[subject].label = strip_links(value.lexical)
        self._best = {}

    def _rekind(self, axiom: OwlAxiom) -> OwlAxiom:
        """A property axiom in the kind the file declares its properties with (an RDF
        reading can only go by the declarations, so the canonical form does too)."""
        family = FAMILY_OF.get(axiom.kind)
        if family is None:
            return axiom
        named = axiom.args if axiom.kind in ALL_PROPERTIES else axiom.args[:1]
        declared: set[PropertyType] = set()
        for arg in named:
            row = self.properties.get(arg.value) if isinstance(arg, IRI) else None
            declared |= row.declared if row is not None else set()
        if len(declared) != 1:
            return axiom
        name = family.get(declared.pop())
        return axiom if name is None else canonical(OwlAxiom(name, axiom.args, axiom.annotations))

    def _finish(self) -> None:
        named = [a for a in self._deferred if not mentions_anonymous(a)]
        anonymous = [a for a in self._deferred if mentions_anonymous(a)]
        for axiom in [*named, *rename_anonymous(anonymous)]:
            self._map(self._rekind(axiom))
        self._deferred = []
        for axiom in self._equivalences.components():
            if axiom.kind == "EquivalentClasses":
                anchor = axiom.args[0]
                for member in axiom.args[1:]:
                    self._row(AxiomType.EQUIVALENT_CLASS, anchor, member, axiom)
            else:
                self._other(axiom)
        self._equivalences = Equivalences()
        self._apply_labels()

    @property
    def ready_rows(self) -> int:
        """Rows :meth:`flush` would hand over now."""
        return len(self.edges) + len(self.axioms) + len(self.other)

    def flush(self) -> OntologyData:
        """The rows final already -- edges, axiom rows, other axioms: an axiom's rows do
        not depend on the rest of the file -- handed over and forgotten. What needs the
        whole file waits for :meth:`build`: classes and properties (a later label,
        domain or declaration still changes them), equivalence groups, axioms naming
        anonymous individuals and property axioms whose kind the declarations decide.
        Together the parts and ``build()`` hold the rows ``build()`` alone would."""
        edges, self.edges = self.edges, []
        axioms, self.axioms = self.axioms, []
        others, self.other = self.other, []
        return OntologyData(
            edges=_unique(edges, _EDGE_KEY),
            axioms=_unique(axioms, _axiom_key),
            other_axioms=_unique(others, _OTHER_KEY),
        )

    def build(self, page_keys: Iterable[str] = ()) -> OntologyData:
        self._finish()
        edges, self.edges = self.edges, []
        axioms, self.axioms = self.axioms, []
        others, self.other = self.other, []
        return OntologyData(
            classes=tuple(
                OntologyClass(iri, row.label, row.comment, row.property_tuple())
                for iri, row in sorted(self.classes.items())
            ),
            edges=_unique(edges, _EDGE_KEY),
            properties=tuple(
                OntologyProperty(iri, row.type, row.label, row.domain.keys(), row.range.keys())
                for iri, row in sorted(self.properties.items())
            ),
            axioms=_unique(axioms, _axiom_key),
            other_axioms=_unique(others, _OTHER_KEY),
            links=tuple(self.links),
            page_keys=tuple(dict.fromkeys(page_keys)),
            warnings=tuple(dict.fromkeys(self.warnings)),
        )


#: The handler of each axiom kind with rows of its own. A table of plain functions, not of
#: bound methods kept on the builder: those would make every builder a reference cycle,
#: so a whole file's rows and terms would wait for the cyclic garbage collector instead of
#: being freed when the parse ends (measured: the collector took ~20% of an RDF parse).
_HANDLERS: dict[str, Callable[[RowBuilder, OwlAxiom], bool]] = {
    "Declaration": RowBuilder._declaration,
    "SubClassOf": RowBuilder._subclass,
    "DisjointClasses": RowBuilder._disjoint,
    "ObjectPropertyAssertion": RowBuilder._object_assertion,
    "DataPropertyAssertion": RowBuilder._data_assertion,
    "AnnotationAssertion": RowBuilder._annotation_assertion,
    **dict.fromkeys(EQUIVALENCES, RowBuilder._equivalence),
    **dict.fromkeys(DOMAIN_RANGE, RowBuilder._domain_range),
    **dict.fromkeys(CHARACTERISTICS, RowBuilder._characteristic),
}


def _unique(rows: list[R], key: Callable[[R], Any]) -> tuple[R, ...]:
    """``rows`` without repeats, sorted by ``key``; ``rows`` is emptied as it goes."""
    unique = set(rows)
    rows.clear()
    ordered = sorted(unique, key=key)
    unique.clear()
    return tuple(ordered)


def _axiom_key(axiom: Axiom) -> tuple[str, str, str, str, str]:
    return (
        axiom.axiom_type,
        axiom.subject,
        axiom.object,
        axiom.property_iri or "",
        axiom.annotations or "",
    )


def ontology_rows(axioms: Iterable[OwlAxiom], warnings: Iterable[str] = ()) -> OntologyData:
    """The rows of one file whose ontology is ``axioms`` (any order)."""
    rows = RowBuilder()
    for axiom in axioms:
        rows.add_axiom(axiom)
    rows.warnings.extend(warnings)
    return rows.build()


__all__ = [
    "RDFS_COMMENT",
    "RDFS_LABEL",
    "RowBuilder",
    "annotations_json",
    "label_rank",
    "ontology_rows",
    "strip_links",
]
