"""Big files stream through (issue 14.5 with issue 15's ``StreamingParser`` and
``StreamWriter``): OWL Functional Syntax comes out of ``DefaultParser.parse_parts`` in
parts whose union is the whole file's rows -- equivalence groups, anonymous
individuals' names, classes with their labels held back to the last part -- and a file
of ``STREAM_BYTES`` or more goes from its parse (in a process or on the thread) to
``save_file_parts`` part by part, with the same rows as a whole parse. A parse that
fails, dies or overruns half-way fails its file alone and commits nothing of it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from benchmarks.big_ofn import write_big_ofn
from streaming_sync import Outcome, RetryPolicy, StreamingSyncService, SyncConfig, SyncReport
from streaming_sync._model import OntologyData
from streaming_sync._pipeline import STREAM_BYTES
from streaming_sync.parsers import DefaultParser
from streaming_sync.parsers.ofn import parse_ofn, parse_ofn_parts
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository

from .pipeline_doubles import CapableRepository, union
from .pool_parsers import StreamingScriptedParser
from .test_parse_pool import _ended, _running

CASES = Path(__file__).parent / "data" / "owl2-test-cases"
TABLES = ("classes", "edges", "properties", "axioms", "other_axioms", "warnings")


def as_sets(data: OntologyData) -> dict[str, frozenset[object]]:
    return {name: frozenset(getattr(data, name)) for name in TABLES}


@pytest.mark.parametrize("path", sorted(CASES.rglob("*.ofn")), ids=lambda p: p.name)
def test_the_parts_of_a_document_are_its_rows(path: Path) -> None:
    """Every OWL 2 test case in Functional Syntax, one final row per part (the smallest
    parts there are): the union of the parts is the whole document's rows, table by
    table -- so what needs the whole file (labels, equivalences, anonymous individuals,
    property kinds) came whole in the last part."""
    data = path.read_bytes()
    parts = list(parse_ofn_parts(path.name, data, part_rows=1))
    assert as_sets(union(parts)) == as_sets(parse_ofn(path.name, data))


@pytest.fixture(scope="module")
def big_ofn(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A generated OBO-like Functional Syntax document just over ``STREAM_BYTES``."""
    path = tmp_path_factory.mktemp("big") / "big.ofn"
    write_big_ofn(path, STREAM_BYTES + 200_000)
    return path.read_bytes()


def test_a_big_document_comes_in_bounded_parts(big_ofn: bytes) -> None:
    """``DefaultParser.parse_parts`` of a 4 MiB document: several parts, each but the
    last within the part size, together the rows of ``parse``."""
    from streaming_sync.parsers.ofn import PART_ROWS

    parser = DefaultParser()
    data = big_ofn
    parts = list(parser.parse_parts("big.ofn", data))
    assert len(parts) > 2
    for part in parts[:-1]:
        rows = len(part.edges) + len(part.axioms) + len(part.other_axioms)
        assert rows <= PART_ROWS + 50 and not part.classes  # one axiom's rows past it at most
    assert as_sets(union(parts)) == as_sets(parser.parse("big.ofn", data))


async def sync(
    files: dict[str, bytes],
    repo: InMemoryRepository,
    parser: object = None,
    **options: object,
) -> SyncReport:
    config = {"workers": 2, "retry": RetryPolicy(max_attempts=2, base=0.001, cap=0.01),
              **options}  # fmt: skip
    service = StreamingSyncService(
        fetcher=InMemoryFetcher(files),
        repository=repo,
        parser=parser or DefaultParser(),  # type: ignore[arg-type]
        config=SyncConfig(**config),  # type: ignore[arg-type]
    )
    async with service:
        return await asyncio.wait_for(service.sync(), 120)


@pytest.mark.slow
@pytest.mark.parametrize("processes", [1, 0], ids=["with a pool", "without a pool"])
async def test_a_big_file_is_written_part_by_part_with_the_rows_of_a_whole_parse(
    big_ofn: bytes, processes: int
) -> None:
    """The big document beside a small page: streamed to ``save_file_parts`` in several
    parts (parsed on the thread, pool or not: see _parse_placement); the committed rows
    are those of a repository that takes the file whole."""
    files = {"big.ofn": big_ofn, "small.ofn": b"Declaration(Class(<urn:x:A>))"}
    streamed = CapableRepository()
    report = await sync(files, streamed, parse_processes=processes)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == 2
    assert streamed.streamed["big.ofn"] > 2 and "small.ofn" not in streamed.streamed
    whole = InMemoryRepository()
    await sync(files, whole, parse_processes=0)
    assert await streamed.snapshot("default") == await whole.snapshot("default")
    big = report.rows
    assert big.classes == sum(len(d.classes) for _, d in whole.files["default"].values())


@pytest.mark.slow
async def test_a_streamed_file_that_fails_half_way_commits_nothing_of_it(big_ofn: bytes) -> None:
    """A syntax error near the end of a streamed document: the file fails in the parse
    stage with the line; nothing of the new version is committed and, as for any file
    that cannot be read, what its old version stored is removed."""
    good = {"big.ofn": b"Declaration(Class(<urn:x:Old>))"}
    repo = CapableRepository()
    await sync(good, repo, parse_processes=1)
    broken = big_ofn + b"\nSubClassOf(<urn:x:A>\n"
    report = await sync({"big.ofn": broken}, repo, parse_processes=1)
    (failure,) = report.failures
    assert failure.error_type == "ParseError" and "never closed" in failure.message
    assert "big.ofn" not in repo.streamed and await repo.committed_files("default") == {}


def _stream_file(script: str) -> bytes:
    body = "".join(f"class ex:S{i}\n" for i in range(3))
    return (body + script + "\n").encode().ljust(STREAM_BYTES + 10, b"#")


@pytest.mark.slow
async def test_a_parse_process_that_dies_mid_stream_fails_only_its_file() -> None:
    """A streaming parse whose process is killed after sending parts: that file fails
    with ParseProcessDied (retryable, in the parse stage), nothing of it is committed,
    and the other files land."""
    files = {"dies.txt": _stream_file("die"), "ok.txt": b"class ex:Ok"}
    repo = CapableRepository()
    report = await sync(files, repo, parser=StreamingScriptedParser(), parse_processes=1)
    (failure,) = report.failures
    assert failure.path == "dies.txt" and failure.error_type == "ParseProcessDied"
    assert failure.retryable
    assert set(await repo.committed_files("default")) == {"ok.txt"}


@pytest.mark.slow
async def test_a_stream_that_overruns_file_timeout_is_stopped_with_its_process(
    tmp_path: Path,
) -> None:
    """A streaming parse that hangs after its first parts: after file_timeout its file
    fails with ParseTimeout, its process is killed (the stream is not left running) and
    nothing of the file is committed."""
    pidfile = tmp_path / "pid"
    files = {"hangs.txt": _stream_file(f"hang {pidfile}"), "ok.txt": b"class ex:Ok"}
    repo = CapableRepository()
    report = await sync(
        files, repo, parser=StreamingScriptedParser(), parse_processes=1, file_timeout=2.0
    )
    (failure,) = report.failures
    assert failure.path == "hangs.txt" and failure.error_type == "ParseTimeout"
    assert set(await repo.committed_files("default")) == {"ok.txt"}
    pid = int(pidfile.read_text())
    await _ended(pid)
    assert not _running(pid), f"the overrunning parse process {pid} still runs"
