"""One ontology, two syntaxes, the same rows: crafted Functional Syntax / Turtle pairs for
each part of the reverse W3C mapping, with the rows they must give, for both RDF parsers.
"""

from __future__ import annotations

import pytest

from streaming_sync._model import (
    Axiom,
    AxiomType,
    HierarchyEdge,
    OntologyClass,
    OntologyData,
    OntologyProperty,
    OtherAxiom,
    PropertyType,
)
from streaming_sync.parsers import DefaultParser
from streaming_sync.parsers.ofn import parse_ofn

E = "http://e.org/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
TTL = """@prefix : <http://e.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
[] a owl:Ontology .
"""
PARSERS = [DefaultParser(rdf="rdflib"), DefaultParser(rdf="oxigraph")]
IDS = ["rdflib", "oxigraph"]


def both(functional: str, turtle: str, parser: DefaultParser) -> OntologyData:
    """The rows of the Functional Syntax text, after checking the Turtle text gives the
    very same rows."""
    fs = parse_ofn("a.ofn", f"Prefix(:=<{E}>)\nOntology(\n{functional}\n)")
    rdf = parser.parse("a.ttl", (TTL + turtle).encode())
    assert rdf == fs
    return fs


def other(kind: str, text: str) -> OtherAxiom:
    return OtherAxiom(kind, text)


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_inverse_property_domain_and_range(parser: DefaultParser) -> None:
    """`[ owl:inverseOf :p ] rdfs:domain :C` is ObjectPropertyDomain(ObjectInverseOf(:p) :C)
    from RDF as from Functional Syntax (it used to be dropped from RDF)."""
    data = both(
        "Declaration(ObjectProperty(:p))\n"
        "ObjectPropertyDomain(ObjectInverseOf(:p) :C)\nObjectPropertyRange(ObjectInverseOf(:p) :D)",
        ":p a owl:ObjectProperty .\n[ owl:inverseOf :p ] rdfs:domain :C .\n"
        "[ owl:inverseOf :p ] rdfs:range :D .",
        parser,
    )
    assert data.other_axioms == (
        other("ObjectPropertyDomain", f"ObjectPropertyDomain(ObjectInverseOf(<{E}p>) <{E}C>)"),
        other("ObjectPropertyRange", f"ObjectPropertyRange(ObjectInverseOf(<{E}p>) <{E}D>)"),
    )


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_keys_from_rdf_render_as_functional_syntax_that_reads_back(parser: DefaultParser) -> None:
    """owl:hasKey splits its list into object and data properties by their declarations;
    the rendered axiom reads back through the Functional Syntax reader."""
    data = both(
        "Declaration(ObjectProperty(:op))\nDeclaration(DataProperty(:dp))\n"
        "HasKey(:C (:op) (:dp))\nHasKey(:D () (:dp))",
        ":op a owl:ObjectProperty . :dp a owl:DatatypeProperty .\n"
        ":C owl:hasKey ( :dp :op ) . :D owl:hasKey ( :dp ) .",
        parser,
    )
    keys = [o for o in data.other_axioms if o.kind == "HasKey"]
    assert keys == [
        other("HasKey", f"HasKey(<{E}C> (<{E}op>) (<{E}dp>))"),
        other("HasKey", f"HasKey(<{E}D> () (<{E}dp>))"),
    ]
    for key in keys:
        assert parse_ofn("back.ofn", key.text).other_axioms == (key,)


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_n_ary_equivalences_are_the_same_classes_however_split(parser: DefaultParser) -> None:
    """EquivalentClasses(:A :B :C) and any chain or star of owl:equivalentClass over the
    same classes give the same rows: anchored on the first member in canonical order;
    SameIndividual likewise, as one other axiom."""
    data = both(
        "EquivalentClasses(:C :A :B)\nSameIndividual(:i :j :k)",
        ":C owl:equivalentClass :B . :A owl:equivalentClass :B .\n"
        ":k owl:sameAs :j . :i owl:sameAs :k .",
        parser,
    )
    eq = AxiomType.EQUIVALENT_CLASS
    assert data.axioms == (Axiom(eq, E + "A", E + "B"), Axiom(eq, E + "A", E + "C"))
    assert data.other_axioms == (other("SameIndividual", f"SameIndividual(<{E}i> <{E}j> <{E}k>)"),)


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_disjointness_of_two_and_of_many(parser: DefaultParser) -> None:
    """DisjointClasses of two (owl:disjointWith) and of three (owl:AllDisjointClasses)
    give one DisjointWith row per pair; DifferentIndividuals of three (owl:AllDifferent)
    is one other axiom, operands sorted."""
    data = both(
        "DisjointClasses(:Y :X)\nDisjointClasses(:A :B :C)\nDifferentIndividuals(:k :j :i)",
        ":Y owl:disjointWith :X .\n[] a owl:AllDisjointClasses ; owl:members ( :A :B :C ) .\n"
        "[] a owl:AllDifferent ; owl:distinctMembers ( :k :j :i ) .",
        parser,
    )
    dis = AxiomType.DISJOINT_WITH
    pairs = [("A", "B"), ("A", "C"), ("B", "C"), ("X", "Y")]
    assert data.axioms == tuple(Axiom(dis, E + a, E + b) for a, b in pairs)
    assert data.other_axioms == (
        other("DifferentIndividuals", f"DifferentIndividuals(<{E}i> <{E}j> <{E}k>)"),
    )


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_annotated_axioms_through_reification(parser: DefaultParser) -> None:
    """owl:Axiom reification gives the axiom its annotations (sorted), also when the
    reification holds its own copy of a blank-node expression; an annotated annotation
    (owl:Annotation) nests; an annotated declaration keeps its row and the axiom."""
    data = both(
        'SubClassOf(Annotation(rdfs:comment "b") Annotation(rdfs:comment "a") :A :B)\n'
        'SubClassOf(Annotation(Annotation(:by "me") rdfs:comment "c") :A '
        "ObjectSomeValuesFrom(:p :C))\n"
        'Declaration(Annotation(rdfs:comment "d") Class(:A))\n'
        "Declaration(ObjectProperty(:p))\nDeclaration(AnnotationProperty(:by))",
        ":p a owl:ObjectProperty . :by a owl:AnnotationProperty . :A a owl:Class .\n"
        ":A rdfs:subClassOf :B ,\n"
        "   [ a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom :C ] .\n"
        "[] a owl:Axiom ; owl:annotatedSource :A ; owl:annotatedProperty rdfs:subClassOf ;\n"
        '   owl:annotatedTarget :B ; rdfs:comment "a" , "b" .\n'
        "_:x a owl:Axiom ; owl:annotatedSource :A ; owl:annotatedProperty rdfs:subClassOf ;\n"
        "   owl:annotatedTarget\n"
        "   [ a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom :C ] ;\n"
        '   rdfs:comment "c" .\n'
        "[] a owl:Annotation ; owl:annotatedSource _:x ; owl:annotatedProperty rdfs:comment ;\n"
        '   owl:annotatedTarget "c" ; :by "me" .\n'
        "[] a owl:Axiom ; owl:annotatedSource :A ; owl:annotatedProperty rdf:type ;\n"
        '   owl:annotatedTarget owl:Class ; rdfs:comment "d" .',
        parser,
    )
    comment = f'Annotation(<{RDFS}comment> \\"{{}}\\")'
    two = f'{{"annotations":["{comment.format("a")}","{comment.format("b")}"]}}'
    nested = (
        f'{{"annotations":["Annotation(Annotation(<{E}by> \\"me\\") <{RDFS}comment> \\"c\\")"]}}'
    )
    assert data.axioms == (
        Axiom(AxiomType.SUBCLASS_OF, E + "A", f"ObjectSomeValuesFrom(<{E}p> <{E}C>)", None, nested),
        Axiom(AxiomType.SUBCLASS_OF, E + "A", E + "B", None, two),
    )
    assert data.classes == (OntologyClass(E + "A"),)
    assert data.other_axioms == (
        other("Declaration", f'Declaration(Annotation(<{RDFS}comment> "d") Class(<{E}A>))'),
    )


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_anonymous_individuals_are_named_canonically(parser: DefaultParser) -> None:
    """Blank nodes as individuals get the same canonical names whatever their labels
    (numbered in the order of what is said about them: the one in a ClassAssertion
    sorts first)."""
    data = both(
        "Declaration(ObjectProperty(:p))\nDeclaration(DataProperty(:d))\n"
        "ObjectPropertyAssertion(:p :a _:zz)\nClassAssertion(:C _:zz)\n"
        'DataPropertyAssertion(:d _:zz "1")\nObjectPropertyAssertion(:p _:b1 _:zz)',
        ":p a owl:ObjectProperty . :d a owl:DatatypeProperty .\n"
        ':a :p _:n . _:n a :C ; :d "1" . _:m :p _:n .',
        parser,
    )
    opa = AxiomType.OBJECT_PROPERTY_ASSERTION
    assert data.axioms == (
        Axiom(AxiomType.DATA_PROPERTY_ASSERTION, "_:a1", '"1"', E + "d"),
        Axiom(opa, "_:a2", "_:a1", E + "p"),
        Axiom(opa, E + "a", "_:a1", E + "p"),
    )
    assert data.other_axioms == (other("ClassAssertion", f"ClassAssertion(<{E}C> _:a1)"),)


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_negative_assertions_chains_and_inverse_assertions(parser: DefaultParser) -> None:
    """Negative assertions (owl:NegativePropertyAssertion), property chains, and an
    assertion on ObjectInverseOf (written swapped in RDF) read the same."""
    data = both(
        "Declaration(ObjectProperty(:p))\nDeclaration(ObjectProperty(:q))\n"
        "Declaration(DataProperty(:d))\n"
        'NegativeObjectPropertyAssertion(:p :a :b)\nNegativeDataPropertyAssertion(:d :a "x")\n'
        "SubObjectPropertyOf(ObjectPropertyChain(:p :q) :q)\n"
        "ObjectPropertyAssertion(ObjectInverseOf(:p) :c :d1)",
        ":p a owl:ObjectProperty . :q a owl:ObjectProperty . :d a owl:DatatypeProperty .\n"
        "[] a owl:NegativePropertyAssertion ; owl:sourceIndividual :a ;\n"
        "   owl:assertionProperty :p ; owl:targetIndividual :b .\n"
        "[] a owl:NegativePropertyAssertion ; owl:sourceIndividual :a ;\n"
        '   owl:assertionProperty :d ; owl:targetValue "x" .\n'
        ":q owl:propertyChainAxiom ( :p :q ) .\n:d1 :p :c .",
        parser,
    )
    assert data.axioms == (Axiom(AxiomType.OBJECT_PROPERTY_ASSERTION, E + "d1", E + "c", E + "p"),)
    assert [o.text for o in data.other_axioms] == [
        f'NegativeDataPropertyAssertion(<{E}d> <{E}a> "x")',
        f"NegativeObjectPropertyAssertion(<{E}p> <{E}a> <{E}b>)",
        f"SubObjectPropertyOf(ObjectPropertyChain(<{E}p> <{E}q>) <{E}q>)",
    ]


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_declarations_of_every_kind_annotations_and_imports(parser: DefaultParser) -> None:
    """Every entity kind's declaration, annotation assertions (labels of declared
    classes and properties become their label; the rest are kept), ontology annotations
    and imports."""
    fs = parse_ofn(
        "a.ofn",
        f"Prefix(:=<{E}>)\nOntology(<{E}o>\nImport(<{E}other>)\n"
        'Annotation(rdfs:comment "the ontology")\n'
        "Declaration(Class(:C))\nDeclaration(ObjectProperty(:op))\n"
        "Declaration(DataProperty(:dp))\nDeclaration(AnnotationProperty(:ap))\n"
        "Declaration(Datatype(:dt))\nDeclaration(NamedIndividual(:i))\n"
        'AnnotationAssertion(rdfs:label :C "C"@en)\nAnnotationAssertion(rdfs:label :op "op")\n'
        'AnnotationAssertion(:ap :i "note")\n)',
    )
    rdf = parser.parse(
        "a.ttl",
        (
            TTL.replace("[] a owl:Ontology .", "")
            + ':o a owl:Ontology ; owl:imports :other ; rdfs:comment "the ontology" .\n'
            ":C a owl:Class . :op a owl:ObjectProperty . :dp a owl:DatatypeProperty .\n"
            ":ap a owl:AnnotationProperty . :dt a rdfs:Datatype . :i a owl:NamedIndividual .\n"
            ':C rdfs:label "C"@en . :op rdfs:label "op" . :i :ap "note" .'
        ).encode(),
    )
    assert rdf == fs
    assert fs.classes == (OntologyClass(E + "C", "C"),)
    assert fs.properties == (
        OntologyProperty(E + "ap", PropertyType.ANNOTATION),
        OntologyProperty(E + "dp", PropertyType.DATA),
        OntologyProperty(E + "op", PropertyType.OBJECT, "op"),
    )
    assert [o.text for o in fs.other_axioms] == [
        f'Annotation(<{RDFS}comment> "the ontology")',
        f'AnnotationAssertion(<{E}ap> <{E}i> "note")',
        f"Declaration(Datatype(<{E}dt>))",
        f"Declaration(NamedIndividual(<{E}i>))",
        f"Import(<{E}other>)",
    ]


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_triples_that_map_to_no_axiom_are_kept(parser: DefaultParser) -> None:
    """A triple no axiom uses (misused OWL vocabulary, an object property with a
    literal, a broken list) is kept as a `Triple(s p o)` other axiom, never dropped."""
    data = parser.parse(
        "t.ttl",
        (
            TTL + ':p a owl:ObjectProperty .\n:x owl:onProperty :y .\n:a :p "lit" .\n'
            ":A rdfs:subClassOf :B ."
        ).encode(),
    )
    assert data.edges == (HierarchyEdge(E + "A", E + "B"),)
    assert [o.text for o in data.other_axioms] == [
        f'Triple(<{E}a> <{E}p> "lit")',
        f"Triple(<{E}x> <http://www.w3.org/2002/07/owl#onProperty> <{E}y>)",
    ]


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_property_kind_follows_the_declaration(parser: DefaultParser) -> None:
    """A property axiom of the wrong kind for its declared property (as in the W3C case
    FS2RDF-domain-range) is read in the declared kind, as RDF can only read it."""
    data = both(
        "Declaration(DataProperty(:d))\nObjectPropertyRange(:d ObjectUnionOf(:A :B))\n"
        "ObjectPropertyDomain(:d :C)",
        ":d a owl:DatatypeProperty ; rdfs:range [ owl:unionOf ( :A :B ) ] ; rdfs:domain :C .",
        parser,
    )
    assert data.properties == (OntologyProperty(E + "d", PropertyType.DATA, domain={E + "C"}),)
    assert [o.text for o in data.other_axioms] == [
        f"DataPropertyRange(<{E}d> ObjectUnionOf(<{E}A> <{E}B>))"
    ]
