"""The Functional Syntax reader on a file's bytes, as ``DefaultParser`` runs it.

A ``.ofn`` file is read from its UTF-8 bytes, decoded a window of whole lines at a time
(``parsers/_ofn_lex.iter_utf8_tokens``, a private unit tested here directly too): the
tokens and rows are those of the decoded text, memory never holds a decoded copy of
the document, and a byte that is not UTF-8 fails the file naming its offset and line.
"""

from __future__ import annotations

import codecs
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streaming_sync._errors import ParseError
from streaming_sync.parsers import DefaultParser
from streaming_sync.parsers._ofn_lex import iter_tokens, iter_utf8_tokens
from streaming_sync.parsers.ofn import parse_ofn

EX = "http://example.org/o#"
PARSER = DefaultParser(rdf="rdflib")
#: Pieces of Functional Syntax, some spanning lines (strings), some not UTF-8-safe
#: to cut anywhere (non-ASCII), some errors (a bad character, an unterminated string).
PIECES = [
    "Declaration(Class(:A))",
    "SubClassOf(:A :B)",
    'AnnotationAssertion(rdfs:label :A "one\nline\n\nmore")',
    'AnnotationAssertion(rdfs:comment :B "é ü — 🦉 \\" \\\\")',
    '# a comment ( with " a quote\n',
    "; another comment",
    "\n",
    "\r\n",
    "   ",
    'AnnotationAssertion(rdfs:label :C "x"@en-GB)',
    'DataPropertyAssertion(:d :i "01"^^xsd:integer)',
    "ObjectPropertyAssertion(:p _:b1 _:b2)",
    ":Ünïcode",
    "!",
    '"unterminated',
]


def tokens_of(data: bytes, window: int) -> list[tuple[int, str, int]]:
    return [tuple(t) for t in iter_utf8_tokens("t.ofn", data, window=window)]  # type: ignore[misc]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=30), st.integers(1, 64), st.booleans())
def test_window_tokens_are_the_text_tokens(pieces: list[str], window: int, bom: bool) -> None:
    """For any text and any window size, the tokens read from the bytes a window at a
    time (strings cut by a window boundary read on) are exactly the tokens of the text."""
    text = " ".join(pieces)
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode()
    expected = [tuple(t) for t in iter_tokens(text)]
    assert tokens_of(data, window) == expected


def document(classes: int, comment: str = "") -> str:
    body = "".join(
        f"{comment}Declaration(Class(:C{i}))\n"
        f'AnnotationAssertion(rdfs:label :C{i} "class {i} — été\n(two lines)"@fr)\n'
        f"SubClassOf(:C{i} :C{i // 2})\n"
        for i in range(classes)
    )
    return f"Prefix(:=<{EX}>)\nOntology(<{EX}o>\n{body})\n"


def test_default_parser_reads_the_bytes_into_the_text_rows() -> None:
    """DefaultParser gives a .ofn file's bytes to the reader: the rows are those of the
    decoded text, with a BOM too."""
    text = document(300)
    rows = parse_ofn("big.ofn", text)
    assert PARSER.parse("big.ofn", text.encode()) == rows
    assert PARSER.parse("big.ofn", codecs.BOM_UTF8 + text.encode()) == rows
    assert len(rows.classes) == 300


def test_a_large_file_is_never_decoded_whole() -> None:
    """Parsing a 15 MB .ofn file (mostly comments, so its rows are small) through
    DefaultParser needs, beyond what it returns, less than a quarter of the file's size,
    measured with tracemalloc: no decoded copy of the document (before,
    ``data.decode()`` alone was 30 MB, as one non-ASCII character widens it)."""
    comment = "# " + "a comment that makes the file large, not its rows " * 60 + "\n"
    data = document(5_000, comment).encode()
    assert len(data) > 15_000_000
    tracemalloc.start()
    try:
        rows = PARSER.parse("big.ofn", data)
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(rows.classes) == 5_000
    assert peak - retained < len(data) / 4


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"Prefix(:=<http://e/>)\nOntology(\nDeclaration(Class(:\xe9)))\n", 3),
        (b"Ontology(\n# caf\xe9 in a comment\n)\n", 2),
        (b"\xef\xbb\xbfOntology(\n\n)\xff\n", 3),
        (b"Ontology(\n" + ("# é\n" * 200_000).encode() + b"\xc3(\n)\n", 200_002),
    ],
)
def test_bytes_that_are_not_utf8_fail_with_offset_and_line(data: bytes, line: int) -> None:
    """A byte that is not UTF-8 -- in a name, in a comment, past the first window --
    fails the file, naming the byte, its offset in the file and its line (before,
    DefaultParser gave no line)."""
    with pytest.raises(UnicodeDecodeError) as python:
        data.decode("utf-8")
    offset = python.value.start
    with pytest.raises(ParseError) as caught:
        PARSER.parse("bad.ofn", data)
    assert caught.value.line == line
    assert f"not UTF-8: byte 0x{data[offset]:02x} at offset {offset}" in str(caught.value)


def test_utf16_ofn_is_named() -> None:
    """A UTF-16 .ofn file is refused by name, as every other text format is."""
    with pytest.raises(ParseError, match="UTF-16 text: this format must be UTF-8"):
        PARSER.parse("wide.ofn", document(2).encode("utf-16"))
