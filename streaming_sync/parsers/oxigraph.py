"""RDF files through pyoxigraph (the optional extra ``streaming_sync[fast]``).

The only module of streaming_sync that imports pyoxigraph. Same formats, same checks
(:mod:`._sniff`) and the same mapping (:func:`._rdfmap.map_triples`) as the rdflib
parser, so both give equal rows for the same file; pyoxigraph is only faster.
pyoxigraph keeps literals as written, checks every IRI against RFC 3987 and has no
loader for remote JSON-LD contexts.

N3 formulas are blank nodes (pyoxigraph names each formula's graph with one); the
statements inside them are not asserted. pyoxigraph gives the line and column of a
Turtle-family error; for RDF/XML and JSON-LD it gives none, so after such an error the
file is read once more, a line at a time, and the line the reader stood on when the
error came back is the error's line (for a JSON-LD error that quotes a value, the line
where that value is written).
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import IO, cast

import attrs

try:
    import pyoxigraph as ox
except ImportError as error:  # pragma: no cover - exercised by a test that hides the module
    raise ImportError(
        "OxigraphParser needs pyoxigraph: pip install streaming_sync[fast]"
    ) from error

from .._errors import ParseError
from .._owl import IRI, Anonymous, Literal
from ._capture import capture_library_output
from ._rdfexpr import Node, Subject
from ._rdfmap import Triple, make_literal
from ._sniff import RdfFileParser
from ._xmlguard import XML_LITERAL, canonical_xml_literal

logger = logging.getLogger(__name__)

_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "xml": ox.RdfFormat.RDF_XML,
    "nt": ox.RdfFormat.N_TRIPLES,
    "n3": ox.RdfFormat.N3,
    "json-ld": ox.RdfFormat.JSON_LD,
    "trig": ox.RdfFormat.TRIG,
}
_POSITION_PREFIX = re.compile(r"^Parser error (?:at line \d+ )?(?:between |at )?[^:]*: ")
_LINE_SUFFIX = re.compile(r" \(line \d+\)$")
_QUOTED = re.compile(r"'([^']+)'")


@attrs.frozen
class OxigraphParser(RdfFileParser):
    """The Parser for RDF formats on pyoxigraph (stateless, picklable)."""

    def read_library(
        self, path: str, fmt: str, payload: str | bytes, base: str
    ) -> tuple[list[Triple], tuple[str, ...]]:
        return _read(path, fmt, payload, base)


def _read(
    path: str, fmt: str, payload: str | bytes, base: str
) -> tuple[list[Triple], tuple[str, ...]]:
    """All triples of ``payload``, pyoxigraph's syntax errors as our ``ParseError``."""
    # pyoxigraph warns nothing in Python; its parses run in parallel threads, so no
    # process-wide warning filters are touched (see _capture)
    with capture_library_output("pyoxigraph", "pyoxigraph", python_warnings=False) as captured:
        try:
            triples = _triples(fmt, payload, base)
        except MemoryError:
            raise
        except (SyntaxError, ValueError, OSError) as error:
            raise _parse_error(path, fmt, payload, base, error) from None
    return triples, captured.summary()


def _triples(fmt: str, payload: str | bytes | IO[bytes], base: str) -> list[Triple]:
    """pyoxigraph quads -> _owl triples: every graph of TriG, the default graph of N3
    (formula contents are not asserted), RDF-star and variables dropped."""
    # The hottest loop of a small RDF file: pyoxigraph makes new Python objects for every
    # term of every quad, so the conversion is inlined and one IRI is made per value.
    iris = _Iris()
    only_default = fmt == "n3"
    xml = fmt == "xml"
    triples: list[Triple] = []
    append = triples.append
    for subject, predicate, obj, graph in ox.parse(
        input=payload, format=_FORMATS[fmt], base_iri=base
    ):
        if only_default and type(graph) is not _DEFAULT:
            continue
        kind = type(subject)
        s: Subject
        if kind is _NAMED:
            s = iris[subject.value]
        elif kind is _BLANK:
            s = Anonymous(subject.value)
        else:
            continue  # an RDF-star triple
        kind = type(obj)
        o: Node
        if kind is _NAMED:
            o = iris[obj.value]
        elif kind is _LITERAL:
            lang = obj.language
            if lang:  # make_literal's first case, inlined: no datatype term asked for
                # (pyoxigraph makes a NamedNode per call; measured -2% for _triples)
                o = Literal(obj.value, lang.lower())
            else:
                datatype = obj.datatype.value
                if xml and datatype == XML_LITERAL:  # RDF/XML's parseType="Literal"
                    o = make_literal(canonical_xml_literal(obj.value), None, datatype)
                else:
                    o = make_literal(obj.value, None, datatype)
        elif kind is _BLANK:
            o = Anonymous(obj.value)
        else:
            continue
        if type(predicate) is _NAMED:
            append((s, predicate.value, o))
    return triples


_NAMED, _BLANK, _LITERAL, _DEFAULT = ox.NamedNode, ox.BlankNode, ox.Literal, ox.DefaultGraph


class _Iris(dict[str, IRI]):
    """One ``IRI`` per value within a parse: a hit is a plain dict lookup (in C), a
    miss makes and keeps it."""

    def __missing__(self, value: str) -> IRI:
        iri = self[value] = IRI(value)
        return iri


class _LineReader(io.RawIOBase):
    """Hands pyoxigraph one line per read; ``line`` is the line of the last one."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = io.BytesIO(data)
        self._newlines = 0
        self.line = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._data.readline(len(buffer))
        if chunk:
            buffer[: len(chunk)] = chunk
            self.line = self._newlines + 1
            self._newlines += chunk.count(b"\n")
        return len(chunk)


def _error_line(fmt: str, payload: str | bytes, base: str) -> int | None:
    """The line pyoxigraph stands on when it fails again, read a line at a time."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    reader = _LineReader(data)
    try:
        for _ in _triples(fmt, cast(IO[bytes], reader), base):
            pass
    except (SyntaxError, ValueError, OSError):
        return reader.line or None
    return None  # pragma: no cover - the same input failed a moment ago


def _quoted_value_line(payload: str | bytes, message: str) -> int | None:
    """JSON-LD errors name the offending value (``Invalid @vocab '@null'``) but pyoxigraph
    checks some values (scoped contexts) only at the end of their object: the line of
    that value, written as a JSON string, is the better answer."""
    quoted = _QUOTED.search(message)
    if quoted is None:
        return None
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else payload
    found = text.find(json.dumps(quoted.group(1)))
    return None if found < 0 else text.count("\n", 0, found) + 1


def _parse_error(
    path: str, fmt: str, payload: str | bytes, base: str, error: Exception
) -> ParseError:
    message = str(error.args[0]) if error.args else type(error).__name__
    message = _LINE_SUFFIX.sub("", _POSITION_PREFIX.sub("", message))
    line = getattr(error, "lineno", None)
    column = getattr(error, "offset", None)
    if not isinstance(line, int):
        column = None
        line = _quoted_value_line(payload, message) if fmt == "json-ld" else None
        if line is None and fmt in ("xml", "json-ld"):
            line = _error_line(fmt, payload, base)
    logger.debug("pyoxigraph failed on %s: %r", path, error)
    return ParseError(
        path,
        f"syntax error: {message[:300]}",
        line=line,
        column=column if isinstance(column, int) else None,
    )


__all__ = ["OxigraphParser"]
