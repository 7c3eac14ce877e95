"""The axioms of one RDF graph: the reverse of the W3C "OWL 2 Mapping to RDF Graphs".

:class:`AxiomReader` reads every triple once (section 3 of the mapping, read backwards):
the ontology header (imports, ontology annotations), declarations of every entity kind,
class, property and individual axioms from their main triples, the axioms encoded as blank
nodes (``owl:AllDisjointClasses``, ``owl:AllDifferent``, ``owl:AllDisjointProperties``,
``owl:NegativePropertyAssertion``), property chains, keys, annotation assertions, and
every axiom's annotations (``owl:Axiom`` reifications, see :mod:`._rdfannot`). Lenient
readings for real files are listed in ``docs/formats.md`` (``rdfs:Class``, bare
``rdf:Property``, OWL 1's ``owl:unionOf`` on a named class, undeclared predicates read as
annotations). A triple that takes part in no axiom is kept as a ``Triple(s p o)``
pseudo-axiom, so nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator

from .._model import PropertyType
from .._owl import IRI, Anonymous, Expr, Literal, OwlAxiom, Term
from ._rdfannot import Annotations, is_reification
from ._rdfassert import Handler, assertion_reader
from ._rdfdecl import BUILTIN_PROPERTIES, CHARACTERISTICS, Declarations
from ._rdfexpr import (
    OWL,
    RDF,
    RDF_TYPE,
    RDFS,
    SUBJECTS,
    XSD,
    ExprBuilder,
    Graph,
    Node,
    Subject,
    first,
)

_RESERVED = (RDF, RDFS, OWL, XSD)
_CLASS_TYPES = frozenset({OWL + "Thing", OWL + "Nothing"})
_BLANK_AXIOMS = {
    OWL + "AllDisjointClasses": "DisjointClasses",
    OWL + "AllDifferent": "DifferentIndividuals",
    OWL + "AllDisjointProperties": "DisjointProperties",
    OWL + "NegativePropertyAssertion": "NegativePropertyAssertion",
}
_BLANK_AXIOM_PARTS = (
    RDF_TYPE,
    OWL + "members",
    OWL + "distinctMembers",
    OWL + "sourceIndividual",
    OWL + "assertionProperty",
    OWL + "targetIndividual",
    OWL + "targetValue",
)
_HEADER_PARTS = (RDF_TYPE, OWL + "imports", OWL + "versionIRI")
_ONTOLOGY = IRI(OWL + "Ontology")
_BLANK_AXIOM_TYPES = frozenset(IRI(t) for t in _BLANK_AXIOMS)
_NONE: dict[Node, None] = {}
_STRUCTURE_PREDICATES = frozenset(
    OWL + n
    for n in [
        "onProperty",
        "onProperties",
        "intersectionOf",
        "unionOf",
        "complementOf",
        "datatypeComplementOf",
        "oneOf",
        "onDatatype",
        "withRestrictions",
        "inverseOf",
        "someValuesFrom",
        "allValuesFrom",
        "hasValue",
        "hasSelf",
        "cardinality",
        "minCardinality",
        "maxCardinality",
        "qualifiedCardinality",
        "minQualifiedCardinality",
        "maxQualifiedCardinality",
        "onClass",
        "onDataRange",
        "annotatedSource",
        "annotatedProperty",
        "annotatedTarget",
        "members",
        "distinctMembers",
        "sourceIndividual",
        "assertionProperty",
        "targetIndividual",
        "targetValue",
    ]
) | {RDF + "first", RDF + "rest"}
_STRUCTURE_TYPES = frozenset(
    IRI(t)
    for t in (
        OWL + "Restriction",
        OWL + "Class",
        RDFS + "Datatype",
        RDF + "List",
        OWL + "Axiom",
        OWL + "Annotation",
        OWL + "Ontology",
        *_BLANK_AXIOMS,
    )
)
#: Returned by a handler that read its triple without making an axiom of it (a type
#: implied by another, e.g. ``rdf:Property`` beside ``owl:ObjectProperty``).
_READ = OwlAxiom("", ())


class AxiomReader:
    """Reads the structural axioms of one graph (see the module docstring)."""

    def __init__(self, graph: Graph, declarations: Declarations) -> None:
        self._graph = graph
        self._decl = declarations
        data = {iri for iri, kind in declarations.kinds.items() if kind is PropertyType.DATA}
        self._expr = ExprBuilder(graph, data, declarations.datatypes)
        self._annotations = Annotations(graph, self._expr)
        self._structures = {
            s
            for s, predicates in graph.index.items()
            if isinstance(s, Anonymous)
            and (
                not _STRUCTURE_PREDICATES.isdisjoint(predicates)
                or any(t in _STRUCTURE_TYPES for t in predicates.get(RDF_TYPE, ()))
            )
        }
        #: the rdf:type objects of the subject being read
        self._types: dict[Node, None] = _NONE

    def _named_handlers(self) -> dict[str, Handler]:
        """The handlers of the OWL and RDFS predicates that make axioms. Made per walk and
        never kept on the reader: they refer to it, and a reader referring back to them
        would be a reference cycle holding the whole graph until the cyclic garbage
        collector runs (measured: the collector took ~20% of an RDF parse)."""
        return {
            RDF_TYPE: self._type,
            RDFS + "subClassOf": self._class_pair("SubClassOf"),
            OWL + "equivalentClass": self._equivalent_class,
            OWL + "disjointWith": self._class_pair("DisjointClasses"),
            OWL + "disjointUnionOf": self._disjoint_union,
            OWL + "hasKey": self._has_key,
            RDFS + "subPropertyOf": self._sub_property,
            OWL + "equivalentProperty": self._property_pair("Equivalent"),
            OWL + "propertyDisjointWith": self._property_pair("Disjoint"),
            OWL + "inverseOf": self._inverse_of,
            OWL + "propertyChainAxiom": self._chain,
            RDFS + "domain": self._domain_range("Domain"),
            RDFS + "range": self._domain_range("Range"),
            OWL + "sameAs": self._individual_pair("SameIndividual"),
            OWL + "differentFrom": self._individual_pair("DifferentIndividuals"),
            **dict.fromkeys(
                (OWL + n for n in ("intersectionOf", "unionOf", "complementOf", "oneOf")),
                self._named_definition,
            ),
        }

    @property
    def expressions(self) -> ExprBuilder:
        return self._expr

    # -- the walk -----------------------------------------------------------------------
    def axioms(self) -> list[OwlAxiom]:
        """Every axiom of the graph, then a ``Triple`` for each triple no axiom used."""
        graph = self._graph
        out: list[OwlAxiom] = []
        named = self._named_handlers()
        by_predicate: dict[str, Handler | None] = {}  # every predicate's, as they are met
        for subject, predicates in graph.index.items():
            types = predicates.get(RDF_TYPE, _NONE)
            if _ONTOLOGY in types:
                out.extend(self._header(subject))
            elif isinstance(subject, Anonymous) and is_reification(subject, predicates):
                continue  # read with the axiom it annotates
            elif isinstance(subject, Anonymous) and not _BLANK_AXIOM_TYPES.isdisjoint(types):
                out.extend(self._blank_axiom(subject))
            else:
                self._types = types
                self._subject(subject, predicates, out, by_predicate, named)
        if len(graph.used) < graph.size:  # Graph.used holds triples of the graph only
            used = graph.used
            unused = [t for t in graph.triples() if t not in used]
            out.extend(OwlAxiom("Triple", (s, IRI(p), o)) for s, p, o in unused)
        return out

    def _subject(
        self,
        subject: Subject,
        predicates: dict[str, dict[Node, None]],
        out: list[OwlAxiom],
        handlers: dict[str, Handler | None],
        named: dict[str, Handler],
    ) -> None:
        use, annotated = self._graph.used.add, self._annotations.annotated
        for predicate, objects in predicates.items():
            if predicate in handlers:
                handler = handlers[predicate]
            else:
                handler = handlers[predicate] = self._handler(predicate, named)
            if handler is None:
                continue
            if predicate in annotated:
                self._reified(subject, predicate, objects, handler, out)
                continue
            for obj in objects:  # the common case: no reification names the predicate
                axiom = handler(subject, predicate, obj)
                if axiom is not None:
                    use((subject, predicate, obj))
                    if axiom is not _READ:
                        out.append(axiom)

    def _reified(
        self,
        subject: Subject,
        predicate: str,
        objects: dict[Node, None],
        handler: Handler,
        out: list[OwlAxiom],
    ) -> None:
        """``_subject`` for a predicate some reification names: each axiom once per
        annotation set of its reifications (as it is when it has none)."""
        for obj in objects:
            axiom = handler(subject, predicate, obj)
            if axiom is None:
                continue
            self._graph.used.add((subject, predicate, obj))
            if axiom is _READ:
                continue
            sets = self._annotations.of_triple(subject, predicate, obj)
            if not sets:
                out.append(axiom)
            for found in sets:
                out.append(OwlAxiom(axiom.kind, axiom.args, found))

    def _handler(self, predicate: str, named: dict[str, Handler]) -> Handler | None:
        """What reads the triples of ``predicate`` (None: they make no axiom here)."""
        handler = named.get(predicate)
        if handler is not None:
            return handler
        if predicate.startswith(_RESERVED) and predicate not in BUILTIN_PROPERTIES:
            return None
        return assertion_reader(
            IRI(predicate), self._decl.kind, self._individual, self._annotations.value
        )

    # -- terms --------------------------------------------------------------------------
    def _class(self, node: Node) -> Term:
        return self._expr.build(node)

    def _ope(self, node: Node) -> Term:
        return self._expr.property_expression(node)

    def _individual(self, node: Node) -> Term | None:
        if isinstance(node, IRI):
            return node
        if isinstance(node, Anonymous) and node not in self._structures:
            return node
        return None

    def _kind(self, node: Node) -> PropertyType | None:
        if isinstance(node, Anonymous) and self._ope(node) != node:
            return PropertyType.OBJECT  # ObjectInverseOf(p)
        return self._decl.kind(node)

    # -- the ontology and the blank-node axioms ------------------------------------------
    def _header(self, subject: Subject) -> Iterator[OwlAxiom]:
        graph = self._graph
        graph.use(subject, RDF_TYPE, IRI(OWL + "Ontology"))
        graph.use_all(subject, OWL + "versionIRI")  # the ontology's IRIs make no rows
        for imported in graph.objects(subject, OWL + "imports"):
            if isinstance(imported, IRI):
                graph.use(subject, OWL + "imports", imported)
                yield OwlAxiom("Import", (imported,))
        for annotation in self._annotations.of_node(subject, _HEADER_PARTS):
            yield OwlAxiom.from_expr(annotation)

    def _blank_axiom(self, subject: Anonymous) -> Iterator[OwlAxiom]:
        graph = self._graph
        kinds = [t for t in _BLANK_AXIOMS if IRI(t) in graph.objects(subject, RDF_TYPE)]
        axiom = self._blank_axiom_core(subject, kinds[0])
        if axiom is None:
            return
        graph.use(subject, RDF_TYPE, IRI(kinds[0]))
        annotations = self._annotations.of_node(subject, _BLANK_AXIOM_PARTS)
        yield OwlAxiom(axiom.kind, axiom.args, annotations)

    def _blank_axiom_core(self, subject: Anonymous, type_iri: str) -> OwlAxiom | None:
        graph, expr = self._graph, self._expr
        if type_iri == OWL + "NegativePropertyAssertion":
            return self._negative(subject)
        head = graph.value(subject, OWL + "members")
        if head is None and type_iri == OWL + "AllDifferent":
            head = graph.value(subject, OWL + "distinctMembers")
        members = expr.members(head)
        if type_iri == OWL + "AllDisjointClasses":
            return OwlAxiom("DisjointClasses", tuple(self._class(m) for m in members))
        if type_iri == OWL + "AllDifferent":
            individuals = [self._individual(m) for m in members]
            if any(i is None for i in individuals):
                return None
            return OwlAxiom("DifferentIndividuals", tuple(i for i in individuals if i))
        data = any(self._kind(m) is PropertyType.DATA for m in members)
        name = "DisjointDataProperties" if data else "DisjointObjectProperties"
        return OwlAxiom(name, tuple(self._ope(m) for m in members))

    def _negative(self, subject: Anonymous) -> OwlAxiom | None:
        graph = self._graph
        source = self._individual(first(graph.objects(subject, OWL + "sourceIndividual")))  # type: ignore[arg-type]
        prop = first(graph.objects(subject, OWL + "assertionProperty"))
        target = first(graph.objects(subject, OWL + "targetIndividual"))
        value = first(graph.objects(subject, OWL + "targetValue"))
        if source is None or prop is None or (target is None and value is None):
            return None
        for part in _BLANK_AXIOM_PARTS[3:]:
            graph.use_all(subject, part)
        if value is not None:
            return OwlAxiom("NegativeDataPropertyAssertion", (prop, source, value))
        individual = self._individual(target)  # type: ignore[arg-type]
        if individual is None:
            return None
        return OwlAxiom("NegativeObjectPropertyAssertion", (self._ope(prop), source, individual))

    # -- handlers: one triple each, an axiom or None ------------------------------------
    def _type(self, subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
        if not isinstance(obj, SUBJECTS):
            return None
        if isinstance(subject, Anonymous):
            if subject in self._structures or obj in _STRUCTURE_TYPES:
                return None  # part of an expression's encoding
            return OwlAxiom("ClassAssertion", (self._class(obj), subject))
        if isinstance(obj, IRI):
            value = obj.value
            declaration = self._decl.declaration(subject, value, self._types)
            if declaration is not None:
                return declaration
            if value == RDF + "Property":
                return _READ  # implied by the OWL property type beside it
            if value == OWL + "FunctionalProperty":
                data = self._decl.kind(subject) is PropertyType.DATA
                return OwlAxiom(f"Functional{'Data' if data else 'Object'}Property", (subject,))
            if value in CHARACTERISTICS:
                return OwlAxiom(CHARACTERISTICS[value], (subject,))
            if value.startswith(_RESERVED) and value not in _CLASS_TYPES:
                return None
        return OwlAxiom("ClassAssertion", (self._class(obj), subject))

    def _class_pair(self, kind: str) -> Handler:
        def handle(subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
            if isinstance(obj, Literal):
                return None
            return OwlAxiom(kind, (self._class(subject), self._class(obj)))

        return handle

    def _equivalent_class(self, subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
        if isinstance(obj, Literal):
            return None
        if isinstance(subject, IRI) and self._expr.is_datatype(subject):
            return OwlAxiom("DatatypeDefinition", (subject, self._class(obj)))
        return OwlAxiom("EquivalentClasses", (self._class(subject), self._class(obj)))

    def _named_definition(self, subject: Subject, predicate: str, _: Node) -> OwlAxiom | None:
        if not isinstance(subject, IRI):
            return None  # a blank node: the expression itself
        definition = self._expr.build_from(subject, predicate)
        if self._expr.is_datatype(subject):
            return OwlAxiom("DatatypeDefinition", (subject, definition))
        return OwlAxiom("EquivalentClasses", (subject, definition))

    def _disjoint_union(self, subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
        members = self._expr.members(obj)
        return OwlAxiom("DisjointUnion", (subject, *(self._class(m) for m in members)))

    def _has_key(self, subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
        keys = self._expr.members(obj)
        data = [k for k in keys if self._kind(k) is PropertyType.DATA]
        objects = [self._ope(k) for k in keys if k not in data]
        lists = (Expr("", tuple(objects)), Expr("", tuple(data)))
        return OwlAxiom("HasKey", (self._class(subject), *lists))

    def _sub_property(self, subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
        kind = self._kind(subject) or self._kind(obj)
        if kind is None or isinstance(obj, Literal):
            return None
        if kind is PropertyType.OBJECT:
            return OwlAxiom("SubObjectPropertyOf", (self._ope(subject), self._ope(obj)))
        name = "SubDataPropertyOf" if kind is PropertyType.DATA else "SubAnnotationPropertyOf"
        return OwlAxiom(name, (subject, obj))

    def _property_pair(self, word: str) -> Handler:
        def handle(subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
            kind = self._kind(subject) or self._kind(obj)
            if kind is PropertyType.OBJECT:
                return OwlAxiom(f"{word}ObjectProperties", (self._ope(subject), self._ope(obj)))
            if kind is PropertyType.DATA:
                return OwlAxiom(f"{word}DataProperties", (subject, obj))
            return None

        return handle

    def _inverse_of(self, subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
        if not isinstance(subject, IRI) or isinstance(obj, Literal):
            return None  # a blank subject is an ObjectInverseOf expression
        return OwlAxiom("InverseObjectProperties", (subject, self._ope(obj)))

    def _chain(self, subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
        chain = Expr("ObjectPropertyChain", tuple(self._ope(m) for m in self._expr.members(obj)))
        return OwlAxiom("SubObjectPropertyOf", (chain, self._ope(subject)))

    def _domain_range(self, which: str) -> Handler:
        def handle(subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
            kind = self._kind(subject)
            if kind is None or isinstance(obj, Literal):
                return None
            if kind is PropertyType.OBJECT:
                return OwlAxiom(f"ObjectProperty{which}", (self._ope(subject), self._class(obj)))
            if kind is PropertyType.DATA:
                return OwlAxiom(f"DataProperty{which}", (subject, self._class(obj)))
            if not isinstance(obj, IRI):
                return None
            return OwlAxiom(f"AnnotationProperty{which}", (subject, obj))

        return handle

    def _individual_pair(self, kind: str) -> Handler:
        def handle(subject: Subject, _: str, obj: Node) -> OwlAxiom | None:
            first_, second = self._individual(subject), self._individual(obj)
            if first_ is None or second is None:
                return None
            return OwlAxiom(kind, (first_, second))

        return handle


__all__ = ["AxiomReader"]
