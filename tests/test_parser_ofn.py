"""The OWL 2 Functional Syntax reader: tokens, both notations, names, mapping, errors."""

from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path

import pytest

from streaming_sync._errors import ParseError
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
from streaming_sync._owl import IRI, Anonymous, Expr, Integer, Literal, Term, render
from streaming_sync.parsers.ofn import decode_utf8, parse_ofn, tokenize
from streaming_sync.parsers.ofn import render_term as iterative_render

EX = "http://example.org/o#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def ofn(text: str) -> OntologyData:
    return parse_ofn("t.ofn", f"Prefix(:=<{EX}>)\n{text}")


def sub(child: str, parent: str) -> Axiom:
    return Axiom(AxiomType.SUBCLASS_OF, child, parent)


def test_hash_and_semicolon_inside_iris_and_strings_are_not_comments() -> None:
    """Only a # or ; where a token may start begins a comment; in <...> and "..." it is text."""
    data = parse_ofn(
        "t.ofn",
        (
            "# a comment line\n"
            "  ; a Lisp comment line\n"
            "Declaration(Class(<http://x.org/a#B>)) # trailing comment\n"
            'AnnotationAssertion(rdfs:label <http://x.org/a#B> "C# and ;semi")\n'
        ),
    )
    assert data.classes == (OntologyClass("http://x.org/a#B", "C# and ;semi"),)
    assert data.other_axioms == ()


def test_functional_and_lisp_notations_mix_anywhere() -> None:
    """Name(args), (Name args) and mixtures of the two give identical rows."""
    texts = [
        "SubClassOf(:X ObjectSomeValuesFrom(:p :C))",
        "(SubClassOf :X (ObjectSomeValuesFrom :p :C))",
        "SubClassOf(:X (ObjectSomeValuesFrom :p :C))",
        "(SubClassOf :X\n   ObjectSomeValuesFrom(:p\n :C)\n)",
    ]
    expected = (sub(f"{EX}X", f"ObjectSomeValuesFrom(<{EX}p> <{EX}C>)"),)
    for text in texts:
        assert ofn(text).axioms == expected, text


def test_prefixes_empty_prefix_and_unresolved_names() -> None:
    """Prefix() in either notation, the empty prefix, caller prefixes, default namespace;
    an unknown prefix keeps the name as written and warns naming the prefix."""
    data = parse_ofn(
        "t.ofn",
        "(Prefix a:=<http://a.org/>)\nSubClassOf(a:X b:Y)\nSubClassOf(:Z tele:W)\n",
        {"b": "http://b.org/"},
        default_namespace="http://d.org/",
    )
    assert data.edges == (
        HierarchyEdge("http://a.org/X", "http://b.org/Y"),
        HierarchyEdge("http://d.org/Z", "tele:W"),
    )
    assert len(data.warnings) == 1
    assert "'tele:'" in data.warnings[0]


def test_declared_prefix_beats_caller_prefix_and_first_declaration_wins() -> None:
    """The document's own Prefix overrides the caller's map; a conflicting redeclaration
    is ignored with a warning."""
    data = parse_ofn(
        "t.ofn",
        "Prefix(a:=<http://one/>)\nPrefix(a:=<http://two/>)\nDeclaration(Class(a:X))",
        {"a": "http://caller/"},
    )
    assert data.classes == (OntologyClass("http://one/X"),)
    assert any("http://two/" in w for w in data.warnings)


def test_ontology_wrapper_imports_and_annotations_are_other_axioms() -> None:
    """Ontology(<iri> <version> Import(...) Annotation(...) axioms) unwraps; imports and
    ontology annotations are kept as OtherAxioms (sorted by kind, then text), the IRIs
    are not rows."""
    data = ofn(
        "Ontology(<http://o> <http://o/1>\n"
        "  Import(<http://imp>)\n"
        '  Annotation(rdfs:comment "about")\n'
        "  Declaration(Class(:A))\n"
        ")\n"
    )
    assert data.classes == (OntologyClass(f"{EX}A"),)
    assert data.other_axioms == (
        OtherAxiom("Annotation", f'Annotation(<{RDFS}comment> "about")'),
        OtherAxiom("Import", "Import(<http://imp>)"),
    )


def test_literals_escapes_languages_and_datatypes() -> None:
    """String escapes, @lang, ^^prefixed and ^^<full> datatypes; xsd:string renders plain."""
    data = ofn(
        'DataPropertyAssertion(:p :a "say \\"hi\\" \\\\ there"@EN-gb)\n'
        'DataPropertyAssertion(:p :a "1"^^xsd:integer)\n'
        'DataPropertyAssertion(:p :a "s"^^<http://www.w3.org/2001/XMLSchema#string>)\n'
        'DataPropertyAssertion(:p :a "two\nlines")\n'
    )
    objects = sorted(a.object for a in data.axioms)
    assert objects == sorted(
        [
            '"say \\"hi\\" \\\\ there"@en-gb',
            f'"1"^^<{XSD}integer>',
            '"s"',
            '"two\nlines"',
        ]
    )
    assert {a.property_iri for a in data.axioms} == {f"{EX}p"}


def test_cardinalities_render_as_bare_integers() -> None:
    """A cardinality is an Integer term and renders bare, as the RDF parsers render it."""
    data = ofn("SubClassOf(:A ObjectExactCardinality(1 :p :C))")
    assert data.axioms == (sub(f"{EX}A", f"ObjectExactCardinality(1 <{EX}p> <{EX}C>)"),)
    assert render(Expr("ObjectExactCardinality", (Integer(1), IRI("p")))) == (
        "ObjectExactCardinality(1 <p>)"
    )


def test_class_axiom_mapping() -> None:
    """SubClassOf named/expression, EquivalentClasses anchored on its first member in
    canonical order (named first, then by rendering), DisjointClasses pairwise, axiom
    annotations kept as JSON on the row; rows sorted by (type, subject, object)."""
    data = ofn(
        "SubClassOf(:A :B)\n"
        "SubClassOf(ObjectUnionOf(:A :B) :C)\n"
        "EquivalentClasses(ObjectUnionOf(:X :Y) :E1 :E2)\n"
        "DisjointClasses(:D1 :D2 :D3)\n"
        'SubClassOf(Annotation(rdfs:comment "why") :A :Q)\n'
    )
    union = f"ObjectUnionOf(<{EX}X> <{EX}Y>)"
    assert data.edges == (
        HierarchyEdge(f"{EX}A", f"{EX}B"),
        HierarchyEdge(f"{EX}A", f"{EX}Q"),
    )
    eq, dis = AxiomType.EQUIVALENT_CLASS, AxiomType.DISJOINT_WITH
    assert data.axioms == (
        Axiom(dis, f"{EX}D1", f"{EX}D2"),
        Axiom(dis, f"{EX}D1", f"{EX}D3"),
        Axiom(dis, f"{EX}D2", f"{EX}D3"),
        Axiom(eq, f"{EX}E1", union),
        Axiom(eq, f"{EX}E1", f"{EX}E2"),
        sub(f"ObjectUnionOf(<{EX}A> <{EX}B>)", f"{EX}C"),
        sub(f"{EX}A", f"{EX}B"),
        Axiom(
            AxiomType.SUBCLASS_OF,
            f"{EX}A",
            f"{EX}Q",
            annotations=f'{{"annotations":["Annotation(<{RDFS}comment> \\"why\\")"]}}',
        ),
    )


def test_property_and_assertion_mapping() -> None:
    """Property declarations and named domains/ranges make property rows (sorted by
    IRI); assertions make assertion rows (an anonymous individual renamed canonically);
    unnamed domains and other kinds stay as OtherAxioms."""
    data = ofn(
        "Declaration(ObjectProperty(:op))\n"
        "ObjectPropertyDomain(:op :D)\nObjectPropertyRange(:op :R)\n"
        "DataPropertyRange(:dp xsd:double)\n"
        "AnnotationPropertyDomain(:ap :D)\n"
        "ObjectPropertyDomain(:op ObjectUnionOf(:D :E))\n"
        "ObjectPropertyAssertion(:op :i _:b)\n"
        "SubObjectPropertyOf(:op :top)\n"
        "ClassAssertion(:D :i)\n"
        'AnnotationAssertion(rdfs:label :op "has op"@en)\n'
    )
    assert data.properties == (
        OntologyProperty(f"{EX}ap", PropertyType.ANNOTATION, None, {f"{EX}D"}, ()),
        OntologyProperty(f"{EX}dp", PropertyType.DATA, None, (), {f"{XSD}double"}),
        OntologyProperty(f"{EX}op", PropertyType.OBJECT, "has op", {f"{EX}D"}, {f"{EX}R"}),
    )
    assert data.axioms == (Axiom(AxiomType.OBJECT_PROPERTY_ASSERTION, f"{EX}i", "_:a1", f"{EX}op"),)
    assert [o.kind for o in data.other_axioms] == [
        "ClassAssertion",
        "ObjectPropertyDomain",
        "SubObjectPropertyOf",
    ]


def test_labels_from_annotation_assertions_prefer_english() -> None:
    """rdfs:label/comment of a class declared in the file: en, then en-*, then none, then
    the smallest (lang, value); assertions about undeclared IRIs stay OtherAxioms."""
    data = ofn(
        "Declaration(Class(:A))\nDeclaration(Class(:B))\nDeclaration(Class(:C))\n"
        'AnnotationAssertion(rdfs:label :A "Das A"@de)\n'
        'AnnotationAssertion(rdfs:label :A "plain A")\n'
        'AnnotationAssertion(rdfs:label :A "British A"@en-GB)\n'
        'AnnotationAssertion(rdfs:label :B "plain B")\n'
        'AnnotationAssertion(rdfs:label :B "English B"@en)\n'
        'AnnotationAssertion(rdfs:label :C "z"@fr)\nAnnotationAssertion(rdfs:label :C "y"@fr)\n'
        'AnnotationAssertion(rdfs:comment :C "see C")\n'
        'AnnotationAssertion(rdfs:label :Elsewhere "not here")\n'
        'AnnotationAssertion(rdfs:seeAlso :A "other kind")\n'
    )
    assert data.classes == (
        OntologyClass(f"{EX}A", "British A"),
        OntologyClass(f"{EX}B", "English B"),
        OntologyClass(f"{EX}C", "y", "see C"),
    )
    assert sorted(o.text for o in data.other_axioms) == [
        f'AnnotationAssertion(<{RDFS}label> <{EX}Elsewhere> "not here")',
        f'AnnotationAssertion(<{RDFS}seeAlso> <{EX}A> "other kind")',
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("SubClassOf(:A :B))", 1, "unbalanced ')'"),
        ("\n\nSubClassOf(:A\n  :B", 3, "never closed"),
        ('\nAnnotationAssertion(rdfs:label :A "open\nstring)', 2, "unterminated string"),
        ("SubClassOf(:A\n :B)\n Declaration Class(:A)", 3, "expected '(' after Declaration"),
        ("SubClassOf(:A :B)\n\n(:A :B)", 3, "must be followed by a name"),
        ('x\n"lit"', 1, "expected '(' after x"),
        ('\n"lit"', 2, "outside an axiom"),
        ("SubClassOf(:A <http://bad iri>)", 1, "IRI"),
        ("SubClassOf(:A :B) {", 1, "unexpected character '{'"),
        ('SubClassOf(:A "x"^^)', 1, "datatype"),
    ],
)
def test_syntax_errors_name_the_line(text: str, line: int, reason: str) -> None:
    """A syntax error raises ParseError with the path, the line and a reason."""
    with pytest.raises(ParseError) as info:
        parse_ofn("bad.ofn", text)
    assert info.value.path == "bad.ofn"
    assert info.value.line == line
    assert reason in info.value.reason


def test_line_offset_counts_lines_in_the_original_file() -> None:
    """With line_offset=N, line 1 of the text is line N+1 of the file, also after a
    string literal that spans lines."""
    with pytest.raises(ParseError) as info:
        parse_ofn("page.md", 'DataPropertyAssertion(:p :a "x\ny")\n)', line_offset=40)
    assert info.value.line == 43  # line 3 of the text: the stray ")"


def test_thousands_of_nested_parentheses_need_no_recursion() -> None:
    """20,000 nested expressions (both notations) read and render without RecursionError,
    in time linear in their number (compared with 5,000, same test)."""

    def nested(depth: int, lisp: bool) -> str:
        head = "(ObjectComplementOf " if lisp else "ObjectComplementOf(\n"
        return "SubClassOf(:A " + head * depth + ":B" + ")" * depth + ")"

    timings = []
    for depth in (5_000, 20_000):
        for lisp in (False, True):
            start = time.perf_counter()
            data = ofn(nested(depth, lisp))
            timings.append(time.perf_counter() - start)
            text = data.axioms[0].object
            assert text == "ObjectComplementOf(" * depth + f"<{EX}B>" + ")" * depth
    assert sum(timings[2:]) < 12 * sum(timings[:2]) + 0.2  # linear: ~4x, quadratic ~16x
    with pytest.raises(ParseError, match="never closed"):
        ofn("SubClassOf(:A " + "(ObjectComplementOf " * 20_000)


def test_reader_time_is_linear_in_input_size() -> None:
    """Four times the axioms take about four times as long (never ~sixteen)."""
    axiom = "SubClassOf(:A{0} (ObjectSomeValuesFrom :p{0} ObjectUnionOf(:B :C)))\n"

    def best(count: int) -> float:
        text = "".join(axiom.format(i) for i in range(count))
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            ofn(text)
            runs.append(time.perf_counter() - start)
        return min(runs)

    small, large = best(1_000), best(4_000)
    assert large < 10 * small + 0.05


def test_iterative_render_equals_owl_render() -> None:
    """The reader's non-recursive renderer writes exactly what _owl.render writes."""
    terms: list[Term] = [
        IRI("http://x"),
        Literal('a "q"', lang="EN"),
        Anonymous("b0"),
        Expr(
            "ObjectIntersectionOf",
            (
                IRI("a"),
                Expr("ObjectMinCardinality", (Integer(2), IRI("p"))),
                Literal("1", datatype=f"{XSD}int"),
            ),
        ),
        Expr("Empty"),
    ]
    for term in terms:
        assert iterative_render(term) == render(term)


def test_decode_rejects_non_utf8_with_offset_and_line_and_drops_bom() -> None:
    """Non-UTF-8 bytes raise ParseError naming byte offset and line; a BOM is dropped."""
    assert decode_utf8("a.ofn", b"\xef\xbb\xbfPrefix") == "Prefix"
    with pytest.raises(ParseError) as info:
        decode_utf8("a.ofn", b"line one\nline \xff two")
    assert info.value.line == 2
    assert "offset 14" in info.value.reason


def test_tokens_carry_lines_with_offset() -> None:
    """Each token knows its line in the original file."""
    tokens = tokenize("t", "A(\n:b\n\n)", line_offset=9)
    assert [t.line for t in tokens] == [10, 10, 11, 13]


def test_real_relation_ontology_in_functional_syntax(corpus: Path) -> None:
    """RO's edit file (Functional Syntax in a .owl) parses; its object properties are
    exactly the ones a plain regex finds declared in the text."""
    path = corpus / "rdf" / "obo-relations" / "ro-edit.ofn.owl"
    text = path.read_text(encoding="utf-8")
    prefixes: dict[str, str] = dict(re.findall(r"^Prefix\((\w*):=<([^>]*)>\)", text, re.MULTILINE))

    def expand(name: str) -> str:
        if name.startswith("<"):
            return name[1:-1]
        prefix, _, local = name.partition(":")
        return prefixes[prefix] + local

    declared = {expand(n) for n in re.findall(r"Declaration\(ObjectProperty\(([^)]+)\)\)", text)}
    data = parse_ofn(path.name, text)
    objects = {p.iri for p in data.properties if p.property_type is PropertyType.OBJECT}
    assert declared
    assert objects == declared
    assert data.warnings == ()
    imports = [o for o in data.other_axioms if o.kind == "Import"]
    assert len(imports) == text.count("\nImport(")


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("HasKey(:C () (:dp))", f"HasKey(<{EX}C> () (<{EX}dp>))"),
        ("HasKey(:C (:op) ())", f"HasKey(<{EX}C> (<{EX}op>) ())"),
        ("HasKey(:C () ())", f"HasKey(<{EX}C> () ())"),
        (
            "HasKey( :C ( ObjectInverseOf( :op ) :q ) ( :d2 :d1 ) )",
            f"HasKey(<{EX}C> (<{EX}q> ObjectInverseOf(<{EX}op>)) (<{EX}d1> <{EX}d2>))",
        ),
        (
            "(HasKey :C ((ObjectInverseOf :op)) (:d))",
            f"HasKey(<{EX}C> (ObjectInverseOf(<{EX}op>)) (<{EX}d>))",
        ),
        (
            "(HasKey (ObjectSomeValuesFrom :p :C) (:op) ())",
            f"HasKey(ObjectSomeValuesFrom(<{EX}p> <{EX}C>) (<{EX}op>) ())",
        ),
        (
            'HasKey(Annotation(rdfs:comment "why") :C (:op) (:dp))',
            f'HasKey(Annotation(<{RDFS}comment> "why") <{EX}C> (<{EX}op>) (<{EX}dp>))',
        ),
    ],
)
def test_haskey_in_every_form_reads_and_its_rendering_reads_back(text: str, rendered: str) -> None:
    """HasKey's two property lists are bare parenthesised lists (empty or not, members
    named or ObjectInverseOf in either notation, after an annotation or a class
    expression); the canonical rendering (lists sorted) reads back to itself."""
    data = ofn(text)
    assert data.other_axioms == (OtherAxiom("HasKey", rendered),)
    assert parse_ofn("again.ofn", rendered).other_axioms == data.other_axioms


def test_a_bare_list_outside_haskey_is_a_syntax_error() -> None:
    """Only HasKey takes bare lists: anywhere else `(` must start a Lisp form."""
    with pytest.raises(ParseError, match="must be followed by a name") as info:
        ofn("SubClassOf(:A\n (:B))")
    assert info.value.line == 3


def test_reader_streams_without_holding_the_document_in_memory() -> None:
    """Reading is axiom by axiom: the memory a parse needs at its peak is at most twice
    the rows it returns (a token list of the whole document made it six times), measured
    with tracemalloc in this test."""
    blocks = [
        f"Declaration(Class(:C{i}))\n"
        f'AnnotationAssertion(rdfs:label :C{i} "class number {i}"@en)\n'
        f"SubClassOf(:C{i} ObjectSomeValuesFrom(:p{i % 7} :C{i // 2}))\n"
        f"# a comment about C{i}\nSubClassOf(:C{i} :C{i // 3})\n"
        for i in range(4_000)
    ]
    text = f"Prefix(:=<{EX}>)\nOntology(<{EX}o>\n{''.join(blocks)})\n"
    tracemalloc.start()
    try:
        data = parse_ofn("big.ofn", text)
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(data.classes) == 4_000
    assert peak < 2 * retained


@pytest.mark.parametrize("label", ["x", "other"])
def test_an_anonymous_individual_after_named_axioms_is_named_canonically(label: str) -> None:
    """The reader tells the row builder when no anonymous individual was read yet, so
    named axioms are not searched for one; one that comes later, nested in an axiom,
    is still deferred and named canonically: its label and its place do not change the
    rows, in a ``.ofn`` document and in a Logseq page's fence alike."""
    from streaming_sync.parsers.logseq import LogseqParser

    named = [f"SubClassOf(:C{i} ObjectSomeValuesFrom(:p :D{i}))" for i in range(3)]
    anonymous = f"SubClassOf(:B ObjectHasValue(:p _:{label}))"
    head = "Prefix(:=<http://e.org/>)\nOntology(<http://e.org/o>\n"
    rows = [
        parse_ofn("a.ofn", head + "\n".join(axioms) + "\n)")
        for axioms in ([*named, anonymous], [anonymous, *named])
    ]
    relabelled = anonymous.replace(f"_:{label}", "_:b")
    reference = parse_ofn("a.ofn", head + "\n".join([relabelled, *named]) + "\n)")
    assert rows[0] == rows[1] == reference
    objects = {a.subject: a.object for a in rows[0].axioms}
    assert objects["http://e.org/B"] == "ObjectHasValue(<http://e.org/p> _:a1)"

    page = "- ### OntologyBlock\n  - owl:class:: ex:B\n  - ```clojure\n{}\n  ```\n"
    pages = [
        LogseqParser({"ex": "http://e.org/", "": "http://e.org/"}).parse(
            "B.md", page.format("\n".join(f"    {a}" for a in axioms)).encode()
        )
        for axioms in ([*named, anonymous], [anonymous, *named])
    ]
    assert pages[0] == pages[1]
    assert "ObjectHasValue(<http://e.org/p> _:a1)" in {a.object for a in pages[0].axioms}
