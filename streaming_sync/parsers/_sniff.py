"""The front end every RDF parser shares: format, decoding, input checks (no library).

Both RDF parsers (rdflib and pyoxigraph) run a file through :func:`parse_rdf_file`, so
they pick the same format, refuse the same hostile input, resolve relative IRIs against
the same base, and differ only in the one step that calls their library:

* :func:`sniff_format` chooses the syntax by extension and, for ``.owl``/``.xml``/
  ``.rdf`` and unknown names, by the first bytes -- decoded as XML's encoding rules say,
  so a UTF-16 or UTF-32 document is recognised as the XML it is.
* RDF/XML goes through :func:`._xmlguard.prepare_xml`: decided encoding, no DTD.
* Every other format must be UTF-8 (:func:`decode_text`). NUL bytes make a file
  "binary" only when it is not UTF-8 at all: a NUL inside a literal is valid N-Triples
  and Turtle. UTF-16/UTF-32 text is named as such.
* Turtle, TriG and N3 nested deeper than ``MAX_NESTING`` are refused
  (:func:`nesting_too_deep`), JSON-LD too (:func:`check_jsonld`, which
  also refuses remote ``@context``/``@import`` references).
"""

from __future__ import annotations

import codecs
import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

import attrs

from .._errors import ParseError, SkipFile
from .._formats import RDF_EXTENSIONS
from .._model import OntologyData
from ._jsonnumber import NotJsonError, refuse_constant, where_not_json
from ._turtlesyntax import MAX_NESTING
from ._xmlguard import detect_encoding, prepare_xml, skip_owlxml, sniff_xml

if TYPE_CHECKING:
    from ._rdfmap import Triple

FORMATS = ("turtle", "xml", "nt", "n3", "json-ld", "trig", "owlxml", "ofn")
_BY_EXTENSION = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".n3": "n3",
    ".jsonld": "json-ld",
    ".trig": "trig",
    ".ofn": "ofn",
}
_SNIFF_BYTES = 4096
_JSON_SPACE = " \t\n\r"
_NESTED = ("turtle", "trig", "n3")
_OFN_START = re.compile(r"(?:Prefix|Ontology|Import)\s*\(")
_WIDE_BOMS = (
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
)
# Everything up to the next bracket in one match (strings, IRIs, comments and escapes
# skipped whole, possessively: a failed match never backtracks into them), then the
# bracket or the end of the text, so the loop in Python runs once per bracket.
_NEXT_BRACKET = re.compile(
    r'''(?>"""(?:[^"\\]|\\.|"(?!""))*+"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*+\'\'\''''
    r"""|"(?:[^"\\\r\n]|\\.)*+"|'(?:[^'\\\r\n]|\\.)*+'|<[^<>\s]*+>|\#[^\r\n]*+|\\."""
    r"""|[^\[\](){}"'<\#\\]++|["'<\\])*+([\[\](){}]|\Z)""",
    re.S,
)
_OfnReader = Callable[[str, "str | bytes", Mapping[str, str] | None], OntologyData]
#: The library step of a parser: (path, format, checked payload, base IRI) -> the
#: triples and what the library said while reading (warnings for the file's report).
TripleReader = Callable[[str, str, "str | bytes", str], "tuple[list[Triple], tuple[str, ...]]"]


@attrs.frozen
class Reading:
    """What a parser read from a file: its format, triples, and library warnings."""

    fmt: str
    triples: tuple[Triple, ...]
    warnings: tuple[str, ...] = ()


def base_iri(path: str) -> str:
    """The base IRI relative references resolve against: ``file:///`` + the path in the
    source. Deterministic (it depends only on the path), never the working directory."""
    return "file:///" + quote(path.lstrip("/"), safe="/")


def sniff_format(path: str, data: bytes) -> str:
    """One of :data:`FORMATS`: by extension, by content when the extension is ambiguous."""
    name = path.rsplit("/", 1)[-1].lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    known = _BY_EXTENSION.get(extension)
    if known is not None:
        return known
    head = _head_text(data)
    if head is None:
        return "xml"  # XML's first bytes in an encoding family we cannot read
    head = head.lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        return sniff_xml(head)
    if head.startswith(("{", "[")):
        return "json-ld"
    if _OFN_START.match(_skip_hash_comments(head)):
        return "ofn"
    return "turtle"


def _head_text(data: bytes) -> str | None:
    """The first bytes as text, in the encoding XML's rules find (UTF-8 when they name
    none); None when they are in an encoding family XML's rules refuse."""
    try:
        codec, skip = detect_encoding(data)
    except ValueError:
        return None
    return data[skip:_SNIFF_BYTES].decode(codec, errors="replace")


def _skip_hash_comments(text: str) -> str:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return "\n".join(lines[index:]).lstrip()
    return ""


def decode_text(path: str, data: bytes) -> str:
    """UTF-8 text (a BOM is dropped). UTF-16/32 text and undecodable bytes are a
    ParseError; NUL bytes alone are not (they are valid inside literals)."""
    refuse_wide_text(path, data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        what = "binary content (NUL bytes), not" if b"\0" in data else "not"
        raise ParseError(path, f"{what} UTF-8 text (byte {error.start})", line=line) from None


def refuse_wide_text(path: str, data: bytes) -> None:
    """ParseError naming the encoding when ``data`` is UTF-16 or UTF-32 text."""
    wide = _wide_encoding(data)
    if wide is not None:
        raise ParseError(
            path,
            f"{wide} text: this format must be UTF-8; convert the file"
            f" (e.g. iconv -f {wide} -t UTF-8)",
            line=1,
        )


def _wide_encoding(data: bytes) -> str | None:
    """``UTF-16``/``UTF-32`` when the bytes start with that byte order mark, or with
    ASCII text in that encoding (zero bytes in its pattern); else None."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return name
    try:
        codec, _ = detect_encoding(data)
    except ValueError:
        return None
    if codec.startswith("utf-16"):
        return "UTF-16"
    return "UTF-32" if codec.startswith("utf-32") else None


def check_jsonld(path: str, text: str) -> None:
    """Refuse JSON-LD that is not JSON (``NaN`` and ``Infinity`` included, which Python
    alone reads), nests deeper than MAX_NESTING levels, or would make a library fetch a
    remote context."""
    _check_nesting(path, text)
    try:
        document = json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        reason, line, column = _json_error(text, error)
        raise ParseError(path, f"invalid JSON: {reason}", line=line, column=column) from None
    except NotJsonError as error:
        at = where_not_json(text, error.token)
        token_at = _line_column(text, at) if at is not None else (None, None)
        reason = f"invalid JSON: {error}"
        raise ParseError(path, reason, line=token_at[0], column=token_at[1]) from None
    for reference in _context_references(document):
        found = text.find(json.dumps(reference)[1:-1])
        where = text.count("\n", 0, found) + 1 if found >= 0 else None
        reason = f"remote JSON-LD context {reference!r} is not fetched"
        raise ParseError(path, reason, line=where)


def _json_error(text: str, error: json.JSONDecodeError) -> tuple[str, int, int]:
    """The reason and position of a JSON error, the same on every Python: from 3.13 the
    reader names a trailing comma at the comma, before it "Expecting ..." at the bracket
    after it; both are given the 3.13 way."""
    closer = text[error.pos : error.pos + 1]
    if closer in ("}", "]") and error.msg.startswith("Expecting"):
        comma = error.pos - 1
        while comma >= 0 and text[comma] in _JSON_SPACE:
            comma -= 1
        if comma >= 0 and text[comma] == ",":
            what = "object" if closer == "}" else "array"
            line, column = _line_column(text, comma)
            return f"Illegal trailing comma before end of {what}", line, column
    return error.msg, error.lineno, error.colno


def _context_references(document: object) -> Iterator[str]:
    """String values of ``@context`` (and ``@import`` inside contexts), iteratively."""
    stack: list[tuple[object, bool]] = [(document, False)]
    while stack:
        node, in_context = stack.pop()
        if isinstance(node, str):
            if in_context:
                yield node
        elif isinstance(node, list):
            stack.extend((item, in_context) for item in node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "@context" or (in_context and key == "@import"):
                    stack.append((value, True))
                elif isinstance(value, dict | list):
                    stack.append((value, False))


def _check_nesting(path: str, text: str) -> None:
    """ParseError at the first bracket nested deeper than MAX_NESTING levels (JSON's
    strings are skipped like Turtle's, so one scan serves both)."""
    deep = nesting_too_deep(text)
    if deep is not None:
        line, column = _line_column(text, deep)
        reason = f"nesting deeper than {MAX_NESTING} levels"
        raise ParseError(path, reason, line=line, column=column)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def prepare_payload(path: str, fmt: str, data: bytes) -> str | bytes:
    """What to hand a library for ``fmt``: checked RDF/XML bytes, else checked text."""
    if fmt == "xml":
        return prepare_xml(path, data)
    text = decode_text(path, data)
    if fmt in _NESTED:
        _check_nesting(path, text)
    elif fmt == "json-ld":
        check_jsonld(path, text)
    return text


def nesting_too_deep(text: str) -> int | None:
    """Where ``text`` first opens a ``[``, ``(`` or ``{`` deeper than MAX_NESTING levels
    (outside strings, IRIs and comments), or None. Cheap: most files open fewer
    brackets in all than the limit and are not scanned at all."""
    if text.count("[") + text.count("(") + text.count("{") <= MAX_NESTING:
        return None
    depth = 0
    for match in _NEXT_BRACKET.finditer(text):
        bracket = match.group(1)
        if bracket in ("[", "(", "{"):
            depth += 1
            if depth > MAX_NESTING:
                return match.start(1)
        elif bracket:
            depth = max(depth - 1, 0)
    return None


def delegate_ofn(path: str, data: bytes) -> OntologyData:
    """Hand OWL Functional Syntax to its own reader, when that reader is installed. The
    reader gets the bytes and decodes them as it reads (no second copy of the file)."""
    refuse_wide_text(path, data)
    module_name = f"{__package__}.ofn"
    try:
        # imported by name: the reader is another module, maybe not installed yet
        parse_ofn: _OfnReader = getattr(importlib.import_module(module_name), "parse_ofn")  # noqa: B009 -- getattr keeps mypy from resolving a module that may not exist
    except (ImportError, AttributeError) as error:
        if isinstance(error, ImportError) and error.name != module_name:
            raise
        raise SkipFile(path, "OWL Functional Syntax parser not available") from None
    return parse_ofn(path, data, None)


def read_rdf(
    path: str, data: bytes, read: TripleReader, fmt: str | None = None, base: str | None = None
) -> Reading:
    """The triples of an RDF file: sniff the format (unless given), check the payload,
    then ``read`` it with the library. OWL/XML and Functional Syntax are SkipFile
    here (they have no triples); :func:`parse_rdf_file` routes them first."""
    fmt = fmt or sniff_format(path, data)
    if fmt == "owlxml":
        raise skip_owlxml(path)
    if fmt == "ofn":
        raise SkipFile(path, "OWL Functional Syntax has no RDF triples")
    payload = prepare_payload(path, fmt, data)
    triples, warnings = read(path, fmt, payload, base or base_iri(path))
    return Reading(fmt, tuple(triples), warnings)


def parse_rdf_file(path: str, data: bytes, read: TripleReader) -> OntologyData:
    """The one way an RDF parser handles a file: sniff the format, skip OWL/XML, hand
    Functional Syntax to its reader, else map what :func:`read_rdf` read (the library's
    warnings join the file's)."""
    from ._rdfmap import map_triples

    fmt = sniff_format(path, data)
    if fmt == "ofn":
        return delegate_ofn(path, data)
    reading = read_rdf(path, data, read, fmt)
    return with_warnings(map_triples(path, reading.triples), reading.warnings)


class RdfFileParser:
    """What the RDF parsers share: the files they accept and the one flow of
    :func:`parse_rdf_file`; a subclass gives only its library's ``read_library``."""

    __slots__ = ()

    def read_library(
        self, path: str, fmt: str, payload: str | bytes, base: str
    ) -> tuple[list[Triple], tuple[str, ...]]:
        """All triples of ``payload`` and the library's warnings (a ``TripleReader``)."""
        raise NotImplementedError

    def accepts(self, path: str) -> bool:
        return path.lower().endswith(RDF_EXTENSIONS)

    def parse(self, path: str, data: bytes) -> OntologyData:
        return parse_rdf_file(path, data, self.read_library)

    def read_triples(self, path: str, data: bytes, base: str | None = None) -> Reading:
        """The checked triples of an RDF file, before any mapping (``base`` overrides
        the base IRI, e.g. a test suite's own)."""
        return read_rdf(path, data, self.read_library, base=base)


def with_warnings(data: OntologyData, warnings: Iterable[str]) -> OntologyData:
    """``data`` with ``warnings`` added after its own (each once)."""
    extra = tuple(w for w in warnings if w not in data.warnings)
    return attrs.evolve(data, warnings=data.warnings + extra) if extra else data


__all__ = [
    "FORMATS",
    "RDF_EXTENSIONS",
    "RdfFileParser",
    "Reading",
    "TripleReader",
    "base_iri",
    "check_jsonld",
    "decode_text",
    "delegate_ofn",
    "nesting_too_deep",
    "parse_rdf_file",
    "prepare_payload",
    "prepare_xml",
    "read_rdf",
    "refuse_wide_text",
    "skip_owlxml",
    "sniff_format",
    "with_warnings",
]
