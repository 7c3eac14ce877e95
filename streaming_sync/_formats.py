"""The one table of the file kinds a sync reads and the RDF parsers it can use.

``SyncConfig``'s default include patterns, the default parser's routing, the RDF front
ends' sniffing and the CLI's ``--parser`` choices are all made from these constants, so
adding a format is one edit here.
"""

from __future__ import annotations

#: File kind -> the extensions (lower case) it is read from.
LOGSEQ_EXTENSIONS: tuple[str, ...] = (".md",)
FUNCTIONAL_EXTENSIONS: tuple[str, ...] = (".ofn",)
#: RDF documents (``.owl`` and ``.xml`` are sniffed: RDF/XML, OWL/XML or Turtle).
RDF_EXTENSIONS: tuple[str, ...] = (".ttl", ".owl", ".rdf", ".nt", ".n3", ".jsonld", ".trig", ".xml")
#: Every extension the default parser reads, in the order above.
EXTENSIONS: tuple[str, ...] = LOGSEQ_EXTENSIONS + RDF_EXTENSIONS + FUNCTIONAL_EXTENSIONS

#: Which RDF parser to use: ``auto`` (pyoxigraph when installed, rdflib for what it
#: cannot read; else rdflib), ``rdflib`` or ``oxigraph``.
RDF_PARSER_KINDS: tuple[str, ...] = ("auto", "rdflib", "oxigraph")


def include_patterns(extensions: tuple[str, ...] = EXTENSIONS) -> tuple[str, ...]:
    """Glob patterns matching file names with ``extensions`` (``*.md``, ...)."""
    return tuple(f"*{extension}" for extension in extensions)


__all__ = [
    "EXTENSIONS",
    "FUNCTIONAL_EXTENSIONS",
    "LOGSEQ_EXTENSIONS",
    "RDF_EXTENSIONS",
    "RDF_PARSER_KINDS",
    "include_patterns",
]
