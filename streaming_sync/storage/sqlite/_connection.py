"""``Connection``: one stdlib ``sqlite3`` connection that owns one thread.

Every call runs on that thread, in the order the calls were made (one FIFO queue, one
thread): the guarantee aiosqlite gives, kept by a single-thread executor of our own so
that a call can be any function of the ``sqlite3.Connection`` -- a whole transaction is
then ONE call (:meth:`Connection.transaction`), ONE thread hop, and its statements never
interleave with another task's. (aiosqlite has no public way to run a function on its
thread; we used its private ``_execute``/``_conn``/``_thread`` before.)

Cancellation: a call cancelled before its thread took it never runs. One that is
already running is waited for -- it completes, or fails and rolls back, on its thread,
never left half-done -- and then the ``CancelledError`` propagates; with
``interruptible=True`` every statement it runs from then on is aborted instead (a
progress handler watching a flag: ``sqlite3``'s ``interrupt()`` alone would miss a
statement that starts just after it), so a long maintenance transaction stops promptly
and rolls back. :meth:`Connection.aclose` runs after every call made before it, closes the
connection on its thread and joins the thread; a failed :meth:`Connection.open` leaves
no thread behind. sqlite3 errors are translated here, at the edge, into the library's
storage errors naming the database and what was being done.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import queue
import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..._aio import run_to_completion
from ..._errors import (
    DatabaseLockedError,
    FatalStorageError,
    ServiceClosedError,
    StorageError,
    describe_start,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: A job for the thread: the future to settle and the function of the connection to run.
_Job = tuple["concurrent.futures.Future[Any]", Callable[[sqlite3.Connection], Any]]

# Primary result codes (the low byte of sqlite_errorcode).
_SQLITE_NOMEM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR = 7, 5, 6, 10
_SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN = 8, 11, 13, 14
_SQLITE_NOTADB = 26
_LOCKED_CODES = frozenset({_SQLITE_BUSY, _SQLITE_LOCKED})
_FATAL_CODES = frozenset(
    {_SQLITE_NOMEM, _SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_NOTADB}
)
_CANNOT_WRITE_CODES = frozenset({_SQLITE_READONLY, _SQLITE_CANTOPEN})
_LOCKED_TEXT = ("database is locked", "database table is locked")
_FATAL_TEXT = (
    "malformed",
    "file is not a database",
    "disk is full",
    "out of memory",
    "disk i/o error",
)


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def cannot_write(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says the file (or its side files) cannot be written or created."""
    return _primary_code(exc) in _CANNOT_WRITE_CODES


def translate_error(exc: sqlite3.Error, database: str, doing: str) -> StorageError:
    """The library error for a sqlite3 error met while ``doing`` something to ``database``."""
    primary = _primary_code(exc)
    text = str(exc).lower()
    if primary in _LOCKED_CODES or any(t in text for t in _LOCKED_TEXT):
        return DatabaseLockedError(
            f"{database}: {doing}: the database is locked by another writer ({exc}); "
            "retry later or raise busy_timeout"
        )
    if primary == _SQLITE_READONLY or "readonly database" in text:
        return FatalStorageError(
            f"{database}: {doing}: {exc}. The database is read-only (the file, its folder "
            "or the file system), and this needs to write to it: make it writable, or work "
            "on a copy (`streaming-sync status` and `history` only read)"
        )
    if primary == _SQLITE_CANTOPEN or "unable to open database" in text:
        return FatalStorageError(f"{database}: {doing}: {exc}. {_cannot_open(database)}")
    if primary == _SQLITE_NOTADB or "file is not a database" in text:
        return FatalStorageError(
            f"{database}: {doing}: not a SQLite database: it starts with"
            f" {describe_start(_head(database))}. Check the path; nothing was changed"
        )
    if primary == _SQLITE_FULL or "disk is full" in text:
        return FatalStorageError(
            f"{database}: {doing}: {exc}. The disk is full: free space and sync again"
            " (what was committed stays)"
        )
    if primary in _FATAL_CODES or any(t in text for t in _FATAL_TEXT):
        return FatalStorageError(
            f"{database}: {doing}: {exc}. The database file is damaged or unreadable:"
            " restore it from a backup (`streaming-sync restore`), or sync into a new"
            " database file"
        )
    return StorageError(f"{database}: {doing}: {exc}")


def _cannot_open(database: str) -> str:
    """Why SQLite could not open ``database``, when the file system can tell."""
    folder = os.path.dirname(os.path.abspath(database))
    if not os.path.isdir(folder):
        return f"The folder {folder} does not exist: create it, or give a path in an existing one"
    if os.path.isdir(database):
        return "That is a folder: give the path of a database file (in it, or elsewhere)"
    return (
        "SQLite cannot open the file: check that you may read it and its folder (SQLite"
        " keeps -wal and -shm files beside it, so writing also needs a writable folder)"
    )


def _head(database: str) -> bytes:
    """The first bytes of ``database`` (none when it cannot be read)."""
    try:
        with open(database, "rb") as file:
            return file.read(64)
    except OSError:
        return b""


def in_transaction(
    conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], begin: str
) -> T:
    """``begin``, ``work(conn)``, ``COMMIT``; on any exception ``ROLLBACK`` and re-raise.

    Synchronous, for the connection's own thread: once it starts it runs to its end, so
    the transaction is either committed or rolled back when it returns."""
    conn.execute(begin)
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            # "no transaction is active": SQLite already rolled back (e.g. SQLITE_FULL).
            logger.debug("rollback after a failed transaction: %s", exc)
        raise
    return result


#: Prepared statements a connection keeps: the write's statements, and each batch
#: table's statements of several sizes (``_driver.RowsInsert``), so the common ones
#: are never prepared twice (the module's default is 128).
CACHED_STATEMENTS = 256


def _connect(target: str, uri: bool) -> sqlite3.Connection:
    return sqlite3.connect(
        target, uri=uri, isolation_level=None, cached_statements=CACHED_STATEMENTS
    )


def _serve(
    jobs: queue.SimpleQueue[_Job | None],
    connect: Callable[[], sqlite3.Connection],
    opened: concurrent.futures.Future[sqlite3.Connection],
) -> None:
    """The thread: connect, then run the jobs in order until told to stop (None), then
    close. It holds no reference to the ``Connection``, so one that is never closed can
    be collected, and its finalizer stops the thread."""
    if not opened.set_running_or_notify_cancel():
        return
    try:
        conn = connect()
    except BaseException as exc:
        opened.set_exception(exc)
        return
    opened.set_result(conn)
    try:
        while (job := jobs.get()) is not None:
            future, fn = job
            if not future.set_running_or_notify_cancel():
                continue  # cancelled before it started: it never runs
            try:
                result = fn(conn)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)
    finally:
        conn.close()


def _until(
    stop: threading.Event, fn: Callable[[sqlite3.Connection], T]
) -> Callable[[sqlite3.Connection], T]:
    """``fn``, with every statement it runs aborted ("interrupted") once ``stop`` is set:
    SQLite calls the progress handler every 1,000 virtual-machine steps."""

    def run(conn: sqlite3.Connection) -> T:
        conn.set_progress_handler(stop.is_set, 1000)
        try:
            return fn(conn)
        finally:
            conn.set_progress_handler(None, 0)

    return run


async def settle(waiter: asyncio.Future[Any]) -> None:
    """Wait for ``waiter`` to end, whatever it ends with and however often the caller is
    cancelled meanwhile (the caller re-raises its cancellation afterwards)."""
    while not waiter.done():
        try:
            await asyncio.wait({waiter})
        except asyncio.CancelledError:
            continue
    if not waiter.cancelled():
        waiter.exception()  # retrieved, so it is not reported as never retrieved


async def _join(thread: threading.Thread) -> None:
    if thread.is_alive():
        await asyncio.to_thread(thread.join)


class Connection:
    """One ``sqlite3`` connection on its own thread (see the module docstring). Open
    with :meth:`open`; close with :meth:`aclose`."""

    def __init__(
        self, database: str, jobs: queue.SimpleQueue[_Job | None], thread: threading.Thread
    ) -> None:
        """Use :meth:`open`."""
        self.database = database
        self._jobs = jobs
        self._thread = thread
        self._closed = False
        self._finalizer = weakref.finalize(self, jobs.put, None)

    @classmethod
    async def open(
        cls, target: str, *, database: str | None = None, uri: bool = False
    ) -> Connection:
        """Connect to ``target`` (a path, or a ``file:`` URI with ``uri=True``) in
        autocommit mode on a new thread. ``database`` names it in errors (default
        ``target``). On failure the thread is joined before the error is raised."""
        name = database or target
        jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        opened: concurrent.futures.Future[sqlite3.Connection] = concurrent.futures.Future()
        thread = threading.Thread(
            target=_serve,
            args=(jobs, lambda: _connect(target, uri), opened),
            name=f"streaming_sync sqlite {name}",
            # A daemon: a connection never closed must not keep the process alive at exit
            # (SQLite's journal makes an exit mid-transaction a rollback).
            daemon=True,
        )
        thread.start()
        waiter = asyncio.wrap_future(opened)
        try:
            await asyncio.shield(waiter)
        except BaseException as exc:
            await run_to_completion(cls._abandon(jobs, thread, waiter))
            if isinstance(exc, sqlite3.Error):
                raise translate_error(exc, name, "opening") from exc
            raise
        return cls(name, jobs, thread)

    @staticmethod
    async def _abandon(
        jobs: queue.SimpleQueue[_Job | None],
        thread: threading.Thread,
        waiter: asyncio.Future[sqlite3.Connection],
    ) -> None:
        """After a failed (or cancelled) open: stop the thread and join it."""
        await settle(waiter)
        jobs.put(None)
        await _join(thread)

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        return f"<Connection {self.database!r}{' closed' if self._closed else ''}>"

    async def call(
        self,
        fn: Callable[[sqlite3.Connection], T],
        doing: str,
        *,
        interruptible: bool = False,
    ) -> T:
        """``fn(conn)`` on the connection's thread, after every call made before it;
        its result, or its exception (a sqlite3 error translated, naming ``doing``)."""
        if self._closed:
            raise ServiceClosedError(f"{self.database}: {doing}: the connection is closed")
        try:
            return await self._submit(fn, interruptible)
        except sqlite3.Error as exc:
            raise translate_error(exc, self.database, doing) from exc

    async def transaction(
        self,
        fn: Callable[[sqlite3.Connection], T],
        doing: str,
        *,
        begin: str = "BEGIN IMMEDIATE",
        interruptible: bool = False,
    ) -> T:
        """``begin``, ``fn(conn)``, ``COMMIT`` as ONE call; ROLLBACK on any exception."""
        return await self.call(
            lambda conn: in_transaction(conn, fn, begin), doing, interruptible=interruptible
        )

    async def fetchall(self, sql: str, params: Sequence[Any] = (), *, doing: str) -> list[Any]:
        """The rows of one statement (in autocommit: its own read transaction)."""
        return await self.call(lambda conn: conn.execute(sql, params).fetchall(), doing)

    async def aclose(self) -> None:
        """Close the connection on its thread, after every call made before, and join the
        thread. Idempotent; runs to its end even if the caller is cancelled meanwhile."""
        if not self._closed:
            self._closed = True
            await run_to_completion(self._close())
        else:
            await run_to_completion(_join(self._thread))

    async def _close(self) -> None:
        try:
            await self._submit(lambda conn: conn.close(), interruptible=False)
        except sqlite3.Error as exc:
            logger.warning("%s: closing: %s", self.database, exc)
        finally:
            self._finalizer()  # puts the stop sign: the thread ends after the close
            await _join(self._thread)

    async def _submit(self, fn: Callable[[sqlite3.Connection], T], interruptible: bool) -> T:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        stop = threading.Event()
        self._jobs.put((future, _until(stop, fn) if interruptible else fn))
        waiter = asyncio.wrap_future(future)
        try:
            return await asyncio.shield(waiter)
        except asyncio.CancelledError:
            if future.cancel():
                raise  # the thread had not taken it: it never runs
            stop.set()  # an interruptible call's next statement step aborts
            await settle(waiter)
            raise


__all__ = ["Connection", "cannot_write", "in_transaction", "settle", "translate_error"]
