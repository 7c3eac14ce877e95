"""A strict recognizer of Turtle, TriG and N-Triples (W3C RDF 1.1 grammars), no library.

rdflib reads these formats leniently: about a quarter of the W3C negative syntax tests
(literal subjects, bad escapes, N3 paths in Turtle, ``@prefix`` inside a TriG graph,
``"v"@en^^xsd:string``, IRIs with spaces...) come out as triples. pyoxigraph refuses
them all. So that both parsers make the same decision, the rdflib parser first runs
:func:`check_syntax` over the text: it builds no triples, only walks the grammar, and
raises :class:`SyntaxProblem` with the line and column of the first token that breaks
it. Every written IRI reference (after ``\\u`` escapes) must be an RFC 3987 IRI
reference, an absolute IRI in N-Triples.

Nesting (``[``, ``(``, ``{``) deeper than :data:`MAX_NESTING` levels is refused by both
parsers (the shared front end, ``_sniff.nesting_too_deep``, checks it before either
library runs; the walk checks it again): rdflib recurses once per level and would
otherwise fail with a ``RecursionError`` at a depth that depends on the caller's stack,
while pyoxigraph reads any depth.

The walk is recursive descent over a one-token lookahead; nesting is bounded by
:data:`MAX_NESTING`, so is its recursion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._iri import is_absolute_iri, is_iri_reference

#: Deepest nesting of ``[``, ``(`` and ``{`` either RDF parser accepts.
MAX_NESTING = 128

_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf"'\\]"""
_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = rf"%{_HEX}{{2}}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = rf"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = rf"(?:[{_CHARS_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<ws>(?:[ \t\r\n]|#[^\r\n]*)+)",
            rf"(?P<iri><(?:[^\x00-\x20<>\"{{}}|^`\\]|{_UCHAR})*>)",
            rf'(?P<long>"""(?:(?:"|"")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*"""'
            rf"|'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*''')",
            rf"(?P<string>\"(?:[^\"\\\r\n]|{_ECHAR}|{_UCHAR})*\""
            rf"|'(?:[^'\\\r\n]|{_ECHAR}|{_UCHAR})*')",
            rf"(?P<bnode>_:[{_CHARS_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)",
            rf"(?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)",
            r"(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
            r"(?P<number>[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+"
            r"|[0-9]+[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+))",
            r"(?P<word>[A-Za-z]+)",
            r"(?P<punct>\^\^|[.;,\[\](){}])",
        ]
    )
)
_UCHAR_ESCAPE = re.compile(_UCHAR)
_EOF = ("eof", "", -1, True)
_Token = tuple[str, str, int, bool]  # kind, text, start, a line break before it


class SyntaxProblem(Exception):  # noqa: N818 -- internal signal, turned into ParseError
    """The text breaks the grammar at ``position`` (an index into the text)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def check_syntax(text: str, fmt: str, prefixes: frozenset[str] = frozenset()) -> None:
    """Raise :class:`SyntaxProblem` unless ``text`` is valid ``fmt`` (``turtle``,
    ``trig`` or ``nt``). ``prefixes`` are names bound before the text begins."""
    walker = _Walker(text, fmt, set(prefixes))
    if fmt == "nt":
        walker.ntriples()
    elif fmt == "trig":
        walker.trig()
    else:
        walker.turtle()


def _tokens(text: str) -> Iterator[_Token]:
    position = 0
    newline = True
    match_at = _TOKEN.match
    while position < len(text):
        match = match_at(text, position)
        if match is None:
            raise SyntaxProblem(_unreadable(text, position), position)
        kind = match.lastgroup or ""
        if kind == "ws":
            newline = newline or "\n" in match.group() or "\r" in match.group()
        else:
            yield kind, match.group(), position, newline
            newline = False
        position = match.end()


_UNREADABLE = {
    '"': "a string that is not closed on its line or holds an unknown escape",
    "'": "a string that is not closed on its line or holds an unknown escape",
    "<": "an IRI holding a character (space, quote, brace...) or escape IRIs cannot hold",
    "@": "a language tag that is not letters and '-'-separated letters and digits",
}


def _unreadable(text: str, position: int) -> str:
    snippet = text[position : position + 30].split("\n", 1)[0]
    known = _UNREADABLE.get(text[position])
    return f"{known}: {snippet!r}" if known else f"unexpected {snippet!r}"


class _Walker:
    """Recursive descent over the W3C grammars; each method consumes one production."""

    def __init__(self, text: str, fmt: str, prefixes: set[str]) -> None:
        self.tokens = _tokens(text)
        self.length = len(text)
        self.fmt = fmt
        self.prefixes = prefixes
        self.depth = 0
        self.iris: dict[str, bool] = {}
        self.token: _Token = _EOF
        self.advance()

    def advance(self) -> _Token:
        current = self.token
        self.token = next(self.tokens, _EOF)
        return current

    def fail(self, expected: str) -> SyntaxProblem:
        kind, text, start, _ = self.token
        if kind == "eof":
            return SyntaxProblem(f"expected {expected}, found the end of the file", self.length)
        return SyntaxProblem(f"expected {expected}, found {text[:40]!r}", start)

    def expect(self, punct: str) -> None:
        if self.token[1] != punct or self.token[0] != "punct":
            raise self.fail(repr(punct))
        self.advance()

    def at(self, punct: str) -> bool:
        return self.token[0] == "punct" and self.token[1] == punct

    def open(self, punct: str) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise SyntaxProblem(f"nesting deeper than {MAX_NESTING} levels", self.token[2])
        self.expect(punct)

    # --- documents -------------------------------------------------------------------

    def turtle(self) -> None:
        while self.token[0] != "eof":
            if not self.directive():
                self.triples()
                self.expect(".")

    def trig(self) -> None:
        while self.token[0] != "eof":
            if self.directive():
                continue
            kind, text = self.token[0], self.token[1]
            if kind == "word" and text.upper() == "GRAPH":
                self.advance()
                if not self.at("["):
                    self.label()
                elif not self.anonymous():
                    raise self.fail("']' (a graph name is an IRI or a blank node)")
                self.graph()
            elif self.at("{"):
                self.graph()
            elif self.at("[") or self.at("("):
                self.trig_bracketed()
            else:
                self.label()
                if self.at("{"):
                    self.graph()
                else:
                    self.predicate_objects()
                    self.expect(".")

    def trig_bracketed(self) -> None:
        """A TriG block that starts with ``[`` or ``(``: a graph named ``[]``, or triples."""
        if self.at("("):
            self.collection()
            self.predicate_objects()
        elif self.anonymous():
            if self.at("{"):
                self.graph()
                return
            self.predicate_objects()
        else:
            self.property_list()
            if not self.at("."):
                self.predicate_objects()
        self.expect(".")

    def graph(self) -> None:
        self.open("{")
        while not self.at("}"):
            self.triples()
            if not self.at("."):
                break
            self.advance()
        self.expect("}")
        self.depth -= 1

    def ntriples(self) -> None:
        while self.token[0] != "eof":
            if not self.token[3]:
                raise self.fail("a line break before the next triple")
            for position in ("subject", "predicate", "object"):
                self.nt_term(position)
            self.expect(".")

    def nt_term(self, position: str) -> None:
        kind, text = self.token[0], self.token[1]
        if kind == "iri":
            self.check_iri(text)
        elif kind == "bnode" and position != "predicate":
            pass
        elif kind == "string" and position == "object" and text.startswith('"'):
            self.advance()
            if self.token[0] == "langtag":
                self.advance()
            elif self.at("^^"):
                self.advance()
                if self.token[0] != "iri":
                    raise self.fail("an IRI")
                self.check_iri(self.token[1])
                self.advance()
            return
        else:
            raise self.fail(f"an N-Triples {position}")
        self.advance()

    # --- shared productions ----------------------------------------------------------

    def directive(self) -> bool:
        kind, text = self.token[0], self.token[1]
        sparql = kind == "word" and text.upper() in ("PREFIX", "BASE")
        if not (sparql or (kind == "langtag" and text in ("@prefix", "@base"))):
            return False
        self.advance()
        if text.lower().endswith("prefix"):
            name = self.token[1]
            if self.token[0] != "pname" or not name.endswith(":") or name.count(":") != 1:
                raise self.fail("a prefix name ending in ':'")
            self.prefixes.add(name[:-1])
            self.advance()
        if self.token[0] != "iri":
            raise self.fail("an IRI")
        self.check_iri(self.token[1])
        self.advance()
        if not sparql:
            self.expect(".")
        return True

    def triples(self) -> None:
        if self.at("["):
            if self.anonymous():
                self.predicate_objects()
            else:
                self.property_list()
                if not self.at(".") and not self.at("}") and self.token[0] != "eof":
                    self.predicate_objects()
        elif self.at("("):
            self.collection()
            self.predicate_objects()
        else:
            self.label()
            self.predicate_objects()

    def label(self) -> None:
        """An IRI or a blank node label (a subject or a graph name)."""
        if self.token[0] == "bnode":
            self.advance()
        elif not self.iri():
            raise self.fail("a subject")

    def anonymous(self) -> bool:
        """Consume ``[ ]`` when the ``[`` at hand opens an empty one."""
        self.open("[")
        if self.at("]"):
            self.advance()
            self.depth -= 1
            return True
        self.depth -= 1
        return False

    def property_list(self) -> None:
        """``[ predicateObjectList ]``; the ``[`` was consumed by :meth:`anonymous`."""
        self.depth += 1
        self.predicate_objects()
        self.expect("]")
        self.depth -= 1

    def collection(self) -> None:
        self.open("(")
        while not self.at(")"):
            self.object()
        self.advance()
        self.depth -= 1

    def predicate_objects(self) -> None:
        self.verb()
        self.objects()
        while self.at(";"):
            self.advance()
            if self.token[0] in ("iri", "pname") or self.token[:2] == ("word", "a"):
                self.verb()
                self.objects()

    def verb(self) -> None:
        if self.token[:2] == ("word", "a"):
            self.advance()
        elif not self.iri():
            raise self.fail("a predicate")

    def objects(self) -> None:
        self.object()
        while self.at(","):
            self.advance()
            self.object()

    def object(self) -> None:
        kind, text = self.token[0], self.token[1]
        if kind in ("bnode", "number") or (kind == "word" and text in ("true", "false")):
            self.advance()
        elif kind in ("string", "long"):
            self.advance()
            if self.token[0] == "langtag":
                self.advance()
            elif self.at("^^"):
                self.advance()
                if not self.iri():
                    raise self.fail("a datatype IRI")
        elif self.at("("):
            self.collection()
        elif self.at("["):
            if not self.anonymous():
                self.property_list()
        elif not self.iri():
            raise self.fail("an object")

    def iri(self) -> bool:
        kind, text = self.token[0], self.token[1]
        if kind == "iri":
            self.check_iri(text)
        elif kind == "pname":
            prefix = text[: text.index(":")]
            if prefix not in self.prefixes:
                raise SyntaxProblem(f"undefined prefix {prefix + ':'!r}", self.token[2])
        else:
            return False
        self.advance()
        return True

    def check_iri(self, token: str) -> None:
        valid = self.iris.get(token)
        if valid is None:
            reference = _unescape(token[1:-1])
            check = is_absolute_iri if self.fmt == "nt" else is_iri_reference
            valid = self.iris[token] = check(reference)
        if not valid:
            what = "an absolute IRI" if self.fmt == "nt" else "an IRI (RFC 3987)"
            raise SyntaxProblem(f"{token[:80]} is not {what}", self.token[2])


def _unescape(reference: str) -> str:
    """The IRI a written reference stands for (``\\u``/``\\U`` escapes replaced)."""
    if "\\" not in reference:
        return reference
    return _UCHAR_ESCAPE.sub(_code_point, reference)


def _code_point(match: re.Match[str]) -> str:
    value = int(match.group()[2:], 16)
    # beyond Unicode: a space, which no IRI holds, so the reference is refused
    return chr(value) if value <= 0x10FFFF else " "


__all__ = ["MAX_NESTING", "SyntaxProblem", "check_syntax"]
