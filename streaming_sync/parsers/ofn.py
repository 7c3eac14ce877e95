"""OWL 2 Functional Syntax documents: ``.ofn`` files (and ``.owl`` files holding it).

:func:`parse_ofn` streams a whole document through the tokenizer (``._ofn_lex``) and the
reader (``._ofn_reader``) into the one row mapping (``._rows``): each axiom becomes rows as
soon as it is read, so memory holds the text and the rows, never a token list or a term of
the whole document. Logseq fences use the same pieces (see ``logseq.py``). The rules are
documented in ``docs/formats.md``. A syntax error fails the document with
``ParseError(path, reason, line=N)``: this is a machine format.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

from .._model import OntologyData
from .._owl import OwlAxiom, Term, render, render_entity
from ._ofn_lex import (
    AXIOM_KEYWORDS,
    OWL_STANDARD_PREFIXES,
    NameResolver,
    Token,
    iter_tokens,
    not_utf8,
    raw_tokens,
    raw_utf8_tokens,
    scan_prefixes,
    tokenize,
    unresolved_warnings,
)
from ._ofn_reader import FunctionalReader
from ._rows import RowBuilder

logger = logging.getLogger(__name__)


def decode_utf8(path: str, data: bytes) -> str:
    """``data`` as text (a UTF-8 BOM is dropped); non-UTF-8 bytes raise ``ParseError``
    naming the byte offset and line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, data, exc.start) from None
    return text.removeprefix("\ufeff")


def parse_ofn(
    path: str,
    text: str | bytes,
    prefixes: Mapping[str, str] | None = None,
    *,
    line_offset: int = 0,
    default_namespace: str | None = None,
) -> OntologyData:
    """Parse a whole Functional Syntax document into the rows it contributes.

    ``text`` is the document, or its UTF-8 bytes: those are decoded a window at a time
    as the tokens are read (:func:`._ofn_lex.raw_utf8_tokens`), so a large file is
    never held twice; a byte that is not UTF-8 fails it with its offset and line.

    ``prefixes`` are used for names the document does not declare a ``Prefix`` for (the
    OWL standard ``rdf``/``rdfs``/``xsd``/``owl``/``xml`` are always known);
    ``default_namespace`` is the empty prefix when the document does not declare one.
    """
    (whole,) = parse_ofn_parts(
        path,
        text,
        prefixes,
        line_offset=line_offset,
        default_namespace=default_namespace,
        part_rows=None,
    )
    return whole


#: Rows per part of a streamed parse (``parse_ofn_parts``): about 0.3 MB of a file like
#: the benchmark's, under 1 MB of rows in memory. Measured (docs/performance.md, stop
#: 23): 10,000-row parts held 5 MB more of a 4.8 MB file's sync at its peak and 12 MB
#: more of a 27 MB file's, for no speed gained; 1,000-row parts saved 2 MB more and were
#: slower.
PART_ROWS = 2_500


def parse_ofn_parts(
    path: str,
    text: str | bytes,
    prefixes: Mapping[str, str] | None = None,
    *,
    line_offset: int = 0,
    default_namespace: str | None = None,
    part_rows: int | None = PART_ROWS,
) -> Iterator[OntologyData]:
    """:func:`parse_ofn` in parts: whenever ``part_rows`` rows are final (an axiom's
    rows do not depend on the rest of the file: ``RowBuilder.flush``) they are yielded,
    so neither the rows of the whole file nor the text's tokens are ever held; what needs
    the whole file (classes and properties with their labels, equivalence groups,
    anonymous individuals' names, warnings) comes in the last part. The union of the
    parts, as sets, is ``parse_ofn``'s result. ``part_rows=None``: one part, the whole
    file's rows. A syntax error raises where it is found, after the parts before it."""
    names = NameResolver({**OWL_STANDARD_PREFIXES, **(prefixes or {})}, default_namespace)
    if isinstance(text, bytes):
        tokens = raw_utf8_tokens(path, text, line_offset=line_offset)
    else:
        tokens = raw_tokens(text.removeprefix("\ufeff"), line_offset=line_offset)
    reader = FunctionalReader(path, tokens, names, strict=True, late_prefixes=True)
    rows = RowBuilder()
    count = 0
    for expr, _line in reader.axioms():
        rows.add_axiom(OwlAxiom.from_expr(expr), named_only=names.anonymous == 0)
        count += 1
        if part_rows is not None and rows.ready_rows >= part_rows:
            yield rows.flush()
    rows.warnings.extend(reader.warnings)
    rows.warnings.extend(names.warnings())
    logger.debug("%s: %d axioms read", path, count)
    yield rows.build()


def render_term(term: Term) -> str:
    """Canonical Functional Syntax of ``term`` (``_owl.render``)."""
    return render(term)


def render_entity_term(term: Term) -> str:
    """A ``subject``/``object`` column value (``_owl.render_entity``)."""
    return render_entity(term)


__all__ = [
    "AXIOM_KEYWORDS",
    "OWL_STANDARD_PREFIXES",
    "FunctionalReader",
    "NameResolver",
    "RowBuilder",
    "Token",
    "decode_utf8",
    "iter_tokens",
    "parse_ofn",
    "parse_ofn_parts",
    "render_entity_term",
    "render_term",
    "scan_prefixes",
    "tokenize",
    "unresolved_warnings",
]
