"""Format detection and the input checks every RDF parser shares (no outside library).

Both RDF parsers (rdflib and pyoxigraph) call these before handing bytes to their
library, so they pick the same format, refuse the same hostile input, and resolve
relative IRIs against the same base:

* :func:`sniff_format` chooses the syntax by extension and, for ``.owl``/``.xml``/
  ``.rdf`` and unknown names, by the first bytes.
* :func:`prepare_xml` removes the document type declaration before any XML parser sees
  the document. Plain internal entities (``<!ENTITY owl "http://...#">``, as Protégé
  writes them) are expanded here by string substitution with a size bound; every other
  declaration -- external (``SYSTEM``/``PUBLIC``) entities, parameter entities, entities
  that refer to other entities (billion laughs) -- is refused. The library then gets a
  document with no DTD at all, so it can neither expand nor fetch anything.
* :func:`check_jsonld` refuses remote ``@context``/``@import`` references.
"""

from __future__ import annotations

import codecs
import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

from .._errors import FileSkipped, ParseError
from .._model import OntologyData

if TYPE_CHECKING:
    from ._rdfmap import Triple

FORMATS = ("turtle", "xml", "nt", "n3", "json-ld", "trig", "owlxml", "ofn")
RDF_EXTENSIONS = (".ttl", ".owl", ".rdf", ".nt", ".n3", ".jsonld", ".trig", ".xml")
_BY_EXTENSION = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".n3": "n3",
    ".jsonld": "json-ld",
    ".trig": "trig",
    ".ofn": "ofn",
}
_SNIFF_BYTES = 4096
#: An expanded document may grow to this many times its size (plus 1 MiB) at most.
_EXPANSION_FACTOR = 4
_OWL = "http://www.w3.org/2002/07/owl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_OFN_START = re.compile(r"(?:Prefix|Ontology|Import)\s*\(")
_XML_NAME = r"[A-Za-z_:][\w.:\-]*"
_PROLOG_SKIP = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_ROOT_TAG = re.compile(rf"<({_XML_NAME})([^>]*)>", re.S)
_DOCTYPE_HEAD = re.compile(
    rf"<!DOCTYPE\s+{_XML_NAME}"
    r"(?:\s+(?:SYSTEM\s+(?:\"[^\"]*\"|'[^']*')|PUBLIC\s+(?:\"[^\"]*\"|'[^']*')\s+"
    r"(?:\"[^\"]*\"|'[^']*')))?\s*"
)
_SUBSET_TOKEN = re.compile(
    rf"\s+|<!--.*?-->|<\?.*?\?>|<!ENTITY\s+({_XML_NAME})\s+(\"[^\"]*\"|'[^']*')\s*>"
    rf"|<!ELEMENT\s[^>]*>",
    re.S,
)
_CHAR_REF = re.compile(r"&#(?:[0-9]+|x[0-9A-Fa-f]+);")
_ENCODING_DECL = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["']([A-Za-z0-9._\-]+)["']""")
_NO_ENTITIES = "XML entity declarations are not allowed"
_OfnReader = Callable[[str, str, Mapping[str, str] | None], OntologyData]


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
    head = data[:_SNIFF_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        return _sniff_xml(head)
    if head.startswith(("{", "[")):
        return "json-ld"
    if _OFN_START.match(_skip_hash_comments(head)):
        return "ofn"
    return "turtle"


def _skip_hash_comments(text: str) -> str:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return "\n".join(lines[index:]).lstrip()
    return ""


def _sniff_xml(head: str) -> str:
    """``owlxml`` when the root element is OWL/XML's ``Ontology``, else ``xml``."""
    position = _skip_prolog(head, 0)
    if head.startswith("<!DOCTYPE", position):
        end = head.find("]>", position)
        position = _skip_prolog(head, end + 2 if end >= 0 else head.find(">", position) + 1)
    root = _ROOT_TAG.match(head, position)
    if root is None:
        return "xml"
    local = root.group(1).rsplit(":", 1)[-1]
    attributes = root.group(2)
    if local == "Ontology" and _RDF not in attributes and "rdf:about" not in attributes:
        return "owlxml"
    return "xml"


def _skip_prolog(text: str, position: int) -> int:
    while True:
        match = _PROLOG_SKIP.match(text, position)
        if match is None or match.end() == position:
            return position
        position = match.end()


def decode_text(path: str, data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); binary or undecodable input is a ParseError."""
    if b"\0" in data[:_SNIFF_BYTES]:
        raise ParseError(path, "binary content (NUL bytes), not an RDF text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParseError(path, f"not UTF-8 text (byte {error.start})", line=line) from None


def prepare_xml(path: str, data: bytes) -> bytes:
    """RDF/XML ready for a library: UTF-8, no DTD, plain internal entities expanded.

    Raises ParseError for anything an XML parser could use to expand without bound or to
    read outside the document, FileSkipped for XML that is not RDF/XML.
    """
    text = _decode_xml(path, data)
    position = _skip_prolog(text, 0)
    if text.startswith("<!DOCTYPE", position):
        entities, end = _parse_doctype(path, text, position)
        text = text[:position] + _expand(path, text[end:], entities, len(data))
    elif "<!ENTITY" in text:
        raise ParseError(path, _NO_ENTITIES)
    _require_rdf(path, text)
    return _ENCODING_DECL.sub(rb"\1'utf-8'", text.encode("utf-8"), count=1)


def _decode_xml(path: str, data: bytes) -> str:
    """Decode by BOM, then by the XML declaration's encoding, else UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        declared = _ENCODING_DECL.match(data)
        encoding = declared.group(2).decode("ascii") if declared else "utf-8"
    try:
        codecs.lookup(encoding)
        return data.decode(encoding).lstrip("\ufeff")
    except LookupError:
        raise ParseError(path, f"unknown XML encoding {encoding!r}") from None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParseError(
            path, f"not valid {encoding} text (byte {error.start})", line=line
        ) from None


def _parse_doctype(path: str, text: str, start: int) -> tuple[dict[str, str], int]:
    """The plain internal entities of the DOCTYPE at ``start`` and where it ends."""
    head = _DOCTYPE_HEAD.match(text, start)
    if head is None:
        raise ParseError(path, "malformed XML document type declaration", line=_line(text, start))
    position = head.end()
    entities: dict[str, str] = {}
    if text.startswith("[", position):
        position += 1
        while not text.startswith("]", position):
            token = _SUBSET_TOKEN.match(text, position)
            if token is None:
                raise ParseError(
                    path,
                    _NO_ENTITIES + " (only plain internal entities are accepted)",
                    line=_line(text, position),
                )
            if token.group(1):
                entities.setdefault(token.group(1), _entity_value(path, text, token))
            position = token.end()
        position = _skip_space(text, position + 1)
    if not text.startswith(">", position):
        raise ParseError(path, "malformed XML document type declaration", line=_line(text, start))
    return entities, position + 1


def _entity_value(path: str, text: str, token: re.Match[str]) -> str:
    value = token.group(2)[1:-1]
    if "<" in value or "%" in value or "&" in _CHAR_REF.sub("", value):
        raise ParseError(
            path,
            _NO_ENTITIES + f" (entity {token.group(1)!r} refers to markup or other entities)",
            line=_line(text, token.start()),
        )
    return value.replace('"', "&quot;").replace("'", "&apos;")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _expand(path: str, body: str, entities: dict[str, str], size: int) -> str:
    """Substitute ``&name;`` outside comments and CDATA sections, within a size bound."""
    if not entities:
        return body
    names = "|".join(re.escape(name) for name in entities)
    pattern = re.compile(rf"<!--.*?-->|<!\[CDATA\[.*?\]\]>|&({names});", re.S)
    budget = _EXPANSION_FACTOR * size + (1 << 20)
    pieces: list[str] = []
    last = 0
    total = 0
    for match in pattern.finditer(body):
        if match.group(1) is None:
            continue
        value = entities[match.group(1)]
        total += len(value)
        if total > budget:
            raise ParseError(path, "XML entity expansion too large")
        pieces.append(body[last : match.start()])
        pieces.append(value)
        last = match.end()
    pieces.append(body[last:])
    return "".join(pieces)


def _require_rdf(path: str, text: str) -> None:
    position = _skip_prolog(text, 0)
    root = _ROOT_TAG.match(text, position)
    if root is None:
        return  # let the XML parser report what is wrong
    local = root.group(1).rsplit(":", 1)[-1]
    if local == "Ontology" and _OWL in root.group(2) and _RDF not in root.group(2):
        raise skip_owlxml(path)
    if local != "RDF" and _RDF not in text[: root.end() + _SNIFF_BYTES]:
        raise FileSkipped(path, "XML file is not RDF/XML")


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def check_jsonld(path: str, text: str) -> None:
    """Refuse JSON-LD that would make a library fetch a remote context."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ParseError(path, f"invalid JSON: {error.msg}", line=error.lineno) from None
    except RecursionError:
        raise ParseError(path, "JSON nesting too deep") from None
    for reference in _context_references(document):
        raise ParseError(path, f"remote JSON-LD context {reference!r} is not fetched")


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


def prepare_payload(path: str, fmt: str, data: bytes) -> str | bytes:
    """What to hand a library for ``fmt``: checked RDF/XML bytes, else decoded text."""
    if fmt == "xml":
        return prepare_xml(path, data)
    text = decode_text(path, data)
    if fmt == "json-ld":
        check_jsonld(path, text)
    return text


def delegate_ofn(path: str, data: bytes) -> OntologyData:
    """Hand OWL Functional Syntax to its own reader, when that reader is installed."""
    text = decode_text(path, data)
    module_name = f"{__package__}.ofn"
    try:
        # imported by name: the reader is another module, maybe not installed yet
        parse_ofn: _OfnReader = getattr(importlib.import_module(module_name), "parse_ofn")  # noqa: B009 -- getattr keeps mypy from resolving a module that may not exist
    except (ImportError, AttributeError) as error:
        if isinstance(error, ImportError) and error.name != module_name:
            raise
        raise FileSkipped(path, "OWL Functional Syntax parser not available") from None
    return parse_ofn(path, text, None)


def parse_rdf_file(
    path: str, data: bytes, read: Callable[[str, str, str | bytes, str], Iterable[Triple]]
) -> OntologyData:  # Triple: see parsers/_rdfmap.py
    """The one way an RDF parser handles a file: sniff the format, skip OWL/XML, hand
    Functional Syntax to its reader, check the payload, then map the triples that
    ``read(path, fmt, payload, base_iri)`` yields (the only library-specific step)."""
    from ._rdfmap import map_triples

    fmt = sniff_format(path, data)
    if fmt == "owlxml":
        raise skip_owlxml(path)
    if fmt == "ofn":
        return delegate_ofn(path, data)
    payload = prepare_payload(path, fmt, data)
    return map_triples(path, read(path, fmt, payload, base_iri(path)))


def skip_owlxml(path: str) -> FileSkipped:
    return FileSkipped(path, "OWL/XML is not supported; convert to RDF/XML or Turtle")


__all__ = [
    "FORMATS",
    "RDF_EXTENSIONS",
    "base_iri",
    "check_jsonld",
    "decode_text",
    "delegate_ofn",
    "prepare_payload",
    "prepare_xml",
    "skip_owlxml",
    "sniff_format",
]
