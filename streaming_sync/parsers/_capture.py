"""What a parsing library says while it reads one file, kept for that file's report.

rdflib logs (``Failed to convert Literal lexical form to value``, with a traceback, for
every ill-typed literal; ``... does not look like a valid URI``) and sometimes warns.
Left alone, that goes to stderr with no file name -- a hundred tracebacks in a
``--quiet --json`` run. :func:`capture_library_output` collects it instead, for the
calling thread only (parses run in threads too, when ``parse_processes=0``), and
:meth:`Captured.summary` turns it into the file's warnings: each distinct message once,
with its count.

How: a filter on every logger of the library that swallows the records of the
capturing thread (and lets every other thread's records through untouched), and, for
Python warnings, a ``showwarning`` that keeps this thread's warnings and hands the
others on. Python 3.11 has no per-thread warning filters, so for the duration the
filters say "always" for everyone; callers hold a lock so that only one capture at a
time changes them (the rdflib parser already parses under its own lock).
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import attrs

_MAX_MESSAGE = 300
_ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]+")


@attrs.define
class Captured:
    """Messages captured during one parse, in order of first appearance."""

    library: str
    counts: Counter[str] = attrs.field(factory=Counter)
    details: dict[str, str] = attrs.field(factory=dict)

    def add(self, message: str, detail: str = "") -> None:
        # "<function f at 0x7f...>" differs in every process: the same warning would not
        # read the same twice
        first_line = _ADDRESS.sub("", message.strip().split("\n", 1)[0])[:_MAX_MESSAGE]
        self.counts[first_line] += 1
        if detail:
            self.details.setdefault(first_line, detail[:_MAX_MESSAGE])

    def messages(self) -> list[str]:
        """The distinct messages, in order of first appearance."""
        return list(self.counts)

    def summary(self) -> tuple[str, ...]:
        """One warning per distinct message: ``library: message (N times; first: why)``."""
        lines = []
        for message, count in self.counts.items():
            notes = [f"{count} times"] if count > 1 else []
            if message in self.details:
                notes.append(("first: " if count > 1 else "") + self.details[message])
            suffix = f" ({'; '.join(notes)})" if notes else ""
            lines.append(f"{self.library}: {message}{suffix}")
        return tuple(lines)


class _ThreadFilter(logging.Filter):
    """Swallows the records of the threads that are capturing, into their Captured."""

    def __init__(self) -> None:
        super().__init__()
        self.active: dict[int, Captured] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        captured = self.active.get(record.thread or 0)
        if captured is None:
            return True
        captured.add(record.getMessage(), _exception_text(record))
        return False


def _exception_text(record: logging.LogRecord) -> str:
    info = record.exc_info
    if not info or info[1] is None:
        return ""
    return f"{type(info[1]).__name__}: {info[1]}"


# One filter for the process, attached to the library's loggers once: it does nothing
# for a thread that is not capturing.
_FILTER = _ThreadFilter()


def _attach(prefix: str) -> None:
    """Put the filter on every logger of the library that exists now (loggers of its
    modules imported later are attached at the next capture)."""
    names = [
        n for n in logging.root.manager.loggerDict if n == prefix or n.startswith(prefix + ".")
    ]
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@contextmanager
def capture_library_output(
    library: str, logger_prefix: str, *, python_warnings: bool = True
) -> Iterator[Captured]:
    """Collect the log records of ``logger_prefix.*`` and (unless ``python_warnings`` is
    false) the Python warnings that the calling thread causes while the block runs. Not
    re-entrant per thread. Capturing warnings changes process-wide state (see the module
    docstring): a caller that does so holds a lock; one that needs no lock (pyoxigraph,
    which parses in parallel threads and warns nothing) passes ``python_warnings=False``."""
    captured = Captured(library)
    me = threading.get_ident()
    _attach(logger_prefix)
    _FILTER.active[me] = captured
    try:
        if python_warnings:
            with _warnings_to(captured, me):
                yield captured
        else:
            yield captured
    finally:
        del _FILTER.active[me]


@contextmanager
def _warnings_to(captured: Captured, me: int) -> Iterator[None]:
    original = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if threading.get_ident() == me:
            captured.add(f"{category.__name__}: {message}")
        else:
            original(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        # about the library's code, not about the file being read
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.showwarning = show
        yield


__all__ = ["Captured", "capture_library_output"]
