"""``BlockingOntologyReader``: the read API without ``await``, for scripts and notebooks.
It has OntologyReader's methods one for one, answers as it does, never gives the
caller's thread an event loop, works where a loop already runs in the caller's thread
(a Jupyter cell; the quick-start notebook uses it there too), and ends its thread."""

from __future__ import annotations

import asyncio
import inspect
import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from streaming_sync import (
    BlockingOntologyReader,
    ConfigError,
    FileEntry,
    OntologyReader,
    OntologySnapshot,
    ServiceClosedError,
)
from streaming_sync.testing.contract import cls, data
from streaming_sync.testing.memory import InMemoryRepository

from .reader_support import sync_sample

THREAD = "streaming-sync-blocking-reader"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample, synced by the real CLI (ontology id ``default``)."""
    return sync_sample(tmp_path_factory.mktemp("sample") / "sample.db")


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD]


class WhereRepository(InMemoryRepository):
    """An in-memory repository that notes the thread and loop each snapshot runs on."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[threading.Thread, asyncio.AbstractEventLoop]] = []

    async def snapshot(self, ontology_id: str) -> OntologySnapshot:
        self.seen.append((threading.current_thread(), asyncio.get_running_loop()))
        return await super().snapshot(ontology_id)


def test_the_same_methods_as_the_async_reader() -> None:
    """Every public method and attribute of OntologyReader is on the blocking reader
    with the same parameters and return annotation (aclose is close; the engine,
    from_engine and change_feed -- async objects -- and follow -- an endless async
    iterator, which a blocking call cannot return -- belong to the async side)."""
    repository = InMemoryRepository()
    blocking = BlockingOntologyReader(repository)
    try:
        async_names = {n for n in dir(OntologyReader(repository)) if not n.startswith("_")}
        names = {n for n in dir(blocking) if not n.startswith("_")}
        async_only = {"aclose", "engine", "from_engine", "change_feed", "follow"}
        assert async_names - async_only == names - {"close"}
        for name in sorted(names - {"close", "ontology_id", "prefixes"}):
            theirs = inspect.signature(getattr(OntologyReader, name))
            ours = inspect.signature(getattr(BlockingOntologyReader, name))
            assert ours == theirs, name
    finally:
        blocking.close()


SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys, threading
    from streaming_sync import BlockingOntologyReader

    answers = {}

    def use_it():
        with BlockingOntologyReader.open(sys.argv[1]) as reader:
            material = reader.get_class("BFO:0000040")
            answers["label"] = material.label
            answers["up"] = [reader.curie(a.iri) for a in reader.ancestors(material.iri)]
            answers["classes"] = reader.counts().classes
            answers["first"] = reader.classes("entity", limit=1)[0].label
            answers["edges"] = len(reader.hierarchy("BFO:0000040").edges)
        try:
            asyncio.get_event_loop()
        except RuntimeError:
            answers["caller_loop"] = None  # the reader gave this thread no event loop
        else:
            answers["caller_loop"] = "set"

    caller = threading.Thread(target=use_it)
    caller.start()
    caller.join()
    answers["threads_left"] = [t.name for t in threading.enumerate()]
    print(json.dumps(answers))
    """
)


def test_the_change_feed_pages_without_await(sample_db: Path) -> None:
    """``changes`` gives the async reader's records, a page at a time, ``since`` a
    position paging on (the synced sample recorded its rows)."""

    async def expected() -> list[object]:
        async with await OntologyReader.open(sample_db) as reader:
            return list(await reader.changes(limit=100_000))

    every = asyncio.run(expected())
    assert every
    with BlockingOntologyReader.open(sample_db) as reader:
        first = reader.changes(limit=2)
        rest = reader.changes(first[-1].position, limit=100_000)
    assert first + rest == every


def test_a_script_reads_without_await(sample_db: Path) -> None:
    """A plain script (no asyncio of its own) gets the async reader's answers; the
    thread that used it has no event loop afterwards; closing ends the reader's thread."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(sample_db)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)

    async def expected() -> tuple[int, int]:
        async with await OntologyReader.open(sample_db) as reader:
            counts = await reader.counts()
            return counts.classes, len((await reader.hierarchy("BFO:0000040")).edges)

    classes, edges = asyncio.run(expected())
    assert answers == {
        "label": "material entity",
        "up": ["BFO:0000004", "BFO:0000002", "BFO:0000001"],
        "classes": classes,
        "first": "entity",
        "edges": edges,
        "caller_loop": None,
        "threads_left": ["MainThread"],
    }


async def test_inside_a_running_loop_it_runs_on_its_own(sample_db: Path) -> None:
    """Called where an event loop runs (as in a Jupyter cell), it answers -- the work
    runs on the reader's own thread and loop, never on the caller's -- and the caller's
    loop is still the running one afterwards."""
    loop = asyncio.get_running_loop()
    repository = WhereRepository()
    await repository.save_file("default", FileEntry("a.md", 0, "1" * 40), data(cls("ex:A", "A")))
    with BlockingOntologyReader(repository) as reader:
        assert [c.label for c in reader.classes()] == ["A"]
        [(thread, its_loop)] = repository.seen
        assert thread.name == THREAD and its_loop is not loop
    with BlockingOntologyReader.open(sample_db) as by_path:
        assert by_path.get_class("BFO:0000040") is not None
    assert asyncio.get_running_loop() is loop
    await asyncio.sleep(0)


def test_lifecycle_and_errors(tmp_path: Path, sample_db: Path) -> None:
    """Errors of a query reach the caller as they are; close() is idempotent and ends
    the thread; a closed reader refuses work; a failed open leaves no thread behind."""
    reader = BlockingOntologyReader.open(sample_db)
    assert len(reader_threads()) == 1 and "SqliteReadEngine" in repr(reader)
    with pytest.raises(ValueError, match="limit"):
        reader.classes(limit=-1)
    assert reader.ontology_ids() == ["default"]
    reader.close()
    reader.close()
    assert reader_threads() == [] and "closed" in repr(reader)
    with pytest.raises(ServiceClosedError):
        reader.counts()
    with pytest.raises(ConfigError, match="no such database file"):
        BlockingOntologyReader.open(tmp_path / "missing.db")
    assert reader_threads() == []


INTERRUPTED = textwrap.dedent(
    """
    import asyncio, os, signal, sys, threading
    from streaming_sync import BlockingOntologyReader
    from streaming_sync.testing.memory import InMemoryRepository

    entered, cancelled = threading.Event(), threading.Event()

    class Stuck(InMemoryRepository):
        async def snapshot(self, ontology_id):
            entered.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

    def interrupt():
        entered.wait()
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    threading.Thread(target=interrupt).start()
    reader = BlockingOntologyReader(Stuck())
    try:
        reader.counts()
    except KeyboardInterrupt:
        print("interrupted", "cancelled" if cancelled.wait(10) else "still running")
    reader.close()
    """
)


def test_ctrl_c_cancels_the_query() -> None:
    """Ctrl-C while a query runs interrupts the caller and cancels the query on the
    reader's loop (it does not run on unseen); the reader then closes cleanly."""
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["interrupted", "cancelled"]
