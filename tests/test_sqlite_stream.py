"""SQLite's streamed saves and group commit beyond the repository contract: a streamed
file's parts wait for room without blocking the event loop, a few at a time, so memory
follows a part and not the file; a group commit is one transaction on the connection's
thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import tracemalloc
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from streaming_sync import FileEntry, FileWrite, OntologyData, OtherAxiom, materialize
from streaming_sync.storage._write import Batch, Statement
from streaming_sync.storage.sqlite import SqliteRepository, _driver
from streaming_sync.storage.sqlite._handoff import DEFAULT_CAPACITY
from streaming_sync.testing.contract import assert_same_rows, cls, data
from streaming_sync.testing.memory import joined

OID = "onto"


async def settle_loop() -> None:
    """Let every ready callback of the event loop run (no time passes)."""
    for _ in range(20):
        await asyncio.sleep(0)


class FirstPartStaller:
    """Stands in for the private driver's ``execute``: holds the connection's thread at
    the first class batch of a stream (inside its first part) until released."""

    def __init__(self) -> None:
        self.reached, self.release = threading.Event(), threading.Event()
        self.execute = _driver.execute

    def __call__(
        self, conn: sqlite3.Connection, step: Statement | Batch, sql: Mapping[str, str]
    ) -> int:
        if step.key == "insert_file_classes" and not self.reached.is_set():
            self.reached.set()
            assert self.release.wait(10), "never released"
        return self.execute(conn, step, sql)


async def test_parts_wait_for_room_without_blocking_the_loop(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the connection's thread is busy with the first part (held there by a stall
    injected into the private driver), the reader of the parts runs ahead by exactly the
    handoff's room -- the part in the thread, DEFAULT_CAPACITY waiting, one waiting for
    room -- and no further; the event loop meanwhile serves other tasks. Released, the
    file commits whole."""
    parts = [data(cls(f"ex:C{i}")) for i in range(12)]
    produced = 0

    async def stream() -> AsyncIterator[OntologyData]:
        nonlocal produced
        for part in parts:
            produced += 1
            yield part

    staller = FirstPartStaller()
    monkeypatch.setattr(_driver, "execute", staller)
    async with await SqliteRepository.open(db_path) as repo:
        saving = asyncio.create_task(repo.save_file_parts(OID, FileEntry("a.md", 0, "1"), stream()))
        assert await asyncio.to_thread(staller.reached.wait, 5)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            ticks += 1

        await asyncio.gather(*(tick() for _ in range(3)))
        await settle_loop()
        assert produced == DEFAULT_CAPACITY + 2
        assert ticks == 3 and not saving.done()
        staller.release.set()
        await saving
        monkeypatch.undo()
        assert_same_rows(await repo.snapshot(OID), materialize({"a.md": ("1", joined(parts))}))


async def test_a_streamed_file_is_held_a_part_at_a_time(db_path: Path) -> None:
    """Saving a file of 60 parts allocates at its peak a small fraction of what the
    whole file's rows take in memory (Python allocations, traced): the parts are made,
    written and dropped a few at a time."""
    text = "AnnotationAssertion(<http://example.org/a> <http://example.org/x> " + '"{}")'

    def part(i: int) -> OntologyData:
        rows = tuple(
            OtherAxiom("AnnotationAssertion", text.format(f"{i}-{j}" * 20)) for j in range(500)
        )
        return OntologyData(classes=(cls(f"ex:C{i}"),), other_axioms=rows)

    tracemalloc.start()
    try:
        whole = [part(i) for i in range(60)]
        file_size, _ = tracemalloc.get_traced_memory()
        del whole

        async def stream() -> AsyncIterator[OntologyData]:
            for i in range(60):
                yield part(i)

        async with await SqliteRepository.open(db_path) as repo:
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            await repo.save_file_parts(OID, FileEntry("big.ofn", 0, "1"), stream())
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - base < file_size / 4, (peak - base, file_size)
    async with await SqliteRepository.open(db_path) as repo:
        assert len((await repo.snapshot(OID)).other_axioms) == 60 * 500


async def test_a_batch_is_one_transaction(db_path: Path) -> None:
    """A group commit of many files is ONE transaction: another connection sees the
    database change once (SQLite's data_version counts the commits of others), and sees
    every file of it at once."""
    observer = sqlite3.connect(db_path, isolation_level=None)
    try:
        async with await SqliteRepository.open(db_path) as repo:
            before = observer.execute("PRAGMA data_version").fetchone()[0]
            items = [
                FileWrite(FileEntry(f"f{i}.md", 0, str(i)), data(cls(f"ex:C{i}")))
                for i in range(10)
            ]
            await repo.write_batch(OID, items)
            after = observer.execute("PRAGMA data_version").fetchone()[0]
            assert after == before + 1
            count = observer.execute("SELECT count(*) FROM sync_files").fetchone()[0]
            assert count == 10
            await repo.save_file(OID, FileEntry("g.md", 0, "g"), data(cls("ex:G")))
            assert observer.execute("PRAGMA data_version").fetchone()[0] == after + 1
    finally:
        observer.close()
