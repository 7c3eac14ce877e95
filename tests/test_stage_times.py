"""Stage times that mean something (issue 15): the seconds a file spent working in a
stage are apart from the seconds it waited -- for a worker (queue), for memory (budget),
for a parse thread or process (parse), for the writer (write). So a run's working time
per stage is bounded by the wall time times what does that work at once (one parse
thread here, one writer), while the waits carry the rest. Ratios within one run."""

from __future__ import annotations

import asyncio
import time

from streaming_sync import (
    OntologyData,
    Outcome,
    RetryPolicy,
    StageTimes,
    StreamingSyncService,
    SyncConfig,
    SyncReport,
)
from streaming_sync.observe.events import event_from_dict, event_to_dict
from streaming_sync.observe.tally import RunTally
from streaming_sync.testing import InMemoryFetcher

from .lineformat import LineParser
from .pipeline_doubles import CapableRepository

FILES = {f"f{i}.txt": f"class ex:C{i}".encode() for i in range(12)}


class BusyParser(LineParser):
    """Spends ``cpu`` seconds of its thread's CPU per file, holding the GIL (as a pure
    Python parser does)."""

    def __init__(self, cpu: float) -> None:
        super().__init__()
        self.cpu = cpu

    def parse(self, path: str, data: bytes) -> OntologyData:
        end = time.thread_time() + self.cpu
        while time.thread_time() < end:
            pass
        return super().parse(path, data)


class SlowWrites(CapableRepository):
    """Each transaction takes ``seconds`` (as a write with work to do)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def write_batch(self, ontology_id: str, items: object) -> None:
        await asyncio.sleep(self.seconds)  # the transaction's own work, not a wait
        await super().write_batch(ontology_id, items)  # type: ignore[arg-type]

    async def save_file(self, ontology_id: str, entry: object, data: OntologyData) -> None:
        await asyncio.sleep(self.seconds)
        await super().save_file(ontology_id, entry, data)  # type: ignore[arg-type]


async def sync(repo: CapableRepository, parser: LineParser) -> SyncReport:
    service = StreamingSyncService(
        fetcher=InMemoryFetcher(FILES),
        repository=repo,
        parser=parser,
        config=SyncConfig(workers=4, parse_processes=0, retry=RetryPolicy(max_attempts=1)),
    )
    async with service:
        report = await asyncio.wait_for(service.sync(), 60)
    assert report.outcome is Outcome.SUCCEEDED
    return report


async def test_parsing_counts_the_parse_and_waiting_for_the_thread_apart() -> None:
    """12 files of 30 ms of CPU each, 4 workers, one parse thread: the parsing seconds
    add up to no more than the run (one parse at a time), not four times it, and the
    files' waits for the thread are counted as parse waits."""
    report = await sync(CapableRepository(), BusyParser(0.03))
    stages = report.stages
    assert stages.parsing <= 1.2 * report.duration_s
    assert stages.parsing >= 12 * 0.03 * 0.9
    assert stages.parse_wait > 0.1


async def test_writing_counts_each_transaction_once_and_the_rest_as_waiting() -> None:
    """Transactions of 50 ms, files arriving faster: the writing seconds add up to the
    transactions' time (each shared among its files), at most the run's; what files
    spent waiting for the writer is ``write_wait``."""
    repo = SlowWrites(0.05)
    report = await sync(repo, LineParser())
    stages = report.stages
    transactions = len(repo.batches) + (repo.saves - sum(map(len, repo.batches)))
    assert stages.writing <= report.duration_s
    assert stages.writing >= 0.9 * 0.05 * transactions
    assert stages.write_wait > 0
    assert stages.working == stages.fetching + stages.parsing + stages.writing


def test_waits_survive_the_json_form_and_add_up_in_the_tally() -> None:
    """The waits are fields of the one timing type: they go through an event's JSON form
    unchanged, and a run's tally adds them up; a stored event without them (an older
    one) reads as no wait."""
    times = StageTimes(fetching=0.5, parse_wait=0.25, write_wait=0.125, queue_wait=1.0)
    from streaming_sync.observe.events import FileSkipped

    event = FileSkipped("a.txt", "why", times)
    assert event_from_dict(event_to_dict(event)) == event
    raw = event_to_dict(event)
    raw["stages"] = {k: v for k, v in raw["stages"].items() if not k.endswith("_wait")}
    assert event_from_dict(raw).stages.waiting == 0  # type: ignore[union-attr]
    tally = RunTally("o", "s")
    tally.feed([event, event])
    assert tally.report().stages.waiting == 2 * times.waiting == 2 * 1.375
