"""``BlockingOntologyReader``: the read API for code without an event loop of its own.

Scripts, notebooks and synchronous web apps call ``reader.classes(...)`` and get a list,
no ``await``. The methods are :class:`~streaming_sync.OntologyReader`'s, one for one
(a test compares them); the async reader stays the API for async code.

How it runs: each blocking reader owns one thread running one event loop (an
``asyncio.Runner`` of its own, as aiosqlite owns a thread per connection), made when
the reader is opened and ended by :meth:`BlockingOntologyReader.close`. A call hands the
query to that loop and waits for the answer. The caller's thread is never given an event
loop, and a loop already running there is neither used nor replaced -- so it also works
in a Jupyter cell, where the kernel's loop runs in the cell's thread (``asyncio.run``
fails there). Inside async code each call blocks the running loop until the answer
comes, as any blocking call would: use ``OntologyReader`` there.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Coroutine, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

from ._changes import Change
from ._config import DEFAULT_ONTOLOGY_ID
from ._curie import PrefixMap
from ._errors import ServiceClosedError
from ._protocols import Repository
from ._read_model import (
    AxiomRole,
    ClassInfo,
    Direction,
    Hierarchy,
    OntologyCounts,
    RelatedClass,
    SourceFile,
)
from ._reader import DEFAULT_LIMIT, OntologyReader
from ._reader_changes import DEFAULT_PAGE, Since
from ._snapshot import AxiomRow

T = TypeVar("T")


class _LoopThread:
    """One event loop in one daemon thread (a reader never closed must not keep the
    process alive at exit); :meth:`run` runs a coroutine there and waits for it."""

    def __init__(self) -> None:
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(
            target=self._main, name="streaming-sync-blocking-reader", daemon=True
        )
        self._thread.start()
        self._started.wait()

    def _main(self) -> None:
        # asyncio.Runner closes the loop properly: it cancels what is left, shuts down
        # async generators and the default executor.
        try:
            with asyncio.Runner() as runner:
                self._loop = runner.get_loop()
                self._stop = asyncio.Event()
                self._started.set()
                runner.run(self._stop.wait())
        finally:
            self._started.set()  # also when the loop could not be made: run() then refuses

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """``work``'s result (or error), computed on this thread's loop. A caller that is
        interrupted meanwhile (Ctrl-C) cancels ``work`` before the interruption goes on."""
        if threading.current_thread() is self._thread:
            work.close()
            raise RuntimeError(
                "a BlockingOntologyReader was called from its own event loop (by code it "
                "runs, e.g. a repository's method), which would wait for itself forever"
            )
        if self._loop is None or not self._thread.is_alive():
            work.close()
            raise ServiceClosedError("the reader's event loop has ended; open a new reader")
        # The future exists before the work is handed over, inside the ``try``: an
        # interruption at any point from here on cancels it (a Ctrl-C that landed
        # while ``run_coroutine_threadsafe`` was still returning left the work running).
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            self._loop.call_soon_threadsafe(_start, work, future)
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """End the loop (after the work already handed to it) and join the thread."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            # RuntimeError: the loop closed between the check and the call; it has ended.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()


class BlockingOntologyReader:
    """:class:`~streaming_sync.OntologyReader` without ``await``: the same methods, each
    returning its result. Open one with :meth:`open` (a database path, or a repository)
    or ``BlockingOntologyReader(repository)``, use it as a context manager (``with``) or
    call :meth:`close`.

    A repository given here is called from the reader's own thread and event loop: give
    one that no other event loop is using meanwhile (a database path is always safe: the
    reader then opens its own read-only connection)."""

    def __init__(
        self,
        repository: Repository,
        ontology_id: str = DEFAULT_ONTOLOGY_ID,
        *,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        reader = OntologyReader(repository, ontology_id, prefixes=prefixes)
        self._reader: OntologyReader | None = reader
        self._runner = _LoopThread()

    @classmethod
    def open(
        cls,
        source: Repository | str | os.PathLike[str],
        *,
        ontology_id: str = DEFAULT_ONTOLOGY_ID,
        prefixes: Mapping[str, str] | None = None,
    ) -> Self:
        """As :meth:`OntologyReader.open <streaming_sync.OntologyReader.open>`: the SQLite
        engine on a database file (opened read-only), the generic one on a repository."""
        reader = cls.__new__(cls)
        reader._runner = _LoopThread()
        try:
            reader._reader = reader._runner.run(
                OntologyReader.open(source, ontology_id=ontology_id, prefixes=prefixes)
            )
        except BaseException:
            reader._runner.stop()
            raise
        return reader

    def _open_reader(self) -> OntologyReader:
        if self._reader is None:
            raise ServiceClosedError("this BlockingOntologyReader is closed; open a new one")
        return self._reader

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(work)

    @property
    def ontology_id(self) -> str:
        return self._open_reader().ontology_id

    @property
    def prefixes(self) -> PrefixMap:
        return self._open_reader().prefixes

    def __repr__(self) -> str:
        inner = "closed" if self._reader is None else repr(self._reader)
        return f"<BlockingOntologyReader {inner}>"

    def close(self) -> None:
        """Close what the reader opened and end its thread (idempotent)."""
        reader, self._reader = self._reader, None
        try:
            if reader is not None:
                self._run(reader.aclose())
        finally:
            self._runner.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the read API, one for one -------------------------------------------------------

    def iri(self, name: str) -> str:
        """As ``OntologyReader.iri``: the IRI a CURIE stands for."""
        return self._open_reader().iri(name)

    def curie(self, iri: str) -> str:
        """As ``OntologyReader.curie``: ``iri`` the short way."""
        return self._open_reader().curie(iri)

    def classes(
        self, search: str | None = None, *, limit: int = DEFAULT_LIMIT, offset: int = 0
    ) -> list[ClassInfo]:
        """As ``OntologyReader.classes``."""
        return self._run(self._open_reader().classes(search, limit=limit, offset=offset))

    def get_class(self, iri: str) -> ClassInfo | None:
        """As ``OntologyReader.get_class``."""
        return self._run(self._open_reader().get_class(iri))

    def properties(self, iri: str) -> dict[str, list[str]]:
        """As ``OntologyReader.properties``."""
        return self._run(self._open_reader().properties(iri))

    def parents(self, iri: str) -> list[RelatedClass]:
        """As ``OntologyReader.parents``."""
        return self._run(self._open_reader().parents(iri))

    def children(self, iri: str) -> list[RelatedClass]:
        """As ``OntologyReader.children``."""
        return self._run(self._open_reader().children(iri))

    def ancestors(self, iri: str, *, max_depth: int | None = None) -> list[RelatedClass]:
        """As ``OntologyReader.ancestors``."""
        return self._run(self._open_reader().ancestors(iri, max_depth=max_depth))

    def descendants(self, iri: str, *, max_depth: int | None = None) -> list[RelatedClass]:
        """As ``OntologyReader.descendants``."""
        return self._run(self._open_reader().descendants(iri, max_depth=max_depth))

    def hierarchy(
        self, iri: str, *, direction: Direction = "up", max_depth: int | None = None
    ) -> Hierarchy:
        """As ``OntologyReader.hierarchy``."""
        reader = self._open_reader()
        return self._run(reader.hierarchy(iri, direction=direction, max_depth=max_depth))

    def axioms(self, iri: str, *, role: AxiomRole = "subject") -> list[AxiomRow]:
        """As ``OntologyReader.axioms``."""
        return self._run(self._open_reader().axioms(iri, role=role))

    def sources(self, iri: str) -> list[SourceFile]:
        """As ``OntologyReader.sources``."""
        return self._run(self._open_reader().sources(iri))

    def counts(self) -> OntologyCounts:
        """As ``OntologyReader.counts``."""
        return self._run(self._open_reader().counts())

    def ontology_ids(self) -> list[str]:
        """As ``OntologyReader.ontology_ids``."""
        return self._run(self._open_reader().ontology_ids())

    def changes(self, since: Since = None, *, limit: int = DEFAULT_PAGE) -> list[Change]:
        """See :meth:`OntologyReader.changes` (``follow``, an endless async iterator, is
        the async reader's alone: a script pages with ``since=`` the last position)."""
        return self._run(self._open_reader().changes(since, limit=limit))


def _start(work: Coroutine[Any, Any, T], future: concurrent.futures.Future[T]) -> None:
    """On the reader's loop: run ``work`` as a task whose outcome goes to ``future``, and
    cancel the task when ``future`` is cancelled (by a caller interrupted meanwhile); a
    future cancelled before this runs leaves ``work`` never started."""
    if future.cancelled():
        work.close()
        return
    task = asyncio.ensure_future(work)
    loop = task.get_loop()

    def settle(done: asyncio.Future[T]) -> None:
        # InvalidStateError: the caller cancelled ``future`` meanwhile; nothing to tell.
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            if done.cancelled():
                future.cancel()
            elif (error := done.exception()) is not None:
                future.set_exception(error)
            else:
                future.set_result(done.result())

    def cancelled(given: concurrent.futures.Future[T]) -> None:
        if given.cancelled():
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing runs
                loop.call_soon_threadsafe(task.cancel)

    task.add_done_callback(settle)
    future.add_done_callback(cancelled)


__all__ = ["BlockingOntologyReader"]
