"""The axiom -> rows mapping shared by the Functional Syntax and Logseq parsers.

:class:`RowBuilder` receives top-level ``_owl`` terms (axioms, or a whole ``Ontology``)
and accumulates one file's :class:`~streaming_sync._model.OntologyData`. The mapping is
documented in ``docs/formats.md``; every axiom it has no row type for becomes an
``OtherAxiom`` -- nothing is dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from itertools import takewhile

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
from .._owl import IRI, Expr, Literal, Term, render

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"

_DOMAIN_RANGE = {
    "ObjectPropertyDomain": (PropertyType.OBJECT, "domain"),
    "ObjectPropertyRange": (PropertyType.OBJECT, "range"),
    "DataPropertyDomain": (PropertyType.DATA, "domain"),
    "DataPropertyRange": (PropertyType.DATA, "range"),
    "AnnotationPropertyDomain": (PropertyType.ANNOTATION, "domain"),
    "AnnotationPropertyRange": (PropertyType.ANNOTATION, "range"),
}
_PROPERTY_KINDS = {str(t): t for t in PropertyType}


def render_term(term: Term) -> str:
    """Exactly ``_owl.render(term)``, but iterative: any nesting depth, no recursion."""
    if not isinstance(term, Expr):
        return render(term)
    out: list[str] = []
    pending: list[Term | str] = [term]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Expr):
            out.append(f"{item.name}(")
            pending.append(")")
            for index in range(len(item.args) - 1, -1, -1):
                pending.append(item.args[index])
                if index:
                    pending.append(" ")
        else:
            out.append(render(item))
    return "".join(out)


def render_entity_term(term: Term) -> str:
    """A ``subject``/``object`` column value: a named entity's plain IRI, else Functional Syntax."""
    return term.value if isinstance(term, IRI) else render_term(term)


def _label_rank(literal: Literal) -> tuple[int, str, str]:
    """en, then en-*, then no language, then the rest; ties by (lang, value)."""
    lang = (literal.lang or "").lower()
    rank = 0 if lang == "en" else 1 if lang.startswith("en-") else 2 if not lang else 3
    return rank, lang, literal.lexical


class _ClassRow:
    __slots__ = ("comment", "label", "properties")

    def __init__(self) -> None:
        self.label: str | None = None
        self.comment: str | None = None
        self.properties: list[tuple[str, str]] = []


class _PropertyRow:
    __slots__ = ("domain", "label", "range", "type")

    def __init__(self, property_type: PropertyType) -> None:
        self.type = property_type
        self.label: str | None = None
        self.domain: dict[str, None] = {}
        self.range: dict[str, None] = {}


class RowBuilder:
    """Accumulates the rows of one file; :meth:`build` returns them as ``OntologyData``."""

    def __init__(self) -> None:
        self.classes: dict[str, _ClassRow] = {}
        self.edges: dict[HierarchyEdge, None] = {}
        self.properties: dict[str, _PropertyRow] = {}
        self.axioms: list[Axiom] = []
        self.other: list[OtherAxiom] = []
        self.links: dict[PageLink, None] = {}
        self.warnings: list[str] = []
        self._annotations: list[tuple[str, str, Literal, Expr]] = []
        self._handlers: dict[str, Callable[[list[Term], str | None], bool]] = {
            "Declaration": self._declaration,
            "SubClassOf": self._subclass,
            "EquivalentClasses": self._equivalent,
            "DisjointClasses": self._disjoint,
            "ObjectPropertyAssertion": self._object_assertion,
            "DataPropertyAssertion": self._data_assertion,
        }

    # -- declarations -------------------------------------------------------------
    def declare_class(
        self,
        iri: str,
        label: str | None = None,
        comment: str | None = None,
        properties: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Declare a class; a repeated IRI merges (first label/comment wins)."""
        row = self.classes.setdefault(iri, _ClassRow())
        row.label = row.label if row.label is not None else label
        row.comment = row.comment if row.comment is not None else comment
        row.properties.extend(properties)

    def declare_property(
        self,
        iri: str,
        property_type: PropertyType,
        *,
        label: str | None = None,
        domain: Iterable[str] = (),
        range_: Iterable[str] = (),
    ) -> None:
        """Declare a property; a repeated IRI keeps its first type and unions domain/range."""
        row = self.properties.setdefault(iri, _PropertyRow(property_type))
        row.label = row.label if row.label is not None else label
        row.domain.update(dict.fromkeys(domain))
        row.range.update(dict.fromkeys(range_))

    def add_link(self, class_iri: str, target: str) -> None:
        self.links.setdefault(PageLink(class_iri, target))

    # -- axioms -------------------------------------------------------------------
    def add(self, term: Term) -> None:
        """Map one top-level term: an axiom, or an ``Ontology(...)`` holding axioms."""
        if not isinstance(term, Expr):
            return
        if term.name != "Ontology":
            self._axiom(term)
            return
        for arg in term.args:
            if isinstance(arg, Expr):
                self._axiom(arg)  # Import(...) and Annotation(...) become OtherAxioms
            elif not isinstance(arg, IRI):
                self.warnings.append(f"ignored {render_term(arg)} in Ontology(...)")

    def _axiom(self, expr: Expr) -> None:
        annotations = [a for a in takewhile(_is_annotation, expr.args) if isinstance(a, Expr)]
        core = list(expr.args[len(annotations) :]) if expr.name != "Annotation" else []
        notes = _annotations_json(annotations) if expr.name != "Annotation" else None
        if expr.name == "AnnotationAssertion" and self._annotation(core, expr):
            return
        if expr.name in _DOMAIN_RANGE and self._domain_range(expr.name, core):
            return
        handler = self._handlers.get(expr.name)
        if handler is None or not handler(core, notes):
            self.other.append(OtherAxiom(expr.name, render_term(expr)))

    def _declaration(self, core: list[Term], _notes: str | None) -> bool:
        if len(core) != 1 or not isinstance(core[0], Expr) or len(core[0].args) != 1:
            return False
        kind, entity = core[0].name, core[0].args[0]
        if not isinstance(entity, IRI):
            return False
        if kind == "Class":
            self.declare_class(entity.value)
            return True
        if kind in _PROPERTY_KINDS:
            self.declare_property(entity.value, _PROPERTY_KINDS[kind])
            return True
        return False

    def _subclass(self, core: list[Term], notes: str | None) -> bool:
        if len(core) != 2:
            return False
        sub, sup = core
        if isinstance(sub, IRI) and isinstance(sup, IRI):
            self.edges.setdefault(HierarchyEdge(sub.value, sup.value))
        self._row(AxiomType.SUBCLASS_OF, sub, sup, notes)
        return True

    def _equivalent(self, core: list[Term], notes: str | None) -> bool:
        if len(core) < 2:
            return False
        anchor = next((m for m in core if isinstance(m, IRI)), core[0])
        others = list(core)
        others.remove(anchor)
        for member in others:
            self._row(AxiomType.EQUIVALENT_CLASS, anchor, member, notes)
        return True

    def _disjoint(self, core: list[Term], notes: str | None) -> bool:
        if len(core) < 2:
            return False
        for i, first in enumerate(core):
            for second in core[i + 1 :]:
                self._row(AxiomType.DISJOINT_WITH, first, second, notes)
        return True

    def _object_assertion(self, core: list[Term], notes: str | None) -> bool:
        if len(core) != 3 or not isinstance(core[0], IRI):
            return False
        self._row(AxiomType.OBJECT_PROPERTY_ASSERTION, core[1], core[2], notes, core[0].value)
        return True

    def _data_assertion(self, core: list[Term], notes: str | None) -> bool:
        if len(core) != 3 or not isinstance(core[0], IRI) or not isinstance(core[2], Literal):
            return False
        self._row(AxiomType.DATA_PROPERTY_ASSERTION, core[1], core[2], notes, core[0].value)
        return True

    def _domain_range(self, name: str, core: list[Term]) -> bool:
        property_type, which = _DOMAIN_RANGE[name]
        if len(core) != 2 or not isinstance(core[0], IRI):
            return False
        target = [core[1].value] if isinstance(core[1], IRI) else []
        if which == "domain":
            self.declare_property(core[0].value, property_type, domain=target)
        else:
            self.declare_property(core[0].value, property_type, range_=target)
        return bool(target)  # an unnamed domain/range is also kept as an OtherAxiom

    def _annotation(self, core: list[Term], expr: Expr) -> bool:
        if len(core) != 3:
            return False
        prop, subject, value = core
        if not (isinstance(prop, IRI) and isinstance(subject, IRI) and isinstance(value, Literal)):
            return False
        if prop.value not in (RDFS_LABEL, RDFS_COMMENT):
            return False
        self._annotations.append((prop.value, subject.value, value, expr))
        return True

    def _row(
        self,
        axiom_type: AxiomType,
        subject: Term,
        obj: Term,
        notes: str | None,
        property_iri: str | None = None,
    ) -> None:
        self.axioms.append(
            Axiom(
                axiom_type,
                render_entity_term(subject),
                render_entity_term(obj),
                property_iri,
                notes,
            )
        )

    # -- result -------------------------------------------------------------------
    def merge(self, data: OntologyData) -> None:
        """Add the rows of another parse of the same file (e.g. a Turtle fence)."""
        for cls in data.classes:
            self.declare_class(cls.iri, cls.label, cls.comment, cls.properties)
        self.edges.update(dict.fromkeys(data.edges))
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

    def _apply_annotations(self) -> list[OtherAxiom]:
        """rdfs:label/comment assertions on this file's classes (and property labels)
        fill the gaps the declarations left; the rest are kept as OtherAxioms."""
        best: dict[tuple[str, str], Literal] = {}
        unused: list[OtherAxiom] = []
        for prop, subject, value, expr in self._annotations:
            known_class = subject in self.classes
            if not known_class and not (subject in self.properties and prop == RDFS_LABEL):
                unused.append(OtherAxiom(expr.name, render_term(expr)))
                continue
            key = (prop, subject)
            if key not in best or _label_rank(value) < _label_rank(best[key]):
                best[key] = value
        for (prop, subject), value in best.items():
            if subject in self.classes:
                row = self.classes[subject]
                if prop == RDFS_LABEL and row.label is None:
                    row.label = value.lexical
                elif prop == RDFS_COMMENT and row.comment is None:
                    row.comment = value.lexical
            elif self.properties[subject].label is None:
                self.properties[subject].label = value.lexical
        return unused

    def build(self, page_keys: Iterable[str] = ()) -> OntologyData:
        unused = self._apply_annotations()
        return OntologyData(
            classes=tuple(
                OntologyClass(iri, row.label, row.comment, tuple(row.properties))
                for iri, row in self.classes.items()
            ),
            edges=tuple(self.edges),
            properties=tuple(
                OntologyProperty(iri, row.type, row.label, row.domain.keys(), row.range.keys())
                for iri, row in self.properties.items()
            ),
            axioms=tuple(self.axioms),
            other_axioms=(*self.other, *unused),
            links=tuple(self.links),
            page_keys=tuple(dict.fromkeys(page_keys)),
            warnings=tuple(dict.fromkeys(self.warnings)),
        )


def _is_annotation(term: Term) -> bool:
    return isinstance(term, Expr) and term.name == "Annotation"


def _annotations_json(annotations: list[Expr]) -> str | None:
    """Axiom annotations, kept on the mapped row as ``{"annotations": [<FS text>, ...]}``."""
    if not annotations:
        return None
    texts = [render_term(a) for a in annotations]
    return json.dumps({"annotations": texts}, ensure_ascii=False, separators=(",", ":"))


__all__ = ["RDFS_COMMENT", "RDFS_LABEL", "RowBuilder", "render_entity_term", "render_term"]
