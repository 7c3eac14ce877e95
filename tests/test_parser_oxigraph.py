"""The pyoxigraph RDF parser: the same rows as the rdflib parser, file for file."""

from __future__ import annotations

import importlib
import pickle
import sys
from pathlib import Path

import pytest

from streaming_sync._errors import ConfigError, ParseError, SkipFile
from streaming_sync._model import OntologyData
from streaming_sync.parsers._select import FallbackParser, rdf_parser
from streaming_sync.parsers.oxigraph import OxigraphParser
from streaming_sync.parsers.rdf import RdflibParser

OX = OxigraphParser()
RDFLIB = RdflibParser()
HEAD = """@prefix : <http://e.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
RDFXML_HEAD = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"
         xmlns:owl="http://www.w3.org/2002/07/owl#" xml:base="http://e.org/o">
"""
CRAFTED = {
    "labels.ttl": HEAD
    + """:A a owl:Class ; rdfs:label "x"@EN-gb, "plain"^^xsd:string, "[[Y]] z"@en ;
       rdfs:comment "c"@De .  [] a owl:Class .""",
    "restrictions.ttl": HEAD
    + """:p a owl:ObjectProperty . :d a owl:DatatypeProperty .
    :A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:minQualifiedCardinality 2 ;
        owl:onClass [ owl:unionOf ( :B [ owl:oneOf ( :i :j ) ] ) ] ] ,
      [ a owl:Restriction ; owl:onProperty :d ; owl:hasValue "v"@EN ] ,
      [ a owl:Restriction ; owl:onProperty :d ; owl:allValuesFrom [ a rdfs:Datatype ;
        owl:oneOf ( "a" "b"^^xsd:token ) ] ] ,
      [ a owl:Restriction ; owl:onProperty :p ; owl:hasSelf true ] .
    :x a :A ; :p :y ; :d "0010"^^xsd:integer, "t"@FR .""",
    "properties.ttl": HEAD
    + """:p a rdf:Property ; rdfs:range xsd:date . :q a rdf:Property ; rdfs:range :C .
    :f a owl:FunctionalProperty ; rdfs:range rdfs:Literal ; rdfs:label "F"@en .
    :s a owl:SymmetricProperty ; owl:propertyChainAxiom ( :p :q ) .
    :A owl:hasKey ( :p :f ) . :i owl:sameAs :j ; owl:differentFrom :k .""",
    "cycle.ttl": HEAD + ":A rdfs:subClassOf _:r . _:r owl:onProperty :p ; owl:someValuesFrom _:r .",
    "data.nt": """<http://e.org/A> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> \
<http://www.w3.org/2002/07/owl#Class> .
<http://e.org/A> <http://www.w3.org/2000/01/rdf-schema#label> "A"@en .
<http://e.org/A> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <http://e.org/B> .
""",
    "data.n3": HEAD + ":A a owl:Class ; rdfs:subClassOf :B . :C a rdfs:Class .",
    "data.trig": HEAD + ":g { :A a owl:Class } :h { :A rdfs:subClassOf _:x . _:x owl:onProperty "
    ":p ; owl:someValuesFrom :C } :D a owl:Class .",
    "data.jsonld": """{"@context": {"owl": "http://www.w3.org/2002/07/owl#",
      "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
     "@graph": [{"@id": "http://e.org/A", "@type": "owl:Class",
                 "rdfs:label": [{"@value": "A", "@language": "EN"}, "plain"],
                 "rdfs:subClassOf": {"@id": "http://e.org/B"}}]}""",
    "data.owl": RDFXML_HEAD
    + """<owl:Class rdf:about="#A"><rdfs:label xml:lang="en">A</rdfs:label>
    <rdfs:subClassOf><owl:Restriction><owl:onProperty rdf:resource="#p"/>
      <owl:cardinality rdf:datatype="http://www.w3.org/2001/XMLSchema#nonNegativeInteger">1
      </owl:cardinality></owl:Restriction></rdfs:subClassOf></owl:Class>
    <owl:AllDisjointClasses><owl:members rdf:parseType="Collection">
      <rdf:Description rdf:about="#A"/><rdf:Description rdf:about="#B"/>
    </owl:members></owl:AllDisjointClasses>
    <owl:Class rdf:ID="B"/>
    </rdf:RDF>""",
    "relative.ttl": "<A> a <http://www.w3.org/2002/07/owl#Class> .",
}


def canonical(data: OntologyData) -> tuple[frozenset[object], ...]:
    """Order-free form of the rows (the parsers also sort, but compare sets anyway)."""
    return (
        frozenset(data.classes),
        frozenset(data.edges),
        frozenset(data.properties),
        frozenset(data.axioms),
        frozenset(data.other_axioms),
        frozenset(data.warnings),
    )


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_cases_agree(name: str) -> None:
    """Every crafted file gives the same rows with both libraries, and some rows."""
    data = CRAFTED[name].encode()
    ours = OX.parse(name, data)
    assert canonical(ours) == canonical(RDFLIB.parse(name, data))
    assert ours == RDFLIB.parse(name, data)
    assert not ours.is_empty


def test_crafted_restrictions_render_the_same_as_written() -> None:
    """Spot-check the shared rendering on the oxigraph side: bare cardinality, lower-case
    language tags, literal lexical forms as written, Data variants for data ranges."""
    objects = {a.object for a in OX.parse("r.ttl", CRAFTED["restrictions.ttl"].encode()).axioms}
    e = "http://e.org/"
    assert (
        f"ObjectMinCardinality(2 <{e}p> ObjectUnionOf(<{e}B> ObjectOneOf(<{e}i> <{e}j>)))"
        in objects
    )
    assert f'DataHasValue(<{e}d> "v"@en)' in objects
    assert (
        f'DataAllValuesFrom(<{e}d> DataOneOf("a" "b"^^<http://www.w3.org/2001/XMLSchema#token>))'
        in objects
    )
    assert '"0010"^^<http://www.w3.org/2001/XMLSchema#integer>' in objects
    assert f"ObjectHasSelf(<{e}p>)" in objects


def rdf_files(corpus: Path) -> list[Path]:
    suffixes = {".ttl", ".owl", ".rdf", ".nt", ".n3", ".jsonld", ".trig", ".xml"}
    return sorted(p for p in (corpus / "rdf").rglob("*") if p.suffix in suffixes)


def test_corpus_agrees_with_rdflib(corpus: Path) -> None:
    """Every corpus RDF file both libraries can parse gives equal rows; a file one of
    them refuses, both refuse."""
    files = rdf_files(corpus)
    assert len(files) >= 11
    compared = 0
    for path in files:
        relative = str(path.relative_to(corpus / "rdf"))
        data = path.read_bytes()
        try:
            expected = RDFLIB.parse(relative, data)
        except (ParseError, SkipFile) as error:
            with pytest.raises(type(error)):
                OX.parse(relative, data)
            continue
        assert canonical(OX.parse(relative, data)) == canonical(expected), relative
        compared += 1
    assert compared >= 10


def test_malformed_file_error_names_file_and_line(corpus: Path) -> None:
    """pyoxigraph's syntax errors carry the line too."""
    relative = "bosquet-ontologies/dublin-core-elements.ttl"
    with pytest.raises(ParseError) as caught:
        OX.parse(relative, (corpus / "rdf" / relative).read_bytes())
    assert caught.value.path == relative
    assert caught.value.line is not None
    assert 25 <= caught.value.line <= 28


def test_hostile_xml_and_jsonld_are_refused() -> None:
    """The shared checks guard pyoxigraph as well: entity declarations, remote contexts."""
    laughs = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>"""
    with pytest.raises(ParseError, match="XML entity declarations are not allowed"):
        OX.parse("l.owl", laughs)
    with pytest.raises(ParseError, match=r"127\.0\.0\.1:9/c"):
        OX.parse("c.jsonld", b'{"@context": "http://127.0.0.1:9/c", "@id": "http://e.org/a"}')
    with pytest.raises(SkipFile, match="OWL/XML"):
        OX.parse("o.owl", b'<Ontology xmlns="http://www.w3.org/2002/07/owl#"/>')


def test_parser_is_picklable() -> None:
    """Process pools pickle the parser."""
    assert pickle.loads(pickle.dumps(OX)).parse("a.nt", CRAFTED["data.nt"].encode()).classes


def test_missing_pyoxigraph_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pyoxigraph, importing the module says what to install, and 'auto' falls
    back to rdflib while 'oxigraph' fails loudly."""
    monkeypatch.setitem(sys.modules, "pyoxigraph", None)
    monkeypatch.delitem(sys.modules, "streaming_sync.parsers.oxigraph")
    with pytest.raises(ImportError, match=r"pip install streaming_sync\[fast\]"):
        importlib.import_module("streaming_sync.parsers.oxigraph")
    assert isinstance(rdf_parser("auto"), RdflibParser)
    with pytest.raises(ImportError, match="streaming_sync"):
        rdf_parser("oxigraph")


def test_rdf_parser_selection() -> None:
    """'auto' prefers pyoxigraph when installed, with rdflib behind it for the files
    pyoxigraph cannot read; a wrong kind names the accepted ones."""
    auto = rdf_parser()
    assert isinstance(auto, FallbackParser)
    assert isinstance(auto.primary, OxigraphParser) and isinstance(auto.fallback, RdflibParser)
    assert isinstance(rdf_parser("oxigraph"), OxigraphParser)
    assert isinstance(rdf_parser("rdflib"), RdflibParser)
    with pytest.raises(ConfigError, match="auto, rdflib, oxigraph"):
        rdf_parser("jena")
