"""RDF files through rdflib: Turtle, RDF/XML, N-Triples, N3, JSON-LD, TriG.

The only module of streaming_sync that imports rdflib. It picks the format
(:func:`sniff_format`), checks the input (:mod:`._sniff`: no DTD entities, no remote
JSON-LD contexts, no fetching), converts rdflib's terms to ``streaming_sync._owl`` terms
and leaves every decision about rows to :func:`._rdfmap.map_triples`, which the
pyoxigraph parser shares.

Literals keep their lexical form as written: rdflib would otherwise rewrite
``"01"^^xsd:integer`` as ``"1"``. That switch (``rdflib.NORMALIZE_LITERALS``) is global,
so it is turned off only while this module parses, under a lock.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from xml.sax import SAXParseException

import attrs
import rdflib
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import BNode, URIRef
from rdflib.term import Literal as RdfLiteral

from .._errors import ParseError
from .._model import OntologyData
from .._owl import IRI, Anonymous, Literal
from ._rdfexpr import Node
from ._rdfmap import Triple, make_literal, map_triples
from ._sniff import RDF_EXTENSIONS, base_iri, parse_rdf_file, sniff_format

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_PREFIX_NAME = re.compile(r"(?:[A-Za-z][\w.\-]*[\w\-])?|[A-Za-z]")
_NAMESPACE = re.compile(r"[^<>\"{}|^`\\\s]*")
_LINE_IN_MESSAGE = re.compile(r"line (\d+)")


@attrs.frozen
class RdflibParser:
    """The Parser for RDF formats on rdflib (stateless, picklable)."""

    def accepts(self, path: str) -> bool:
        return path.lower().endswith(RDF_EXTENSIONS)

    def parse(self, path: str, data: bytes) -> OntologyData:
        return parse_rdf_file(path, data, _parse)


def parse_turtle_fragment(
    path: str, text: str, prefixes: Mapping[str, str], line_offset: int = 0
) -> OntologyData:
    """Rows of a Turtle snippet (e.g. a page's ```` ```turtle ```` fence).

    ``prefixes`` (name -> namespace) are bound before the text, which may rebind them;
    names or namespaces Turtle cannot spell are left out. ``line_offset`` is the page
    line just before the text: a syntax error on line ``n`` of ``text`` raises
    ParseError with ``line=line_offset + n``.
    """
    header = " ".join(
        f"@prefix {name}: <{namespace}> ."
        for name, namespace in prefixes.items()
        if _PREFIX_NAME.fullmatch(name) and _NAMESPACE.fullmatch(namespace)
    )
    # the header shares the text's first line, so line numbers stay the text's own
    source = f"{header} {text}" if header else text
    try:
        triples = _parse(path, "turtle", source, base_iri(path))
    except ParseError as error:
        if error.line is None:
            raise
        raise ParseError(path, error.reason, line=line_offset + error.line) from None
    return map_triples(path, triples)


@contextmanager
def _rdflib_settings() -> Iterator[None]:
    with _LOCK, warnings.catch_warnings():
        # Dataset.parse warns about its own deprecated internals (rdflib 7.x)
        warnings.simplefilter("ignore", DeprecationWarning)
        previous = rdflib.NORMALIZE_LITERALS
        rdflib.NORMALIZE_LITERALS = False
        try:
            yield
        finally:
            rdflib.NORMALIZE_LITERALS = previous


def _parse(path: str, fmt: str, payload: str | bytes, base: str) -> list[Triple]:
    graph: rdflib.Graph = rdflib.Dataset() if fmt == "trig" else rdflib.Graph()
    try:
        with _rdflib_settings():
            graph.parse(data=payload, format=fmt, publicID=base)
    except MemoryError:
        raise
    except RecursionError:
        raise ParseError(path, "nesting too deep") from None
    except Exception as error:  # every rdflib failure (even its IndexErrors) is a bad file
        raise _parse_error(path, error) from None
    if isinstance(graph, rdflib.Dataset):
        return list(_convert((s, p, o) for s, p, o, _ in graph.quads((None, None, None, None))))
    return list(_convert(graph))


def _convert(triples: Iterator[tuple[object, object, object]] | rdflib.Graph) -> Iterator[Triple]:
    """rdflib terms -> _owl terms; formulas, variables and RDF-star terms are dropped."""
    iris: dict[URIRef, IRI] = {}
    for s, p, o in triples:
        if not isinstance(p, URIRef):
            continue
        subject = _node(s, iris)
        obj = _node(o, iris)
        if subject is None or obj is None or isinstance(subject, Literal):
            continue
        yield subject, str(p), obj


def _node(term: object, iris: dict[URIRef, IRI]) -> Node | None:
    if isinstance(term, URIRef):
        iri = iris.get(term)
        if iri is None:
            iri = iris[term] = IRI(str(term))
        return iri
    if isinstance(term, BNode):
        return Anonymous(str(term))
    if isinstance(term, RdfLiteral):
        datatype = term.datatype
        return make_literal(str(term), term.language, None if datatype is None else str(datatype))
    return None


def _parse_error(path: str, error: Exception) -> ParseError:
    if isinstance(error, BadSyntax):
        # rdflib keeps the error position only in these private fields
        text = error._str.decode("utf-8", errors="replace")
        line = text.count("\n", 0, error._i) + 1
        return ParseError(path, f"syntax error: {error._why}", line=line)
    if isinstance(error, SAXParseException):
        return ParseError(path, f"XML error: {error.getMessage()}", line=error.getLineNumber())
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    lineno = getattr(error, "lineno", None)
    if not isinstance(lineno, int):
        found = _LINE_IN_MESSAGE.search(message)
        lineno = int(found.group(1)) if found else None
    logger.debug("rdflib failed on %s: %r", path, error)
    return ParseError(path, message[:300], line=lineno)


__all__ = ["RdflibParser", "parse_turtle_fragment", "sniff_format"]
