"""Parsing in real parse processes that die, overrun or log (issue 12, points 4 and 5):
the file whose process died or overran fails alone with a reason that names it, the
process is replaced and the other files land; processes that keep dying stop the sync.
The stages' timeouts (fetch, parse -- also in a thread -- and write) are here too.
The tests that build a ``ParsePool`` directly are about that private unit."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from streaming_sync import (
    FileEntry,
    FileFailure,
    FileWrite,
    OntologyData,
    Outcome,
    ParseTimeout,
    RetryPolicy,
    StreamingSyncService,
    SyncAborted,
    SyncConfig,
    SyncReport,
)
from streaming_sync._aio import run_to_completion
from streaming_sync._parse_pool import ParsePool, _StartFailure
from streaming_sync.parsers import DefaultParser
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository

from .pool_parsers import BlockingParser, ScriptedParser, UnloadableParser

RETRY = RetryPolicy(max_attempts=2, base=0.001, cap=0.01)
GOOD = {f"{name}.txt": f"class ex:{name.upper()}\nsub ex:{name.upper()} ex:Root".encode()
        for name in ("a", "b", "c", "d", "e")}  # fmt: skip


def config(**overrides: object) -> SyncConfig:
    options: dict[str, object] = {"workers": 2, "parse_processes": 1, "retry": RETRY}
    options.update(overrides)
    return SyncConfig(**options)  # type: ignore[arg-type]


async def sync(
    files: Mapping[str, bytes],
    repo: InMemoryRepository | None = None,
    parser: object = None,
    **overrides: object,
) -> tuple[SyncReport, InMemoryRepository]:
    repo = repo or InMemoryRepository()
    service = StreamingSyncService(
        fetcher=InMemoryFetcher(files),
        repository=repo,
        parser=parser or ScriptedParser(),  # type: ignore[arg-type]
        config=config(**overrides),
    )
    async with service:
        return await service.sync(), repo


def failure(report: SyncReport, path: str) -> FileFailure:
    (found,) = [f for f in report.failures if f.path == path]
    return found


async def test_a_killed_parse_process_fails_only_its_file_and_is_replaced() -> None:
    """A parse process SIGKILLed while parsing (as by the out-of-memory killer): that file
    fails, retryable, with a message naming it, the process's death and the signal; its
    rows from the last sync are kept; the only process was replaced, so the files after
    it land."""
    first, repo = await sync({**GOOD, "b2.txt": b"class ex:Kept"})
    assert first.outcome is Outcome.SUCCEEDED
    report, repo = await sync({**GOOD, "b2.txt": b"die"}, repo, workers=1)
    assert report.outcome is Outcome.PARTIAL
    assert report.files.succeeded == 0 and report.files.failed == 1  # GOOD is unchanged
    died = failure(report, "b2.txt")
    assert died.error_type == "ParseProcessDied" and died.retryable
    assert "b2.txt" in died.message and "died" in died.message
    assert "killed by signal 9 (SIGKILL" in died.message
    assert "ex:Kept" in {c.class_iri for c in (await repo.snapshot("default")).classes}
    files = {**GOOD, "a0.txt": b"exit 3", **{f"z{i}.txt": b"class ex:Z%d" % i for i in range(4)}}
    report, repo = await sync(files, workers=1)
    assert failure(report, "a0.txt").message.count("exited with code 3") == 1
    assert report.files.succeeded == len(files) - 1


async def test_parse_processes_that_keep_dying_stop_the_sync_keeping_what_landed() -> None:
    """With one process, every file after the first kills it: after processes + 2 = 3
    deaths in a row with no file parsed in between, the sync stops with SyncAborted
    saying so; the file committed before stays committed."""
    files = {"a.txt": b"class ex:A", **{f"die{i}.txt": b"die" for i in range(6)}}
    repo = InMemoryRepository()
    with pytest.raises(SyncAborted, match="3 parse processes died in a row") as raised:
        await sync(files, repo, workers=1)
    report = raised.value.report
    assert isinstance(report, SyncReport) and report.outcome is Outcome.ABORTED
    assert report.files.succeeded == 1 and report.files.failed == 3
    assert set(await repo.committed_files("default")) == {"a.txt"}


async def test_a_parser_the_processes_cannot_load_stops_the_sync_naming_it() -> None:
    """A parser that cannot be sent to a process, or that a process cannot load, stops
    the sync at once with a message that names the cause and what to do."""
    with pytest.raises(SyncAborted, match=r"could not load the parser.*ImportError"):
        await sync(GOOD, parser=UnloadableParser())
    with pytest.raises(SyncAborted, match=r"cannot be sent to a parse process.*parse_processes=0"):
        await sync(GOOD, parser=BlockingParser())  # holds threading.Events


def amp_rdf(references: int) -> bytes:
    """Valid RDF/XML whose one label holds ``references`` ``&amp;`` references: rdflib
    concatenates the text piece by piece (quadratic), so 1.2 million of them (6 MB) pin a
    parse for minutes."""
    return (
        b'<?xml version="1.0"?>\n<rdf:RDF'
        b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"'
        b' xmlns:owl="http://www.w3.org/2002/07/owl#">\n'
        b'  <owl:Class rdf:about="http://example.org/Amp">\n    <rdfs:label>'
        + b"&amp;" * references
        + b"</rdfs:label>\n  </owl:Class>\n</rdf:RDF>\n"
    )


@pytest.mark.slow
async def test_a_parse_that_overruns_file_timeout_is_killed_and_the_others_land(
    corpus: Path, tmp_path: Path
) -> None:
    """The issue's real input: a valid 6 MB RDF/XML file with 1.2 million ``&amp;`` in a
    label, parsed by rdflib. With file_timeout=5 it fails with ParseTimeout (retryable,
    naming the file and the timeout), its process is killed and replaced, and the real
    files after it land through the one parse process."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a-amp.rdf").write_bytes(amp_rdf(1_200_000))
    for relative in ("rdf/bosquet-ontologies/skos.ttl", "logseq-metaverse/Avatar.md"):
        (folder / Path(relative).name).write_bytes((corpus / relative).read_bytes())
    async with await SqliteRepository.open(tmp_path / "s.db") as repo:
        service = StreamingSyncService(
            fetcher=FolderFetcher(folder),
            repository=repo,
            parser=DefaultParser(rdf="rdflib"),
            config=config(workers=1, file_timeout=5.0),
        )
        async with service:
            report = await service.sync()
        committed = await repo.committed_files("default")
    overran = failure(report, "a-amp.rdf")
    assert overran.error_type == "ParseTimeout" and overran.retryable
    assert "a-amp.rdf" in overran.message and "file_timeout=5s" in overran.message
    assert "killed and replaced" in overran.message
    assert set(committed) == {"skos.ttl", "Avatar.md"}


async def test_a_parse_that_overruns_is_stopped_with_its_process(tmp_path: Path) -> None:
    """(The pool itself, a private unit.) A parse that never ends raises ParseTimeout
    after its time limit and its process is gone -- not left running -- and the next
    parse gets a new process; the time limit does not count a new process's start-up."""
    pidfile = tmp_path / "pid"
    async with ParsePool(ScriptedParser(), 1) as pool:
        with pytest.raises(ParseTimeout, match=r"h\.txt: parsing took longer than"):
            await pool.parse("h.txt", f"hang {pidfile}".encode(), time_limit=1.0)
        pid = int(pidfile.read_text())
        await _ended(pid)
        assert not _running(pid), f"the overrunning parse process {pid} still runs"
        data = await pool.parse("w.txt", b"whoami", time_limit=30.0)
        assert int(data.classes[0].label.split()[0]) != pid  # type: ignore[union-attr]
        assert pool.timed_out == 1 and pool.started == 2


async def test_parses_waiting_while_every_start_fails_start_new_processes() -> None:
    """(The pool itself, a private unit.) Two parses wait for the two processes the
    pool is starting; both starts fail (killed while starting): each parse counts a
    death, starts a new process and parses -- a start task that had just ended was once
    counted as still starting, so both parses waited for a start that would never come
    (a CLI hung that way under a kill storm)."""
    pool = ParsePool(ScriptedParser(), 2)
    launch, failures, fail_now = pool._launch, [0], asyncio.Event()

    async def failing_twice() -> object:
        if failures[0] < 2:
            failures[0] += 1
            await fail_now.wait()
            return _StartFailure("a parse process did not start (killed by signal 9)")
        return await launch()

    pool._launch = failing_twice  # type: ignore[method-assign,assignment]
    async with pool:
        pool.start()
        parses = asyncio.gather(
            pool.parse("a.txt", b"class ex:A", time_limit=60),
            pool.parse("b.txt", b"class ex:B", time_limit=60),
        )
        for _ in range(5):  # both parses now wait for the starting processes
            await asyncio.sleep(0)
        fail_now.set()
        parsed = await asyncio.wait_for(parses, timeout=90)
        assert [d.classes[0].iri for d in parsed] == ["ex:A", "ex:B"]
        assert pool.died == 2 and pool.started >= 1


async def _ended(pid: int) -> None:
    """Return once process ``pid`` has ended (a pidfd turns readable), or after 10 s."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()
    loop.add_reader(fd, ended.set)
    try:
        await asyncio.wait_for(ended.wait(), 10)
    except TimeoutError:
        pass
    finally:
        loop.remove_reader(fd)
        os.close(fd)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


async def test_in_a_thread_an_overrunning_parse_fails_its_file_and_runs_on() -> None:
    """With parse_processes=0 a parse cannot be stopped: after file_timeout its file fails
    with ParseTimeout saying the parse runs on in its thread, and the others land."""
    parser = BlockingParser()
    try:
        report, repo = await sync(
            {**GOOD, "block.txt": b"block"}, parser=parser, parse_processes=0, file_timeout=0.5
        )
        overran = failure(report, "block.txt")
        assert overran.error_type == "ParseTimeout" and overran.retryable
        assert "runs on in its thread" in overran.message
        assert set(await repo.committed_files("default")) == set(GOOD)
        assert parser.blocked.is_set()
    finally:
        parser.release.set()


async def test_parse_processes_log_through_this_process_and_hold_no_stdio(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What a parser logs in its process reaches this process's loggers (the record
    names the process it came from); the process's stdout is /dev/null, not ours."""
    files = {"l.txt": b"log hello from afar\nclass ex:L", "w.txt": b"whoami"}
    with caplog.at_level(logging.WARNING):
        report, repo = await sync(files)
    assert report.outcome is Outcome.SUCCEEDED
    (record,) = [r for r in caplog.records if "says hello from afar" in r.getMessage()]
    assert record.name == "tests.pool_parsers" and record.process != os.getpid()
    labels = {c.class_iri: c.label for c in (await repo.snapshot("default")).classes}
    pid, where = str(labels["ex:Me"]).split()
    assert int(pid) != os.getpid() and where == "/dev/null"


class SlowRepository(InMemoryRepository):
    """Saving ``slow.txt`` never ends (``hang``) or commits and then takes long anyway, as
    a SQLite write that runs to its end on its thread does (``late``)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        self.slow_saves = 0

    async def save_file(self, ontology_id: str, entry: FileEntry, data: OntologyData) -> None:
        await self.write_batch(ontology_id, [FileWrite(entry, data)])

    async def write_batch(self, ontology_id: str, items: Sequence[FileWrite]) -> None:
        # A batch holding slow.txt is as slow as its write (a batch is one transaction;
        # this double commits its files one after the other, which is enough here).
        for item in items:
            if item.entry.path == "slow.txt" and item.data is not None:
                await self._slow(ontology_id, item)
            else:
                await super().write_batch(ontology_id, [item])

    async def _slow(self, ontology_id: str, item: FileWrite) -> None:
        self.slow_saves += 1
        if self.mode == "hang":
            await asyncio.Event().wait()
        # Cancelled or not, the write runs to its end (as SqliteRepository's does).
        await run_to_completion(self._commit_then_linger(ontology_id, item))

    async def _commit_then_linger(self, ontology_id: str, item: FileWrite) -> None:
        await super().write_batch(ontology_id, [item])
        await asyncio.sleep(0.6)  # the rest of a long write, past file_timeout


async def test_a_write_that_overruns_file_timeout_is_cancelled_retried_and_fails_alone() -> None:
    """A write that never ends is cancelled after file_timeout, retried per the retry
    policy, then fails retryable with WriteTimeout naming the file; nothing of it is
    committed and the other files land."""
    repo = SlowRepository("hang")
    report, _ = await sync({**GOOD, "slow.txt": b"class ex:S"}, repo, file_timeout=0.3)
    slow = failure(report, "slow.txt")
    assert slow.error_type == "WriteTimeout" and slow.retryable and slow.attempts == 2
    assert "slow.txt: writing took longer than file_timeout=0.3s" in slow.message
    # two attempts of its own, after the group commit it may have been part of
    assert repo.slow_saves in (2, 3)
    assert set(await repo.committed_files("default")) == set(GOOD)


async def test_a_write_that_committed_after_its_timeout_counts_as_landed() -> None:
    """A backend that cannot stop a write it has begun commits past file_timeout: the file
    counts as landed (it is committed), not as failed, and is not written again."""
    repo = SlowRepository("late")
    report, _ = await sync({**GOOD, "slow.txt": b"class ex:S"}, repo, file_timeout=0.3)
    assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == len(GOOD) + 1
    assert repo.slow_saves == 1


class HangingFetcher(InMemoryFetcher):
    async def fetch(self, entry: FileEntry) -> bytes:
        if entry.path == "slow.txt":
            self.fetch_calls.append(entry.path)
            await asyncio.Event().wait()
        return await super().fetch(entry)


async def test_a_fetch_that_overruns_file_timeout_is_retried_then_fails_alone() -> None:
    """A fetch that never ends is cancelled after file_timeout, retried, then fails
    retryable naming the file and the timeout; the others land."""
    files = {**GOOD, "slow.txt": b"class ex:S"}
    repo = InMemoryRepository()
    fetcher = HangingFetcher(files)
    service = StreamingSyncService(
        fetcher=fetcher,
        repository=repo,
        parser=ScriptedParser(),
        config=config(parse_processes=0, file_timeout=0.3),
    )
    async with service:
        report = await service.sync()
    slow = failure(report, "slow.txt")
    assert slow.retryable and slow.attempts == 2 and fetcher.fetch_calls.count("slow.txt") == 2
    assert "slow.txt: fetching took longer than file_timeout=0.3s" in slow.message
    assert set(await repo.committed_files("default")) == set(GOOD)


def test_a_service_parses_in_processes_across_event_loops() -> None:
    """A service used from two ``asyncio.run`` calls in turn (as scripts do) syncs in
    both: its parse processes are not tied to the first event loop."""
    files = {**GOOD, "w.txt": b"whoami"}
    service = StreamingSyncService(
        fetcher=InMemoryFetcher(files),
        repository=InMemoryRepository(),
        parser=ScriptedParser(),
        config=config(full=True),
    )
    for _ in range(2):
        report = asyncio.run(service.sync())
        assert report.outcome is Outcome.SUCCEEDED and report.files.succeeded == len(files)
    asyncio.run(service.aclose())
