"""Choosing the RDF parser: pyoxigraph when asked for or installed, else rdflib.

``"auto"`` with pyoxigraph installed reads each file with pyoxigraph and, when
pyoxigraph refuses a file, with rdflib: some valid files only rdflib can read (RDF/XML
whose default namespace is relative, as owlready2 writes ``xmlns="onto.owl#"``; JSON-LD
with ``"@vocab": "@null"``), and rdflib's reading is held to the same W3C rules. The file
then carries a warning saying so in its report entry. When rdflib refuses it too, the
file fails with pyoxigraph's error.
"""

from __future__ import annotations

import attrs

from .._errors import ConfigError, ParseError, SkipFile
from .._formats import RDF_EXTENSIONS, RDF_PARSER_KINDS
from .._model import OntologyData
from .._protocols import Parser
from ._sniff import with_warnings


@attrs.frozen
class FallbackParser:
    """``auto`` with both libraries: ``primary`` first, ``fallback`` for a file the
    primary cannot read (stateless and picklable when both parsers are)."""

    primary: Parser
    fallback: Parser
    primary_name: str = "pyoxigraph"
    fallback_name: str = "rdflib"

    def accepts(self, path: str) -> bool:
        return path.lower().endswith(RDF_EXTENSIONS)

    def parse(self, path: str, data: bytes) -> OntologyData:
        try:
            return self.primary.parse(path, data)
        except ParseError as refused:
            try:
                rows = self.fallback.parse(path, data)
            except (ParseError, SkipFile):
                raise refused from None
            where = f" at line {refused.line}" if refused.line is not None else ""
            note = (
                f"read with {self.fallback_name}: {self.primary_name} could not read this"
                f" file ({refused.reason}{where})"
            )
            return with_warnings(rows, [note])


def rdf_parser(kind: str = "auto") -> Parser:
    """``"oxigraph"``: the pyoxigraph parser (ImportError naming the extra when it is not
    installed); ``"rdflib"``: the rdflib parser; ``"auto"``: pyoxigraph with rdflib for
    the files pyoxigraph cannot read when pyoxigraph is importable, else rdflib. Both
    give the same rows for every file both read."""
    if kind not in RDF_PARSER_KINDS:
        raise ConfigError(f"rdf parser {kind!r}: use one of {', '.join(RDF_PARSER_KINDS)}")
    from .rdf import RdflibParser

    if kind in ("auto", "oxigraph"):
        try:
            from .oxigraph import OxigraphParser
        except ImportError:
            if kind == "oxigraph":
                raise
        else:
            if kind == "oxigraph":
                return OxigraphParser()
            return FallbackParser(OxigraphParser(), RdflibParser())
    return RdflibParser()


__all__ = ["FallbackParser", "rdf_parser"]
