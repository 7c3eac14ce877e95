"""Parse where it pays (issue 15): ``DefaultParser`` says what a file costs to parse, and
the service parses cheap files on its own parse thread; it starts parse processes only
when they pay -- one per second of the sync's parsing, one when a single file too
costly for its thread comes -- and never for a small sync. A parser that says nothing
of its costs parses in processes, as before. Which parse ran where is read from the
service's parsing strategy (a private unit)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from benchmarks.generate import generate
from streaming_sync import Outcome, StreamingSyncService, SyncConfig, SyncReport
from streaming_sync import _parse_placement as placement
from streaming_sync._parse_placement import INLINE_SECONDS, POOL_WORTH_SECONDS, PlacedParsing
from streaming_sync.parsers import DefaultParser
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.testing import InMemoryRepository


def test_the_default_parser_knows_its_costs() -> None:
    """Per byte a Logseq page costs less than Functional Syntax, which costs less than
    RDF through pyoxigraph, which costs less than through rdflib; costs grow with the
    size; every reader is linear, so any file may be parsed in this process."""
    auto, rdflib = DefaultParser(), DefaultParser(rdf="rdflib")
    size = 1_000_000
    page = auto.parse_cost("a.md", size)
    ofn = auto.parse_cost("a.ofn", size)
    turtle = auto.parse_cost("a.ttl", size)
    slow = rdflib.parse_cost("a.ttl", size)
    assert page.seconds < ofn.seconds < turtle.seconds < slow.seconds
    assert auto.parse_cost("a.ttl", 2 * size).seconds > turtle.seconds
    assert all(c.inline for c in (page, ofn, turtle, slow))


async def sync(folder: Path, **options: object) -> tuple[SyncReport, PlacedParsing]:
    service = StreamingSyncService(
        fetcher=FolderFetcher(folder),
        repository=InMemoryRepository(),
        parser=DefaultParser(),
        config=SyncConfig(**{"workers": 4, "parse_processes": 2, **options}),  # type: ignore[arg-type]
    )
    async with service:
        report = await asyncio.wait_for(service.sync(), 120)
        parsing = service._parsing
        assert isinstance(parsing, PlacedParsing)
        return report, parsing


def small_files(root: Path, corpus: Path) -> Path:
    """Three Logseq pages and a small Turtle file: far less than a pool's worth."""
    root.mkdir()
    for name in ("Avatar.md", "DigitalTwin.md"):
        (root / name).write_bytes((corpus / "logseq-metaverse" / name).read_bytes())
    (root / "prov.ttl").write_bytes((corpus / "rdf" / "w3c-ns" / "prov-o.ttl").read_bytes())
    return root


async def test_a_small_sync_parses_here_and_starts_no_process(corpus: Path, tmp_path: Path) -> None:
    """A few small files: every one parsed on the service's thread, no parse process
    started, every file landed."""
    report, parsing = await sync(small_files(tmp_path / "src", corpus))
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == 3
    assert parsing.placed == {"thread": 3, "pool": 0} and parsing.pool.started == 0


@pytest.mark.slow
async def test_a_file_too_costly_for_the_thread_starts_one_process(
    corpus: Path, tmp_path: Path
) -> None:
    """A small sync with one Turtle file whose parse the model puts over INLINE_SECONDS:
    that file alone goes to a parse process -- one process started, not the pool -- and
    the small files stay on the thread."""
    root = small_files(tmp_path / "src", corpus)
    big = corpus / "rdf" / "narrativegoldmine" / "ontology-2025-11-16.ttl"
    assert DefaultParser().parse_cost(big.name, big.stat().st_size).seconds > INLINE_SECONDS
    (root / big.name).write_bytes(big.read_bytes())
    report, parsing = await sync(root)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == 4
    assert parsing.placed == {"thread": 3, "pool": 1} and parsing.pool.started == 1


@pytest.mark.slow
async def test_a_sync_worth_processes_starts_them_at_once(tmp_path: Path) -> None:
    """Turtle files each worth shipping (SHIP_SECONDS or more) adding up to more than
    twice POOL_WORTH_SECONDS of parsing: both processes start when the sync has its list
    (one per POOL_WORTH_SECONDS, up to parse_processes), files are parsed there (and on
    the thread, whichever is free), and every file lands."""
    root = tmp_path / "src"
    generate(root, files=40, seed=5, mean_size=160 * 1024, max_size=240 * 1024)
    parser = DefaultParser()
    sizes = [(p.name, p.stat().st_size) for p in root.rglob("*.ttl")]
    costs = [parser.parse_cost(n, s).seconds for n, s in sizes]
    shipped = [c for c in costs if c >= placement.SHIP_SECONDS]
    assert sum(shipped) >= 2 * POOL_WORTH_SECONDS
    assert all(c <= INLINE_SECONDS for c in costs)
    report, parsing = await sync(root)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == len(sizes)
    assert parsing.pool.started == 2 and parsing.placed["pool"] > 0
    assert sum(parsing.placed.values()) == len(sizes)


#: A smaller POOL_WORTH_SECONDS for the test below, so that a few small files show the
#: rule (the placement reads it when a sync expects its files).
SMALL_WORTH = 0.1


@pytest.mark.slow
async def test_many_cheap_files_start_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small Turtle files, each under SHIP_SECONDS, adding up to more than twice
    POOL_WORTH_SECONDS: shipping them does not pay (docs/performance.md), so no process
    starts, every file is parsed on the thread and lands."""
    monkeypatch.setattr(placement, "POOL_WORTH_SECONDS", SMALL_WORTH)
    root = tmp_path / "src"
    generate(root, files=40, seed=5, mean_size=24 * 1024, max_size=48 * 1024)
    parser = DefaultParser()
    sizes = [(p.name, p.stat().st_size) for p in root.rglob("*.ttl")]
    costs = [parser.parse_cost(n, s).seconds for n, s in sizes]
    assert sum(costs) >= 2 * SMALL_WORTH and max(costs) < placement.SHIP_SECONDS
    report, parsing = await sync(root)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == len(sizes)
    assert parsing.pool.started == 0 and parsing.placed == {"thread": len(sizes), "pool": 0}


async def test_a_short_file_timeout_keeps_long_parses_out_of_this_process(
    corpus: Path, tmp_path: Path
) -> None:
    """A parse here cannot be stopped, so a file whose estimate is more than a tenth of
    file_timeout goes to a process even when it would be cheap enough otherwise."""
    root = small_files(tmp_path / "src", corpus)
    prov = DefaultParser().parse_cost("prov.ttl", (root / "prov.ttl").stat().st_size)
    assert prov.seconds <= INLINE_SECONDS
    report, parsing = await sync(root, file_timeout=prov.seconds * 5)
    assert report.outcome is Outcome.SUCCEEDED
    assert parsing.placed["pool"] >= 1 and parsing.pool.started >= 1


@pytest.mark.slow
async def test_one_file_worth_a_process_starts_one_not_two(tmp_path: Path) -> None:
    """A single Functional Syntax file whose parse is worth a process: the process
    started for it when the sync has its list is the one that parses it -- the file,
    arriving while that process still starts, waits for it instead of starting a
    second one (which would only cost memory)."""
    from benchmarks.big_ofn import write_big_ofn

    root = tmp_path / "src"
    root.mkdir()
    write_big_ofn(root / "big.ofn", 3_600_000)
    size = (root / "big.ofn").stat().st_size
    cost = DefaultParser().parse_cost("big.ofn", size).seconds
    assert POOL_WORTH_SECONDS <= cost < 2 * POOL_WORTH_SECONDS
    report, parsing = await sync(root, file_timeout=600)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == 1
    assert parsing.placed == {"thread": 0, "pool": 1} and parsing.pool.started == 1


@pytest.mark.slow
async def test_a_streamed_file_is_parsed_here_and_starts_no_process(tmp_path: Path) -> None:
    """A Functional Syntax file big enough to be streamed, with a pool allowed: it is
    parsed on the thread part by part (stoppable between parts, one part in memory) and
    counts for no process, so none starts -- a process would only add its interpreter
    and a second copy of the bytes (issue 14.5's memory goal)."""
    from benchmarks.big_ofn import write_big_ofn
    from streaming_sync._pipeline import STREAM_BYTES

    root = tmp_path / "src"
    root.mkdir()
    write_big_ofn(root / "big.ofn", STREAM_BYTES + 600_000)
    cost = DefaultParser().parse_cost("big.ofn", (root / "big.ofn").stat().st_size)
    assert cost.streams and cost.seconds > POOL_WORTH_SECONDS  # else no process anyway
    report, parsing = await sync(root, file_timeout=600)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == 1
    assert parsing.placed == {"thread": 1, "pool": 0} and parsing.pool.started == 0


def test_only_functional_syntax_is_really_streamed() -> None:
    """``ParseCost.streams`` is True for the one reader that yields parts as it reads;
    other files come out of ``parse_parts`` whole, so they are placed by cost alone."""
    parser = DefaultParser()
    assert parser.parse_cost("a.ofn", 10**7).streams
    assert not any(parser.parse_cost(p, 10**7).streams for p in ("a.ttl", "a.owl", "a.md"))
