"""One measurement, run in a fresh process: ``python -m benchmarks._measure JOB_JSON``.

Each job (see ``Job``) runs one thing -- a pipeline sync, a baseline sync, the floor (the
fastest parser on all cores and a plain ``sqlite3`` insert), or a series of re-syncs --
and prints one JSON line with what it measured. Memory is counted for the whole process
tree, each process by its own peak (``VmHWM`` in ``/proc/<pid>/status``): this
process's is read before it exits, and a thread (``TreeSampler``) reads every
descendant's -- the fork server, the parse processes, the resource tracker -- every
``SAMPLE_EVERY`` seconds while the sync runs and once more at its end, so a process
that ends early is counted too. The thread also keeps the largest sum of the tree's
resident (``VmRSS``) and proportional (``Pss``) memory at one moment.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import attrs

from streaming_sync._config import SyncConfig
from streaming_sync._defaults import make_fetcher
from streaming_sync._model import SyncReport
from streaming_sync._service import StreamingSyncService
from streaming_sync.parsers import DefaultParser

from ._sysinfo import cpu_seconds, descendants, hwm_mb, pss_mb, self_hwm_mb, tree_rss_mb
from .baseline import baseline_sync

NO_TOKEN_ENV = "STREAMING_SYNC_BENCH_NO_TOKEN"  # an unset variable: never send a token
ONTOLOGY_ID = "bench"


@attrs.frozen
class Job:
    """``kind``: pipeline | baseline | floor | resync. ``source``: a folder, or
    ``github:OWNER/REPO`` served at ``api_url`` (whose ``control_url`` counts requests)."""

    kind: str
    source: str
    db: str
    api_url: str | None = None
    control_url: str | None = None
    workers: int | None = None
    parse_processes: int | None = None
    max_concurrency: int | None = None
    tarball_threshold: int | None = None
    resyncs: int = 3
    change_fraction: float = 0.01
    cold: bool = True  # resync: start with a cold sync (False: ``db`` is already synced)
    max_bytes_in_flight: int | None = None  # None: the default budget


def _config(job: Job) -> SyncConfig:
    options: dict[str, Any] = {"ontology_id": ONTOLOGY_ID}
    if job.workers is not None:
        options["workers"] = job.workers
    if job.parse_processes is not None:
        options["parse_processes"] = job.parse_processes
    if job.max_bytes_in_flight is not None:
        options["max_bytes_in_flight"] = job.max_bytes_in_flight
    return SyncConfig(**options)


SAMPLE_EVERY = 0.05  # seconds
PSS_EVERY = 4  # samples: reading smaps_rollup costs more than status


class TreeSampler:
    """Reads the peak (``VmHWM``) and CPU of every descendant of this process every
    ``every`` seconds in a thread, keeping each process's latest; and the largest sum of
    the tree's ``VmRSS`` and ``Pss`` at one moment. ``report()`` after the exit."""

    def __init__(self, every: float = SAMPLE_EVERY) -> None:
        self.every = every
        self.processes: dict[int, dict[str, float]] = {}
        self.rss_peak_mb = 0.0
        self.pss_peak_mb = 0.0
        self._samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        me = os.getpid()
        for pid, depth in descendants(me):
            peak = hwm_mb(pid)
            if peak:
                self.processes[pid] = {"depth": depth, "hwm_mb": peak, "cpu_s": cpu_seconds(pid)}
        self.rss_peak_mb = max(self.rss_peak_mb, tree_rss_mb(me))
        if self._samples % PSS_EVERY == 0:
            tree = [me, *(pid for pid, _ in descendants(me))]
            self.pss_peak_mb = max(self.pss_peak_mb, sum(pss_mb(p) for p in tree))
        self._samples += 1

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def report(self, main_hwm_mb: float) -> dict[str, Any]:
        """The tree: this process's peak ``main_hwm_mb`` plus each descendant's."""
        children = [{"pid": pid, **v} for pid, v in sorted(self.processes.items())]
        return {
            "main_hwm_mb": main_hwm_mb,
            "processes": children,
            "hwm_sum_mb": main_hwm_mb + sum(c["hwm_mb"] for c in children),
            "rss_peak_mb": self.rss_peak_mb,
            "pss_peak_mb": self.pss_peak_mb,
            "cpu_children_s": sum(c["cpu_s"] for c in children),
        }


def _github_options(job: Job) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if job.max_concurrency is not None:
        options["max_concurrency"] = job.max_concurrency
    if job.tarball_threshold is not None:
        options["tarball_threshold"] = job.tarball_threshold
    return options


async def _server_requests(job: Job) -> int:
    if job.control_url is None:
        return 0
    async with (
        aiohttp.ClientSession() as session,
        session.get(job.control_url + "/requests") as response,
    ):
        counts = await response.json()
    return int(counts["api"]) + int(counts["download"])


async def _server_change(job: Job, count: int, salt: str) -> list[str]:
    assert job.control_url is not None
    url = f"{job.control_url}/change?count={count}&salt={salt}"
    async with aiohttp.ClientSession() as session, session.post(url) as response:
        return list((await response.json())["changed"])


async def _one_sync(job: Job) -> dict[str, Any]:
    """One pipeline sync through ``StreamingSyncService.from_source``, as a user runs it;
    the process tree is sampled meanwhile (``TreeSampler``)."""
    service = await StreamingSyncService.from_source(
        job.source,
        db=job.db,
        config=_config(job),
        api_url=job.api_url,
        token_env=NO_TOKEN_ENV,
        github_options=_github_options(job),
    )
    before = await _server_requests(job)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    sampler = TreeSampler()
    start = time.monotonic()
    try:
        with sampler:
            report = await service.sync()
        seconds = time.monotonic() - start
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        parser = repr(service.parser)
        config = service.config
        where = _placement(service)
    finally:
        await service.aclose()
    tree = sampler.report(self_hwm_mb())
    return {
        "seconds": seconds,
        "requests": await _server_requests(job) - before,
        "report": _report_summary(report),
        "cpu_main_s": (cpu_after.ru_utime + cpu_after.ru_stime)
        - (cpu_before.ru_utime + cpu_before.ru_stime),
        "cpu_workers_s": [c["cpu_s"] for c in tree["processes"] if c["depth"] >= 2],
        "rss_workers_mb": [c["hwm_mb"] for c in tree["processes"]],
        "tree": tree,
        "placement": where,
        "parser": parser,
        "workers": config.workers,
        "parse_processes": config.parse_processes,
        "max_bytes_in_flight": config.max_bytes_in_flight,
        "tree_peak_sampled_mb": tree["rss_peak_mb"],
    }


def _placement(service: StreamingSyncService) -> dict[str, Any]:
    """Where the files were parsed and what the pool did (the service's private parts:
    this is the benchmark looking inside)."""
    from streaming_sync._parse_placement import PlacedParsing

    parsing = service._parsing
    if not isinstance(parsing, PlacedParsing):
        return {"strategy": type(parsing).__name__}
    pool = parsing.pool
    return {
        "strategy": "placed",
        **parsing.placed,
        "processes_started": pool.started,
        "bytes_to_processes": pool.sent_bytes,
        "bytes_from_processes": pool.received_bytes,
    }


def _report_summary(report: SyncReport) -> dict[str, Any]:
    raw = report.to_dict()
    return {k: raw[k] for k in ("outcome", "files", "rows", "stages", "duration_s")}


async def run_pipeline(job: Job) -> dict[str, Any]:
    return await _one_sync(job)


async def run_baseline(job: Job) -> dict[str, Any]:
    config = _config(job)
    fetcher = make_fetcher(
        job.source,
        config=config,
        api_url=job.api_url,
        token_env=NO_TOKEN_ENV,
        github_options=_github_options(job),
    )
    parser = DefaultParser()
    before = await _server_requests(job)
    try:
        result = await baseline_sync(fetcher, parser, job.db, ONTOLOGY_ID)
    finally:
        await fetcher.aclose()
    return {
        "seconds": result.seconds,
        "requests": await _server_requests(job) - before,
        "baseline": attrs.asdict(result),
        "parser": repr(parser),
    }


async def run_resync(job: Job) -> dict[str, Any]:
    """(A cold sync, then) ``resyncs`` syncs with no change, then ``resyncs`` syncs each
    after ``change_fraction`` of the files changed upstream (one new commit each)."""
    cold = await _one_sync(job) if job.cold else None
    unchanged = [await _one_sync(job) for _ in range(job.resyncs)]
    listed = int(unchanged[0]["report"]["files"]["listed"])
    count = max(1, round(listed * job.change_fraction))
    changed = []
    for run in range(job.resyncs):
        await _server_change(job, count, f"run{run}")
        changed.append(await _one_sync(job))
    return {"cold": cold, "unchanged": unchanged, "changed": changed, "changed_files": count}


async def run_floor(job: Job) -> dict[str, Any]:
    """The floor of a local sync and the per-file write cost (see ``_alone``)."""
    from ._alone import floor

    return await floor(Path(job.source), job.db, ONTOLOGY_ID)


_KINDS = {
    "pipeline": run_pipeline,
    "baseline": run_baseline,
    "resync": run_resync,
    "floor": run_floor,
}


def main() -> None:
    job = Job(**json.loads(sys.argv[1]))
    result = asyncio.run(_KINDS[job.kind](job))
    result["hwm_main_mb"] = self_hwm_mb()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
