"""Parsers: Logseq pages, RDF formats (rdflib or pyoxigraph), OWL Functional Syntax.

``DefaultParser`` routes a file by its name: ``.md`` to the Logseq parser, ``.ofn`` to
the Functional Syntax reader, every RDF extension to the RDF parser (which sniffs the
content when the extension is ambiguous, e.g. ``.owl``).
"""

from __future__ import annotations

from collections.abc import Mapping

from .._errors import SkipFile
from .._formats import RDF_EXTENSIONS
from .._model import OntologyData


class DefaultParser:
    """The parser the service uses unless given another.

    ``rdf``: ``"auto"`` (pyoxigraph when installed, with rdflib for the files pyoxigraph
    cannot read; else rdflib), ``"rdflib"`` or ``"oxigraph"``. ``prefixes`` adds to or
    overrides the Logseq parser's prefix map. ``strict``: a syntax error in a Logseq
    page's axiom fence fails the page (``LogseqParser(strict=True)``; by default the bad
    axiom is skipped with a warning); ``.ofn`` and RDF files always fail on one.
    """

    def __init__(
        self, rdf: str = "auto", prefixes: Mapping[str, str] | None = None, *, strict: bool = False
    ) -> None:
        from ._select import rdf_parser
        from .logseq import LogseqParser

        self.rdf_kind = rdf
        self.strict = strict
        self._rdf = rdf_parser(rdf)
        self._logseq = LogseqParser(prefixes, strict=strict)

    def __repr__(self) -> str:
        strict = " strict" if self.strict else ""
        return f"<DefaultParser rdf={type(self._rdf).__name__}{strict}>"

    def accepts(self, path: str) -> bool:
        lower = path.lower()
        return lower.endswith((".md", ".ofn", *RDF_EXTENSIONS))

    def parse(self, path: str, data: bytes) -> OntologyData:
        lower = path.lower()
        if lower.endswith(".md"):
            return self._logseq.parse(path, data)
        if lower.endswith(".ofn"):
            from ._sniff import delegate_ofn

            return delegate_ofn(path, data)
        if lower.endswith(RDF_EXTENSIONS):
            return self._rdf.parse(path, data)
        raise SkipFile(path, "no parser for this kind of file")


__all__ = ["RDF_EXTENSIONS", "DefaultParser"]
