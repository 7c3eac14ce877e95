"""The structure of a Logseq page: its lines, ontology blocks, properties and fences.

:func:`read_page` splits a page into lines (only as far as its last ontology block
reaches) and finds its blocks (:func:`find_blocks`); :func:`scan_block` reads one block's
properties and code fences. ``logseq.py`` turns the blocks into rows. Every rule, with
examples, is in ``docs/formats.md``.

Speed: a page is mostly prose and fence content, so the per-line tests first look for
the text a rule needs (three backticks, ``::``, the marker words) with ``in`` and run a
regex only on the lines that have it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MARKER_WORDS = "### OntologyBlock"  # every marker line holds these
TICKS = "```"  # only a line holding these can open or close a fence
_MARKER = re.compile(r"[ \t]*(?:-[ \t]+)?### OntologyBlock[ \t]*")
PROPERTY = re.compile(r"[ \t]*(?:-[ \t]+)?([^\s:`][^\s`]*?)::(?:[ \t]+(.*))?")
_BULLET = re.compile(r"[ \t]*-(?:[ \t]|$)")
_TOP_BULLET = re.compile(r"-(?:[ \t]|$)")
_FENCE = re.compile(r"([ \t]*)(-[ \t]+)?(`{3,})(.*)")
_FENCE_CLOSE = re.compile(r"[ \t]*`{3,}[ \t]*")

#: How many characters past the last marker :func:`read_page` splits at first: more than
#: any block of the corpora has (a longer last block costs splitting again, four times
#: as far).
LOOKAHEAD = 8192


def split_lines(text: str) -> list[str]:
    """Lines without their LF or CRLF ending (only ``\\n`` breaks a line, so line
    numbers agree with editors and ``grep -n``)."""
    lines = text.split("\n")
    return [line.removesuffix("\r") for line in lines] if "\r" in text else lines


def read_page(text: str, lookahead: int = LOOKAHEAD) -> tuple[list[str], list[tuple[int, int]]]:
    """The lines of ``text`` (as :func:`split_lines` gives them) and its blocks (as
    :func:`find_blocks` finds them), but only the lines up to the end of the last block:
    all that a parse reads. The prose after it, most of a page's text in the corpora, is
    never split. The blocks are those of the whole page: the last one ends where its
    lines show it does, and while it may go on past the cut (``lookahead`` characters past
    the last marker at first) the cut moves further."""
    candidates, last = _marker_candidates(text)
    if not candidates:
        return [], []
    reach = max(lookahead, 1)
    while (cut := text.find("\n", last + reach)) >= 0:
        lines = split_lines(text[:cut])  # whole lines only: the cut is at a line end
        spans = _spans(lines, candidates)
        if not spans or spans[-1][1] < len(lines):
            return lines, spans
        reach *= 4
    lines = split_lines(text)
    return lines, _spans(lines, candidates)


def _marker_candidates(text: str) -> tuple[list[int], int]:
    """The indexes of the lines holding :data:`MARKER_WORDS` (found in the text, not
    line by line), and where in the text the last of them is (-1: none)."""
    found: list[int] = []
    start = line = 0  # where line number ``line`` starts
    last = -1
    while (hit := text.find(MARKER_WORDS, start)) >= 0:
        line += text.count("\n", start, hit)
        found.append(line)
        last, start = hit, text.find("\n", hit) + 1
        if not start:
            break
        line += 1
    return found, last


def fence_info(line: str) -> str | None:
    """The lower-cased first word of the info string if ``line`` opens a fence, else None."""
    if TICKS not in line:
        return None
    match = _FENCE.fullmatch(line)
    if match is None or "```" in match.group(4):
        return None  # not a fence, or an inline ```code``` span
    words = match.group(4).split()
    return words[0].lower() if words else ""


class _FenceState:
    """Fence nesting: inside a fence, an opening line with an info string nests one
    level deeper and a line of bare backticks closes the innermost level."""

    __slots__ = ("depth",)

    def __init__(self) -> None:
        self.depth = 0

    def feed(self, line: str) -> bool:
        """Advance over ``line`` (known to be inside a fence); False when it closed the
        outermost fence."""
        if TICKS not in line:
            pass
        elif _FENCE_CLOSE.fullmatch(line):
            self.depth -= 1
        elif fence_info(line):
            self.depth += 1
        return self.depth > 0


def find_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """``(start, end)`` line indexes of each ontology block (marker line included)."""
    return _spans(lines, [i for i, line in enumerate(lines) if MARKER_WORDS in line])


def _spans(lines: list[str], candidates: list[int]) -> list[tuple[int, int]]:
    """The blocks whose marker line is one of ``candidates`` (the lines holding the
    marker words; the marker lines are those among them that match the rule)."""
    marker = _MARKER.fullmatch
    markers = [i for i in candidates if marker(lines[i])]
    limits = [*markers[1:], len(lines)][: len(markers)]
    spans = zip(markers, limits, strict=True)
    return [(start, _block_end(lines, start + 1, limit)) for start, limit in spans]


def _block_end(lines: list[str], index: int, limit: int) -> int:
    """The first line from ``index`` that starts a new top-level bullet outside a fence
    and is not a property line; ``limit`` if there is none."""
    fence = _FenceState()
    for i in range(index, limit):
        line = lines[i]
        if TICKS in line:
            if fence.depth:
                fence.feed(line)
                continue
            if fence_info(line) is not None:
                fence.depth = 1
                continue
        elif fence.depth:
            continue
        if line[:1] == "-" and _TOP_BULLET.match(line) and not PROPERTY.fullmatch(line):
            return i
    return limit


class Fence(NamedTuple):
    """A code fence of a block: its info word, content lines (de-indented) and the
    0-based index of its first content line in the page."""

    info: str
    lines: list[str]
    first: int


class Block(NamedTuple):
    """One ontology block: its marker line index, ``(key, value, line index)`` properties
    in file order, its fences, and warnings."""

    start: int
    properties: list[tuple[str, str, int]]
    fences: list[Fence]
    warnings: list[str]

    def first(self, key: str) -> str | None:
        """The first non-empty value of ``key``."""
        for name, value, _ in self.properties:
            if name == key and value.strip():
                return value
        return None


def scan_block(lines: list[str], start: int, end: int) -> Block:
    """Read the properties (with continuation lines) and fences of one block."""
    block = Block(start, [], [], [])
    properties = block.properties
    # the continuation lines of a value, by its place in properties: most values have
    # none, and one list per value cost more than the rest of reading its line
    more: dict[int, list[str]] = {}
    continues = False  # whether the next line may continue the last value
    index = start + 1
    fullmatch = PROPERTY.fullmatch
    while index < end:
        line = lines[index]
        if TICKS in line and (info := fence_info(line)) is not None:
            index = _read_fence(lines, index, end, info, block)
            continues = False
            continue
        match = fullmatch(line) if "::" in line else None
        if match:
            key, value = match.groups()
            properties.append((key, value.strip() if value else "", index))
            continues = True
        elif continues and line.strip() and not _BULLET.match(line):
            more.setdefault(len(properties) - 1, []).append(line.strip())
        else:
            continues = False
        index += 1
    for at, parts in more.items():
        key, value, line_index = properties[at]
        properties[at] = (key, "\n".join([value, *parts]), line_index)
    return block


def _read_fence(lines: list[str], index: int, end: int, info: str, block: Block) -> int:
    """Collect a fence opened at ``index``; return the index after its closing line."""
    opening = _FENCE.fullmatch(lines[index])
    assert opening is not None
    indent = opening.group(1) + ("  " if opening.group(2) else "")
    fence = _FenceState()
    fence.depth = 1
    for i in range(index + 1, end):
        if TICKS in lines[i] and not fence.feed(lines[i]):
            block.fences.append(Fence(info, _dedent(lines[index + 1 : i], indent), index + 1))
            return i + 1
    block.warnings.append(f"line {index + 1}: code fence never closed; ignored")
    return end


def _dedent(lines: list[str], indent: str) -> list[str]:
    """Remove the fence's indentation: as much of ``indent`` as each line starts with."""
    if not indent:
        return lines
    cut = len(indent)
    # an empty line (most of those without the whole indent) is kept without a call
    return [
        line[cut:] if line.startswith(indent) else line and _cut(line, indent) for line in lines
    ]


def _cut(line: str, indent: str) -> str:
    """``line`` without the part of ``indent`` it starts with (less than all of it)."""
    k = 0
    while k < len(indent) and k < len(line) and line[k] == indent[k]:
        k += 1
    return line[k:]


__all__ = [
    "LOOKAHEAD",
    "MARKER_WORDS",
    "PROPERTY",
    "TICKS",
    "Block",
    "Fence",
    "fence_info",
    "find_blocks",
    "read_page",
    "scan_block",
    "split_lines",
]
