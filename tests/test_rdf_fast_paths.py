"""The shortcuts of the RDF mapping's hot path give what the straightforward code gives.

The pyoxigraph conversion is one inlined loop (compared here with the term-by-term
reference it replaced), the unused-triple walk is skipped when every triple was used
(which relies on ``Graph.used`` holding triples of the graph only), assertions are read
by a handler chosen once per predicate, and ``RowBuilder.add_axiom`` calls ``canonical``
only for the axioms it may change.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from streaming_sync._owl import IRI, Anonymous, Expr, Literal, OwlAxiom
from streaming_sync.parsers._canonical import canonical
from streaming_sync.parsers._rdfaxioms import AxiomReader
from streaming_sync.parsers._rdfdecl import Declarations
from streaming_sync.parsers._rdfexpr import Graph, Node, Triple
from streaming_sync.parsers._rdfmap import build_index, make_literal
from streaming_sync.parsers._rows import RowBuilder
from streaming_sync.parsers._xmlguard import XML_LITERAL, canonical_xml_literal
from streaming_sync.parsers.oxigraph import _FORMATS, _triples

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OWL = "http://www.w3.org/2002/07/owl#"
HEAD = """@prefix : <http://e.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
CASES = {
    "turtle": HEAD
    + """:A a owl:Class ; rdfs:label "a"@EN-gb, "b"^^xsd:string, "1"^^xsd:int ;
        rdfs:subClassOf [ owl:onProperty :p ; owl:someValuesFrom :B ] ; :q :A , _:x , "a"@en-GB .
        _:x :q :A .""",
    "n3": HEAD + ":A a owl:Class . { :B a owl:Class } :says :C . :C :p { :D :p :E } .",
    "trig": HEAD + ":g { :A a owl:Class . _:b :p :A } :B a owl:Class .",
    "nt": '<http://e.org/A> <http://e.org/p> "x\\ny"@de .\n_:a <http://e.org/p> _:a .\n',
    "xml": """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xml:base="http://e.org/o">
  <rdf:Description rdf:about="#A">
    <rdfs:comment rdf:parseType="Literal"><b   a="1">x</b></rdfs:comment>
    <rdfs:label xml:lang="EN">A</rdfs:label>
    <rdfs:seeAlso rdf:nodeID="n1"/>
  </rdf:Description>
</rdf:RDF>""",
}


def _reference(fmt: str, payload: str) -> Iterator[Triple]:
    """The conversion as first written: every term converted on its own."""

    def node(term: object) -> Node | None:
        if isinstance(term, ox.NamedNode):
            return IRI(term.value)
        if isinstance(term, ox.BlankNode):
            return Anonymous(term.value)
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value
            if fmt == "xml" and datatype == XML_LITERAL:
                return make_literal(canonical_xml_literal(term.value), None, datatype)
            return make_literal(term.value, term.language, datatype)
        return None

    for quad in ox.parse(input=payload, format=_FORMATS[fmt], base_iri="http://e.org/base"):
        if fmt == "n3" and not isinstance(quad.graph_name, ox.DefaultGraph):
            continue
        subject, obj = node(quad.subject), node(quad.object)
        if subject is None or obj is None or isinstance(subject, Literal):
            continue
        if isinstance(quad.predicate, ox.NamedNode):
            yield subject, quad.predicate.value, obj


def _labelled(triples: list[Triple]) -> list[Triple]:
    """``triples`` with blank nodes named by first appearance (pyoxigraph names the
    unlabelled ones at random, differently in every parse)."""
    names: dict[Anonymous, Anonymous] = {}

    def name(node: Node) -> Node:
        if not isinstance(node, Anonymous):
            return node
        return names.setdefault(node, Anonymous(f"b{len(names)}"))

    return [(name(s), p, name(o)) for s, p, o in triples]  # type: ignore[misc]


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_inlined_conversion_equals_the_reference(fmt: str) -> None:
    """Every format's triples (N3 formulas, named graphs and RDF/XML literals included)
    are the reference conversion's, in the same order."""
    expected = _labelled(list(_reference(fmt, CASES[fmt])))
    assert expected  # the case reads to something
    assert _labelled(_triples(fmt, CASES[fmt], "http://e.org/base")) == expected


def test_conversion_shares_one_iri_object_per_value() -> None:
    """An IRI met several times is one object (hashed once, cached hash reused)."""
    triples = _triples("turtle", CASES["turtle"], "http://e.org/base")
    subjects = [s for s, _, _ in triples if s == IRI("http://e.org/A")]
    assert len(subjects) > 1
    assert all(s is subjects[0] for s in subjects)


def test_graph_use_ignores_a_triple_not_in_the_graph() -> None:
    """``Graph.used`` holds triples of the graph only, so ``len(used) == size`` means
    every triple was used (the unused-triple walk is skipped on that condition)."""
    a, b = IRI("http://e.org/A"), IRI("http://e.org/B")
    graph = Graph(build_index([(a, RDF_TYPE, b), (a, RDF_TYPE, b), (b, RDF_TYPE, a)]))
    assert graph.size == 2  # duplicates collapse
    graph.use(a, RDF_TYPE, a)  # not a triple of the graph
    graph.use(a, "http://e.org/other", b)
    graph.use(IRI("http://e.org/C"), RDF_TYPE, b)
    assert graph.used == set()
    graph.use(a, RDF_TYPE, b)
    assert graph.used == {(a, RDF_TYPE, b)}


def _read(triples: list[Triple]) -> list[OwlAxiom]:
    graph = Graph(build_index(triples))
    return AxiomReader(graph, Declarations(graph.index)).axioms()


def test_unused_triples_are_kept_whether_or_not_all_were_used() -> None:
    """A triple no axiom reads is a ``Triple`` axiom; with none left over, none is made."""
    a, p = IRI("http://e.org/A"), "http://e.org/p"
    declared = (a, RDF_TYPE, IRI(OWL + "Class"))
    assert [x.kind for x in _read([declared])] == ["Declaration"]
    stray = (a, OWL + "onProperty", IRI("http://e.org/q"))  # reserved: no axiom reads it
    axioms = _read([declared, stray, (a, p, Literal("v"))])
    assert [x.kind for x in axioms] == ["Declaration", "AnnotationAssertion", "Triple"]
    assert axioms[-1].args == (a, IRI(OWL + "onProperty"), IRI("http://e.org/q"))


def test_assertion_handler_per_predicate_follows_the_property_kind() -> None:
    """One handler per predicate, chosen by its declared kind: object, data and
    annotation assertions of several subjects each read as their kind."""
    e = "http://e.org/"
    obj, data, ann = IRI(e + "o"), IRI(e + "d"), IRI(e + "n")
    x, y = IRI(e + "x"), IRI(e + "y")
    triples: list[Triple] = [
        (obj, RDF_TYPE, IRI(OWL + "ObjectProperty")),
        (data, RDF_TYPE, IRI(OWL + "DatatypeProperty")),
        (x, obj.value, y),
        (y, obj.value, Literal("not an individual")),
        (x, data.value, Literal("1")),
        (y, data.value, x),  # not a literal: no data assertion
        (x, ann.value, Literal("note")),
        (y, ann.value, x),
    ]
    kinds = sorted(a.kind for a in _read(triples))
    assert kinds == [
        "AnnotationAssertion",
        "AnnotationAssertion",
        "DataPropertyAssertion",
        "Declaration",
        "Declaration",
        "ObjectPropertyAssertion",
        "Triple",
        "Triple",
    ]


AXIOMS = [
    OwlAxiom("SubClassOf", (IRI("http://e.org/B"), IRI("http://e.org/A"))),
    OwlAxiom("EquivalentClasses", (IRI("http://e.org/B"), IRI("http://e.org/A"))),
    OwlAxiom("DisjointClasses", (IRI("http://e.org/C"), IRI("http://e.org/A"))),
    OwlAxiom(
        "ObjectPropertyAssertion",
        (Expr("ObjectInverseOf", (IRI("http://e.org/p"),)), IRI("http://e.org/a"), Anonymous("b")),
    ),
    OwlAxiom(
        "AnnotationAssertion",
        (IRI("http://e.org/n"), IRI("http://e.org/A"), Literal("z")),
        (
            Expr("Annotation", (IRI("http://e.org/n"), Literal("2"))),
            Expr("Annotation", (IRI("http://e.org/n"), Literal("1"))),
        ),
    ),
    OwlAxiom("HasKey", (IRI("http://e.org/A"), Expr("", (IRI("http://e.org/q"),)), Expr(""))),
]


def test_add_axiom_skips_canonical_only_where_it_changes_nothing() -> None:
    """Rows are the same whether every axiom is made canonical first or not."""
    direct, canonical_first = RowBuilder(), RowBuilder()
    for axiom in AXIOMS:
        direct.add_axiom(axiom)
        canonical_first.add_axiom(canonical(axiom))
        if axiom.kind == "SubClassOf":  # the shortcut's case: canonical returns it as is
            assert canonical(axiom) is axiom
    assert direct.build() == canonical_first.build()


@pytest.mark.parametrize("name", ["pizza/pizza.owl", "bfo/bfo-2.0.owl", "w3c-ns/prov-o.owl"])
def test_corpus_files_read_the_same_axioms_as_the_reference_conversion(
    corpus: Path, name: str
) -> None:
    """Real RDF/XML files: the inlined conversion gives the reference's triples."""
    path = corpus / "rdf" / name
    if not path.exists():
        pytest.skip(f"{name} is not in this corpus")
    text = path.read_text(encoding="utf-8")
    expected = _labelled(list(_reference("xml", text)))
    assert _labelled(_triples("xml", text, "http://e.org/base")) == expected
