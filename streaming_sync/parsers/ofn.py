"""OWL 2 Functional Syntax: tokenizer, reader to ``_owl`` terms, axiom -> rows mapping.

Reads whole ``.ofn`` files (and ``.owl`` files that hold Functional Syntax) with
:func:`parse_ofn`, and the axiom fences of Logseq pages (see ``logseq.py``) with the
lower-level pieces: :func:`tokenize`, :func:`collect_prefixes`, :func:`read_terms`,
:class:`NameResolver` and :class:`RowBuilder`. The rules are documented in
``docs/formats.md``. In short:

* ``Name(args)`` and Lisp-style ``(Name args)`` are both accepted, anywhere, mixed.
* A ``#`` or ``;`` where a token may start (at the start of a line, after white space,
  ``(``, ``)``, an IRI or a literal) begins a comment that runs to the end of the line;
  inside ``<...>``, string literals and names it is an ordinary character.
* The reader keeps an explicit stack: any nesting depth is read in linear time, never
  recursing; rendering (:func:`render_term`) is iterative too.
* Syntax errors raise ``ParseError(path, reason, line=N)`` with N counted in the original
  file (``line_offset`` is the number of lines before ``text`` there).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from .._errors import ParseError
from .._model import OntologyData
from .._owl import IRI, Anonymous, Expr, Integer, Literal, Term
from ._ofn_rows import RowBuilder, render_entity_term, render_term

logger = logging.getLogger(__name__)

#: Prefixes every OWL 2 Functional Syntax document has without declaring them.
OWL_STANDARD_PREFIXES: Mapping[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xml": "http://www.w3.org/XML/1998/namespace",
}

# Token kinds.
LPAREN, RPAREN, EQUALS, IRIREF, PNAME, NAME, STRING, LANG, DTYPE, NUMBER = range(10)


class Token(NamedTuple):
    kind: int
    text: str
    line: int


_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n\f\v\ufeff]+)
  | (?P<comment>[\#;][^\n]*)
  | (?P<lparen>\()
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
_KINDS = {
    "lparen": LPAREN,
    "rparen": RPAREN,
    "iri": IRIREF,
    "string": STRING,
    "lang": LANG,
    "dtype": DTYPE,
    "equals": EQUALS,
    "pname": PNAME,
    "number": NUMBER,
    "name": NAME,
}


def tokenize(path: str, text: str, *, line_offset: int = 0) -> list[Token]:
    """Split Functional Syntax ``text`` into tokens (comments and white space dropped)."""
    tokens: list[Token] = []
    pos, line, end = 0, line_offset + 1, len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ParseError(path, _bad_char_reason(text, pos), line=line)
        group = match.lastgroup
        assert group is not None
        if group not in ("ws", "comment"):
            tokens.append(Token(_KINDS[group], match.group(), line))
        line += text.count("\n", pos, match.end())
        pos = match.end()
    return tokens


def _bad_char_reason(text: str, pos: int) -> str:
    char = text[pos]
    if char == '"':
        return "unterminated string literal"
    if char == "<":
        return "unterminated or malformed IRI (expected <...> without spaces)"
    return f"unexpected character {char!r}"


def collect_prefixes(tokens: list[Token]) -> Iterator[tuple[str, str, int]]:
    """Yield ``(prefix, namespace, line)`` for each ``Prefix(p:=<iri>)`` (either notation)."""
    for i in range(3, len(tokens) - 2):
        if tokens[i].kind != EQUALS:
            continue
        name, iri, close = tokens[i - 1], tokens[i + 1], tokens[i + 2]
        if (name.kind, iri.kind, close.kind) != (PNAME, IRIREF, RPAREN):
            continue
        if name.text.endswith(":") and _prefix_head(tokens[i - 3 : i - 1]):
            yield name.text[:-1], iri.text[1:-1], name.line


def _prefix_head(before: list[Token]) -> bool:
    """True when the tokens before ``p: = <iri> )`` are ``Prefix (`` or ``( Prefix``."""
    if len(before) < 2:
        return False
    first, second = before
    return (first.kind, first.text, second.kind) == (NAME, "Prefix", LPAREN) or (
        (first.kind, second.kind, second.text) == (LPAREN, NAME, "Prefix")
    )


class NameResolver:
    """Turns prefixed names into full IRIs.

    Order: ``declared`` (the document's own ``Prefix`` declarations), then ``configured``;
    the empty prefix falls back to ``default_namespace``. A name whose prefix is unknown
    stays as written (``tele:Foo``) and the prefix is remembered for one warning.
    """

    def __init__(
        self,
        declared: Mapping[str, str],
        configured: Mapping[str, str],
        default_namespace: str | None = None,
        unresolved: dict[str, str] | None = None,
    ) -> None:
        self._map = {**configured, **declared}
        if "" not in declared and default_namespace is not None:
            self._map[""] = default_namespace
        #: unknown prefix -> first name seen with it (share one dict for a page-wide set)
        self.unresolved: dict[str, str] = {} if unresolved is None else unresolved

    def resolve(self, name: str) -> str:
        """The full IRI of prefixed ``name`` (``p:local``), or ``name`` itself if unknown."""
        prefix, _, local = name.partition(":")
        namespace = self._map.get(prefix)
        if namespace is None:
            self.unresolved.setdefault(prefix, name)
            return name
        return namespace + local

    def term(self, name: str) -> IRI | Anonymous:
        if name.startswith("_:"):
            return Anonymous(name[2:])
        return IRI(self.resolve(name))

    def warnings(self) -> list[str]:
        return unresolved_warnings(self.unresolved)


def unresolved_warnings(unresolved: Mapping[str, str]) -> list[str]:
    """One warning per unknown prefix, naming it and a name written with it."""
    return [
        f"unresolved prefix '{prefix}:' (e.g. {example}); names kept as written"
        for prefix, example in unresolved.items()
    ]


class _Frame:
    __slots__ = ("args", "line", "name")

    def __init__(self, name: str, line: int) -> None:
        self.name = name
        self.line = line
        self.args: list[Term] = []


def read_terms(path: str, tokens: list[Token], names: NameResolver) -> list[tuple[Term, int]]:
    """Read tokens into top-level terms with the line each starts on.

    ``Prefix(...)`` forms are consumed (see :func:`collect_prefixes`) and not returned.
    Uses an explicit stack, so nesting depth costs no recursion.
    """
    top: list[tuple[Term, int]] = []
    stack: list[_Frame] = []
    i, count = 0, len(tokens)
    while i < count:
        token = tokens[i]
        kind = token.kind
        if kind in (LPAREN, NAME):
            i = _open_frame(path, tokens, i, stack)
            continue
        if kind == RPAREN:
            if not stack:
                raise ParseError(path, "unbalanced ')'", line=token.line)
            frame = stack.pop()
            if frame.name != "Prefix":
                _emit(path, Expr(frame.name, tuple(frame.args)), frame.line, stack, top)
            i += 1
            continue
        if stack and stack[-1].name == "Prefix":
            i += 1  # the p: = <iri> of a declaration: already collected
            continue
        term, i = _read_leaf(path, tokens, i, names)
        _emit(path, term, token.line, stack, top)
    if stack:
        raise ParseError(path, f"'(' of {stack[0].name} is never closed", line=stack[0].line)
    return top


def _open_frame(path: str, tokens: list[Token], i: int, stack: list[_Frame]) -> int:
    token = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if token.kind == LPAREN:
        if nxt is None or nxt.kind != NAME:
            raise ParseError(
                path, "'(' must be followed by a name, as in (SubClassOf A B)", line=token.line
            )
        stack.append(_Frame(nxt.text, token.line))
        return i + 2
    if nxt is None or nxt.kind != LPAREN:
        raise ParseError(path, f"expected '(' after {token.text}", line=token.line)
    stack.append(_Frame(token.text, token.line))
    return i + 2


def _emit(
    path: str, term: Term, line: int, stack: list[_Frame], top: list[tuple[Term, int]]
) -> None:
    if stack:
        stack[-1].args.append(term)
    elif isinstance(term, Expr):
        top.append((term, line))
    else:
        raise ParseError(path, f"unexpected {render_term(term)} outside an axiom", line=line)


def _read_leaf(path: str, tokens: list[Token], i: int, names: NameResolver) -> tuple[Term, int]:
    token = tokens[i]
    if token.kind == IRIREF:
        return IRI(token.text[1:-1]), i + 1
    if token.kind == PNAME:
        return names.term(token.text), i + 1
    if token.kind == NUMBER:
        return number_term(token.text), i + 1
    if token.kind == STRING:
        return _read_literal(path, tokens, i, names)
    raise ParseError(path, f"unexpected {token.text!r}", line=token.line)


def _read_literal(
    path: str, tokens: list[Token], i: int, names: NameResolver
) -> tuple[Literal, int]:
    lexical = _unescape(tokens[i].text[1:-1])
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if nxt is not None and nxt.kind == LANG:
        return Literal(lexical, lang=nxt.text[1:]), i + 2
    if nxt is not None and nxt.kind == DTYPE:
        dtype = tokens[i + 2] if i + 2 < len(tokens) else None
        if dtype is None or dtype.kind not in (IRIREF, PNAME):
            raise ParseError(path, "expected a datatype IRI after '^^'", line=nxt.line)
        iri = dtype.text[1:-1] if dtype.kind == IRIREF else names.resolve(dtype.text)
        return Literal(lexical, datatype=iri), i + 3
    return Literal(lexical), i + 1


_ESCAPE = re.compile(r"\\([\\\"])")


def _unescape(body: str) -> str:
    """OWL 2 FS escapes only ``\\\\`` and ``\\"``; other backslashes are kept as written."""
    return _ESCAPE.sub(r"\1", body) if "\\" in body else body


def number_term(text: str) -> Integer:
    """A bare non-negative integer (a cardinality), rendered bare: ``...Cardinality(1 ...)``."""
    return Integer(int(text))


def decode_utf8(path: str, data: bytes) -> str:
    """``data`` as text (a UTF-8 BOM is dropped); non-UTF-8 bytes raise ``ParseError``
    naming the byte offset and line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            path, f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}", line=line
        ) from None
    return text.removeprefix("\ufeff")


def parse_ofn(
    path: str,
    text: str,
    prefixes: Mapping[str, str] | None = None,
    *,
    line_offset: int = 0,
    default_namespace: str | None = None,
) -> OntologyData:
    """Parse a whole Functional Syntax document into the rows it contributes.

    ``prefixes`` are used for names the document does not declare a ``Prefix`` for (the
    OWL standard ``rdf``/``rdfs``/``xsd``/``owl``/``xml`` are always known);
    ``default_namespace`` is the empty prefix when the document does not declare one.
    """
    tokens = tokenize(path, text.removeprefix("\ufeff"), line_offset=line_offset)
    declared, warnings = prefix_map(tokens)
    names = NameResolver(declared, {**OWL_STANDARD_PREFIXES, **(prefixes or {})}, default_namespace)
    rows = RowBuilder()
    for term, _line in read_terms(path, tokens, names):
        rows.add(term)
    rows.warnings.extend(warnings)
    rows.warnings.extend(names.warnings())
    return rows.build()


def prefix_map(tokens: list[Token]) -> tuple[dict[str, str], list[str]]:
    """The declared prefixes (first declaration wins) and a warning per conflicting one."""
    declared: dict[str, str] = {}
    warnings: list[str] = []
    for prefix, namespace, line in collect_prefixes(tokens):
        known = declared.setdefault(prefix, namespace)
        if known != namespace:
            warnings.append(
                f"line {line}: Prefix({prefix}:=<{namespace}>) ignored: "
                f"'{prefix}:' was declared before as <{known}>"
            )
    return declared, warnings


__all__ = [
    "OWL_STANDARD_PREFIXES",
    "NameResolver",
    "RowBuilder",
    "Token",
    "collect_prefixes",
    "decode_utf8",
    "number_term",
    "parse_ofn",
    "prefix_map",
    "read_terms",
    "render_entity_term",
    "render_term",
    "tokenize",
    "unresolved_warnings",
]
