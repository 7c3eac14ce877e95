"""Logging for the command line: the level (``-v``, ``--log-level``, ``--quiet``) and the
format -- text lines, or one JSON object per line for log shippers.

A JSON line holds ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``, the
``run_id`` of this invocation (the same on every line of one command), ``path`` when the
record is about one file, and every structured field the record carries (``event``,
``processed``, ``stage``, ...; see ``LogSink``). Messages pass through ``redact``.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
from typing import Any

from ._timestamps import iso_utc
from .observe.sinks import redact

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: The attributes every ``LogRecord`` has: the rest are the record's own fields.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "run_id"}
)


def new_run_id() -> str:
    """An id for one invocation of the CLI: 12 hex digits."""
    return secrets.token_hex(6)


class RunIdFilter(logging.Filter):
    """Stamps every record with the invocation's ``run_id``."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = self.run_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": iso_utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "run_id": getattr(record, "run_id", None),
            "path": getattr(record, "path", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def level_of(log_level: str | None, verbose: int | None, quiet: bool) -> tuple[int, int]:
    """(the root logger's level, this library's): ``--log-level`` sets both; ``-v`` shows
    this library's debug lines, ``-vv`` every library's; ``--quiet`` only warnings."""
    if log_level:
        level = logging.getLevelNamesMapping()[log_level]
        return level, level
    if verbose:
        return (logging.DEBUG if verbose > 1 else logging.INFO), logging.DEBUG
    level = logging.WARNING if quiet else logging.INFO
    return level, level


def configure(
    *, log_level: str | None, verbose: int | None, quiet: bool, log_format: str | None, run_id: str
) -> None:
    """Send log records to stderr as the options say. When the root logger already has
    handlers -- a program that runs ``main(argv)`` and set up its own logging -- its
    logging is left as it is."""
    root = logging.getLogger()
    if root.handlers:
        return
    root_level, own_level = level_of(log_level, verbose, quiet)
    logging.getLogger("streaming_sync").setLevel(own_level)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RunIdFilter(run_id))
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root.addHandler(handler)
    root.setLevel(root_level)


__all__ = ["JsonFormatter", "RunIdFilter", "configure", "level_of", "new_run_id"]
