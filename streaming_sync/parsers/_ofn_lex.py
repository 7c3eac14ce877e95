"""OWL 2 Functional Syntax: tokens, prefix declarations and names (no outside library).

:func:`iter_tokens` produces tokens one at a time from a text (never a list of the whole
document), :func:`iter_utf8_tokens` from UTF-8 bytes, decoding a window at a time;
:func:`scan_prefixes` finds the ``Prefix(p:=<iri>)`` declarations in a token stream;
:class:`NameResolver` (from ``._ofn_names``) turns prefixed names into IRIs. The reader
that builds axioms from the tokens is :mod:`._ofn_reader`; the rules are in
``docs/formats.md``.
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping
from typing import NamedTuple

from .._errors import ParseError
from ._ofn_names import NameResolver, unresolved_warnings

#: Prefixes every OWL 2 Functional Syntax document has without declaring them.
OWL_STANDARD_PREFIXES: Mapping[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xml": "http://www.w3.org/XML/1998/namespace",
}

#: The names that begin an axiom (or a document part) of OWL 2 Functional Syntax.
AXIOM_KEYWORDS = frozenset(
    [
        "Prefix",
        "Ontology",
        "Import",
        "Declaration",
        "SubClassOf",
        "EquivalentClasses",
        "DisjointClasses",
        "DisjointUnion",
        "SubObjectPropertyOf",
        "EquivalentObjectProperties",
        "DisjointObjectProperties",
        "InverseObjectProperties",
        "ObjectPropertyDomain",
        "ObjectPropertyRange",
        "FunctionalObjectProperty",
        "InverseFunctionalObjectProperty",
        "ReflexiveObjectProperty",
        "IrreflexiveObjectProperty",
        "SymmetricObjectProperty",
        "AsymmetricObjectProperty",
        "TransitiveObjectProperty",
        "SubDataPropertyOf",
        "EquivalentDataProperties",
        "DisjointDataProperties",
        "DataPropertyDomain",
        "DataPropertyRange",
        "FunctionalDataProperty",
        "DatatypeDefinition",
        "HasKey",
        "SameIndividual",
        "DifferentIndividuals",
        "ClassAssertion",
        "ObjectPropertyAssertion",
        "NegativeObjectPropertyAssertion",
        "DataPropertyAssertion",
        "NegativeDataPropertyAssertion",
        "AnnotationAssertion",
        "SubAnnotationPropertyOf",
        "AnnotationPropertyDomain",
        "AnnotationPropertyRange",
        "DLSafeRule",
    ]
)

# Token kinds.
LPAREN, RPAREN, EQUALS, IRIREF, PNAME, NAME, STRING, LANG, DTYPE, NUMBER, ERROR = range(11)


class Token(NamedTuple):
    kind: int
    text: str
    line: int


#: A token as the readers take it: ``(kind, text, line)``, a :class:`Token`'s fields in a
#: plain tuple (cheaper to make; the readers unpack it).
RawToken = tuple[int, str, int]

# One match per token: the spaces, line breaks and comments before it, then the token
# (group 2) with the run of parentheses right after it (group 3), else a character no
# token starts with (group 4), else the end of the text, so ``finditer`` walks the text
# without gaps. The gap is group 1 when it breaks a line, so lines are counted without
# searching the text again. The token alternatives start with different characters, so
# their order changes nothing: the commonest come first. Three groups for the token, not
# one per kind, because every group makes each match dearer (the kind follows from the
# first character: see _FIRST_KIND). Speed: a match costs about as much as the Python
# that handles its token, and the parentheses glued to a token (``SubClassOf(``,
# ``mv:X))``) are a third of the tokens of an axiom: taking them with the token makes a
# third fewer matches (the regex's time over the benchmark's .ofn: 14.6 ms -> 11.6 ms).
_TOKEN = re.compile(
    r"""
    [ \t\r\f\v\ufeff]*+(?:[\#;][^\n]*+)?
    (\n(?:[ \t\r\n\f\v\ufeff]++|[\#;][^\n]*+)*+)?
    (?:
      (
        [()]
      | [^\W\d][\w\-]*+(?:[\w.\-]*+:[^\s()<>"=]*+)?
      | <[^<>"{}|^`\\\s]*>
      | "(?:[^"\\]++|\\.)*+"
      | @[A-Za-z]+(?:-[A-Za-z0-9]+)*
      | \^\^
      | =
      | :[^\s()<>"=]*+
      | \d++(?=[\s()]|$)
      )
      ([()]*+)
    | (.)
    | \Z
    )
    """,
    re.VERBOSE | re.DOTALL,
)
#: A first character that starts a name or a prefixed name (an ASCII letter or ``_``):
#: which one depends on whether the token has a colon (a plain name never has one).
_NAMED = -1
#: The kind of a token by its first character; one not here starts a number if it is a
#: digit (``\d`` is ``str.isdecimal``), else it starts a name or a prefixed name.
_FIRST_KIND = {
    **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_", _NAMED),
    "(": LPAREN,
    ")": RPAREN,
    "<": IRIREF,
    '"': STRING,
    "@": LANG,
    "^": DTYPE,
    "=": EQUALS,
    ":": PNAME,
}

#: About how many bytes :func:`iter_utf8_tokens` decodes at a time.
UTF8_WINDOW = 1 << 18


def iter_tokens(text: str, *, line_offset: int = 0) -> Iterator[Token]:
    """The tokens of Functional Syntax ``text``, one at a time (comments and white space
    dropped). A character no token can start with gives an ``ERROR`` token (its text is
    the reason) and tokenizing goes on at the next line."""
    return map(Token._make, raw_tokens(text, line_offset=line_offset))


def raw_tokens(text: str, *, line_offset: int = 0) -> Iterator[RawToken]:
    """:func:`iter_tokens` as :data:`RawToken` tuples (what the readers take)."""
    return _scan(text, line_offset + 1, final=True)


def iter_utf8_tokens(
    path: str, data: bytes, *, line_offset: int = 0, window: int = UTF8_WINDOW
) -> Iterator[Token]:
    """The tokens :func:`iter_tokens` gives for ``data`` decoded as UTF-8 (a BOM
    skipped), decoding whole lines about ``window`` bytes at a time: memory holds one
    window of text, never a decoded copy of the document. Bytes that are not UTF-8
    raise ParseError (the byte, its offset and line) when tokenizing reaches them."""
    return map(Token._make, raw_utf8_tokens(path, data, line_offset=line_offset, window=window))


def raw_utf8_tokens(
    path: str, data: bytes, *, line_offset: int = 0, window: int = UTF8_WINDOW
) -> Iterator[RawToken]:
    """:func:`iter_utf8_tokens` as :data:`RawToken` tuples (what the readers take)."""
    view = memoryview(data)
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    line, carried, size = line_offset + 1, "", window
    while start < len(data):
        newline = data.find(b"\n", start + size - 1)
        end = len(data) if newline < 0 else newline + 1
        try:
            text = carried + str(view[start:end], "utf-8")
        except UnicodeDecodeError as error:
            raise not_utf8(path, data, start + error.start, line_offset) from None
        stop, line = yield from _scan(text, line, final=end == len(data))
        # a string literal the window cut reads on in the next window, which is at
        # least twice its length so far (a long literal costs linear time)
        carried, text = text[stop:], ""  # one window in memory while the next decodes
        size = max(window, 2 * len(carried))
        start = end


def not_utf8(path: str, data: bytes, offset: int, line_offset: int = 0) -> ParseError:
    """The error for a byte that is not UTF-8, with its offset and line."""
    line = line_offset + data.count(b"\n", 0, offset) + 1
    reason = f"not UTF-8: byte 0x{data[offset]:02x} at offset {offset}"
    return ParseError(path, reason, line=line)


def _scan(text: str, line: int, final: bool) -> Generator[RawToken, None, tuple[int, int]]:
    """Tokens of ``text`` from its start on ``line``; returns where it stopped and that
    line. Unless ``final``, it stops at a string literal ``text`` does not close (the
    rest of it is in the text that follows: only a string can span lines)."""
    pos, first_kind = 0, _FIRST_KIND
    while True:
        for found in _TOKEN.finditer(text, pos):
            gap, value, parens, bad = found.groups()
            if gap is not None:
                line += gap.count("\n")
            if value is not None:
                kind = first_kind.get(value[0])
                if kind == _NAMED:  # the commonest
                    kind = PNAME if ":" in value else NAME
                elif kind is None:
                    kind = NUMBER if value[0].isdecimal() else PNAME if ":" in value else NAME
                yield kind, value, line
                if kind == STRING:
                    line += value.count("\n")
                if parens:  # half the tokens have none: no loop started for those
                    for paren in parens:
                        yield (LPAREN if paren == "(" else RPAREN), paren, line
            elif bad is not None:
                break
            else:  # the end of the text
                return len(text), line
        else:  # pragma: no cover -- the "end" alternative matches at the end of any text
            return len(text), line
        pos = found.start(4)
        if not final and text[pos] == '"':
            return pos, line
        yield ERROR, _bad_char_reason(text, pos), line
        newline = text.find("\n", pos)
        if newline < 0:
            return len(text), line
        pos, line = newline + 1, line + 1


def tokenize(path: str, text: str, *, line_offset: int = 0) -> list[Token]:
    """All tokens of ``text`` as a list (a syntax error raises ParseError); for tests and
    small texts -- the readers use :func:`iter_tokens`."""
    tokens = list(iter_tokens(text, line_offset=line_offset))
    bad = next((t for t in tokens if t.kind == ERROR), None)
    if bad is not None:
        raise ParseError(path, bad.text, line=bad.line)
    return tokens


def _bad_char_reason(text: str, pos: int) -> str:
    char = text[pos]
    if char == '"':
        return "unterminated string literal"
    if char == "<":
        return "unterminated or malformed IRI (expected <...> without spaces)"
    return f"unexpected character {char!r}"


def scan_prefixes(tokens: Iterable[RawToken]) -> Iterator[tuple[str, str, int]]:
    """Yield ``(prefix, namespace, line)`` for each ``Prefix(p:=<iri>)`` (either notation)
    among ``tokens``, keeping only the last six tokens in memory."""
    window: deque[RawToken] = deque(maxlen=6)
    for token in tokens:
        window.append(token)
        if token[0] != RPAREN or len(window) < 6:
            continue
        head1, head2, name, equals, iri = list(window)[:5]
        if (name[0], equals[0], iri[0]) != (PNAME, EQUALS, IRIREF):
            continue
        prefix_head = (head1[0], head1[1], head2[0]) == (NAME, "Prefix", LPAREN) or (
            (head1[0], head2[0], head2[1]) == (LPAREN, NAME, "Prefix")
        )
        if prefix_head and name[1].endswith(":"):
            yield name[1][:-1], iri[1][1:-1], name[2]


_FUNCTIONAL_START = re.compile(r"\s*(?:\(|([A-Za-z]+)\s*\()")


def looks_functional(lines: list[str]) -> bool:
    """Whether a fence without an info word holds Functional Syntax: its first line that
    is neither blank nor a ``#``/``;`` comment starts with ``(``, or with ``Prefix``,
    ``Ontology``, ``Declaration`` or another axiom keyword followed by ``(``."""
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        match = _FUNCTIONAL_START.match(stripped)
        return match is not None and (match.group(1) is None or match.group(1) in AXIOM_KEYWORDS)
    return False


_ESCAPE = re.compile(r"\\([\\\"])")


def unescape(body: str) -> str:
    """OWL 2 FS escapes only ``\\\\`` and ``\\"``; other backslashes are kept as written."""
    return _ESCAPE.sub(r"\1", body) if "\\" in body else body


__all__ = [
    "AXIOM_KEYWORDS",
    "DTYPE",
    "EQUALS",
    "ERROR",
    "IRIREF",
    "LANG",
    "LPAREN",
    "NAME",
    "NUMBER",
    "OWL_STANDARD_PREFIXES",
    "PNAME",
    "RPAREN",
    "STRING",
    "UTF8_WINDOW",
    "NameResolver",
    "RawToken",
    "Token",
    "iter_tokens",
    "iter_utf8_tokens",
    "looks_functional",
    "not_utf8",
    "raw_tokens",
    "raw_utf8_tokens",
    "scan_prefixes",
    "tokenize",
    "unescape",
    "unresolved_warnings",
]
