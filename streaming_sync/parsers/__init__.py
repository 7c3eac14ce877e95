"""Parsers: Logseq pages, RDF formats (rdflib or pyoxigraph), OWL Functional Syntax.

``DefaultParser`` routes a file by its name: ``.md`` to the Logseq parser, ``.ofn`` to
the Functional Syntax reader, every RDF extension to the RDF parser (which sniffs the
content when the extension is ambiguous, e.g. ``.owl``). It says what a file costs to
parse (``parse_cost``, from the measured rates below) and streams OWL Functional Syntax
in parts (``parse_parts``), so the service parses cheap files in its own process and a
big ``.ofn`` never exists as one ``OntologyData``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .._errors import SkipFile
from .._formats import FUNCTIONAL_EXTENSIONS, LOGSEQ_EXTENSIONS, RDF_EXTENSIONS
from .._model import OntologyData, ParseCost

#: CPU seconds per MB parsed and validated, by reader (measured on the shared corpus and
#: the benchmark's generated files, rounded up; docs/performance.md, "Where to parse").
SECONDS_PER_MB = {"logseq": 0.07, "ofn": 0.3, "oxigraph": 0.5, "rdflib": 1.5}
#: CPU seconds per file whatever its size (routing, validation, the result's objects).
SECONDS_PER_FILE = 0.0003


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
        from .rdf import RdflibParser

        self.rdf_kind = rdf
        self.strict = strict
        self._rdf = rdf_parser(rdf)
        self._logseq = LogseqParser(prefixes, strict=strict)
        # rdflib alone (asked for, or pyoxigraph not installed), or pyoxigraph first
        self._rdf_reader = "rdflib" if isinstance(self._rdf, RdflibParser) else "oxigraph"

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

    def parse_parts(self, path: str, data: bytes) -> Iterator[OntologyData]:
        """OWL Functional Syntax in parts of ``ofn.PART_ROWS`` rows (``ofn.parse_ofn_parts``);
        any other file in one part, ``parse``'s result."""
        if not path.lower().endswith(FUNCTIONAL_EXTENSIONS):
            yield self.parse(path, data)
            return
        from ._sniff import refuse_wide_text
        from .ofn import parse_ofn_parts

        refuse_wide_text(path, data)
        yield from parse_ofn_parts(path, data)

    def parse_cost(self, path: str, size: int) -> ParseCost:
        """The expected CPU seconds (``SECONDS_PER_MB`` of the reader that reads the
        file); every reader here is linear in the file's size, so any file may be parsed
        in the service's own process when that is short enough."""
        lower = path.lower()
        if lower.endswith(LOGSEQ_EXTENSIONS):
            reader = "logseq"
        elif lower.endswith(FUNCTIONAL_EXTENSIONS):
            reader = "ofn"
        elif lower.endswith(RDF_EXTENSIONS):
            reader = self._rdf_reader
        else:
            return ParseCost(SECONDS_PER_FILE, inline=True)  # skipped without parsing
        seconds = SECONDS_PER_FILE + size / 1e6 * SECONDS_PER_MB[reader]
        return ParseCost(seconds, inline=True, streams=reader == "ofn")


__all__ = ["RDF_EXTENSIONS", "SECONDS_PER_FILE", "SECONDS_PER_MB", "DefaultParser"]
