"""The exception tree of streaming_sync.

Every error the library raises is a :class:`StreamingSyncError`. Foreign exceptions
(aiohttp, sqlite3, rdflib, ...) are translated at the edge of the module that talks to
that library, so the rest of the code -- and the retry logic -- looks only at these types::

    StreamingSyncError                      root; .retryable / .fatal say how to react
    ├── ConfigError                         a wrong option or setting (names it)
    ├── ServiceClosedError                  the service was closed and cannot be reused
    ├── SkipFile                            not an error: a file with nothing to sync (reason)
    ├── FetchError                          a source could not deliver (url, status)
    │   ├── TransientFetchError             retryable: 5xx, timeout, reset, truncated body
    │   │   └── IntegrityError              retryable: bytes do not match the listed SHA
    │   ├── PermanentFetchError             not retryable for this file (e.g. 404 of a blob)
    │   ├── AuthenticationError             fatal: bad or missing credentials (401)
    │   ├── SourceNotFoundError             fatal: repository, ref or path does not exist
    │   └── WaitBudgetExceeded              fatal: rate limits would need longer than allowed
    ├── ParseError                          not retryable: path, line, column, reason
    ├── ParseProcessDied                    retryable*: the process parsing the file died
    ├── ParseTimeout                        retryable*: the parse overran file_timeout
    ├── ParsePoolBroken                     fatal: parse processes keep dying or cannot start
    ├── ValidationError                     not retryable: parsed, but not acceptable
    ├── StorageError                        the database refused
    │   ├── DatabaseLockedError             retryable: another writer holds the lock
    │   ├── WriteTimeout                    retryable: the write overran file_timeout
    │   ├── SchemaError                     fatal: the database has a schema we do not know
    │   ├── ChangesPruned                   the change feed no longer holds what was asked
    │   └── FatalStorageError               fatal: corrupt database, disk full, out of memory
    ├── SyncInProgress                      fatal: another sync holds this ontology's run lock
    │   └── WatchInProgress                 fatal: another watcher watches this ontology
    └── SyncAborted                         fatal: the sync stopped; what was committed stays

A *retryable* error is retried in place with backoff (see ``RetryPolicy``); a
non-retryable one fails that file alone and the sync goes on; a *fatal* one stops the
whole sync cleanly, keeping every file committed so far.

(*) A parse is not retried in place: the same bytes through the same parser would most
likely die or overrun again, each time costing a process. These errors are *retryable*
in that the file's stored rows are kept (nothing says its content is wrong) and the next
sync tries it again.
"""

from __future__ import annotations

import signal
import time
from typing import ClassVar


class StreamingSyncError(Exception):
    """Root of every error raised by streaming_sync.

    ``retryable``: trying the same operation again may succeed.
    ``fatal``: the whole sync must stop (committed files stay committed).
    """

    retryable: ClassVar[bool] = False
    fatal: ClassVar[bool] = False


class ConfigError(StreamingSyncError, ValueError):
    """A wrong option or setting; the message names it and what is accepted."""

    fatal = True


class ServiceClosedError(StreamingSyncError, RuntimeError):
    """The service was closed with ``aclose()``; create a new one."""

    fatal = True


class SkipFile(StreamingSyncError):  # noqa: N818 -- an instruction, not an error (as unittest.SkipTest)
    """Skip this file: it holds nothing to sync (no ontology block, unsupported format,
    too large). Named as an instruction, like ``unittest.SkipTest``; the event that
    reports a skipped file is ``FileSkipped``.

    Raised by parsers and fetchers; the service records the file as *skipped* with
    ``reason``, removes anything it stored before, and does not count it as failed.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: skipped: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[SkipFile], tuple[str, str]]:
        # Crosses process boundaries (the parse pool): rebuild from our own arguments.
        return (type(self), (self.path, self.reason))


class FetchError(StreamingSyncError):
    """A source could not deliver a listing or a file."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class TransientFetchError(FetchError):
    """A fault that may pass: 5xx, timeout, connection reset, truncated body."""

    retryable = True


class IntegrityError(TransientFetchError):
    """The fetched bytes do not hash to the SHA the listing gave (retryable)."""


class PermanentFetchError(FetchError):
    """A fault that will not pass by retrying this file (e.g. the blob is gone)."""


class AuthenticationError(FetchError):
    """The credentials were refused (401) or are missing where required."""

    fatal = True


class SourceNotFoundError(FetchError):
    """The repository, ref or path does not exist (or the token cannot see it)."""

    fatal = True


class WaitBudgetExceeded(FetchError):  # noqa: N818 -- reads as the condition it reports
    """Rate limits would make the sync wait longer than its configured budget."""

    fatal = True

    def __init__(self, message: str, *, resume_at: float | None = None) -> None:
        super().__init__(message)
        self.resume_at = resume_at


class ParseError(StreamingSyncError):
    """A file could not be parsed: names the file, the line and column (when known) and
    the reason. The message reads ``path:line:column: reason`` (``path:line: reason``
    when only the line is known), as compilers write it, so editors can jump there."""

    def __init__(
        self, path: str, reason: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        where = path
        if line is not None:
            where += f":{line}" if column is None else f":{line}:{column}"
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.column = column if line is not None else None
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_parse_error, (type(self), self.path, self.reason, self.line, self.column))


class ValidationError(StreamingSyncError):
    """A file parsed, but what it says is not acceptable (e.g. an invalid IRI)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[ValidationError], tuple[str, str]]:
        return (type(self), (self.path, self.reason))


def _rebuild_parse_error(
    kind: type[ParseError], path: str, reason: str, line: int | None, column: int | None = None
) -> ParseError:
    return kind(path, reason, line=line, column=column)


class ParseProcessDied(StreamingSyncError):  # noqa: N818 -- reads as the condition it reports
    """The process parsing ``path`` died (the out-of-memory killer, a native crash): the
    file fails, its stored rows are kept, the process is replaced and the next sync tries
    the file again. ``exitcode`` is the process's (negative: killed by signal ``-exitcode``)."""

    retryable = True

    def __init__(self, path: str, exitcode: int | None) -> None:
        super().__init__(
            f"{path}: the parse process died while parsing this file ({describe_exit(exitcode)});"
            " it was replaced and the next sync tries this file again. If this repeats, the"
            " file may need more memory than the machine has (see max_bytes_in_flight)"
        )
        self.path = path
        self.exitcode = exitcode

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.path, self.exitcode))


class ParseTimeout(StreamingSyncError):  # noqa: N818 -- reads as the condition it reports
    """Parsing ``path`` took longer than ``file_timeout`` seconds; ``stopped`` says whether
    the parse was stopped (its process killed and replaced) or runs on in its thread."""

    retryable = True

    def __init__(self, path: str, timeout: float, *, stopped: bool = True) -> None:
        what = (
            "its process was killed and replaced"
            if stopped
            else "it runs on in its thread until it ends (parse_processes=0 cannot stop it)"
        )
        super().__init__(
            f"{path}: parsing took longer than file_timeout={timeout:g}s; {what}. Raise"
            " file_timeout if the file is just big"
        )
        self.path = path
        self.timeout = timeout
        self.stopped = stopped

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_parse_timeout, (self.path, self.timeout, self.stopped))


def _rebuild_parse_timeout(path: str, timeout: float, stopped: bool) -> ParseTimeout:
    return ParseTimeout(path, timeout, stopped=stopped)


class ParsePoolBroken(StreamingSyncError):  # noqa: N818 -- reads as the condition it reports
    """The parse processes keep dying (so many in a row, none parsing a file in between)
    or cannot start at all: the sync stops; what was committed stays."""

    fatal = True


def describe_exit(exitcode: int | None) -> str:
    """``killed by signal 9 (SIGKILL)`` / ``exited with code 1`` / ``exit status unknown``."""
    if exitcode is None:
        return "exit status unknown"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        hint = ", as the out-of-memory killer sends" if name == "SIGKILL" else ""
        return f"killed by signal {-exitcode} ({name}{hint})"
    return f"exited with code {exitcode}"


#: File signatures worth naming when a file is not what it should be (first bytes).
_SIGNATURES = (
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"PGDMP", "a PostgreSQL dump"),
    (b"\x1f\x8b", "gzip data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\x7fELF", "an ELF program"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ", "xz data"),
)


def describe_start(head: bytes) -> str:
    """What the first bytes of a file look like, for a message: ``a gzip data``, ``text
    ('# My notes')``, ``empty``, ``binary data (00 01 ...)``."""
    if not head:
        return "nothing (the file is empty)"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    try:
        text: str | None = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A character cut by the end of the sample still leaves text.
        text = head[: error.start].decode("utf-8") if error.start > len(head) - 4 else None
    if text is None or any(c < " " and c not in "\t\n\r\f" for c in text):
        return f"binary data ({head[:8].hex(' ')})"
    first = text.strip().splitlines()[0][:40] if text.strip() else ""
    return f"text ({first!r})" if first else "blank text"


class StorageError(StreamingSyncError):
    """The database refused an operation."""


class DatabaseLockedError(StorageError):
    """Another writer holds the database lock past the busy timeout (retryable)."""

    retryable = True


class WriteTimeout(StorageError):  # noqa: N818 -- reads as the condition it reports
    """Writing a file took longer than ``file_timeout`` (waiting for the database
    included); the write was cancelled, so it committed whole or not at all (retryable)."""

    retryable = True


class SchemaError(StorageError):
    """The database has a schema this version does not know; nothing was changed."""

    fatal = True


class ChangesPruned(StorageError):  # noqa: N818 -- reads as the condition it reports
    """``changes(since=...)`` asked for records older than the change feed keeps (they
    were pruned, or the feed began later): a partial answer would silently lose changes.
    ``kept_after`` is the oldest position the feed can still answer from; the caller
    re-reads the rows it follows and continues from there."""

    def __init__(self, message: str, *, kept_after: int) -> None:
        super().__init__(message)
        self.kept_after = kept_after


class FatalStorageError(StorageError):
    """The database is corrupt, the disk is full or memory ran out: the sync must stop."""

    fatal = True


class SyncInProgress(StreamingSyncError):  # noqa: N818 -- reads as the condition it reports
    """Another sync into the same database and ontology holds the run lock; nothing was
    done. ``holder`` is ``host:pid:started``; ``host``, ``pid`` and ``since`` (epoch
    seconds) name it, ``heartbeat`` is when it last said it is alive."""

    fatal = True

    def __init__(
        self, ontology_id: str, holder: str, *, since: float, heartbeat: float, database: str = ""
    ) -> None:
        host, pid = _holder_parts(holder)
        where = f" in {database}" if database else ""
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since))
        super().__init__(
            f"another sync of ontology {ontology_id!r}{where} is running: process {pid} on"
            f" host {host!r}, since {started} (last heartbeat {time.time() - heartbeat:.0f}s"
            " ago). Wait for it to finish; if that process is gone, its lock goes stale on its"
            f" own, or remove it with `streaming-sync unlock --db {database or 'PATH'}"
            f" --ontology-id {ontology_id}`"
        )
        self.ontology_id = ontology_id
        self.holder = holder
        self.host = host
        self.pid = pid
        self.since = since
        self.heartbeat = heartbeat
        self.database = database

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_in_progress,
            (self.ontology_id, self.holder, self.since, self.heartbeat, self.database),
        )


class WatchInProgress(SyncInProgress):
    """Another watcher of the same database and ontology runs (``streaming-sync watch``
    or ``StreamingSyncService.watch``); this one did not start: two would only repeat
    each other's syncs."""

    def __init__(
        self, ontology_id: str, holder: str, *, since: float, heartbeat: float, database: str = ""
    ) -> None:
        super().__init__(ontology_id, holder, since=since, heartbeat=heartbeat, database=database)
        where = f" in {database}" if database else ""
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since))
        self.args = (
            f"another watcher of ontology {ontology_id!r}{where} is running: process {self.pid}"
            f" on host {self.host!r}, since {started}. Stop it first; if that process is gone,"
            " its lock goes stale on its own within 30 s",
        )


def _holder_parts(holder: str) -> tuple[str, int | None]:
    """(host, pid) of a ``host:pid:started`` holder string (pid None when unreadable)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host, int(pid) if pid.isdigit() else None


def _rebuild_in_progress(
    ontology_id: str, holder: str, since: float, heartbeat: float, database: str
) -> SyncInProgress:
    return SyncInProgress(ontology_id, holder, since=since, heartbeat=heartbeat, database=database)


class SyncAborted(StreamingSyncError):  # noqa: N818 -- reads as the condition it reports
    """The sync stopped before the end; every file committed before stays committed.

    ``report`` (a ``SyncReport``, when the sync got far enough) says what landed.
    """

    fatal = True

    def __init__(self, message: str, *, report: object = None) -> None:
        super().__init__(message)
        self.report = report


__all__ = [
    "AuthenticationError",
    "ConfigError",
    "DatabaseLockedError",
    "FatalStorageError",
    "FetchError",
    "IntegrityError",
    "ParseError",
    "ParsePoolBroken",
    "ParseProcessDied",
    "ParseTimeout",
    "PermanentFetchError",
    "SchemaError",
    "ServiceClosedError",
    "SkipFile",
    "SourceNotFoundError",
    "StorageError",
    "StreamingSyncError",
    "SyncAborted",
    "SyncInProgress",
    "TransientFetchError",
    "ValidationError",
    "WaitBudgetExceeded",
    "WriteTimeout",
    "describe_exit",
    "describe_start",
]
