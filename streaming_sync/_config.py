"""Configuration: frozen, validated values with the defaults as module constants."""

from __future__ import annotations

import fnmatch
import math
import numbers
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ._errors import ConfigError, SkipFile
from ._formats import include_patterns

#: Files a sync looks at unless told otherwise: every kind the default parser reads
#: (Logseq pages, the RDF formats, OWL Functional Syntax; see ``_formats``).
DEFAULT_INCLUDE: tuple[str, ...] = include_patterns()
DEFAULT_EXCLUDE: tuple[str, ...] = (".git/*", ".github/*", "*/.git/*", "node_modules/*")
DEFAULT_ONTOLOGY_ID = "default"
DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024
#: Per stage and attempt. Parsing counts too, so the largest file allowed must fit:
#: rdflib parses Turtle at about 0.7 MB/s on one core (75 s for max_file_size), with
#: room for a busy machine.
DEFAULT_FILE_TIMEOUT = 300.0
DEFAULT_QUEUE_FACTOR = 2
#: Peak memory per byte of a file in flight, measured: rdflib parses a 42 MB Turtle file
#: at 1.8 GB peak in its process (pyoxigraph 0.7 GB), and the rows it sends back take
#: about 5 bytes per byte in this process.
MEMORY_PER_BYTE_IN_FLIGHT = 50
#: The share of the machine's memory a sync's files in flight may use (estimated).
MEMORY_SHARE_IN_FLIGHT = 0.25


def default_workers() -> int:
    """``min(2 * cores, 8)``: enough to overlap fetching with parsing and writing."""
    return min(2 * (os.cpu_count() or 1), 8)


def default_parse_processes() -> int:
    """Parse in a process pool of one process per core when there is more than one core
    (rdflib holds the GIL); 0 parses in a thread of this process."""
    cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


_ONTOLOGY_ID = re.compile(r"[A-Za-z0-9_.:\-/]{1,200}")


def check_ontology_id(value: str, name: str = "ontology_id") -> str:
    """``value`` when it is a valid ontology id, else ConfigError naming ``name``."""
    # fullmatch: with match and "$", a trailing newline would pass.
    if not isinstance(value, str) or not _ONTOLOGY_ID.fullmatch(value):
        raise ConfigError(f"{name}={value!r}: use 1-200 letters, digits or _ . : - /")
    return value


def machine_memory() -> int | None:
    """Bytes of memory this process may use: physical memory, or the cgroup (container)
    limit when that is lower; None when neither can be read."""
    try:
        found: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        found = None
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(limit, encoding="ascii") as text:
                value = text.read().strip()
        except OSError:
            continue
        if value.isdigit() and (found is None or int(value) < found):
            found = int(value)
    return found


def default_max_bytes_in_flight() -> int:
    """A quarter of the machine's memory (see ``machine_memory``; 4 GiB when unknown) at
    ``MEMORY_PER_BYTE_IN_FLIGHT`` bytes per byte of file: ~123 MiB of files on 24 GiB,
    ~41 MiB on 8 GiB, so big files are parsed one or two at a time. At least 1 MiB."""
    memory = machine_memory() or 4 * 1024**3
    return max(1024**2, int(memory * MEMORY_SHARE_IN_FLIGHT / MEMORY_PER_BYTE_IN_FLIGHT))


def _check_ontology_id(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    check_ontology_id(value, attribute.name)


def _whole_number(attribute: attrs.Attribute[Any], value: object) -> int:
    """``value`` when it is an int (a bool is not one), else ConfigError naming the field."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{attribute.name}={value!r}: must be a whole number (an int)")
    return int(value)


def _finite_number(attribute: attrs.Attribute[Any], value: object) -> float:
    """``value`` when it is a finite real number (not a bool), else ConfigError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{attribute.name}={value!r}: must be a number")
    if not math.isfinite(value):
        raise ConfigError(f"{attribute.name}={value!r}: must be a finite number")
    return float(value)


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    """A finite number greater than 0 (seconds, factors)."""
    if not _finite_number(attribute, value) > 0:
        raise ConfigError(f"{attribute.name}={value!r}: must be greater than 0")


def _positive_int(_: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if not _whole_number(attribute, value) > 0:
        raise ConfigError(f"{attribute.name}={value!r}: must be greater than 0")


def _non_negative_int(_: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if _whole_number(attribute, value) < 0:
        raise ConfigError(f"{attribute.name}={value!r}: must be 0 or more")


def _flag(_: object, attribute: attrs.Attribute[Any], value: bool) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"{attribute.name}={value!r}: must be True or False")


def _instance_of(kind: type) -> Any:
    """A validator: ``value`` must be a ``kind`` (ConfigError naming the field)."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise ConfigError(f"{attribute.name}={value!r}: must be a {kind.__name__}")

    return check


@attrs.frozen
class RetryPolicy:
    """Exponential backoff for retryable faults: at most ``max_attempts`` tries in all
    (1 = no retry); before retry ``n`` (1-based) the sync waits exactly
    ``wait(n) = min(cap, base * factor**(n-1))`` seconds -- 0.5, 1, 2 ... with the
    defaults. No jitter: the retrying requests of one sync are few and spread already."""

    max_attempts: int = attrs.field(default=3, validator=_positive_int)
    base: float = attrs.field(default=0.5, validator=_positive)
    factor: float = attrs.field(default=2.0, validator=_positive)
    cap: float = attrs.field(default=30.0, validator=_positive)

    def wait(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): the wait the sync
        uses (``streaming_sync._retry``)."""
        return float(min(self.cap, self.base * self.factor ** (retry - 1)))


def _as_tuple(values: Sequence[str]) -> tuple[str, ...]:
    # A lone string is left as it is for _patterns to refuse: tuple("*.md") would be
    # five one-character patterns.
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        return values  # type: ignore[return-value]
    return tuple(values)


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable glob, or None: it is empty, or a ``[`` opens a
    set of characters that no ``]`` closes (fnmatch would quietly match a literal
    ``[`` instead, so the pattern would match nothing the user meant)."""
    if not pattern:
        return "an empty pattern matches nothing"
    i = 0
    while (i := pattern.find("[", i)) != -1:
        j = i + 1
        j += pattern.startswith("!", j)
        j += pattern.startswith("]", j)  # a "]" first in the set is one of its characters
        end = pattern.find("]", j)
        if end == -1:
            return f"the '[' at position {i + 1} opens a set of characters no ']' closes"
        i = end + 1
    return None


def _patterns(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not all(isinstance(p, str) for p in value):
        raise ConfigError(
            f"{attribute.name}={value!r}: give a list of glob patterns (strings), e.g. ['*.md']"
        )
    for pattern in value:
        problem = glob_problem(pattern)
        if problem is not None:
            raise ConfigError(f"{attribute.name}: {pattern!r} is not a usable glob: {problem}")


@attrs.frozen
class PathFilter:
    """Which paths a source lists. A pattern without ``/`` matches the file name; one with
    ``/`` matches the whole path from the root (``*`` also matches ``/``). A path is kept
    when it matches some include pattern and no exclude pattern."""

    include: tuple[str, ...] = attrs.field(
        default=DEFAULT_INCLUDE, converter=_as_tuple, validator=_patterns
    )
    exclude: tuple[str, ...] = attrs.field(
        default=DEFAULT_EXCLUDE, converter=_as_tuple, validator=_patterns
    )

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
    * ``strict``: a syntax error in an axiom fence of a Logseq page fails the page (by
      default the bad axiom is skipped with a warning and the rest of the page lands;
      machine formats such as ``.ofn`` and RDF always fail on a syntax error). Applies to
      the parser ``StreamingSyncService.from_source`` builds; a parser passed in yourself
      decides on its own (``LogseqParser(strict=True)``).
    * ``file_timeout``: seconds each stage of one file (fetch, parse, write) may take
      per attempt. A parse that overruns is stopped with its process (which is replaced);
      with ``parse_processes=0`` the file fails but its thread runs on.
    * ``max_bytes_in_flight``: the bytes of the files being fetched, parsed or written
      at once; a file waits until it fits (one larger than the whole budget runs alone).
    """

    ontology_id: str = attrs.field(default=DEFAULT_ONTOLOGY_ID, validator=_check_ontology_id)
    workers: int = attrs.field(factory=default_workers, validator=_positive_int)
    queue_factor: int = attrs.field(default=DEFAULT_QUEUE_FACTOR, validator=_positive_int)
    parse_processes: int = attrs.field(factory=default_parse_processes, validator=_non_negative_int)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, validator=_instance_of(RetryPolicy))
    full: bool = attrs.field(default=False, validator=_flag)
    max_file_size: int = attrs.field(default=DEFAULT_MAX_FILE_SIZE, validator=_positive_int)
    file_timeout: float = attrs.field(default=DEFAULT_FILE_TIMEOUT, validator=_positive)
    strict: bool = attrs.field(default=False, validator=_flag)
    max_bytes_in_flight: int = attrs.field(
        factory=default_max_bytes_in_flight, validator=_positive_int
    )


def check_file_size(path: str, size: int, limit: int | None, *, read: bool = False) -> None:
    """The one ``max_file_size`` rule: ``SkipFile`` when ``size`` bytes are over
    ``limit`` (None: no limit). The pipeline checks each file's listed size before
    fetching it; a source checks the bytes it actually read (``read=True``, after
    reading at most ``limit + 1``), so a file that grew after the listing, or a server
    that sends more than it listed, never makes it hold more than the limit."""
    if limit is None or size <= limit:
        return
    if read:
        raise SkipFile(
            path,
            f"more than max_file_size={limit} bytes arrived (the file grew after it was"
            " listed, or the source sent more than it listed)",
        )
    raise SkipFile(path, f"{size} bytes is over max_file_size={limit}")


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
    "check_file_size",
    "check_ontology_id",
    "default_max_bytes_in_flight",
    "default_parse_processes",
    "default_workers",
    "glob_problem",
    "path_filter",
]
