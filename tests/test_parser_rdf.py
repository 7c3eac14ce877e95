"""The rdflib RDF parser: format sniffing, the mapping to rows, hostile input, real data."""

from __future__ import annotations

import pickle
import re
import sys
from pathlib import Path

import pytest
import rdflib

from streaming_sync._errors import ParseError, SkipFile
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
from streaming_sync.parsers.rdf import RdflibParser, parse_turtle_fragment, sniff_format

E = "http://e.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
HEAD = """@prefix : <http://e.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
OWL_CLASS_QUERY = """
SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {
  { ?c a <http://www.w3.org/2002/07/owl#Class> } UNION
  { ?c a <http://www.w3.org/2000/01/rdf-schema#Class> }
  %s
}"""

PARSER = RdflibParser()


def parse_ttl(text: str, path: str = "crafted.ttl") -> OntologyData:
    return PARSER.parse(path, (HEAD + text).encode())


def count(graph: rdflib.Graph, query: str) -> int:
    row = next(iter(graph.query(query)))
    return int(str(row[0]))  # type: ignore[index]


# --- sniffing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "head", "expected"),
    [
        ("a.ttl", b"<?xml version='1.0'?><rdf:RDF/>", "turtle"),
        ("a.nt", b"<a> <b> <c> .", "nt"),
        ("a.n3", b"", "n3"),
        ("a.jsonld", b"{}", "json-ld"),
        ("a.trig", b"", "trig"),
        ("a.ofn", b"", "ofn"),
        ("a.owl", b"\xef\xbb\xbf<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='x'>", "xml"),
        ("a.owl", b"<?xml version='1.0'?>\n<!DOCTYPE rdf:RDF [\n]>\n<rdf:RDF>", "xml"),
        (
            "a.owl",
            b'<?xml version="1.0"?>\n<!-- c -->\n<Ontology xmlns="http://www.w3.org/2002/07/owl#"'
            b' ontologyIRI="http://e.org/o">',
            "owlxml",
        ),
        ("a.owl", b"# comment\nPrefix(:=<http://e.org/>)\nOntology(<http://e.org/o>)", "ofn"),
        ("a.owl", b"@prefix : <http://e.org/> .\n:a :b :c .", "turtle"),
        ("a.xml", b"  PREFIX : <http://e.org/>\n:a :b :c .", "turtle"),
        ("a.rdf", b'{"@id": "http://e.org/a"}', "json-ld"),
        ("A.OWL", b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/>", "xml"),
    ],
)
def test_sniff_format(path: str, head: bytes, expected: str) -> None:
    """The extension decides when it is unambiguous; .owl/.xml/.rdf are sniffed."""
    assert sniff_format(path, head) == expected


def test_accepts_rdf_extensions_only() -> None:
    """The parser claims the RDF extensions, case-insensitively, and nothing else."""
    assert all(PARSER.accepts(p) for p in ("a.ttl", "b/c.OWL", "x.jsonld", "y.trig", "z.xml"))
    assert not any(PARSER.accepts(p) for p in ("a.md", "a.ofn", "a.txt", "ttl"))


def test_parser_is_picklable() -> None:
    """Process pools pickle the parser: it must round-trip and still work."""
    clone = pickle.loads(pickle.dumps(PARSER))
    assert clone.parse("a.ttl", (HEAD + ":A a owl:Class .").encode()).classes == (
        OntologyClass(E + "A"),
    )


# --- crafted rows, derived by hand ------------------------------------------------------


def test_label_preference_and_link_brackets() -> None:
    """en beats en-* beats no language beats others; [[ ]] leave labels; blank classes
    are not classes (their triples are kept as Triple other axioms, with the blank node
    named canonically); comments choose the smallest (language, value)."""
    data = parse_ttl(
        """
:A a owl:Class ; rdfs:label "Bonjour"@fr, "Colour [[Red]]"@en-GB, "plain",
      "See [[Foo Bar]] now"@EN ; rdfs:comment "z"@de, "a"@fr .
:B a rdfs:Class ; rdfs:label "Colour [[Red]]"@en-GB, "plain", "Zed"@zz .
:C a owl:Class ; rdfs:label "plain", "Alpha"@fr .
:D a owl:Class ; rdfs:label "Zeta"@fr, "Alpha"@gr .
[] a owl:Class ; rdfs:label "anonymous" .
"""
    )
    assert data == OntologyData(
        classes=(
            OntologyClass(E + "A", "See Foo Bar now", "z"),
            OntologyClass(E + "B", "Colour Red"),
            OntologyClass(E + "C", "plain"),
            OntologyClass(E + "D", "Zeta"),
        ),
        other_axioms=(
            OtherAxiom("Triple", f"Triple(_:a1 <{RDF}type> <http://www.w3.org/2002/07/owl#Class>)"),
            OtherAxiom("Triple", f'Triple(_:a1 <{RDFS_NS}label> "anonymous")'),
        ),
    )


def test_restrictions_render_canonically() -> None:
    """Restrictions become SubClassOf axioms in Functional Syntax (cardinality numbers
    bare), named parents also become edges, expressions never do."""
    data = parse_ttl(
        """
:hasPart a owl:ObjectProperty . :age a owl:DatatypeProperty .
:A a owl:Class ; rdfs:subClassOf :B ,
  [ a owl:Restriction ; owl:onProperty :hasPart ;
    owl:qualifiedCardinality "1"^^xsd:nonNegativeInteger ; owl:onClass :C ] ,
  [ a owl:Restriction ; owl:onProperty :age ; owl:someValuesFrom xsd:integer ] ,
  [ a owl:Restriction ; owl:onProperty :hasPart ; owl:maxCardinality 3 ] ;
  owl:equivalentClass [ owl:intersectionOf ( :B [ owl:complementOf :C ] ) ] ;
  owl:disjointWith :C .
"""
    )
    a, b, c = E + "A", E + "B", E + "C"
    has_part, age = E + "hasPart", E + "age"
    assert data.edges == (HierarchyEdge(a, b),)
    assert data.axioms == (
        Axiom(AxiomType.DISJOINT_WITH, a, c),
        Axiom(
            AxiomType.EQUIVALENT_CLASS,
            a,
            f"ObjectIntersectionOf(<{b}> ObjectComplementOf(<{c}>))",
        ),
        Axiom(AxiomType.SUBCLASS_OF, a, f"DataSomeValuesFrom(<{age}> <{XSD}integer>)"),
        Axiom(AxiomType.SUBCLASS_OF, a, f"ObjectExactCardinality(1 <{has_part}> <{c}>)"),
        Axiom(AxiomType.SUBCLASS_OF, a, f"ObjectMaxCardinality(3 <{has_part}>)"),
        Axiom(AxiomType.SUBCLASS_OF, a, b),
    )
    assert data.other_axioms == ()


def test_property_classification() -> None:
    """rdf:Property by range; Functional by range; several kinds: Object > Data >
    Annotation; domain/range keep named IRIs; the expression domain is an other axiom."""
    data = parse_ttl(
        """
:p a rdf:Property ; rdfs:range xsd:string ; rdfs:label "P"@en .
:q a rdf:Property ; rdfs:range :C .
:r a rdf:Property .
:s a rdf:Property ; rdfs:range rdfs:Literal .
:f a owl:FunctionalProperty ; rdfs:range xsd:int .
:g a owl:FunctionalProperty .
:h a owl:DatatypeProperty, owl:ObjectProperty ; rdfs:domain :X, [ owl:unionOf ( :Y :Z ) ] .
:t a owl:TransitiveProperty .
:n a owl:AnnotationProperty, owl:DatatypeProperty .
"""
    )
    kinds = {p.iri[len(E) :]: p.property_type for p in data.properties}
    assert kinds == {
        "p": PropertyType.DATA,
        "q": PropertyType.OBJECT,
        "r": PropertyType.ANNOTATION,
        "s": PropertyType.DATA,
        "f": PropertyType.DATA,
        "g": PropertyType.OBJECT,
        "h": PropertyType.OBJECT,
        "t": PropertyType.OBJECT,
        "n": PropertyType.DATA,
    }
    assert data.properties[[p.iri for p in data.properties].index(E + "h")] == OntologyProperty(
        E + "h", PropertyType.OBJECT, domain={E + "X"}
    )
    assert data.properties[[p.iri for p in data.properties].index(E + "p")] == OntologyProperty(
        E + "p", PropertyType.DATA, label="P", range={XSD + "string"}
    )
    assert {o.text for o in data.other_axioms} == {
        f"FunctionalDataProperty(<{E}f>)",
        f"FunctionalObjectProperty(<{E}g>)",
        f"TransitiveObjectProperty(<{E}t>)",
        f"ObjectPropertyDomain(<{E}h> ObjectUnionOf(<{E}Y> <{E}Z>))",
    }


def test_individual_assertions_and_other_axioms() -> None:
    """Triples with declared object/data properties become assertions (lexical form kept
    as written; also about a class used as an individual, as OWL 2 punning allows);
    AllDisjointClasses gives pairwise DisjointWith rows; annotation triples, class
    assertions, individual declarations and a triple that fits no axiom (an object
    property with a literal) are kept as other axioms."""
    data = parse_ttl(
        """
:knows a owl:ObjectProperty . :age a owl:DatatypeProperty . :note a owl:AnnotationProperty .
:Person a owl:Class .
:ann a owl:NamedIndividual, :Person ; :knows :bob, "not an IRI" ; :age "042"^^xsd:integer ;
     :note "annotation" ; rdfs:label "Ann" .
:bob a :Person ; :knows :ann .
:Person :knows :bob .
[] a owl:AllDisjointClasses ; owl:members ( :Person :Robot :Alien ) .
:Person owl:disjointUnionOf ( :Adult :Child ) .
:knows rdfs:subPropertyOf :meets ; owl:inverseOf :knownBy .
"""
    )
    ann, bob, knows, age = E + "ann", E + "bob", E + "knows", E + "age"
    person, dis = E + "Person", AxiomType.DISJOINT_WITH
    assert data.axioms == (
        Axiom(AxiomType.DATA_PROPERTY_ASSERTION, ann, f'"042"^^<{XSD}integer>', age),
        Axiom(dis, E + "Alien", person),
        Axiom(dis, E + "Alien", E + "Robot"),
        Axiom(dis, person, E + "Robot"),
        Axiom(AxiomType.OBJECT_PROPERTY_ASSERTION, person, bob, knows),
        Axiom(AxiomType.OBJECT_PROPERTY_ASSERTION, ann, bob, knows),
        Axiom(AxiomType.OBJECT_PROPERTY_ASSERTION, bob, ann, knows),
    )
    assert data.other_axioms == (
        OtherAxiom("AnnotationAssertion", f'AnnotationAssertion(<{E}note> <{ann}> "annotation")'),
        OtherAxiom("AnnotationAssertion", f'AnnotationAssertion(<{RDFS_NS}label> <{ann}> "Ann")'),
        OtherAxiom("ClassAssertion", f"ClassAssertion(<{person}> <{ann}>)"),
        OtherAxiom("ClassAssertion", f"ClassAssertion(<{person}> <{bob}>)"),
        OtherAxiom("Declaration", f"Declaration(NamedIndividual(<{ann}>))"),
        OtherAxiom("DisjointUnion", f"DisjointUnion(<{person}> <{E}Adult> <{E}Child>)"),
        OtherAxiom("InverseObjectProperties", f"InverseObjectProperties(<{knows}> <{E}knownBy>)"),
        OtherAxiom("SubObjectPropertyOf", f"SubObjectPropertyOf(<{knows}> <{E}meets>)"),
        OtherAxiom("Triple", f'Triple(<{ann}> <{knows}> "not an IRI")'),
    )


def test_cyclic_and_dangling_blank_nodes_terminate() -> None:
    """A cyclic list, a self-referencing restriction and a dangling blank node render
    what they can (``_:anon``) and finish, with a warning."""
    data = parse_ttl(
        """
:A rdfs:subClassOf _:r , _:dangling .
_:r a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom _:r .
:B owl:equivalentClass [ owl:unionOf _:l ] .
_:l rdf:first :X ; rdf:rest _:l .
"""
    )
    assert {(a.subject, a.object) for a in data.axioms} == {
        (E + "A", f"ObjectSomeValuesFrom(<{E}p> _:anon)"),
        (E + "A", "_:anon"),
        (E + "B", f"ObjectUnionOf(<{E}X>)"),
    }
    assert data.warnings


def test_deep_nesting_is_a_parse_error() -> None:
    """A pathologically nested expression is a ParseError, never a RecursionError: past
    the expression limit of the mapping, and past the syntax limit (128 levels of
    brackets) before rdflib sees it, with the line and column of the bracket."""
    nested = "[ owl:complementOf " * 100 + ":X" + " ]" * 100
    with pytest.raises(ParseError, match="nesting"):
        parse_ttl(f":A rdfs:subClassOf {nested} .")
    nested = "[ owl:complementOf " * 300 + ":X" + " ]" * 300
    with pytest.raises(ParseError, match="nesting deeper than 128 levels") as caught:
        parse_ttl(f":A rdfs:subClassOf {nested} .")
    assert (caught.value.line, caught.value.column) == (6, 20 + 19 * 128)


def test_literals_keep_their_lexical_form() -> None:
    """rdflib's literal normalisation is off while parsing, and restored afterwards."""
    data = parse_ttl(
        ':age a owl:DatatypeProperty . :x a :T ; :age "01"^^xsd:integer, 1.50, 1e3, '
        '"2020-01-01T00:00:00Z"^^xsd:dateTime .'
    )
    assert sorted(a.object for a in data.axioms) == [
        f'"01"^^<{XSD}integer>',
        f'"1.50"^^<{XSD}decimal>',
        f'"1e3"^^<{XSD}double>',
        f'"2020-01-01T00:00:00Z"^^<{XSD}dateTime>',
    ]
    assert rdflib.NORMALIZE_LITERALS is True


def test_relative_iris_resolve_against_the_path() -> None:
    """The base is file:/// plus the path in the source, never the working directory."""
    data = PARSER.parse("dir/f.ttl", b"<A> a <http://www.w3.org/2002/07/owl#Class> .")
    assert data.classes == (OntologyClass("file:///dir/A"),)


def test_trig_is_the_union_of_its_graphs() -> None:
    """Every graph of a TriG file contributes, the default one included."""
    trig = HEAD + ":g1 { :A a owl:Class } :g2 { :A rdfs:subClassOf :B } :C a owl:Class ."
    data = PARSER.parse("x.trig", trig.encode())
    assert [c.iri for c in data.classes] == [E + "A", E + "C"]
    assert data.edges == (HierarchyEdge(E + "A", E + "B"),)


# --- bad and hostile input -----------------------------------------------------------


def test_syntax_error_names_the_line() -> None:
    """A Turtle syntax error is a ParseError naming the file and the line."""
    with pytest.raises(ParseError) as caught:
        PARSER.parse("bad.ttl", b"@prefix : <http://e.org/> .\n\n:a :b :c\n:d :e :f .\n")
    assert caught.value.path == "bad.ttl"
    assert caught.value.line == 4


@pytest.mark.parametrize(
    ("path", "data", "reason"),
    [
        ("bin.ttl", b"\x00\x01\x02\xff\xfe binary", "binary content"),
        ("latin.ttl", "<a> <b> 'caf\xe9' .".encode("latin-1"), "not UTF-8"),
        ("bad.nt", b"<http://a> <http://b> .\n", r"bad\.nt:1:23: .*expected an N-Triples object"),
        ("bad.jsonld", b'{"@id": "http://a",}', "invalid JSON"),
        ("bad.owl", b"<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='x'>\n<a></b>", "XML"),
    ],
)
def test_malformed_input_is_a_parse_error(path: str, data: bytes, reason: str) -> None:
    """Binary, undecodable and malformed files raise ParseError with a reason."""
    with pytest.raises(ParseError, match=reason):
        PARSER.parse(path, data)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdfs:Class rdf:about="http://e.org/A"><rdfs:label>&lol3;</rdfs:label></rdfs:Class>
</rdf:RDF>"""


def xxe_document(target: Path, declaration: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF {declaration.replace("TARGET", target.as_uri())}>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdfs:Class rdf:about="http://e.org/A"><rdfs:label>x&xxe;</rdfs:label></rdfs:Class>
</rdf:RDF>""".encode()


def test_billion_laughs_is_refused() -> None:
    """Entities that refer to other entities are refused before any XML parser runs."""
    with pytest.raises(ParseError, match="XML entity declarations are not allowed"):
        PARSER.parse("laughs.owl", BILLION_LAUGHS)


@pytest.mark.parametrize(
    "declaration",
    [
        '[ <!ENTITY xxe SYSTEM "TARGET"> ]',
        '[ <!ENTITY % ext SYSTEM "TARGET"> %ext; ]',
        'SYSTEM "TARGET"',
    ],
)
def test_external_entities_never_read_local_files(tmp_path: Path, declaration: str) -> None:
    """External entities, parameter entities and external DTDs are never read: the
    secret in a real local file appears in no error and no row."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-42")
    with pytest.raises(ParseError) as caught:
        PARSER.parse("xxe.rdf", xxe_document(secret, declaration))
    assert "TOPSECRET" not in str(caught.value)


def test_plain_internal_entities_expand() -> None:
    """Protégé-style namespace entities are expanded (by us, not by the XML parser)."""
    document = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY e "http://e.org/" >
  <!-- a comment -->
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdfs:Class rdf:about="&e;A"><rdfs:label>L &amp; &e;</rdfs:label></rdfs:Class>
</rdf:RDF>"""
    data = PARSER.parse("ent.owl", document)
    assert data.classes == (OntologyClass(E + "A", "L & http://e.org/"),)


@pytest.mark.parametrize(
    "context",
    [
        '"http://127.0.0.1:9/remote.jsonld"',
        '["http://127.0.0.1:9/remote.jsonld", {"e": "http://e.org/"}]',
        '{"@import": "http://127.0.0.1:9/remote.jsonld"}',
    ],
)
def test_remote_jsonld_context_is_refused(context: str) -> None:
    """A remote @context (or @import) is a ParseError naming it; nothing is fetched."""
    document = f'{{"@context": {context}, "@id": "http://e.org/A"}}'.encode()
    with pytest.raises(ParseError, match=r"127\.0\.0\.1:9/remote\.jsonld"):
        PARSER.parse("remote.jsonld", document)


def test_jsonld_with_inline_context_parses() -> None:
    """An inline context is fine."""
    document = b"""{"@context": {"owl": "http://www.w3.org/2002/07/owl#",
                 "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
      "@id": "http://e.org/A", "@type": "owl:Class",
      "rdfs:label": {"@value": "A", "@language": "en"}}"""
    assert PARSER.parse("a.jsonld", document).classes == (OntologyClass(E + "A", "A"),)


def test_owl_xml_and_plain_xml_are_skipped() -> None:
    """OWL/XML is skipped with a reason; XML that is not RDF is skipped, not misread."""
    owlxml = b'<?xml version="1.0"?>\n<Ontology xmlns="http://www.w3.org/2002/07/owl#"/>'
    with pytest.raises(SkipFile, match="OWL/XML is not supported"):
        PARSER.parse("o.owl", owlxml)
    with pytest.raises(SkipFile, match="not RDF/XML"):
        PARSER.parse("pom.xml", b"<project><modelVersion>4</modelVersion></project>")


def test_functional_syntax_without_reader_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the Functional Syntax reader is not installed, .owl files holding it are
    skipped with a reason (not failed)."""
    monkeypatch.setitem(sys.modules, "streaming_sync.parsers.ofn", None)
    with pytest.raises(SkipFile, match="Functional Syntax parser not available"):
        PARSER.parse("x.owl", b"Prefix(:=<http://e.org/>)\nOntology(<http://e.org/o>)")


# --- Turtle fragments (Logseq fences) ---------------------------------------------------


def test_turtle_fragment_with_prefixes_and_line_offset() -> None:
    """Pre-bound prefixes work; an error's line is counted in the page."""
    prefixes = {"mv": "http://e.org/mv#", "owl": "http://www.w3.org/2002/07/owl#", "bad name": "x"}
    data = parse_turtle_fragment("page.md", "mv:A a owl:Class .\n", prefixes, line_offset=10)
    assert data.classes == (OntologyClass("http://e.org/mv#A"),)
    with pytest.raises(ParseError) as caught:
        parse_turtle_fragment("page.md", "mv:A a owl:Class .\nmv:B a\n", prefixes, 10)
    assert caught.value.path == "page.md"
    assert caught.value.line in (12, 13)


# --- the real corpus --------------------------------------------------------------------


def load(corpus: Path, relative: str) -> tuple[bytes, rdflib.Graph]:
    data = (corpus / "rdf" / relative).read_bytes()
    fmt = "turtle" if relative.endswith(".ttl") else "xml"
    return data, rdflib.Graph().parse(data=data, format=fmt)


@pytest.mark.parametrize(
    ("relative", "with_blank"), [("pizza/pizza.owl", 143), ("bfo/bfo-2.0.owl", 35)]
)
def test_corpus_class_counts(corpus: Path, relative: str, with_blank: int) -> None:
    """Class rows equal SPARQL's count of IRI subjects typed owl:Class/rdfs:Class; the
    count with blank nodes is the README's (pizza: 143 = 99 named + 44 anonymous)."""
    data, graph = load(corpus, relative)
    assert count(graph, OWL_CLASS_QUERY % "") == with_blank
    named = count(graph, OWL_CLASS_QUERY % "FILTER(isIRI(?c))")
    assert len(PARSER.parse(relative, data).classes) == named


def test_prov_o_turtle_and_rdfxml_are_the_same(corpus: Path) -> None:
    """PROV-O as Turtle and as RDF/XML (the same graph) give identical rows."""
    ttl = PARSER.parse("prov-o.ttl", (corpus / "rdf/w3c-ns/prov-o.ttl").read_bytes())
    owl = PARSER.parse("prov-o.owl", (corpus / "rdf/w3c-ns/prov-o.owl").read_bytes())
    assert ttl == owl
    assert len(ttl.classes) > 20


def test_ro_object_properties(corpus: Path) -> None:
    """RO has 704 object properties (README), counted again with SPARQL here."""
    data, graph = load(corpus, "obo-relations/ro.owl")
    query = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a owl:ObjectProperty FILTER(isIRI(?p)) }"
    expected = count(graph, query)
    assert expected == 704
    rows = PARSER.parse("ro.owl", data).properties
    assert sum(p.property_type is PropertyType.OBJECT for p in rows) == expected


def test_narrativegoldmine_classes(corpus: Path) -> None:
    """1,241 classes, counted from the text independently of any RDF library."""
    path = corpus / "rdf/narrativegoldmine/ontology-2025-11-16.ttl"
    text = path.read_text()
    expected = len(set(re.findall(r"^(\S+) a owl:Class\b", text, re.M)))
    assert expected == 1241
    assert len(PARSER.parse("ontology.ttl", text.encode()).classes) == expected


def test_foaf_skos_dcterms_parse(corpus: Path) -> None:
    """The other vocabularies parse to classes and properties."""
    for name in ("foaf.ttl", "skos.ttl", "dublin-core-terms.ttl", "../w3c-ns/org.ttl"):
        data = PARSER.parse(name, (corpus / "rdf/bosquet-ontologies" / name).read_bytes())
        assert data.classes
        assert data.properties


def test_malformed_dublin_core_elements(corpus: Path) -> None:
    """The published DC Elements file lacks a ';' near line 26: ParseError there."""
    relative = "bosquet-ontologies/dublin-core-elements.ttl"
    with pytest.raises(ParseError) as caught:
        PARSER.parse(relative, (corpus / "rdf" / relative).read_bytes())
    assert caught.value.path == relative
    assert caught.value.line is not None
    assert 25 <= caught.value.line <= 28
    assert relative in str(caught.value)


def test_functional_syntax_owl_file_is_sniffed(corpus: Path) -> None:
    """ro-edit.ofn.owl holds Functional Syntax: sniffed 'ofn' and handed to that reader."""
    data = (corpus / "rdf/obo-relations/ro-edit.ofn.owl").read_bytes()
    assert sniff_format("ro-edit.ofn.owl", data) == "ofn"
    ofn = pytest.importorskip("streaming_sync.parsers.ofn")
    parsed = PARSER.parse("ro-edit.ofn.owl", data)
    assert parsed == ofn.parse_ofn("ro-edit.ofn.owl", data.decode("utf-8"))
    assert parsed.properties
