"""Logseq ontology pages: ``### OntologyBlock`` properties, axiom fences, page links.

A page is read line by line into its ontology blocks (:func:`find_blocks`), each block
into its properties and code fences (:func:`scan_block`; both in ``_logseq_page.py``);
the blocks that name an ``owl:class::`` become rows with the Functional Syntax reader of
``ofn.py`` (and the Turtle reader of ``rdf.py`` for ```` ```turtle ```` fences). Every
rule, with examples, is in ``docs/formats.md``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping

import attrs

from .._errors import ParseError, SkipFile
from .._model import OntologyData, page_key
from .._owl import IRI, OwlAxiom
from ._logseq_page import (
    PROPERTY,
    Block,
    Fence,
    fence_info,
    find_blocks,
    read_page,
    scan_block,
    split_lines,
)
from ._ofn_lex import (
    OWL_STANDARD_PREFIXES,
    NameResolver,
    RawToken,
    looks_functional,
    raw_tokens,
    scan_prefixes,
    unresolved_warnings,
)
from ._ofn_reader import FunctionalReader
from ._rows import RowBuilder
from .ofn import decode_utf8

logger = logging.getLogger(__name__)

#: The prefixes a :class:`LogseqParser` knows without a ``Prefix(...)`` in the page.
DEFAULT_PREFIXES: Mapping[str, str] = {
    **OWL_STANDARD_PREFIXES,
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "ai": "http://narrativegoldmine.com/ai#",
    "bc": "http://narrativegoldmine.com/blockchain#",
    "rb": "http://narrativegoldmine.com/robotics#",
    "mv": "http://narrativegoldmine.com/metaverse#",
    "tc": "http://narrativegoldmine.com/telecollaboration#",
    "dt": "http://narrativegoldmine.com/disruptive-tech#",
}

#: Fence info strings holding OWL 2 Functional Syntax ("" is a fence without one, read
#: only when its content starts like Functional Syntax: see :func:`looks_functional`).
AXIOM_FENCES = frozenset({"", "clojure", "owl", "ofn", "lisp"})
#: Fence info strings holding Turtle.
TURTLE_FENCES = frozenset({"turtle", "ttl"})

_LINK = re.compile(r"\[\[(.*?)\]\]")
_PNAME = re.compile(r"(?:[^\W\d][\w.\-]*)?:[^\s()<>\"=]*")


def strip_links(value: str) -> str:
    """``[[Page]]`` -> ``Page`` (labels and comments keep the link text only)."""
    return _LINK.sub(r"\1", value).strip()


def link_targets(value: str) -> list[str]:
    """The page names of the ``[[...]]`` links in a property value."""
    return [name for name in _LINK.findall(value) if name.strip()]


def page_keys(path: str, lines: list[str]) -> list[str]:
    """The keys other pages link to this one by: its ``title::`` page property when the
    page has one, else its file name without ``.md``."""
    for line in lines:
        if not line.strip():
            continue
        match = PROPERTY.fullmatch(line)
        if match is None or line[:1].isspace():
            break  # the page properties are the leading column-0 property lines
        if match.group(1).lower() == "title" and (match.group(2) or "").strip():
            return [page_key(strip_links(match.group(2)))]
    name = path.rsplit("/", 1)[-1]
    if name.lower().endswith(".md"):
        name = name[:-3]
    return [page_key(name)]


def namespace_of(iri: str) -> str | None:
    """The IRI up to and including its last ``#`` or ``/`` (None if it has neither)."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut >= 0 else None


class LogseqParser:
    """The :class:`~streaming_sync.Parser` for Logseq pages (``.md``).

    ``prefixes`` are added to (and override) :data:`DEFAULT_PREFIXES`. ``strict``: a
    syntax error in a fence fails the page (``ParseError``); by default the bad axiom (or
    Turtle fence) is skipped with a warning naming its line and the reason, and the rest
    of the page lands. Stateless and picklable: safe to run in a process pool.
    """

    def __init__(self, prefixes: Mapping[str, str] | None = None, *, strict: bool = False) -> None:
        self._prefixes: dict[str, str] = {**DEFAULT_PREFIXES, **(prefixes or {})}
        self.strict = strict

    def __repr__(self) -> str:
        strict = ", strict=True" if self.strict else ""
        return f"LogseqParser(prefixes={len(self._prefixes)} known{strict})"

    def accepts(self, path: str) -> bool:
        return path.lower().endswith(".md")

    def parse(self, path: str, data: bytes) -> OntologyData:
        text = decode_utf8(path, data)
        if not text or text.isspace():
            raise SkipFile(path, "empty file")
        lines, spans = read_page(text)
        if not spans:
            raise SkipFile(path, "no ontology block (### OntologyBlock)")
        blocks = [scan_block(lines, start, end) for start, end in spans]
        kept = [block for block in blocks if block.first("owl:class")]
        if not kept:
            raise SkipFile(path, "ontology block without owl:class")
        rows = RowBuilder()
        for block in blocks:
            rows.warnings.extend(block.warnings)
            if not block.first("owl:class"):
                rows.warnings.append(
                    f"line {block.start + 1}: ontology block without owl:class skipped"
                )
        reader = _PageReader(path, self._prefixes, rows, self.strict)
        reader.read(kept)
        # Links to this page resolve to the classes its blocks name with owl:class::,
        # never to classes only its fences declare (docs/formats.md, section 2.5).
        result = attrs.evolve(
            rows.build(page_keys(path, lines)), link_targets=tuple(reader.block_classes)
        )
        logger.debug(
            "%s: %d blocks, %d classes, %d axioms",
            path,
            len(blocks),
            len(result.classes),
            len(result.axioms),
        )
        return result


class _PageReader:
    """Turns the kept blocks of one page into rows (one instance per parse)."""

    def __init__(
        self, path: str, configured: Mapping[str, str], rows: RowBuilder, strict: bool
    ) -> None:
        self.path = path
        self.configured = configured
        self.rows = rows
        self.strict = strict
        self.unresolved: dict[str, str] = {}
        self.block_classes: dict[str, None] = {}  # owl:class:: IRIs, in file order
        # the text of each Functional Syntax fence, by first line: joined only once
        self._texts: dict[int, str] = {}
        # the tokens of fences read for their prefixes, by first line: read only once
        self._read_tokens: dict[int, list[RawToken]] = {}

    def read(self, blocks: list[Block]) -> None:
        page = NameResolver(self.configured)
        for block in blocks:
            for fence in block.fences:
                if not self._is_functional(fence):
                    continue
                text = self._texts[fence.first] = "\n".join(fence.lines)
                # only a fence with the word Prefix can declare one: the others are
                # tokenized once, when their axioms are read
                if "Prefix" in text:
                    tokens = self._read_tokens[fence.first] = list(self._tokens(fence.first))
                    for prefix, namespace, line in scan_prefixes(tokens):
                        page.declare(prefix, namespace, line)
        self.rows.warnings.extend(page.conflicts)
        for block in blocks:
            self._read_block(block, page.declared)
        self.rows.warnings.extend(unresolved_warnings(self.unresolved))

    def _is_functional(self, fence: Fence) -> bool:
        if fence.info == "":
            return looks_functional(fence.lines)
        return fence.info in AXIOM_FENCES

    def _tokens(self, first: int) -> Iterator[RawToken]:
        """The tokens of the Functional Syntax fence whose content starts at ``first``."""
        return raw_tokens(self._texts[first], line_offset=first)

    def _read_block(self, block: Block, declared: Mapping[str, str]) -> None:
        page_names = NameResolver(self.configured, unresolved=self.unresolved, declared=declared)
        written = (block.first("owl:class") or "").strip().splitlines()[0].strip()
        class_iri = self._class_iri(written, page_names, block)
        self.block_classes.setdefault(class_iri)
        namespace = None if class_iri == written else namespace_of(class_iri)
        names = NameResolver(self.configured, namespace, self.unresolved, declared=declared)
        label, comment = block.first("preferred-term"), block.first("definition")
        self.rows.declare_class(
            class_iri,
            strip_links(label) or None if label else None,
            strip_links(comment) or None if comment else None,
            [(key, value) for key, value, _ in block.properties],
        )
        for key, value, _ in block.properties:
            if key == "is-subclass-of":
                for target in link_targets(value):
                    self.rows.add_link(class_iri, page_key(target))
        for fence in block.fences:
            if fence.first in self._texts:  # the fence is Functional Syntax (see read)
                self._functional(fence, names)
            elif fence.info in TURTLE_FENCES:
                self._turtle(fence, {**self.configured, **declared}, namespace)

    def _functional(self, fence: Fence, names: NameResolver) -> None:
        read = self._read_tokens.pop(fence.first, None)
        tokens = self._tokens(fence.first) if read is None else iter(read)
        reader = FunctionalReader(self.path, tokens, names, strict=self.strict)
        add = self.rows.add_axiom
        for expr, _line in reader.axioms():  # never an Ontology(...): the reader unwraps it
            add(OwlAxiom.from_expr(expr), named_only=names.anonymous == 0)
        self.rows.warnings.extend(reader.warnings)
        for error in reader.errors:
            self.rows.warnings.append(f"line {error.line}: {error.reason}; axiom skipped")

    def _class_iri(self, value: str, names: NameResolver, block: Block) -> str:
        if value.startswith("<") and value.endswith(">"):
            return value[1:-1]
        if _PNAME.fullmatch(value):
            term = names.term(value)
            return term.value if isinstance(term, IRI) else value
        self.rows.warnings.append(
            f"line {block.start + 1}: owl:class {value!r} is neither "
            "<iri> nor prefix:name; kept as written"
        )
        return value

    def _turtle(self, fence: Fence, prefixes: dict[str, str], namespace: str | None) -> None:
        from .rdf import parse_turtle_fragment  # lazy: rdflib is only needed for such fences

        if namespace is not None:
            prefixes.setdefault("", namespace)
        try:
            data = parse_turtle_fragment(
                self.path, "\n".join(fence.lines), prefixes, line_offset=fence.first
            )
        except ParseError as error:
            if self.strict:
                raise
            line = error.line if error.line is not None else fence.first
            self.rows.warnings.append(f"line {line}: {error.reason}; turtle fence skipped")
            return
        self.rows.merge(data)


__all__ = [
    "AXIOM_FENCES",
    "DEFAULT_PREFIXES",
    "TURTLE_FENCES",
    "Block",
    "Fence",
    "LogseqParser",
    "fence_info",
    "find_blocks",
    "link_targets",
    "looks_functional",
    "namespace_of",
    "page_keys",
    "scan_block",
    "split_lines",
    "strip_links",
]
