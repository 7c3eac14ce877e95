"""The SQLite backend's connection thread (``storage/sqlite/_connection.py``, a private
unit: every test here is about it, not about the public face). One stdlib ``sqlite3``
connection owned by one thread: calls run there in order; a cancelled call that had not
started never runs, one that had runs to its end (or rolls back) before the
cancellation propagates; ``aclose`` and a failed open leave no thread behind."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from streaming_sync import FatalStorageError, ServiceClosedError, StorageError
from streaming_sync.storage.sqlite._connection import Connection

THREAD_PREFIX = "streaming_sync sqlite"


def our_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]


@pytest.fixture
async def conn(db_path: Path) -> AsyncIterator[Connection]:
    connection = await Connection.open(str(db_path))
    await connection.call(lambda c: c.execute("CREATE TABLE t (x)").close(), "creating t")
    yield connection
    await connection.aclose()


def rows(c: sqlite3.Connection) -> list[int]:
    return [x for (x,) in c.execute("SELECT x FROM t ORDER BY rowid")]


class Gate:
    """Holds the connection's thread inside a call until released."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def hold(self, _: sqlite3.Connection) -> None:
        self.entered.set()
        assert self.release.wait(10), "never released"

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, 5)


async def settle_loop() -> None:
    """Let every ready callback of the event loop run (no time passes)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_calls_run_in_order_on_one_thread_off_the_loop(conn: Connection) -> None:
    """Calls made concurrently run in the order they were made, all on one thread that
    is not the event loop's."""
    seen: list[tuple[int, int]] = []

    def recorder(i: int) -> Callable[[sqlite3.Connection], None]:
        return lambda _: seen.append((i, threading.get_ident()))

    await asyncio.gather(*(conn.call(recorder(i), "recording") for i in range(50)))
    assert [i for i, _ in seen] == list(range(50))
    threads = {ident for _, ident in seen}
    assert len(threads) == 1 and threads != {threading.get_ident()}


@pytest.mark.parametrize("fail", [False, True], ids=["completes", "fails"])
async def test_a_cancelled_transaction_completes_or_rolls_back_before_cancelling(
    conn: Connection, fail: bool
) -> None:
    """Cancelling the await of a transaction that is running on the thread does not cut
    it: the await ends only when the transaction has committed (or, failing, rolled
    back), then raises CancelledError; the connection stays usable."""
    gate = Gate()

    def work(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (1)")
        gate.hold(c)
        if fail:
            raise RuntimeError("failed after the cancellation")
        c.execute("INSERT INTO t VALUES (2)")

    task = asyncio.create_task(conn.transaction(work, "writing"))
    await gate.wait_entered()
    task.cancel()
    await settle_loop()
    assert not task.done()  # waiting for the transaction on the thread
    gate.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await conn.call(rows, "reading") == ([] if fail else [1, 2])
    await conn.transaction(lambda c: c.execute("INSERT INTO t VALUES (3)").close(), "writing")
    assert await conn.call(rows, "reading") == ([3] if fail else [1, 2, 3])


async def test_a_call_cancelled_before_it_started_never_runs(conn: Connection) -> None:
    """A call still queued behind another when cancelled raises CancelledError at once
    and never runs; the calls around it do."""
    gate = Gate()
    first = asyncio.create_task(conn.call(gate.hold, "holding"))
    await gate.wait_entered()
    queued = asyncio.create_task(
        conn.transaction(lambda c: c.execute("INSERT INTO t VALUES (1)").close(), "writing")
    )
    await settle_loop()
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert not first.done()
    gate.release.set()
    await first
    assert await conn.call(rows, "reading") == []


@pytest.mark.parametrize("statement_started", [True, False], ids=["running", "about-to-run"])
async def test_an_interruptible_call_is_interrupted_and_rolled_back(
    conn: Connection, statement_started: bool
) -> None:
    """``interruptible=True``: cancelling aborts the statement the call runs (an endless
    query here) -- also one it starts only after the cancellation -- the transaction
    rolls back, and the connection is usable."""
    endless = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT max(x) FROM r"
    gate = Gate()

    def work(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (1)")
        gate.hold(c)
        c.execute(endless).fetchall()

    task = asyncio.create_task(conn.transaction(work, "looping", interruptible=True))
    await gate.wait_entered()
    if statement_started:
        gate.release.set()
    task.cancel()
    await settle_loop()
    gate.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await conn.call(rows, "reading") == []
    await conn.transaction(lambda c: c.execute("INSERT INTO t VALUES (2)").close(), "writing")
    assert await conn.call(rows, "reading") == [2]


async def test_sqlite_errors_are_translated_naming_the_database_and_the_step(
    conn: Connection, db_path: Path
) -> None:
    """A sqlite3 error inside a call comes back as the library's StorageError naming
    the database and what was being done; other exceptions come back as raised."""
    with pytest.raises(StorageError, match="no such table") as caught:
        await conn.call(lambda c: c.execute("SELECT * FROM missing").close(), "reading missing")
    assert str(db_path) in str(caught.value) and "reading missing" in str(caught.value)
    empty: dict[str, int] = {}
    with pytest.raises(KeyError):
        await conn.call(lambda _: empty["k"], "looking up")


async def test_aclose_closes_after_pending_calls_and_joins_the_thread(db_path: Path) -> None:
    """aclose runs after the calls made before it, closes the connection on its thread
    and joins the thread; it is idempotent, and later calls are refused."""
    before = set(our_threads())
    conn = await Connection.open(str(db_path))
    mine = [t for t in our_threads() if t not in before]
    assert len(mine) == 1
    pending = asyncio.create_task(conn.call(lambda c: c.execute("CREATE TABLE u (x)").close(), "x"))
    await settle_loop()
    await conn.aclose()
    assert pending.done() and pending.exception() is None
    assert not mine[0].is_alive()
    await conn.aclose()
    with pytest.raises(ServiceClosedError):
        await conn.call(lambda c: None, "after close")


async def test_a_failed_open_leaves_no_thread(tmp_path: Path) -> None:
    """Opening a database that cannot be opened raises FatalStorageError naming it, and
    the thread that tried is gone when the error arrives."""
    before = set(our_threads())
    missing = tmp_path / "no such folder" / "x.db"
    with pytest.raises(FatalStorageError) as caught:
        await Connection.open(str(missing))
    assert str(missing) in str(caught.value)
    assert [t for t in our_threads() if t not in before] == []


async def test_a_connection_never_closed_stops_its_thread_when_collected(db_path: Path) -> None:
    """The thread holds no reference to its Connection: one dropped without aclose()
    is collected, and its thread closes the connection and ends."""
    before = set(our_threads())
    conn = await Connection.open(str(db_path))
    [thread] = [t for t in our_threads() if t not in before]
    del conn
    gc.collect()
    await asyncio.to_thread(thread.join, 5)
    assert not thread.is_alive()
