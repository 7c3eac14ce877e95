"""One measurement, run in a fresh process: ``python -m benchmarks._measure JOB_JSON``.

Each job (see ``Job``) runs one thing -- a pipeline sync, a baseline sync, the parser and
the writes alone, or a series of re-syncs -- and prints one JSON line with what it
measured. The parent (``_proc``) reads the process's peak RSS when it exits, so jobs
never pollute each other's memory figures. With ``sample_memory`` a thread also sums the
resident memory of the whole process tree (this process and its parse processes) every
20 ms, so the peak the tree reached at one moment is known too.
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

from ._sysinfo import descendants_cpu, self_hwm_mb, tree_rss_mb
from .baseline import baseline_sync

NO_TOKEN_ENV = "STREAMING_SYNC_BENCH_NO_TOKEN"  # an unset variable: never send a token
ONTOLOGY_ID = "bench"


@attrs.frozen
class Job:
    """``kind``: pipeline | baseline | alone | resync. ``source``: a folder, or
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
    sample_memory: bool = False  # sample the process tree's memory during the sync


def _config(job: Job) -> SyncConfig:
    options: dict[str, Any] = {"ontology_id": ONTOLOGY_ID}
    if job.workers is not None:
        options["workers"] = job.workers
    if job.parse_processes is not None:
        options["parse_processes"] = job.parse_processes
    if job.max_bytes_in_flight is not None:
        options["max_bytes_in_flight"] = job.max_bytes_in_flight
    return SyncConfig(**options)


class TreeSampler:
    """Sums the resident memory of this process and its descendants every ``every``
    seconds in a thread, keeping the largest sum (``peak_mb``)."""

    def __init__(self, every: float = 0.02) -> None:
        self.every = every
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak_mb = max(self.peak_mb, tree_rss_mb(os.getpid()))

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


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
    """One pipeline sync through ``StreamingSyncService.from_source``, as a user runs it."""
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
    sampler = TreeSampler() if job.sample_memory else None
    start = time.monotonic()
    try:
        if sampler is not None:
            with sampler:
                report = await service.sync()
        else:
            report = await service.sync()
        seconds = time.monotonic() - start
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        workers = descendants_cpu(os.getpid())  # the parse pool is still alive here
        parser = repr(service.parser)
        config = service.config
    finally:
        await service.aclose()
    return {
        "seconds": seconds,
        "requests": await _server_requests(job) - before,
        "report": _report_summary(report),
        "cpu_main_s": (cpu_after.ru_utime + cpu_after.ru_stime)
        - (cpu_before.ru_utime + cpu_before.ru_stime),
        "cpu_workers_s": [w["cpu_s"] for w in workers],
        "rss_workers_mb": [w["hwm_mb"] for w in workers],
        "parser": parser,
        "workers": config.workers,
        "parse_processes": config.parse_processes,
        "max_bytes_in_flight": config.max_bytes_in_flight,
        "tree_peak_sampled_mb": sampler.peak_mb if sampler is not None else None,
    }


def _report_summary(report: SyncReport) -> dict[str, Any]:
    raw = report.to_dict()
    return {k: raw[k] for k in ("outcome", "files", "rows", "stages", "duration_s")}


async def run_pipeline(job: Job) -> dict[str, Any]:
    return await _one_sync(job)


async def run_baseline(job: Job) -> dict[str, Any]:
    config = _config(job)
    fetcher = make_fetcher(job.source, config=config, api_url=job.api_url, token_env=NO_TOKEN_ENV)
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


async def run_alone(job: Job) -> dict[str, Any]:
    from ._alone import parse_alone, write_alone

    parse = await parse_alone(Path(job.source), _config(job).parse_processes)
    write = await write_alone(job.db, ONTOLOGY_ID, parse.pop("results"))
    return {"parse": parse, "write": write}


_KINDS = {
    "pipeline": run_pipeline,
    "baseline": run_baseline,
    "resync": run_resync,
    "alone": run_alone,
}


def main() -> None:
    job = Job(**json.loads(sys.argv[1]))
    result = asyncio.run(_KINDS[job.kind](job))
    result["hwm_main_mb"] = self_hwm_mb()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
