"""``SyncConfig(strict=True)`` for the default parser: Logseq pages read strictly.

:class:`StrictPages` wraps a parser (the default one, as ``StreamingSyncService.from_source``
builds it) and reads Logseq pages with ``LogseqParser(strict=True)``: a syntax error in an
axiom fence fails the page instead of being skipped with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._model import OntologyData
from .._protocols import Parser
from .logseq import LogseqParser


class StrictPages:
    """A :class:`~streaming_sync.Parser` that reads Logseq pages with
    ``LogseqParser(strict=True)`` and hands every other file to ``inner``: how
    ``SyncConfig(strict=True)`` reaches the default parser. Picklable."""

    def __init__(self, inner: Parser, prefixes: Mapping[str, str] | None = None) -> None:
        self._inner = inner
        self._pages = LogseqParser(prefixes, strict=True)

    def __repr__(self) -> str:
        return f"StrictPages({self._inner!r})"

    def accepts(self, path: str) -> bool:
        return self._inner.accepts(path)

    def parse(self, path: str, data: bytes) -> OntologyData:
        if self._pages.accepts(path):
            return self._pages.parse(path, data)
        return self._inner.parse(path, data)


__all__ = ["StrictPages"]
