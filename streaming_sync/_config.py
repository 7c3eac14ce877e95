"""Configuration: frozen, validated values with the defaults as module constants."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from typing import Any

import attrs

from ._errors import ConfigError

#: Files a sync looks at unless told otherwise: Logseq pages and the RDF/OWL formats.
DEFAULT_INCLUDE: tuple[str, ...] = (
    "*.md",
    "*.ttl",
    "*.owl",
    "*.rdf",
    "*.nt",
    "*.n3",
    "*.jsonld",
    "*.trig",
    "*.ofn",
    "*.xml",
)
DEFAULT_EXCLUDE: tuple[str, ...] = (".git/*", ".github/*", "*/.git/*", "node_modules/*")
DEFAULT_ONTOLOGY_ID = "default"
DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024
DEFAULT_FILE_TIMEOUT = 30.0
DEFAULT_QUEUE_FACTOR = 2


def default_workers() -> int:
    """``min(2 * cores, 8)``: enough to overlap fetching with parsing and writing."""
    return min(2 * (os.cpu_count() or 1), 8)


def default_parse_processes() -> int:
    """Parse in a process pool of one process per core when there is more than one core
    (rdflib holds the GIL); 0 parses in a thread of this process."""
    cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


_ONTOLOGY_ID = re.compile(r"^[A-Za-z0-9_.:\-/]{1,200}$")


def _check_ontology_id(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not _ONTOLOGY_ID.match(value):
        raise ConfigError(f"{attribute.name}={value!r}: use 1-200 letters, digits or _ . : - /")


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{attribute.name}={value!r}: must be greater than 0")


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ConfigError(f"{attribute.name}={value!r}: must be 0 or more")


@attrs.frozen
class RetryPolicy:
    """Exponential backoff for retryable faults: waits ``base * factor**n`` seconds,
    capped at ``cap``, for at most ``max_attempts`` tries in all (1 = no retry)."""

    max_attempts: int = attrs.field(default=3, validator=_positive)
    base: float = attrs.field(default=0.5, validator=_positive)
    factor: float = attrs.field(default=2.0, validator=_positive)
    cap: float = attrs.field(default=30.0, validator=_positive)

    def wait(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        return float(min(self.cap, self.base * self.factor ** (retry - 1)))


def _as_tuple(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen
class PathFilter:
    """Which paths a source lists. A pattern without ``/`` matches the file name; one with
    ``/`` matches the whole path from the root (``*`` also matches ``/``). A path is kept
    when it matches some include pattern and no exclude pattern."""

    include: tuple[str, ...] = attrs.field(default=DEFAULT_INCLUDE, converter=_as_tuple)
    exclude: tuple[str, ...] = attrs.field(default=DEFAULT_EXCLUDE, converter=_as_tuple)

    @staticmethod
    def _matches(path: str, pattern: str) -> bool:
        if "/" in pattern:
            return fnmatch.fnmatchcase(path, pattern.lstrip("/"))
        return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)

    def __call__(self, path: str) -> bool:
        return any(self._matches(path, p) for p in self.include) and not any(
            self._matches(path, p) for p in self.exclude
        )


@attrs.frozen
class SyncConfig:
    """How a sync runs. Every field has a default; invalid values raise ``ConfigError``
    naming the field.

    * ``ontology_id`` scopes every row the sync writes.
    * ``workers`` run fetch -> parse -> write per file; the queue holds at most
      ``queue_factor * workers`` files (backpressure).
    * ``parse_processes``: size of the process pool for parsing; 0 parses in a thread.
    * ``full``: re-process every file even if its content is unchanged.
    * ``max_file_size``: larger files are skipped with a reason, never read whole.
    * ``file_timeout``: seconds one file may take (fetch, parse and write) per attempt.
    * ``strict``: a syntax error in an axiom fence of a Logseq page fails the page (by
      default the bad axiom is skipped with a warning and the rest of the page lands;
      machine formats such as ``.ofn`` and RDF always fail on a syntax error). Applies to
      the parser ``StreamingSyncService.from_source`` builds; a parser passed in yourself
      decides on its own (``LogseqParser(strict=True)``).
    """

    ontology_id: str = attrs.field(default=DEFAULT_ONTOLOGY_ID, validator=_check_ontology_id)
    workers: int = attrs.field(factory=default_workers, validator=_positive)
    queue_factor: int = attrs.field(default=DEFAULT_QUEUE_FACTOR, validator=_positive)
    parse_processes: int = attrs.field(factory=default_parse_processes, validator=_non_negative)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    full: bool = False
    max_file_size: int = attrs.field(default=DEFAULT_MAX_FILE_SIZE, validator=_positive)
    file_timeout: float = attrs.field(default=DEFAULT_FILE_TIMEOUT, validator=_positive)
    strict: bool = False


def path_filter(include: Sequence[str] | None, exclude: Sequence[str] | None) -> PathFilter:
    """A filter from optional CLI-style lists (None keeps the defaults)."""
    return PathFilter(
        include=tuple(include) if include else DEFAULT_INCLUDE,
        exclude=DEFAULT_EXCLUDE + tuple(exclude or ()),
    )


__all__ = [
    "DEFAULT_EXCLUDE",
    "DEFAULT_INCLUDE",
    "PathFilter",
    "RetryPolicy",
    "SyncConfig",
    "default_parse_processes",
    "default_workers",
    "path_filter",
]
