"""Both RDF parsers write literals as the specifications say, so their rows are equal.

* Turtle, TriG and N3: a bare number's lexical form is the token as written (``01``,
  ``+1``, ``.1``), with its datatype by its shape (Turtle 1.1, "RDF Term Constructors").
* JSON-LD: a native number becomes ``xsd:integer`` or a canonical ``xsd:double``
  (``1.5E0``) as the JSON-LD to-RDF algorithm says; ``NaN``/``Infinity`` are not JSON.
* Typed literals in every syntax keep their lexical form (no value normalisation).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streaming_sync._errors import ParseError
from streaming_sync._owl import Literal
from streaming_sync.parsers._jsonnumber import number_lexical
from streaming_sync.parsers.oxigraph import OxigraphParser
from streaming_sync.parsers.rdf import RdflibParser

PARSERS = {"rdflib": RdflibParser(), "pyoxigraph": OxigraphParser()}
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMBER_SHAPES = {"integer": "integer", "decimal": "decimal", "double": "double"}
#: Turtle number tokens rdflib rewrote before: its reader made them Python numbers.
TURTLE_NUMBERS = {
    "01": "integer",
    "+1": "integer",
    "-0": "integer",
    "100000000000000000000000000000": "integer",
    ".1": "decimal",
    "+123.0": "decimal",
    "-0.0": "decimal",
    "0.0000001": "decimal",
    "1.000": "decimal",
    "1e3": "double",
    "-0e0": "double",
    ".5e+1": "double",
    "1E-0": "double",
}
SYNTAXES = {
    "a.ttl": "<http://e.org/s> <http://e.org/p> {} .",
    "a.trig": "<http://e.org/g> {{ <http://e.org/s> <http://e.org/p> {} . }}",
    "a.n3": "<http://e.org/s> <http://e.org/p> {} .",
}


def objects(parser: str, name: str, data: bytes) -> set[Literal]:
    reading = PARSERS[parser].read_triples(name, data)
    return {o for _, _, o in reading.triples if isinstance(o, Literal)}


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize("name", sorted(SYNTAXES))
def test_bare_numbers_keep_the_token_as_written(parser: str, name: str) -> None:
    """Every number token gives a literal whose lexical form is the token itself (rdflib
    rewrote ``01`` as ``1``, ``.1`` as ``0.1`` and ``0.0000001`` as ``1E-7``; this test
    fails if rdflib's reader stops building numbers through the names the rdflib parser
    swaps, ``notation3.long_type`` and ``notation3.Decimal``)."""
    tokens = ", ".join(TURTLE_NUMBERS)
    data = SYNTAXES[name].format(tokens).encode()
    expected = {Literal(t, datatype=XSD + shape) for t, shape in TURTLE_NUMBERS.items()}
    assert objects(parser, name, data) == expected


TURTLE_NUMBER = st.from_regex(
    r"\A[+-]?(?:[0-9]{1,25}|[0-9]{0,12}\.[0-9]{1,12}|"
    r"(?:[0-9]{1,12}\.[0-9]{0,12}|\.[0-9]{1,12}|[0-9]{1,12})[eE][+-]?[0-9]{1,3})\Z"
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TURTLE_NUMBER, min_size=1, max_size=6), st.sampled_from(sorted(SYNTAXES)))
def test_any_number_token_reads_alike_with_both_parsers(tokens: list[str], name: str) -> None:
    """For any Turtle number tokens, both parsers give the tokens as written."""
    data = SYNTAXES[name].format(", ".join(tokens)).encode()
    rdflib_side = objects("rdflib", name, data)
    assert rdflib_side == objects("pyoxigraph", name, data)
    assert {literal.lexical for literal in rdflib_side} == set(tokens)


JSONLD_CASES = [
    # (JSON value, lexical, datatype local name) as the JSON-LD to-RDF algorithm says
    ("1", "1", "integer"),
    ("1.0", "1", "integer"),
    ("100.0", "100", "integer"),
    ("1e2", "100", "integer"),
    ("-0.0", "0", "integer"),
    ("12345678901234567890", "12345678901234567890", "integer"),
    ("1.5", "1.5E0", "double"),
    ("0.1", "1.0E-1", "double"),
    ("1e-7", "1.0E-7", "double"),
    ("1e21", "1.0E21", "double"),
    ("0.30000000000000004", "3.0000000000000004E-1", "double"),
    ('{"@value": 5, "@type": "http://www.w3.org/2001/XMLSchema#double"}', "5.0E0", "double"),
    ('{"@value": 1.5, "@type": "http://www.w3.org/2001/XMLSchema#decimal"}', "1.5E0", "decimal"),
    ('{"@value": "01", "@type": "http://www.w3.org/2001/XMLSchema#integer"}', "01", "integer"),
    ("true", "true", "boolean"),
    ("false", "false", "boolean"),
]


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize(("value", "lexical", "datatype"), JSONLD_CASES)
def test_jsonld_numbers_follow_the_jsonld_algorithm(
    parser: str, value: str, lexical: str, datatype: str
) -> None:
    """A JSON-LD value gives the literal the JSON-LD specification's to-RDF algorithm
    gives (rdflib wrote ``1.0`` as ``"1.0"^^xsd:double``, ``1.5`` as ``"1.5"``)."""
    data = f'{{"@id": "http://e.org/s", "http://e.org/p": {value}}}'.encode()
    assert objects(parser, "a.jsonld", data) == {Literal(lexical, datatype=XSD + datatype)}


def test_jsonld_numbers_under_a_context_read_alike() -> None:
    """Numbers coerced by a term's ``@type``, in a ``@list``, or under a default
    ``@language`` (which numbers ignore) give the same literals with both parsers."""
    document = {
        "@context": {
            "@language": "en",
            "d": {"@id": "http://e.org/d", "@type": XSD + "double"},
            "x": {"@id": "http://e.org/x", "@type": "http://e.org/T"},
            "l": {"@id": "http://e.org/l", "@container": "@list"},
        },
        "@id": "http://e.org/s",
        "d": [1, 2.5, True],
        "x": [7, 0.25],
        "l": [1, 1.0, 2.5e300, "s"],
        "http://e.org/n": [3, 3.0],
    }
    data = json.dumps(document).replace("2.5e+300", "2e400").encode()
    rdflib_side = objects("rdflib", "a.jsonld", data)
    assert rdflib_side == objects("pyoxigraph", "a.jsonld", data)
    assert Literal("1.0E0", datatype=XSD + "double") in rdflib_side
    assert Literal("2.5E-1", datatype="http://e.org/T") in rdflib_side
    assert Literal("3", datatype=XSD + "integer") in rdflib_side
    assert Literal("2.0E400", datatype=XSD + "double") in rdflib_side


JSON_NUMBER = st.from_regex(
    r"\A-?(?:0|[1-9][0-9]{0,24})(?:\.[0-9]{1,20})?(?:[eE][+-]?[0-9]{1,3})?\Z"
)
DATATYPE = st.sampled_from([None, XSD + "double", XSD + "integer", "http://e.org/T"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(JSON_NUMBER | st.sampled_from(["true", "false"]), DATATYPE), min_size=1))
def test_any_jsonld_number_reads_alike_with_both_parsers(
    values: list[tuple[str, str | None]],
) -> None:
    """For any JSON numbers and booleans, plain or typed, both parsers give the same
    literals, and a number's lexical form is the one :func:`number_lexical` computes."""
    items = [
        text if datatype is None else f'{{"@value": {text}, "@type": "{datatype}"}}'
        for text, datatype in values
    ]
    data = f'{{"@id": "http://e.org/s", "http://e.org/p": [{", ".join(items)}]}}'.encode()
    rdflib_side = objects("rdflib", "a.jsonld", data)
    assert rdflib_side == objects("pyoxigraph", "a.jsonld", data)
    for text, datatype in values:
        if text in ("true", "false"):
            continue
        lexical, _ = number_lexical(text, always_double=datatype == XSD + "double")
        assert lexical in {literal.lexical for literal in rdflib_side}


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_jsonld_nan_and_infinity_are_not_json(parser: str, token: str) -> None:
    """Python's json reads ``NaN``/``Infinity`` (rdflib then made a literal of them);
    JSON has no such values: both parsers fail the file at the token's line."""
    data = f'{{"@id": "http://e.org/s",\n "http://e.org/p": ["NaN", {token}]}}'.encode()
    with pytest.raises(ParseError, match=f"{token} is not a JSON value") as caught:
        PARSERS[parser].parse("a.jsonld", data)
    assert (caught.value.line, caught.value.column) == (2, 28)


TYPED = {
    "a.nt": "<http://e.org/s> <http://e.org/p> {} .\n",
    "a.ttl": "<http://e.org/s> <http://e.org/p> {} .",
    "a.rdf": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="http://e.org/s">{}</rdf:Description></rdf:RDF>',
}
TYPED_VALUES = [("01", "integer"), ("1", "boolean"), ("TRUE", "boolean"), ("-0.0E0", "double")]
TYPED_VALUES += [("0.0000001", "decimal"), ("+1.50", "decimal"), (" 7 ", "int")]


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize("name", sorted(TYPED))
def test_typed_literals_keep_their_lexical_form(parser: str, name: str) -> None:
    """A typed literal's lexical form is kept as written in every syntax (rdflib's
    normalisation would write ``01`` as ``1``, ``1`` as ``true``)."""
    if name.endswith(".rdf"):
        written = "".join(
            f'<p xmlns="http://e.org/" rdf:datatype="{XSD}{dt}">{v}</p>' for v, dt in TYPED_VALUES
        )
    else:
        each = [f'"{v}"^^<{XSD}{dt}>' for v, dt in TYPED_VALUES]
        written = ", ".join(each) if name.endswith(".ttl") else ""
        if name.endswith(".nt"):
            data = "".join(TYPED[name].format(item) for item in each).encode()
    if not name.endswith(".nt"):
        data = TYPED[name].format(written).encode()
    expected = {Literal(v, datatype=XSD + dt) for v, dt in TYPED_VALUES}
    assert objects(parser, name, data) == expected


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize(
    ("text", "what", "line", "column"),
    [
        ('{"@id": "http://e.org/s",\n "http://e.org/p": 1,\n}', "object", 2, 21),
        ('{"@id": "http://e.org/s", "http://e.org/p": [1,\n  2 ,\n]}', "array", 2, 5),
    ],
)
def test_a_trailing_comma_is_named_alike_on_every_python(
    parser: str, text: str, what: str, line: int, column: int
) -> None:
    """A trailing comma in JSON-LD fails the file with the same reason and position on
    every Python (3.13's json names it at the comma; 3.11 said "Expecting ..." at the
    bracket after it, a line later)."""
    with pytest.raises(ParseError) as caught:
        PARSERS[parser].parse("a.jsonld", text.encode())
    assert f"invalid JSON: Illegal trailing comma before end of {what}" in str(caught.value)
    assert (caught.value.line, caught.value.column) == (line, column)
