"""The memory budget (issue 12, point 9): the bytes of the files in flight -- from the
start of a file's fetch to the end of its write -- never exceed
``SyncConfig.max_bytes_in_flight``; a file larger than the whole budget runs alone; a
big file waiting for room does not hold up small files behind it. Counted by a
recording fetcher and repository: no timings, no memory readings. The default budget's
formula (``_config.default_max_bytes_in_flight``) is a private unit tested as such."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from streaming_sync import (
    ConfigError,
    FileEntry,
    OntologyData,
    OntologySnapshot,
    Outcome,
    StreamingSyncService,
)
from streaming_sync._config import RetryPolicy, SyncConfig, default_max_bytes_in_flight
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository

from .lineformat import LineParser


class InFlight:
    """Bytes in flight as the parts see them: added when a fetch starts, taken off when
    the write has ended; ``log`` keeps (event, path, bytes in flight before it)."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.log: list[tuple[str, str, int]] = []

    def fetching(self, entry: FileEntry) -> None:
        self.log.append(("fetch", entry.path, self.now))
        self.now += entry.size
        self.peak = max(self.peak, self.now)

    def written(self, entry: FileEntry) -> None:
        self.now -= entry.size
        self.log.append(("written", entry.path, self.now))


class CountingFetcher(InMemoryFetcher):
    """Counts the fetches; a fetch of a path in ``held`` waits for its event once it
    started (the file is in flight meanwhile)."""

    def __init__(
        self, files: dict[str, bytes], flight: InFlight, held: dict[str, asyncio.Event]
    ) -> None:
        super().__init__(files)
        self.flight = flight
        self.held = held

    async def fetch(self, entry: FileEntry) -> bytes:
        self.flight.fetching(entry)
        if entry.path in self.held:
            try:
                await asyncio.wait_for(self.held[entry.path].wait(), 20)
            except TimeoutError:
                raise AssertionError(
                    "the small files never got through beside the big ones"
                ) from None
        return await super().fetch(entry)


class CountingRepository:
    """A plain ``Repository`` (no group commit: one ``save_file`` per file, so each
    file's write end is seen) over an ``InMemoryRepository``, the checkpoint store."""

    def __init__(self, flight: InFlight, on_write: object = None) -> None:
        self.inner = InMemoryRepository()
        self.flight = flight
        self.on_write = on_write

    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
        await self.inner.save_file(ontology_id, entry, data)
        self.flight.written(entry)
        if callable(self.on_write):
            self.on_write(entry)

    async def remove_file(self, ontology_id: str, path: str) -> None:
        await self.inner.remove_file(ontology_id, path)

    async def committed_files(self, ontology_id: str) -> Mapping[str, str]:
        return await self.inner.committed_files(ontology_id)

    async def snapshot(self, ontology_id: str) -> OntologySnapshot:
        return await self.inner.snapshot(ontology_id)

    async def aclose(self) -> None:
        await self.inner.aclose()


def padded(name: str, size: int) -> bytes:
    """A line-format file of exactly ``size`` bytes declaring ``ex:<name>``."""
    head = f"class ex:{name}\n".encode()
    return head + b"#" * (size - len(head))


async def run(
    files: dict[str, bytes],
    budget: int,
    parser: LineParser | None = None,
    workers: int = 4,
    on_write: object = None,
    held: dict[str, asyncio.Event] | None = None,
) -> tuple[InFlight, CountingRepository, object]:
    flight = InFlight()
    repo = CountingRepository(flight, on_write)
    service = StreamingSyncService(
        fetcher=CountingFetcher(files, flight, held or {}),
        repository=repo,
        checkpoint=repo.inner,
        parser=parser or LineParser(),
        config=SyncConfig(
            workers=workers,
            parse_processes=0,
            max_bytes_in_flight=budget,
            retry=RetryPolicy(max_attempts=1),
        ),
    )
    async with service:
        report = await asyncio.wait_for(service.sync(), 30)
    assert report.outcome is Outcome.SUCCEEDED
    assert set(await repo.committed_files("default")) == set(files)
    return flight, repo, report


async def test_bytes_in_flight_stay_within_the_budget() -> None:
    """Files of 10 to 60 bytes, 8 workers, a budget of 100 bytes: never more than 100
    bytes in flight, and more than one file at a time (the budget is not a lock)."""
    sizes = [10, 60, 25, 40, 60, 15, 35, 50, 20, 45, 30, 60, 10, 55]
    files = {f"f{i:02d}.txt": padded(f"F{i}", size) for i, size in enumerate(sizes)}
    flight, _, _ = await run(files, budget=100, workers=8)
    assert flight.peak <= 100
    assert any(before > 0 for event, _, before in flight.log if event == "fetch")


async def test_a_file_larger_than_the_budget_runs_alone() -> None:
    """A 500-byte file with a budget of 100: it starts when nothing is in flight, and no
    other file starts until it is written; the small files land before and after."""
    files = {f"s{i}.txt": padded(f"S{i}", 20) for i in range(10)}
    files["m-big.txt"] = padded("Big", 500)
    flight, _, _ = await run(files, budget=100, workers=4)
    fetch = flight.log.index(("fetch", "m-big.txt", 0))
    written = next(i for i, e in enumerate(flight.log) if e[:2] == ("written", "m-big.txt"))
    assert flight.log[written][2] == 0
    assert all(event != "fetch" for event, _, _ in flight.log[fetch + 1 : written])


async def test_small_files_stream_on_while_a_big_one_waits_for_room() -> None:
    """Budget 100: big1 (60 bytes) is in flight and held (its fetch waits); big2 (60)
    must wait for room; the 12 small files (5 bytes) behind big2 still go through beside
    big1 -- big1 is only released once all of them are written, so a waiting big2
    blocking them would hang."""
    release = asyncio.Event()
    files = {"big1.txt": padded("Big1", 60), "big2.txt": padded("Big2", 60)}
    files |= {f"small{i:02d}.txt": padded(f"Small{i}", 5) for i in range(12)}
    small = {p for p in files if p.startswith("small")}
    done: set[str] = set()

    def on_write(entry: FileEntry) -> None:
        done.add(entry.path)
        if small <= done:
            release.set()

    flight, _, _ = await run(
        files, budget=100, workers=4, on_write=on_write, held={"big1.txt": release}
    )
    order = [path for event, path, _ in flight.log if event == "written"]
    assert order.index("big1.txt") > max(order.index(p) for p in small)
    assert order.index("big2.txt") > order.index("big1.txt")
    assert flight.peak <= 100


@pytest.mark.parametrize("value", [0, -1])
def test_the_budget_must_be_positive(value: int) -> None:
    """An invalid budget is a ConfigError naming the field."""
    with pytest.raises(ConfigError, match=f"max_bytes_in_flight={value}"):
        SyncConfig(max_bytes_in_flight=value)


def test_the_default_budget_follows_the_machine() -> None:
    """The default is sized from the machine's memory: at least 1 MiB, and at most a
    quarter of the memory at 50 bytes per byte in flight (never more than the machine)."""
    import os

    budget = SyncConfig().max_bytes_in_flight
    assert budget == default_max_bytes_in_flight() >= 1024**2
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert budget <= max(1024**2, memory // 200)
