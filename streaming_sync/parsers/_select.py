"""Choosing the RDF parser: pyoxigraph when asked for or installed, else rdflib."""

from __future__ import annotations

from .._errors import ConfigError
from .._protocols import Parser

RDF_PARSER_KINDS = ("auto", "rdflib", "oxigraph")


def rdf_parser(kind: str = "auto") -> Parser:
    """``"oxigraph"``: the pyoxigraph parser (ImportError naming the extra when it is not
    installed); ``"rdflib"``: the rdflib parser; ``"auto"``: pyoxigraph when importable,
    else rdflib. Both give the same rows."""
    if kind not in RDF_PARSER_KINDS:
        raise ConfigError(f"rdf parser {kind!r}: use one of {', '.join(RDF_PARSER_KINDS)}")
    if kind in ("auto", "oxigraph"):
        try:
            from .oxigraph import OxigraphParser
        except ImportError:
            if kind == "oxigraph":
                raise
        else:
            return OxigraphParser()
    from .rdf import RdflibParser

    return RdflibParser()


__all__ = ["RDF_PARSER_KINDS", "rdf_parser"]
