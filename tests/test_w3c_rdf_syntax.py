"""The W3C RDF 1.1 syntax suites (Turtle, TriG, N-Triples, RDF/XML) through BOTH parsers.

The suites are vendored, unchanged, in ``tests/data/w3c-rdf/`` (see its NOTICE.md). For
every case of every manifest, with the rdflib parser and with the pyoxigraph parser:

* a negative syntax or negative evaluation test fails its file (``ParseError``);
* a positive syntax test is read;
* an evaluation test is read into exactly the expected graph (isomorphic to the
  suite's N-Triples / N-Quads result, read independently with pyoxigraph's own
  reader; TriG's graphs flattened, as the parsers flatten them);
* and both parsers give identical rows for every file both read -- the rows of the
  suite's expected result too, read in a shuffled order with other blank-node labels.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import attrs
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from streaming_sync._errors import ParseError
from streaming_sync._owl import IRI, Anonymous, Literal
from streaming_sync.parsers._rdfmap import Triple, make_literal, map_triples
from streaming_sync.parsers.oxigraph import OxigraphParser
from streaming_sync.parsers.rdf import RdflibParser
from tests.test_parser_oxigraph import canonical

SUITES = Path(__file__).parent / "data" / "w3c-rdf"
HOMES = {
    "turtle": "http://www.w3.org/2013/TurtleTests/",
    "trig": "http://www.w3.org/2013/TriGTests/",
    "ntriples": "http://www.w3.org/2013/N-TriplesTests/",
    "rdf-xml": "http://www.w3.org/2013/RDFXMLTests/",
}
RDFT = "http://www.w3.org/ns/rdftest#"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
PARSERS = {"rdflib": RdflibParser(), "pyoxigraph": OxigraphParser()}
#: What the manifests hold (rdflib 7.6.0's copy): the figures this file proves.
EXPECTED_COUNTS = {"negative syntax": 244, "negative evaluation": 8, "positive syntax": 214}
EXPECTED_COUNTS["evaluation"] = 390


@attrs.frozen
class Case:
    suite: str
    name: str
    kind: str  # e.g. TestTurtleNegativeSyntax
    action: str  # path inside the suite's folder
    result: str | None

    @property
    def group(self) -> str:
        if "NegativeSyntax" in self.kind:
            return "negative syntax"
        if "NegativeEval" in self.kind:
            return "negative evaluation"
        return "positive syntax" if "PositiveSyntax" in self.kind else "evaluation"

    def data(self) -> bytes:
        return (SUITES / self.suite / self.action).read_bytes()

    @property
    def base(self) -> str:
        """The suite's own base IRI for the file (its retrieval IRI)."""
        return HOMES[self.suite] + self.action


def load_cases() -> list[Case]:
    """Every test of the four manifests (read with rdflib; test-side only)."""
    cases = []
    for suite, home in HOMES.items():
        manifest = rdflib.Graph().parse(
            SUITES / suite / "manifest.ttl", format="turtle", publicID=home + "manifest.ttl"
        )
        for test, kind in manifest.subject_objects(rdflib.RDF.type):
            if not str(kind).startswith(RDFT):
                continue
            action = manifest.value(test, rdflib.URIRef(MF + "action"))
            result = manifest.value(test, rdflib.URIRef(MF + "result"))
            name = manifest.value(test, rdflib.URIRef(MF + "name"))
            cases.append(
                Case(
                    suite,
                    str(name or test).rsplit("#", 1)[-1],
                    str(kind)[len(RDFT) :],
                    str(action)[len(home) :],
                    None if result is None else str(result)[len(home) :],
                )
            )
    return sorted(cases, key=lambda c: (c.suite, c.name))


CASES = load_cases()


def as_graph(triples: list[Triple] | tuple[Triple, ...]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for s, p, o in triples:
        graph.add((term(s), rdflib.URIRef(p), term(o)))
    return graph


def term(node: object) -> rdflib.term.Node:
    if isinstance(node, IRI):
        return rdflib.URIRef(node.value)
    if isinstance(node, Anonymous):
        return rdflib.BNode(node.name)
    assert isinstance(node, Literal)
    datatype = None if node.datatype is None else rdflib.URIRef(node.datatype)
    return rdflib.Literal(node.lexical, lang=node.lang, datatype=datatype)


def expected_triples(case: Case) -> list[Triple]:
    """The suite's result file, read with pyoxigraph's reader directly (not through our
    parsers), literals canonicalised as our parsers write them."""
    assert case.result is not None
    fmt = ox.RdfFormat.N_QUADS if case.result.endswith(".nq") else ox.RdfFormat.N_TRIPLES
    triples: list[Triple] = []
    # lenient: the results spell IRIs pyoxigraph's N-Triples reader would refuse
    # (turtle/localName_with_assigned_nfc_PN_CHARS_BASE_character_boundaries.nt)
    for quad in ox.parse(path=SUITES / case.suite / case.result, format=fmt, lenient=True):
        triples.append((convert(quad.subject), quad.predicate.value, convert(quad.object)))  # type: ignore[arg-type]
    return triples


def shuffled(triples: list[Triple], seed: str) -> list[Triple]:
    """``triples`` in a random order, every blank node relabelled one-to-one."""
    rng = random.Random(seed)
    labels: dict[str, Anonymous] = {}

    def relabel(node: IRI | Anonymous | Literal) -> IRI | Anonymous | Literal:
        if not isinstance(node, Anonymous):
            return node
        return labels.setdefault(node.name, Anonymous(f"r{rng.randrange(10**9)}x{len(labels)}"))

    out = [(relabel(s), p, relabel(o)) for s, p, o in triples]
    rng.shuffle(out)
    return out  # type: ignore[return-value]


def convert(node: object) -> IRI | Anonymous | Literal:
    if isinstance(node, ox.NamedNode):
        return IRI(node.value)
    if isinstance(node, ox.BlankNode):
        return Anonymous(node.value)
    assert isinstance(node, ox.Literal)
    return make_literal(node.value, node.language, node.datatype.value)


def rows_of(data: object) -> tuple[frozenset[object], ...]:
    """The rows and the mapping's warnings; what a library said while reading (its own
    noise, e.g. rdflib's literal conversion) differs by library and is left out."""
    rows = canonical(data)  # type: ignore[arg-type]
    warnings = frozenset(w for w in rows[-1] if not str(w).startswith(tuple(PARSERS)))
    return (*rows[:-1], warnings)


def refuses(parser: RdflibParser | OxigraphParser, case: Case) -> bool:
    try:
        parser.parse(case.action, case.data())
    except ParseError:
        return True
    return False


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.suite}/{c.name}")
def test_w3c_case_with_both_parsers(case: Case) -> None:
    """Negative tests fail for both parsers; positive ones are read by both, into the
    expected graph for evaluation tests, and into identical rows."""
    data = case.data()
    if case.group.startswith("negative"):
        accepted = [name for name, parser in PARSERS.items() if not refuses(parser, case)]
        assert accepted == [], f"accepted by {accepted}"
        return
    rows = {name: rows_of(parser.parse(case.action, data)) for name, parser in PARSERS.items()}
    assert rows["rdflib"] == rows["pyoxigraph"]
    if case.result is None:
        return
    triples = expected_triples(case)
    expected = as_graph(triples)
    expected_rows = rows_of(map_triples(case.action, shuffled(triples, case.name)))
    for name, parser in PARSERS.items():
        reading = parser.read_triples(case.action, data, base=case.base)
        assert isomorphic(as_graph(reading.triples), expected), name
        assert rows_of(map_triples(case.action, reading.triples)) == expected_rows, name


def test_the_suites_hold_the_figures_we_report() -> None:
    """The vendored manifests hold 244 negative syntax, 8 negative evaluation, 214
    positive syntax and 390 evaluation tests, every one run above."""
    counts = Counter(case.group for case in CASES)
    assert dict(counts) == EXPECTED_COUNTS
    for case in CASES:
        assert (SUITES / case.suite / case.action).is_file(), case
        assert case.result is None or (SUITES / case.suite / case.result).is_file(), case
