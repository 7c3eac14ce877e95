"""The axioms of one RDF file: class axioms, assertions and the OWL axioms kept verbatim.

Used by :mod:`._rdfmap`; pure Python. :class:`AxiomCollector` visits each subject of the
index once and files what its triples state into ``edges``, ``axioms`` (the public axiom
table) and ``others`` (canonical Functional Syntax for every other OWL axiom kind).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .._model import Axiom, AxiomType, HierarchyEdge, OtherAxiom, PropertyType
from .._owl import IRI, Anonymous, Expr, Literal, Term, render, render_entity
from ._rdfexpr import OWL, RDF, RDF_TYPE, RDFS, ExprBuilder, Index, Node, Subject, first

Predicates = dict[str, dict[Node, None]]
_W3C = (RDF, RDFS, OWL)
_THING = OWL + "Thing"
_NAMED_INDIVIDUAL = IRI(OWL + "NamedIndividual")
_META_PARENTS = frozenset(
    {RDFS + "Class", OWL + "Class", RDF + "Property", RDFS + "Datatype"}
    | {OWL + n for n in ("ObjectProperty", "DatatypeProperty", "AnnotationProperty")}
)
_CHARACTERISTICS = {
    OWL + "TransitiveProperty": "TransitiveObjectProperty",
    OWL + "SymmetricProperty": "SymmetricObjectProperty",
    OWL + "AsymmetricProperty": "AsymmetricObjectProperty",
    OWL + "ReflexiveProperty": "ReflexiveObjectProperty",
    OWL + "IrreflexiveProperty": "IrreflexiveObjectProperty",
    OWL + "InverseFunctionalProperty": "InverseFunctionalObjectProperty",
}
_BLANK_AXIOM_TYPES = frozenset(
    OWL + name
    for name in (
        "AllDisjointClasses",
        "AllDifferent",
        "AllDisjointProperties",
        "NegativePropertyAssertion",
    )
)
_CLASS_AXIOMS = {
    RDFS + "subClassOf": AxiomType.SUBCLASS_OF,
    OWL + "equivalentClass": AxiomType.EQUIVALENT_CLASS,
    OWL + "disjointWith": AxiomType.DISJOINT_WITH,
}
_PAIR_AXIOMS = {
    # predicate -> (Object form, Data form); None: no such form
    RDFS + "subPropertyOf": ("SubObjectPropertyOf", "SubDataPropertyOf"),
    OWL + "equivalentProperty": ("EquivalentObjectProperties", "EquivalentDataProperties"),
    OWL + "propertyDisjointWith": ("DisjointObjectProperties", "DisjointDataProperties"),
    OWL + "sameAs": ("SameIndividual", "SameIndividual"),
    OWL + "differentFrom": ("DifferentIndividuals", "DifferentIndividuals"),
}


class AxiomCollector:
    def __init__(self, index: Index, expr: ExprBuilder, kinds: Mapping[str, PropertyType]) -> None:
        self._index = index
        self._expr = expr
        self._kinds = kinds
        self._meta = {
            s.value
            for s, predicates in index.items()
            if isinstance(s, IRI)
            and any(
                isinstance(o, IRI) and o.value in _META_PARENTS
                for o in predicates.get(RDFS + "subClassOf", ())
            )
        }
        self.edges: set[HierarchyEdge] = set()
        self.axioms: set[Axiom] = set()
        self.others: set[OtherAxiom] = set()
        self._handlers: dict[str, Callable[[Subject, dict[Node, None]], None]] = {
            OWL + "disjointUnionOf": self._disjoint_union,
            OWL + "inverseOf": self._inverse_of,
            OWL + "propertyChainAxiom": self._chain,
            OWL + "hasKey": self._has_key,
            RDFS + "domain": self._domain_range("Domain"),
            RDFS + "range": self._domain_range("Range"),
        }

    def visit(self, subject: Subject, predicates: Predicates) -> None:
        """File everything ``subject``'s triples state."""
        for predicate, objects in predicates.items():
            axiom_type = _CLASS_AXIOMS.get(predicate)
            if axiom_type is not None:
                self._class_axioms(subject, axiom_type, objects)
            elif predicate in _PAIR_AXIOMS:
                self._pair(subject, predicate, objects)
            else:
                handler = self._handlers.get(predicate)
                if handler is not None:
                    handler(subject, objects)
        types = predicates.get(RDF_TYPE)
        if types:
            self._typed(subject, types, predicates)

    def warnings(self) -> tuple[str, ...]:
        texts = [a.subject + " " + a.object for a in self.axioms]
        texts += [o.text for o in self.others]
        count = sum("_:anon" in text for text in texts)
        if not count:
            return ()
        return (f"{count} axioms mention blank nodes that encode no class expression (_:anon)",)

    def _other(self, name: str, *args: Term) -> None:
        self.others.add(OtherAxiom(name, render(Expr(name, args))))

    def _build(self, node: Node) -> Term:
        return self._expr.build(node)

    def _class_axioms(
        self, subject: Subject, axiom_type: AxiomType, objects: dict[Node, None]
    ) -> None:
        if (
            axiom_type is AxiomType.EQUIVALENT_CLASS
            and isinstance(subject, IRI)
            and self._expr.is_datatype(subject)
        ):
            for obj in objects:
                self._other("DatatypeDefinition", subject, self._build(obj))
            return
        left = render_entity(self._build(subject))
        for obj in objects:
            if isinstance(obj, Literal):
                continue
            if (
                axiom_type is AxiomType.SUBCLASS_OF
                and isinstance(subject, IRI)
                and isinstance(obj, IRI)
            ):
                self.edges.add(HierarchyEdge(subject.value, obj.value))
            self.axioms.add(Axiom(axiom_type, left, render_entity(self._build(obj))))

    def _kind_of(self, *nodes: Node) -> PropertyType | None:
        for node in nodes:
            if isinstance(node, IRI) and node.value in self._kinds:
                return self._kinds[node.value]
        return None

    def _pair(self, subject: Subject, predicate: str, objects: dict[Node, None]) -> None:
        object_form, data_form = _PAIR_AXIOMS[predicate]
        for obj in objects:
            if isinstance(obj, Literal):
                continue
            kind = self._kind_of(subject, obj)
            name = data_form if kind is PropertyType.DATA else object_form
            if kind is PropertyType.ANNOTATION and predicate == RDFS + "subPropertyOf":
                name = "SubAnnotationPropertyOf"
            self._other(name, self._build(subject), self._build(obj))

    def _disjoint_union(self, subject: Subject, objects: dict[Node, None]) -> None:
        for obj in objects:
            members = [self._build(m) for m in self._expr.members(obj)]
            self._other("DisjointUnion", self._build(subject), *members)

    def _inverse_of(self, subject: Subject, objects: dict[Node, None]) -> None:
        if isinstance(subject, IRI):  # a blank subject is an ObjectInverseOf expression
            for obj in objects:
                if isinstance(obj, IRI):
                    self._other("InverseObjectProperties", subject, obj)

    def _chain(self, subject: Subject, objects: dict[Node, None]) -> None:
        for obj in objects:
            chain = Expr("ObjectPropertyChain", tuple(map(self._build, self._expr.members(obj))))
            self._other("SubObjectPropertyOf", chain, self._build(subject))

    def _has_key(self, subject: Subject, objects: dict[Node, None]) -> None:
        for obj in objects:
            keys = self._expr.members(obj)
            data = [k for k in keys if self._kind_of(k) is PropertyType.DATA]
            objs = [self._build(k) for k in keys if k not in data]
            self._other(
                "HasKey", self._build(subject), Expr("", tuple(objs)), Expr("", tuple(data))
            )

    def _domain_range(self, which: str) -> Callable[[Subject, dict[Node, None]], None]:
        def handle(subject: Subject, objects: dict[Node, None]) -> None:
            for obj in objects:
                if isinstance(obj, Anonymous):  # named ones are the property row's
                    kind = self._kind_of(subject)
                    data = kind is PropertyType.DATA or self._expr.is_datatype(obj)
                    name = ("Data" if data else "Object") + "Property" + which
                    if kind is PropertyType.ANNOTATION:
                        name = "AnnotationProperty" + which
                    self._other(name, self._build(subject), self._build(obj))

        return handle

    def _typed(self, subject: Subject, types: dict[Node, None], predicates: Predicates) -> None:
        names = {t.value for t in types if isinstance(t, IRI)}
        if isinstance(subject, Anonymous):
            self._typed_blank(subject, names, predicates)
            return
        for name in names & _CHARACTERISTICS.keys():
            self._other(_CHARACTERISTICS[name], subject)
        if OWL + "FunctionalProperty" in names:
            kind = "Data" if self._kinds.get(subject.value) is PropertyType.DATA else "Object"
            self._other(f"Functional{kind}Property", subject)
        classes = [t for t in types if not isinstance(t, Literal) and not self._is_meta(t)]
        if classes or _NAMED_INDIVIDUAL in types:
            self._individual(subject, classes, predicates)

    def _is_meta(self, node: IRI | Anonymous) -> bool:
        if isinstance(node, Anonymous):
            return False
        value = node.value
        return value in self._meta or (value != _THING and value.startswith(_W3C))

    def _individual(
        self, subject: IRI, classes: list[IRI | Anonymous], predicates: Predicates
    ) -> None:
        for cls in classes:
            self._other("ClassAssertion", self._build(cls), subject)
        for predicate, objects in predicates.items():
            kind = self._kinds.get(predicate)
            if kind is None or kind is PropertyType.ANNOTATION or predicate.startswith(_W3C):
                continue
            for obj in objects:
                if kind is PropertyType.OBJECT and isinstance(obj, IRI):
                    axiom_type, text = AxiomType.OBJECT_PROPERTY_ASSERTION, obj.value
                elif kind is PropertyType.DATA and isinstance(obj, Literal):
                    axiom_type, text = AxiomType.DATA_PROPERTY_ASSERTION, render(obj)
                else:
                    continue
                self.axioms.add(Axiom(axiom_type, subject.value, text, property_iri=predicate))

    def _typed_blank(self, subject: Anonymous, names: set[str], predicates: Predicates) -> None:
        if not names & _BLANK_AXIOM_TYPES:  # most typed blank nodes are restrictions
            return
        members = first(predicates.get(OWL + "members")) or first(
            predicates.get(OWL + "distinctMembers")
        )
        items = [self._build(m) for m in self._expr.members(members)]
        if OWL + "AllDisjointClasses" in names:
            self._other("DisjointClasses", *items)
        elif OWL + "AllDifferent" in names:
            self._other("DifferentIndividuals", *items)
        elif OWL + "AllDisjointProperties" in names:
            data = any(self._kind_of(m) is PropertyType.DATA for m in self._expr.members(members))
            self._other("DisjointDataProperties" if data else "DisjointObjectProperties", *items)
        elif OWL + "NegativePropertyAssertion" in names:
            self._negative(predicates)

    def _negative(self, predicates: Predicates) -> None:
        source = first(predicates.get(OWL + "sourceIndividual"))
        prop = first(predicates.get(OWL + "assertionProperty"))
        target = first(predicates.get(OWL + "targetIndividual"))
        value = first(predicates.get(OWL + "targetValue"))
        if source is None or prop is None or (target is None and value is None):
            return
        if value is not None:
            self._other("NegativeDataPropertyAssertion", prop, self._build(source), value)
        elif target is not None:
            self._other(
                "NegativeObjectPropertyAssertion",
                self._build(prop),
                self._build(source),
                self._build(target),
            )


__all__ = ["AxiomCollector"]
