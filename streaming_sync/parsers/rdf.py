"""RDF files through rdflib: Turtle, RDF/XML, N-Triples, N3, JSON-LD, TriG.

The only module of streaming_sync that imports rdflib (and defusedxml, its XML reader),
with its helper :mod:`._rdflib_numbers`.
The shared front end (:mod:`._sniff`) picks the format and checks the input; this
module reads it with rdflib, holding rdflib to what the W3C specifications and the
pyoxigraph parser accept, converts rdflib's terms to ``streaming_sync._owl`` terms and
leaves every decision about rows to :func:`._rdfmap.map_triples`:

* **Syntax.** Turtle, TriG and N-Triples are first walked by the strict recognizer of
  :mod:`._turtlesyntax` (rdflib accepts about a quarter of the W3C negative syntax
  tests). N-Triples is then read with rdflib's Turtle reader, a superset that, unlike
  rdflib's N-Triples reader, accepts every valid line.
* **IRIs.** Every IRI rdflib yields must be an absolute RFC 3987 IRI, or the file fails
  with a ParseError naming it -- except in JSON-LD, whose specification drops such
  triples; those are dropped here too, with a warning.
* **RDF/XML** is read through defusedxml's SAX reader, which refuses any DTD: a second
  line behind :mod:`._xmlguard`, which removes it before.
* **N3 formulas** are blank nodes; the statements inside them are not asserted (the
  pyoxigraph parser does the same).
* **Noise.** Log records and warnings rdflib emits while reading a file become that
  file's warnings (:mod:`._capture`), never stderr.

Literals keep their lexical form as written, as the specifications (and pyoxigraph) say:

* rdflib would rewrite ``"01"^^xsd:integer`` as ``"1"``. That switch
  (``rdflib.NORMALIZE_LITERALS``) is global, so it is turned off only while this module
  parses, under a lock.
* rdflib's Turtle/TriG/N3 reader turns a bare number (``01``, ``+1``, ``.1``) into a
  Python ``int``/``Decimal`` and writes the literal from that (``1``, ``0.1``, ``1E-7``
  for ``0.0000001``). While the lock is held, its module's number constructors
  (``notation3.long_type`` and ``notation3.Decimal``) are swapped for subclasses whose
  ``str()`` is the token as written (:mod:`._rdflib_numbers`); a test parses such
  numbers, so a change in rdflib that bypasses the swap fails it.
* rdflib's JSON-LD reader writes a JSON number as Python renders its float; it is given
  the document read by :func:`._jsonnumber.load_json` instead, and each number's literal
  is written as the JSON-LD specification says (:func:`._jsonnumber.number_lexical`).

rdflib recurses once per nesting level; the front end bounds nesting at ``MAX_NESTING``
and the recursion limit is raised, for the parse only, to leave room for that depth.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from types import FrameType
from xml.sax import SAXParseException, handler
from xml.sax.handler import ErrorHandler

import attrs
import rdflib
from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from rdflib.exceptions import ParserError
from rdflib.parser import PythonInputSource, create_input_source
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.plugins.parsers.rdfxml import RDFXMLHandler
from rdflib.term import BNode, URIRef
from rdflib.term import Literal as RdfLiteral

from .._errors import ParseError
from .._model import OntologyData
from .._owl import IRI, Anonymous, Literal
from ._capture import Captured, capture_library_output
from ._iri import is_absolute_iri
from ._jsonnumber import load_json
from ._rdfexpr import Node
from ._rdflib_numbers import is_json_number, json_number_literal, numbers_as_written
from ._rdfmap import Triple, make_literal, map_triples
from ._sniff import RdfFileParser, base_iri, sniff_format
from ._sniff import with_warnings as _with_warnings
from ._turtlesyntax import MAX_NESTING, SyntaxProblem, check_syntax
from ._xmlguard import XML_LITERAL, canonical_xml_literal

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_PREFIX_NAME = re.compile(r"(?:[A-Za-z][\w.\-]*[\w\-])?|[A-Za-z]")
_NAMESPACE = re.compile(r"[^<>\"{}|^`\\\s]*")
_LINE_IN_MESSAGE = re.compile(r"line (\d+)")
_SAX_POSITION = re.compile(r"^[^\s:]*:(\d+):(\d+): ")
#: Python frames rdflib uses per level of nesting (measured: 8 for ``[ ]``), with room.
_FRAMES_PER_LEVEL = 10
_SYNTAX_CHECKED = ("turtle", "trig", "nt")
_NOT_A_URI = " does not look like a valid URI"
_RDFLIB_FORMAT = {"nt": "turtle"}


@attrs.frozen
class RdflibParser(RdfFileParser):
    """The Parser for RDF formats on rdflib (stateless, picklable)."""

    def read_library(
        self, path: str, fmt: str, payload: str | bytes, base: str
    ) -> tuple[list[Triple], tuple[str, ...]]:
        return _read(path, fmt, payload, base)


def parse_turtle_fragment(
    path: str, text: str, prefixes: Mapping[str, str], line_offset: int = 0
) -> OntologyData:
    """Rows of a Turtle snippet (e.g. a page's ```` ```turtle ```` fence).

    ``prefixes`` (name -> namespace) are bound before the text, which may rebind them;
    names or namespaces Turtle cannot spell are left out. ``line_offset`` is the page
    line just before the text: a syntax error on line ``n`` of ``text`` raises
    ParseError with ``line=line_offset + n``.
    """
    bound = {
        name: namespace
        for name, namespace in prefixes.items()
        if _PREFIX_NAME.fullmatch(name) and _NAMESPACE.fullmatch(namespace)
    }
    header = " ".join(f"@prefix {name}: <{namespace}> ." for name, namespace in bound.items())
    # the header shares the text's first line, so line numbers stay the text's own
    source = f"{header} {text}" if header else text
    skip = len(header) + 1 if header else 0
    try:
        triples, warnings = _library_read(
            path, "turtle", source, base_iri(path), frozenset(bound), skip
        )
    except ParseError as error:
        if error.line is None:
            raise
        column = error.column if error.line > 1 or error.column is None else error.column - skip
        raise ParseError(path, error.reason, line=line_offset + error.line, column=column) from None
    return _with_warnings(map_triples(path, triples), warnings)


def _read(
    path: str, fmt: str, payload: str | bytes, base: str
) -> tuple[list[Triple], tuple[str, ...]]:
    """The strict syntax check (Turtle family), then rdflib."""
    prefixes: frozenset[str] | None = frozenset() if fmt in _SYNTAX_CHECKED else None
    return _library_read(path, fmt, payload, base, prefixes)


def _library_read(
    path: str,
    fmt: str,
    payload: str | bytes,
    base: str,
    prefixes: frozenset[str] | None = None,
    skip: int = 0,
) -> tuple[list[Triple], tuple[str, ...]]:
    """rdflib's reading of ``payload``, converted and checked; its noise captured. With
    ``prefixes`` (names bound before the text), the text from ``skip`` on is first
    walked by the strict syntax check."""
    graph: rdflib.Graph = rdflib.Dataset() if fmt == "trig" else rdflib.Graph()
    with _rdflib_settings() as captured:
        if prefixes is not None and isinstance(payload, str):
            _check_syntax(path, payload, fmt, prefixes, skip)
        try:
            if fmt == "xml":
                _read_rdfxml(graph, payload, base)
            elif fmt == "json-ld" and isinstance(payload, str):
                # the document with each number as written (see the module docstring)
                source = PythonInputSource(load_json(payload))
                graph.parse(source=source, format="json-ld", publicID=base)
            else:
                graph.parse(data=payload, format=_RDFLIB_FORMAT.get(fmt, fmt), publicID=base)
        except MemoryError:
            raise
        except RecursionError:
            raise ParseError(path, f"nesting deeper than {MAX_NESTING} levels") from None
        except Exception as error:  # every rdflib failure (even its IndexErrors) is a bad file
            raise _parse_error(path, error) from None
        if isinstance(graph, rdflib.Dataset):
            quads = graph.quads((None, None, None, None))
            terms: Iterable[tuple[object, object, object]] = ((s, p, o) for s, p, o, _ in quads)
        else:
            terms = graph
        converter = _Converter(path, fmt, payload)
        triples = list(converter.convert(terms))
    converter.check_reported(captured.messages())
    return triples, captured.summary() + converter.warnings()


def _check_syntax(path: str, text: str, fmt: str, prefixes: frozenset[str], skip: int) -> None:
    try:
        check_syntax(text[skip:], fmt, prefixes)
    except SyntaxProblem as problem:
        position = skip + problem.position
        line = text.count("\n", 0, position) + 1
        column = position - text.rfind("\n", 0, position)
        reason = f"syntax error: {problem.message}"
        raise ParseError(path, reason, line=line, column=column) from None


def _read_rdfxml(graph: rdflib.Graph, payload: str | bytes, base: str) -> None:
    """rdflib's RDF/XML handler fed by defusedxml's SAX reader (rdflib's own
    ``create_parser`` with the reader swapped), so no DTD is ever processed."""
    source = create_input_source(data=payload, publicID=base)
    reader = DefusedExpatParser(forbid_dtd=True)
    # as rdflib does: expatreader guesses prefixes and needs "xml" declared up front
    reader.start_namespace_decl("xml", "http://www.w3.org/XML/1998/namespace")
    reader.setFeature(handler.feature_namespaces, 1)
    content = RDFXMLHandler(graph)
    # an InputSource stands in for the Locator, as in rdflib's own create_parser
    content.setDocumentLocator(source)  # type: ignore[arg-type]
    reader.setContentHandler(content)
    reader.setErrorHandler(ErrorHandler())
    reader.parse(source)


@contextmanager
def _rdflib_settings() -> Iterator[Captured]:
    """Under the lock: literals as written, recursion room for MAX_NESTING levels, and
    rdflib's log records and warnings captured for this thread."""
    with ExitStack() as stack:
        stack.enter_context(_LOCK)
        captured = stack.enter_context(capture_library_output("rdflib", "rdflib"))
        stack.enter_context(numbers_as_written())
        previous = rdflib.NORMALIZE_LITERALS
        limit = sys.getrecursionlimit()
        needed = _stack_depth() + MAX_NESTING * _FRAMES_PER_LEVEL + 200
        rdflib.NORMALIZE_LITERALS = False
        if needed > limit:
            sys.setrecursionlimit(needed)
        try:
            yield captured
        finally:
            rdflib.NORMALIZE_LITERALS = previous
            if needed > limit:
                sys.setrecursionlimit(limit)


def _stack_depth() -> int:
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


@attrs.define
class _Converter:
    """rdflib terms -> _owl terms, holding IRIs to RFC 3987. A formula (N3) is a blank
    node; variables and RDF-star terms drop their triple. An invalid IRI fails the file,
    except in JSON-LD, whose to-RDF rules drop the triple (counted in a warning).
    Predicates that are not IRIs and literal subjects (N3 and JSON-LD's generalized
    RDF allow them; RDF does not) drop their triple, as in the pyoxigraph parser."""

    path: str
    fmt: str
    payload: str | bytes
    iris: dict[str, IRI | None] = attrs.field(factory=dict)
    dropped: Counter[str] = attrs.field(factory=Counter)

    def convert(self, triples: Iterable[tuple[object, object, object]]) -> Iterator[Triple]:
        for s, p, o in triples:
            subject = self.node(s)
            predicate = self.node(p) if isinstance(p, URIRef) else None
            obj = self.node(o)
            if not isinstance(predicate, IRI) or subject is None or obj is None:
                continue
            if isinstance(subject, Literal):
                continue
            yield subject, predicate.value, obj

    def node(self, term: object) -> Node | None:
        if isinstance(term, URIRef):
            return self.iri(str(term))
        if isinstance(term, BNode):
            return Anonymous(str(term))
        if isinstance(term, RdfLiteral):
            datatype = None if term.datatype is None else self.iri(str(term.datatype))
            if term.datatype is not None and datatype is None:
                return None
            if self.fmt == "json-ld" and is_json_number(term.value):
                return json_number_literal(term.value, datatype.value if datatype else None)
            lexical = str(term)
            if datatype is not None and datatype.value == XML_LITERAL and self.fmt == "xml":
                lexical = canonical_xml_literal(lexical)
            return make_literal(lexical, term.language, datatype.value if datatype else None)
        if isinstance(term, rdflib.Graph):  # an N3 formula
            return Anonymous(str(term.identifier))
        return None

    def iri(self, value: str) -> IRI | None:
        if value in self.iris:
            return self.iris[value]
        # The Turtle family's written IRIs were checked by the syntax walk, as pyoxigraph
        # checks them; the IRIs it builds from prefixed names it does not check again.
        valid = self.fmt in _SYNTAX_CHECKED or is_absolute_iri(value)
        iri = self.iris[value] = IRI(value) if valid else None
        if iri is None:
            if self.fmt != "json-ld":
                raise self.invalid(value)
            self.dropped[value] += 1
        return iri

    def invalid(self, value: str) -> ParseError:
        line, column = _locate(self.payload, value)
        return ParseError(
            self.path,
            f"{value[:200]!r} is not an absolute IRI (RFC 3987)",
            line=line,
            column=column,
        )

    def check_reported(self, messages: list[str]) -> None:
        """rdflib logs "X does not look like a valid URI" for every URIRef it makes from
        an invalid IRI, also for one that ends up in no triple (an empty
        ``rdf:Description``, which pyoxigraph refuses all the same): check those too."""
        if self.fmt == "json-ld":
            return
        for message in messages:
            value, marker, _ = message.partition(_NOT_A_URI)
            if marker and value:
                self.iri(value)

    def warnings(self) -> tuple[str, ...]:
        if not self.dropped:
            return ()
        names = ", ".join(repr(v[:80]) for v in list(self.dropped)[:3])
        more = f" and {len(self.dropped) - 3} more" if len(self.dropped) > 3 else ""
        total = sum(self.dropped.values())
        return (f"rdflib: JSON-LD: {total} triple(s) dropped: not absolute IRIs: {names}{more}",)


def _locate(payload: str | bytes, value: str) -> tuple[int | None, int | None]:
    """Line and column where ``value`` (or, failing that, its last segment) is written."""
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else payload
    for needle in (value, re.split(r"[#/]", value)[-1]):
        found = text.find(needle) if needle else -1
        if found >= 0:
            return text.count("\n", 0, found) + 1, found - text.rfind("\n", 0, found)
    return None, None


def _parse_error(path: str, error: Exception) -> ParseError:
    if isinstance(error, BadSyntax):
        # rdflib keeps the error position only in these private fields
        text = error._str.decode("utf-8", errors="replace")
        line = text.count("\n", 0, error._i) + 1
        column = error._i - text.rfind("\n", 0, error._i)
        return ParseError(path, f"syntax error: {error._why}", line=line, column=column)
    if isinstance(error, SAXParseException):
        sax_column: int | None = error.getColumnNumber()  # 0-based
        return ParseError(
            path,
            f"XML error: {error.getMessage()}",
            line=error.getLineNumber(),
            column=None if sax_column is None else sax_column + 1,
        )
    if isinstance(error, DefusedXmlException):
        return ParseError(path, f"XML entity declarations are not allowed ({error})")
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    position = _SAX_POSITION.match(message) if isinstance(error, ParserError) else None
    if position is not None:
        # rdflib's RDF/XML errors read "<system id>:line:column: reason", column 0-based
        reason = message[position.end() :]
        line, column = int(position.group(1)), int(position.group(2)) + 1
        return ParseError(path, f"RDF/XML error: {reason[:300]}", line=line, column=column)
    lineno = getattr(error, "lineno", None)
    if not isinstance(lineno, int):
        found = _LINE_IN_MESSAGE.search(message)
        lineno = int(found.group(1)) if found else None
    logger.debug("rdflib failed on %s: %r", path, error)
    return ParseError(path, message[:300], line=lineno)


__all__ = ["RdflibParser", "parse_turtle_fragment", "sniff_format"]
