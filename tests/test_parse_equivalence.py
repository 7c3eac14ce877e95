"""The shortcuts that make Logseq pages and Functional Syntax quick to read give exactly
the results of the plain rules (private units, tested directly).

* The tokenizer (``parsers/_ofn_lex``) matches a token and the gap before it with one
  regex and tells the kind by the first character; it must give the tokens, lines and
  error tokens of the plain tokenizer below (one regex group per kind, white space and
  comments skipped by a second regex, line breaks counted in the skipped text).
* ``read_page`` (``parsers/_logseq_page``) splits a page only as far as its last block
  reaches and finds marker lines in the text; it must give the blocks and lines that
  splitting the whole page and ``find_blocks`` give.
* ``NameResolver`` remembers the IRIs of names it resolved; a ``Prefix`` declared later
  must still change what a name resolves to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from streaming_sync._owl import IRI, PrefixedName
from streaming_sync.parsers import _ofn_lex as lex
from streaming_sync.parsers._logseq_page import find_blocks, read_page, split_lines
from streaming_sync.parsers.logseq import LogseqParser, page_keys

# -- the tokenizer ----------------------------------------------------------------------

_PLAIN_TOKEN = re.compile(
    r"""
    (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<string>"(?:[^"\\]++|\\.)*+")
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<dtype>\^\^)
  | (?P<equals>=)
  | (?P<pname>(?:[^\W\d][\w.\-]*)?:[^\s()<>"=]*)
  | (?P<number>\d+(?=[\s()]|$))
  | (?P<name>[^\W\d][\w\-]*)
    """,
    re.VERBOSE | re.DOTALL,
)
_PLAIN_SKIP = re.compile(r"(?:[ \t\r\n\f\v\ufeff]+|[\#;][^\n]*)+")
_KIND = {
    "lparen": lex.LPAREN,
    "rparen": lex.RPAREN,
    "iri": lex.IRIREF,
    "string": lex.STRING,
    "lang": lex.LANG,
    "dtype": lex.DTYPE,
    "equals": lex.EQUALS,
    "pname": lex.PNAME,
    "number": lex.NUMBER,
    "name": lex.NAME,
}


def plain_tokens(text: str, line: int) -> Iterator[tuple[int, str, int]]:
    """The rules of docs/formats.md, one position at a time."""
    pos = 0
    while pos < len(text):
        gap = _PLAIN_SKIP.match(text, pos)
        if gap is not None:
            line += text.count("\n", pos, gap.end())
            pos = gap.end()
            if pos >= len(text):
                return
        found = _PLAIN_TOKEN.match(text, pos)
        if found is None:
            char = text[pos]
            if char == '"':
                reason = "unterminated string literal"
            elif char == "<":
                reason = "unterminated or malformed IRI (expected <...> without spaces)"
            else:
                reason = f"unexpected character {char!r}"
            yield lex.ERROR, reason, line
            newline = text.find("\n", pos)
            if newline < 0:
                return
            pos, line = newline + 1, line + 1
            continue
        assert found.lastgroup is not None
        yield _KIND[found.lastgroup], found.group(), line
        line += found.group().count("\n")
        pos = found.end()


#: Pieces that meet every rule: each kind of token, names that are nearly prefixed
#: names, numbers that run into letters, non-ASCII letters and digits, strings with
#: escapes and line breaks, comments, every kind of white space, bad characters.
_PIECES = (
    "(", ")", "SubClassOf", "Prefix", ":=", "=", ":", ":A", "ai:B", "a.b", "a.b:c",
    "a-b.c-d:e.f", "x_y", "é:ü", "Ünï", "٣", "٣x", "12", "12x", "12)", "1.5", "<http://x/y#z>",
    "<bad iri>", "<", '"lit"', '"a\\"b"', '"two\nlines"', '"\\\\"', '"open', "@en",
    "@en-GB", "@", "^^", "^", "xsd:int", "_:b1", "#c ( \" ", "; note", "\n", "\r\n", "\t",
    " ", "\f", "\v", "\ufeff", "\u00a0", "!", "{", "`", "-", ".", "\\",
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=40),
    st.sampled_from(["", " ", "\n"]),
    st.integers(0, 50),
)
def test_tokens_are_those_of_the_plain_tokenizer(pieces: list[str], glue: str, offset: int) -> None:
    """For any text, ``iter_tokens`` (``Token``s) and ``raw_tokens`` (tuples) give the
    kinds, texts and lines of the plain tokenizer, error tokens included."""
    text = glue.join(pieces)
    expected = list(plain_tokens(text, offset + 1))
    tokens = list(lex.iter_tokens(text, line_offset=offset))
    assert all(type(token) is lex.Token for token in tokens)
    assert [tuple(token) for token in tokens] == expected
    assert list(lex.raw_tokens(text, line_offset=offset)) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab:.-1٣é <>"\\@^=()#;\n\r\t_`!', max_size=60))
def test_tokens_of_any_short_text_are_those_of_the_plain_tokenizer(text: str) -> None:
    """Random characters too, not only whole pieces."""
    assert list(lex.raw_tokens(text)) == list(plain_tokens(text, 1))


# -- the page structure -------------------------------------------------------------

_LINES = (
    "- ### OntologyBlock", "### OntologyBlock", "  - ### OntologyBlock  ", "- ### OntologyBlocks",
    "text with ### OntologyBlock inside", "\t- owl:class:: mv:A", "  - preferred-term:: A",
    "- title:: Page", "title:: Page", "- id:: 42", "\t  more of the value", "- a top bullet",
    "-", "-\tbullet", "  - nested bullet", "\t- ```clojure", "\t  ```", "```", "```turtle",
    "  ```owl", "inline ```code``` span", "\t  SubClassOf(mv:A mv:B)", "prose " * 30, "",
    "   ", "- ``` not closed here",
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(_LINES), max_size=60),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(1, 400),
)
def test_read_page_gives_the_blocks_of_the_whole_page(
    lines: list[str], end: str, lookahead: int
) -> None:
    """However far the first cut reaches, ``read_page`` gives the blocks ``find_blocks``
    finds in all the page's lines, lines that are the first lines of the page and reach
    past every block, and the same page keys."""
    text = end.join(lines)
    everything = split_lines(text)
    head, spans = read_page(text, lookahead)
    assert spans == find_blocks(everything)
    assert head == everything[: len(head)]
    assert all(stop <= len(head) for _, stop in spans)
    if spans:
        assert page_keys("p.md", head) == page_keys("p.md", everything)


def test_a_block_longer_than_the_first_cut_is_read_whole() -> None:
    """A block whose fence runs far past the first cut still ends where its lines say:
    the property after the fence belongs to it, the bullet after that does not."""
    axioms = (f"\t  SubClassOf(mv:A mv:B{i:05}) # {'x' * 60}" for i in range(300))
    fence = "\n".join(axioms)
    page = "\n".join(
        [
            "- ### OntologyBlock",
            "\t- owl:class:: mv:A",
            "\t- ```clojure",
            fence,
            "\t  ```",
            "\t- preferred-term:: Late Label",
            "- a top-level bullet ends the block",
            "\t- preferred-term:: Not This One",
            "prose " * 2000,
        ]
    )
    assert len(page) > 3 * 8192
    data = LogseqParser().parse("p.md", page.encode())
    (cls,) = (c for c in data.classes if c.iri == "http://narrativegoldmine.com/metaverse#A")
    assert cls.label == "Late Label"
    assert len(data.edges) == 300
    assert data.warnings == ()


# -- names --------------------------------------------------------------------------------


def test_a_later_prefix_declaration_changes_what_a_remembered_name_resolves_to() -> None:
    """A name resolved (and remembered) with a configured prefix resolves with the
    document's own declaration once one is read; an unknown name is counted each time."""
    names = lex.NameResolver({"ai": "http://configured/#"})
    assert names.term("ai:X") == IRI("http://configured/#X")
    assert names.term("ai:X") == IRI("http://configured/#X")
    names.declare("ai", "http://declared/#", line=3)
    assert names.term("ai:X") == IRI("http://declared/#X")
    assert names.term("zz:Y") == PrefixedName("zz:Y")
    assert names.term("zz:Y") == PrefixedName("zz:Y")
    assert names.misses == 2
    many = [names.term(f"ai:N{i}") for i in range(3 * 4096)]
    assert many[-1] == IRI(f"http://declared/#N{3 * 4096 - 1}")
    assert names.term("ai:N0") == IRI("http://declared/#N0")
