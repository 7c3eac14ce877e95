"""RDF files through pyoxigraph (the optional extra ``streaming_sync[fast]``).

The only module of streaming_sync that imports pyoxigraph. Same formats, same checks
(:mod:`._sniff`) and the same mapping (:func:`._rdfmap.map_triples`) as the rdflib
parser, so both give equal rows for the same file; pyoxigraph is only faster.
pyoxigraph keeps literals as written and has no loader for remote JSON-LD contexts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import attrs

try:
    import pyoxigraph as ox
except ImportError as error:  # pragma: no cover - exercised by a test that hides the module
    raise ImportError(
        "OxigraphParser needs pyoxigraph: pip install streaming_sync[fast]"
    ) from error

from .._errors import ParseError
from .._model import OntologyData
from .._owl import IRI, Anonymous, Literal
from ._rdfexpr import Node
from ._rdfmap import Triple, make_literal
from ._sniff import RDF_EXTENSIONS, parse_rdf_file

logger = logging.getLogger(__name__)

_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "xml": ox.RdfFormat.RDF_XML,
    "nt": ox.RdfFormat.N_TRIPLES,
    "n3": ox.RdfFormat.N3,
    "json-ld": ox.RdfFormat.JSON_LD,
    "trig": ox.RdfFormat.TRIG,
}


@attrs.frozen
class OxigraphParser:
    """The Parser for RDF formats on pyoxigraph (stateless, picklable)."""

    def accepts(self, path: str) -> bool:
        return path.lower().endswith(RDF_EXTENSIONS)

    def parse(self, path: str, data: bytes) -> OntologyData:
        return parse_rdf_file(path, data, _read)


def _read(path: str, fmt: str, payload: str | bytes, base: str) -> list[Triple]:
    """All triples of ``payload``, pyoxigraph's syntax errors as our ``ParseError``."""
    try:
        return list(_triples(fmt, payload, base))
    except MemoryError:
        raise
    except (SyntaxError, ValueError, OSError) as error:
        raise _parse_error(path, error) from None


def _triples(fmt: str, payload: str | bytes, base: str) -> Iterator[Triple]:
    """pyoxigraph quads -> _owl triples: every graph of TriG, the default graph of N3
    (formula contents are not asserted), RDF-star and variables dropped."""
    iris: dict[str, IRI] = {}
    only_default = fmt == "n3"
    for quad in ox.parse(input=payload, format=_FORMATS[fmt], base_iri=base):
        if only_default and not isinstance(quad.graph_name, ox.DefaultGraph):
            continue
        subject = _node(quad.subject, iris)
        obj = _node(quad.object, iris)
        predicate = quad.predicate
        if subject is None or obj is None or isinstance(subject, Literal):
            continue
        if not isinstance(predicate, ox.NamedNode):
            continue
        yield subject, predicate.value, obj


def _node(term: object, iris: dict[str, IRI]) -> Node | None:
    if isinstance(term, ox.NamedNode):
        value = term.value
        iri = iris.get(value)
        if iri is None:
            iri = iris[value] = IRI(value)
        return iri
    if isinstance(term, ox.BlankNode):
        return Anonymous(term.value)
    if isinstance(term, ox.Literal):
        return make_literal(term.value, term.language, term.datatype.value)
    return None


def _parse_error(path: str, error: Exception) -> ParseError:
    message = str(error.args[0]) if error.args else type(error).__name__
    lineno = getattr(error, "lineno", None)
    logger.debug("pyoxigraph failed on %s: %r", path, error)
    return ParseError(
        path, f"syntax error: {message[:300]}", line=lineno if isinstance(lineno, int) else None
    )


__all__ = ["OxigraphParser"]
