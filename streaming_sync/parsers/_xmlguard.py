"""XML before any XML parser sees it: decided encoding, no DTD (no outside library).

Both RDF parsers hand RDF/XML to their library only through :func:`prepare_xml`:

1. **The encoding is decided as the XML spec does** (XML 1.0, Appendix F): a byte order
   mark; else the first bytes of ``<?xml`` (or of any ``<``) in each encoding family --
   UTF-32 and UTF-16 in either byte order, or an ASCII-compatible family whose
   ``encoding=`` declaration names the codec (UTF-8 when it names none). Families we
   cannot read (EBCDIC, odd UCS-4 orders), unknown codecs and a declaration that
   contradicts the family are refused. Checking text decoded any other way is what let
   a UTF-16 document past the guard: its ``<!DOCTYPE`` is not ``<!DOCTYPE`` in UTF-8.
2. **The decoded text is checked**: a NUL character (not an XML character) is refused;
   the document type declaration is removed. Plain internal entities
   (``<!ENTITY owl "http://...#">``, as Protégé writes them) are expanded here by string
   substitution within a size bound; every other declaration -- external (``SYSTEM`` /
   ``PUBLIC``) entities, parameter entities, entities that refer to other entities
   (billion laughs) -- is refused, and so is any ``<!DOCTYPE``/``<!ENTITY`` left
   elsewhere in the text.
3. **The library gets UTF-8** with its declaration rewritten to say so, so it has
   nothing left to detect: it reads exactly the text that was checked.

The rdflib parser adds a second line behind this one: its XML reader is defusedxml's,
which refuses entity declarations on its own (see :mod:`.rdf`).
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET

from .._errors import ParseError, SkipFile

_OWL = "http://www.w3.org/2002/07/owl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_SNIFF_CHARS = 4096
#: An expanded document may grow to this many times its size (plus 1 MiB) at most.
_EXPANSION_FACTOR = 4
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
_DECLARED = re.compile(r"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_DECLARATION_IN_UTF8 = re.compile(rb"""^(<\?xml[^>]*?encoding\s*=\s*)["'][A-Za-z0-9._\-]+["']""")
_NO_ENTITIES = "XML entity declarations are not allowed"
XML_LITERAL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral"
#: (byte order mark, codec), longest first: UTF-32LE's mark starts with UTF-16LE's.
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
#: Which of the first four bytes are zero, for a document starting with "<" or "<?xml"
#: and no byte order mark (Appendix F.1) -> the codec it is written in.
_ZERO_PATTERNS = {
    (True, True, True, False): "utf-32-be",
    (False, True, True, True): "utf-32-le",
    (True, False, True, False): "utf-16-be",
    (False, True, False, True): "utf-16-le",
}
_WIDE_FAMILIES = {"utf-32-be": "utf-32", "utf-32-le": "utf-32", "utf-16-be": "utf-16"}
_WIDE_FAMILIES["utf-16-le"] = "utf-16"


def detect_encoding(data: bytes) -> tuple[str, int]:
    """(codec, length of the byte order mark) of an XML document, by Appendix F: the
    mark, else the pattern of zero bytes in the first four, else an ASCII-compatible
    family whose declaration (if any) names the codec. Raises ValueError naming the
    problem for a family or codec that cannot be read."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    head = data[:4]
    if len(head) == 4:
        zeros = tuple(byte == 0 for byte in head)
        if zeros in _ZERO_PATTERNS:
            return _ZERO_PATTERNS[zeros], 0
        if any(zeros) and 0x3C in head:  # a "<" among zeros: XML in UCS-4 2143/3412
            raise ValueError("an encoding that is neither UTF-8, UTF-16 nor UTF-32")
        if head == b"\x4c\x6f\xa7\x94":
            raise ValueError("EBCDIC, which is not supported")
    declared = _DECLARED.match(data[:_SNIFF_CHARS].decode("latin-1"))
    if declared is None:
        return "utf-8", 0
    if _family(declared.group(1)) != "ascii-compatible":
        raise ValueError(f"an ASCII-compatible encoding that declares {declared.group(1)!r}")
    return declared.group(1), 0


def decode_xml(path: str, data: bytes) -> str:
    """The text of an XML document, decoded as :func:`detect_encoding` decides; a
    declaration that contradicts the bytes (another family, or not UTF-8 after a UTF-8
    byte order mark) is refused."""
    try:
        codec, skip = detect_encoding(data)
        family = _family(codec)
    except ValueError as error:
        raise ParseError(path, f"XML document in {error}", line=1) from None
    try:
        text = data[skip:].decode(codec)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParseError(path, f"not valid {codec} text (byte {error.start})", line=line) from None
    declared = _DECLARED.match(text)
    if declared is not None:
        name = declared.group(1)
        try:
            agrees = _family(name) == family and (skip == 0 or _normal(name) == _normal(codec))
        except ValueError:
            agrees = False
        if not agrees:
            raise ParseError(
                path, f"XML declares encoding {name!r} but is written in {codec}", line=1
            )
    return text


def _normal(codec: str) -> str:
    name = codecs.lookup(codec).name
    return _WIDE_FAMILIES.get(name, name)


def _family(codec: str) -> str:
    """``utf-16``/``utf-32`` for the wide codecs, else ``ascii-compatible`` for a codec
    that spells ``<?xml`` as ASCII does; ValueError for unknown or other codecs."""
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        raise ValueError(f"an unknown encoding {codec!r}") from None
    if name in ("utf-16", "utf-32"):
        return name
    if name in _WIDE_FAMILIES:
        return _WIDE_FAMILIES[name]
    try:
        compatible = "<?xml".encode(name) == b"<?xml"
    except UnicodeError:
        compatible = False
    if not compatible:
        raise ValueError(f"encoding {codec!r}, which is not supported")
    return "ascii-compatible"


def prepare_xml(path: str, data: bytes) -> bytes:
    """RDF/XML ready for a library: UTF-8, no DTD, plain internal entities expanded.

    Raises ParseError for anything an XML parser could use to expand without bound or to
    read outside the document, SkipFile for XML that is not RDF/XML.
    """
    text = decode_xml(path, data)
    nul = text.find("\x00")
    if nul >= 0:
        raise ParseError(
            path, "NUL character in XML (U+0000 is not allowed)", line=_line(text, nul)
        )
    position = _skip_prolog(text, 0)
    if text.startswith("<!DOCTYPE", position):
        entities, end = _parse_doctype(path, text, position)
        lines_before = text.count("\n", 0, end)
        text = text[:position] + _expand(path, text[end:], entities, len(data), lines_before)
    for marker in ("<!ENTITY", "<!DOCTYPE"):
        found = text.find(marker)
        if found >= 0:
            raise ParseError(
                path, _NO_ENTITIES + f" ({marker} outside the prolog)", line=_line(text, found)
            )
    _require_rdf(path, text)
    return _DECLARATION_IN_UTF8.sub(rb"\1'utf-8'", text.encode("utf-8"), count=1)


def canonical_xml_literal(lexical: str) -> str:
    """The canonical form of the content of an ``rdf:parseType="Literal"`` element, as
    RDF/XML requires it (canonical XML; namespace declarations the content does not use
    dropped): pyoxigraph copies every namespace in scope, rdflib only the used ones.
    Content that is not well-formed stays as it is. The content is inside an element,
    where a DTD cannot be, so expat has no entities to expand here."""
    try:
        wrapped = ET.canonicalize(f"<w>{lexical}</w>")
    except ET.ParseError:
        return lexical
    return wrapped[len("<w>") : -len("</w>")]


def sniff_xml(head: str) -> str:
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


def _expand(path: str, body: str, entities: dict[str, str], size: int, lines_before: int) -> str:
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
            line = lines_before + _line(body, match.start())
            raise ParseError(path, "XML entity expansion too large", line=line)
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
    # RDF/XML needs no rdf:RDF root nor even the RDF namespace (W3C test
    # rdf-element-not-mandatory): a .rdf file is read as what its name says; other XML
    # (.xml, .owl) without either is some other XML language and skipped.
    rdf_named = local == "RDF" or _RDF in text[: root.end() + _SNIFF_CHARS]
    if not rdf_named and not path.lower().endswith(".rdf"):
        raise SkipFile(path, "XML file is not RDF/XML")


def skip_owlxml(path: str) -> SkipFile:
    return SkipFile(path, "OWL/XML is not supported; convert to RDF/XML or Turtle")


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


__all__ = [
    "XML_LITERAL",
    "canonical_xml_literal",
    "decode_xml",
    "detect_encoding",
    "prepare_xml",
    "skip_owlxml",
    "sniff_xml",
]
