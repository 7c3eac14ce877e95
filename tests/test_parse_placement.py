"""Parse where it pays (issue 15): ``DefaultParser`` says what a file costs to parse, and
the service parses the cheapest files on its event loop (no hand-over to a thread and
back), other cheap files on its own parse thread; it starts parse processes only
when they pay -- one per second of the sync's parsing, one when a single file too
costly for its thread comes -- and never for a small sync. A parser that says nothing
of its costs parses in processes, as before. Which parse ran where is read from the
service's parsing strategy (a private unit)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from benchmarks.generate import generate
from streaming_sync import Outcome, StreamingSyncService, SyncConfig, SyncReport
from streaming_sync import _parse_placement as placement
from streaming_sync._errors import ParseError
from streaming_sync._model import OntologyData, ParseCost
from streaming_sync._parse_placement import INLINE_SECONDS, POOL_WORTH_SECONDS, PlacedParsing
from streaming_sync._parse_thread import LOOP_SECONDS, ThreadParsing
from streaming_sync._protocols import CostedParser
from streaming_sync.parsers import DefaultParser
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository


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
    """A few small files: every one parsed in the service's process -- the two pages,
    each under LOOP_SECONDS, on the event loop, the 69 KB Turtle file on the thread --
    no parse process started, every file landed."""
    root = small_files(tmp_path / "src", corpus)
    parser = DefaultParser()
    assert parser.parse_cost("prov.ttl", (root / "prov.ttl").stat().st_size).seconds > LOOP_SECONDS
    assert parser.parse_cost("DigitalTwin.md", (root / "DigitalTwin.md").stat().st_size).seconds < (
        LOOP_SECONDS
    )
    report, parsing = await sync(root)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == 3
    assert parsing.placed == {"loop": 2, "thread": 1, "pool": 0} and parsing.pool.started == 0


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
    assert parsing.placed == {"loop": 2, "thread": 1, "pool": 1} and parsing.pool.started == 1


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
    here = parsing.placed["loop"] + parsing.placed["thread"]
    assert parsing.pool.started == 0 and parsing.placed["pool"] == 0 and here == len(sizes)
    assert parsing.placed["loop"] == sum(c <= LOOP_SECONDS for c in costs)


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
    assert parsing.placed == {"loop": 0, "thread": 0, "pool": 1} and parsing.pool.started == 1


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
    assert parsing.placed == {"loop": 0, "thread": 1, "pool": 0} and parsing.pool.started == 0


def test_only_functional_syntax_is_really_streamed() -> None:
    """``ParseCost.streams`` is True for the one reader that yields parts as it reads;
    other files come out of ``parse_parts`` whole, so they are placed by cost alone."""
    parser = DefaultParser()
    assert parser.parse_cost("a.ofn", 10**7).streams
    assert not any(parser.parse_cost(p, 10**7).streams for p in ("a.ttl", "a.owl", "a.md"))


class _WhereParser:
    """Parses anything to no rows and notes on which thread it ran, whether an event
    loop runs there, and what its files cost: ``cost`` CPU seconds for each path, as
    ``parse_cost`` says (a ``CostedParser``). ``fail`` names a path whose parse raises."""

    def __init__(self, cost: dict[str, float], *, fail: str = "") -> None:
        self.cost, self.fail = cost, fail
        self.ran: dict[str, tuple[int, bool]] = {}

    def accepts(self, path: str) -> bool:
        return True

    def parse(self, path: str, data: bytes) -> OntologyData:
        try:
            asyncio.get_running_loop()
            on_a_loop = True
        except RuntimeError:
            on_a_loop = False
        self.ran[path] = (threading.get_ident(), on_a_loop)
        if path == self.fail:
            raise ParseError(path, "not an ontology", line=1)
        return OntologyData()

    def parse_cost(self, path: str, size: int) -> ParseCost:
        return ParseCost(self.cost[path], inline=True)


class _Uncosted(_WhereParser):
    """The same parser saying nothing of its costs (not a ``CostedParser``)."""

    parse_cost = None  # type: ignore[assignment]


async def sync_where(
    parser: _WhereParser, files: dict[str, bytes], **options: object
) -> tuple[SyncReport, ThreadParsing | PlacedParsing]:
    service = StreamingSyncService(
        fetcher=InMemoryFetcher(files),
        repository=InMemoryRepository(),
        parser=parser,
        config=SyncConfig(**{"workers": 4, "parse_processes": 0, **options}),  # type: ignore[arg-type]
    )
    async with service:
        report = await asyncio.wait_for(service.sync(), 60)
        parsing = service._parsing
        assert isinstance(parsing, ThreadParsing | PlacedParsing)
        return report, parsing


@pytest.mark.parametrize("processes", [0, 2])
async def test_the_cheapest_files_are_parsed_on_the_event_loop(processes: int) -> None:
    """A file the parser says costs at most LOOP_SECONDS is parsed on the event loop's own
    thread, between two awaits; a costlier one on the parse thread (with or without a
    pool: these are far too cheap for a process); a parse that fails on the loop fails
    its file only."""
    cheap, costly = LOOP_SECONDS / 2, LOOP_SECONDS * 4
    parser = _WhereParser({"a.x": cheap, "b.x": cheap, "bad.x": cheap, "c.x": costly}, fail="bad.x")
    loop_thread = threading.get_ident()
    files = {name: b"data" for name in parser.cost}
    report, parsing = await sync_where(parser, files, parse_processes=processes)
    assert report.files.succeeded == 3 and [f.path for f in report.failures] == ["bad.x"]
    assert report.failures[0].error_type == "ParseError"
    assert "not an ontology" in report.failures[0].message
    assert {p for p, (thread, _) in parser.ran.items() if thread == loop_thread} == {
        "a.x",
        "b.x",
        "bad.x",
    }
    assert parser.ran["a.x"][1] and not parser.ran["c.x"][1]  # c.x ran on another thread
    assert parsing.placed["loop"] == 3 and parsing.placed["thread"] == 1


async def test_a_parser_that_does_not_say_its_costs_never_runs_on_the_loop() -> None:
    """Without ``parse_cost`` nothing is known of a parse, so none blocks the event loop:
    with ``parse_processes=0`` every file goes to the parse thread."""
    parser = _Uncosted({"a.x": 0.0, "b.x": 0.0})
    probe: object = parser
    assert not isinstance(probe, CostedParser)
    loop_thread = threading.get_ident()
    report, parsing = await sync_where(parser, {"a.x": b"1", "b.x": b"2"})
    assert report.files.succeeded == 2
    assert all(thread != loop_thread for thread, _ in parser.ran.values())
    assert parsing.placed == {"loop": 0, "thread": 2}


async def test_a_short_file_timeout_keeps_parses_off_the_loop() -> None:
    """A parse on the loop cannot be stopped, so a file whose estimate is more than a
    tenth of file_timeout goes to the thread (where an overrun fails its file), however
    cheap it is otherwise."""
    cost = LOOP_SECONDS / 2
    parser = _WhereParser({"a.x": cost})
    report, parsing = await sync_where(parser, {"a.x": b"1"}, file_timeout=cost * 5)
    assert report.files.succeeded == 1 and parsing.placed == {"loop": 0, "thread": 1}
