"""The plan: which measurements make up each scenario, run one after the other.

Every measurement is a fresh process (``_proc.run_job``); the GitHub-like server is a
process of its own. Results are plain dicts (JSON-ready); ``_report`` turns them into the
table and the goals.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from ._measure import ONTOLOGY_ID, Job
from ._proc import ServerProcess, run_job
from .big_ofn import ensure_big_ofn
from .generate import MAX_SIZE, MEAN_SIZE, ensure_corpus

logger = logging.getLogger(__name__)

PUBLIC_TABLES = ("owl_classes", "owl_class_hierarchy", "owl_properties", "owl_axioms")
#: The big-files case's settings of ``max_bytes_in_flight``: no budget (every file in
#: flight at once, as before the budget), the default (sized from this machine's memory),
#: and one big file (``Profile.big_size``) at a time. None: the default.
BIG_BUDGETS: tuple[tuple[str, str], ...] = (
    ("unbounded", "no budget (all files in flight)"),
    ("default", "default (from this machine's memory)"),
    ("one", "one big file at a time"),
)

#: A tarball threshold no corpus reaches: files fetched one by one.
NO_TARBALL = 10**9


@attrs.frozen
class Profile:
    """How big and how often. ``runs``: pipeline runs per scenario (median reported),
    except the 40 MB corpus from the server and the 10x corpus, run once (they are long
    and their variance is that of scenario 2 local); the baseline runs once per
    scenario (it is latency-bound or long).

    ``gen_*``: the generated corpus of scenarios 2 and 3. ``s4_*``: the 1x corpus of
    scenario 4, from the same generator, whose file count is multiplied by ``scale``.
    ``sweep``: (workers, max_concurrency) settings, one request per file, on the
    Logseq server (None: the fetcher's default cap). ``big_ofn_mb``: the size of the
    generated Functional Syntax file of the large-file memory case (``big_ofn``).
    ``big_files``, ``big_size``: the big-files case, ``big_files`` Turtle files of about
    ``big_size`` bytes each (under max_file_size), synced once per memory budget in
    ``BIG_BUDGETS``."""

    name: str
    runs: int
    gen_files: int
    gen_mean: int = MEAN_SIZE
    gen_max: int = MAX_SIZE
    s4_files: int = 300
    s4_mean: int = 4 * 1024
    s4_max: int = 64 * 1024
    scale: int = 10
    logseq_limit: int | None = None  # files per Logseq folder
    sweep: tuple[tuple[int, int | None], ...] = ((8, 8), (16, 16), (32, 32), (32, None))
    resyncs: int = 3
    latency: float = 0.05
    seed: int = 1
    big_ofn_mb: float = 27.0
    big_files: int = 4
    big_size: int = 48 * 1024 * 1024


PROFILES = {
    "default": Profile("default", runs=3, gen_files=974),
    # The literal scenario 4: the 40 MB corpus at 10x (about 400 MB). Long.
    "full": Profile(
        "full", runs=3, gen_files=974, s4_files=974, s4_mean=MEAN_SIZE, s4_max=MAX_SIZE
    ),
    "quick": Profile(
        "quick",
        runs=1,
        gen_files=60,
        gen_mean=12 * 1024,
        gen_max=128 * 1024,
        s4_files=60,
        s4_max=32 * 1024,
        logseq_limit=20,
        sweep=((8, 8), (32, 32)),
        resyncs=1,
        big_ofn_mb=5.0,
        big_size=8 * 1024 * 1024,
    ),
    # The test suite's: every scenario row, in seconds.
    "tiny": Profile(
        "tiny",
        runs=1,
        gen_files=6,
        gen_mean=4 * 1024,
        gen_max=12 * 1024,
        s4_files=6,
        s4_max=12 * 1024,
        logseq_limit=3,
        sweep=((4, 4),),
        resyncs=1,
        big_ofn_mb=0.3,
        big_files=3,
        big_size=256 * 1024,
    ),
}


def table_counts(db: Path) -> dict[str, int]:
    """Rows per public table for the benchmark's ontology id."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {
            t: connection.execute(
                f"SELECT COUNT(*) FROM {t} WHERE ontology_id = ?",  # our constant names
                (ONTOLOGY_ID,),
            ).fetchone()[0]
            for t in PUBLIC_TABLES
        }
    finally:
        connection.close()


def corpus_size(root: Path) -> tuple[int, int]:
    """(files, bytes) of the files below ``root`` a sync looks at (default filter)."""
    from streaming_sync._config import PathFilter

    admit = PathFilter()
    files = [p for p in root.rglob("*") if p.is_file() and admit(p.relative_to(root).as_posix())]
    return len(files), sum(p.stat().st_size for p in files)


def copy_logseq(corpus: Path, target: Path, limit: int | None) -> Path:
    """The Logseq corpora (``corpus/logseq-*``) side by side in ``target`` (``limit``
    files per folder, by path), so the folder and the server serve the same files."""
    if target.exists():
        shutil.rmtree(target)
    for folder in sorted(corpus.glob("logseq-*")):
        paths = sorted(p for p in folder.rglob("*") if p.is_file())
        for path in paths[:limit]:
            destination = target / folder.name / path.relative_to(folder)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(path.read_bytes())
    return target


@attrs.define
class Runner:
    """Runs the plan of ``profile`` in ``workdir`` with generated corpora in ``cache``."""

    profile: Profile
    workdir: Path
    cache: Path
    corpus: Path
    progress: Callable[[str], None] = print
    _dbs: int = 0

    def db(self, keep: str | None = None) -> str:
        self._dbs += 1
        path = self.workdir / f"{keep or 'run'}-{self._dbs}.db"
        return str(path)

    def job(self, kind: str, source: str, server: ServerProcess | None = None, **kw: Any) -> Job:
        urls: dict[str, Any] = {}
        if server is not None:
            urls = {"api_url": server.info["api_url"], "control_url": server.info["control_url"]}
        return Job(kind=kind, source=source, db=self.db(kind), **urls, **kw)

    def measure(self, label: str, job: Job, runs: int = 1) -> list[dict[str, Any]]:
        results = []
        for run in range(runs):
            self.progress(f"  {label} [{job.kind}] run {run + 1}/{runs}")
            result = run_job(job)
            result["db"] = job.db
            results.append(result)
            if run + 1 < runs:  # keep only the last database of a series
                _remove_db(job.db)
                job = attrs.evolve(job, db=self.db(job.kind))
        return results

    def compare(self, pipeline: list[dict[str, Any]], baseline: list[dict[str, Any]]) -> bool:
        return table_counts(Path(pipeline[-1]["db"])) == table_counts(Path(baseline[-1]["db"]))

    def corpus_dir(self, files: int, mean: int, largest: int) -> Path:
        p = self.profile
        root = self.cache / f"rdf-{files}-{mean}-{largest}-s{p.seed}"
        self.progress(f"corpus {root.name}: generating (or reusing the cached one)")
        ensure_corpus(root, files, p.seed, mean, largest)
        return root

    def run(self) -> dict[str, Any]:
        p = self.profile
        gen = self.corpus_dir(p.gen_files, p.gen_mean, p.gen_max)
        small = self.corpus_dir(p.s4_files, p.s4_mean, p.s4_max)
        scaled = self.corpus_dir(p.s4_files * p.scale, p.s4_mean, p.s4_max)
        logseq = copy_logseq(self.corpus, self.workdir / "logseq", p.logseq_limit)
        scenarios: dict[str, Any] = {}
        scenarios.update(self.scenario_1(logseq))
        scenarios["s2_local"] = self.scenario_2_local(gen)
        scenarios.update(self.scenarios_on_server(gen))
        scenarios.update(self.scenario_4(small, scaled))
        scenarios["big_ofn"] = self.scenario_big_ofn()
        scenarios["big"] = self.scenario_big_files()
        return scenarios

    def _pair(
        self,
        label: str,
        source: str,
        server: ServerProcess | None = None,
        runs: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        runs = runs or self.profile.runs
        pipeline = self.measure(label, self.job("pipeline", source, server, **kw), runs)
        # The naive design fetches file by file: no archive, none started ahead.
        baseline = self.measure(
            label, self.job("baseline", source, server, tarball_threshold=NO_TARBALL)
        )
        return {"pipeline": pipeline, "baseline": baseline, "rows_match": self.compare(
            pipeline, baseline)}  # fmt: skip

    def scenario_1(self, logseq: Path) -> dict[str, Any]:
        p = self.profile
        self.progress("scenario 1: Logseq corpora, cold, GitHub-like server at 50 ms")
        with ServerProcess(["=" + str(logseq)], p.latency) as server:
            result = self._pair("logseq/server", server.source, server)
            self.progress("fetch concurrency: one request per file (no tarball), 50 ms")
            sweep = [
                {"workers": workers, "max_concurrency": cap, "runs": self.measure(
                    f"logseq/server workers={workers} cap={cap}",
                    self.job("pipeline", server.source, server, workers=workers,
                             max_concurrency=cap, tarball_threshold=NO_TARBALL))}
                for workers, cap in p.sweep
            ]  # fmt: skip
        result["corpus"] = corpus_size(logseq)
        result["latency"] = p.latency
        result["floor"] = self.measure("logseq/floor", self.job("floor", str(logseq)))[0]
        return {"s1": result, "sweep": sweep}

    def scenario_2_local(self, gen: Path) -> dict[str, Any]:
        self.progress("scenario 2: generated RDF corpus, cold, local folder")
        result = self._pair("rdf/folder", str(gen))
        result["floor"] = self.measure("rdf/floor", self.job("floor", str(gen)))[0]
        result["corpus"] = corpus_size(gen)
        return result

    def scenarios_on_server(self, gen: Path) -> dict[str, Any]:
        p = self.profile
        with ServerProcess(["=" + str(gen)], p.latency) as server:
            self.progress("scenario 2: generated RDF corpus, cold, GitHub-like server at 50 ms")
            s2 = self._pair("rdf/server", server.source, server, runs=1)
            s2["corpus"] = corpus_size(gen)
            self.progress("scenario 3: re-sync with no change, then with 1% changed")
            synced = self.db("resync")
            _copy_db(s2["pipeline"][-1]["db"], synced)  # the cold sync just measured
            job = self.job("resync", server.source, server, resyncs=p.resyncs, cold=False)
            s3 = self.measure("rdf/server resync", attrs.evolve(job, db=synced))[0]
        return {"s2_server": s2, "s3": s3}

    def scenario_4(self, small: Path, scaled: Path) -> dict[str, Any]:
        p = self.profile
        self.progress(f"scenario 4: small-file RDF corpus at 1x and {p.scale}x, local folder")
        out: dict[str, Any] = {}
        for key, root in (("s4_1x", small), ("s4", scaled)):
            runs = p.runs if key == "s4_1x" else 1
            label = f"{root.name}/folder"
            pipeline = self.measure(label, self.job("pipeline", str(root)), runs)
            baseline = self.measure(label, self.job("baseline", str(root)))
            out[key] = {
                "pipeline": pipeline,
                "baseline": baseline,
                "corpus": corpus_size(root),
                "rows_match": self.compare(pipeline, baseline),
                # the machine's floor for the same files: how far any pipeline can go
                "floor": self.measure(f"{label} floor", self.job("floor", str(root)))[0],
            }
        return out

    def scenario_big_ofn(self) -> dict[str, Any]:
        """One large generated Functional Syntax file, cold, local folder; and a tiny one
        with the same settings, whose footprint the large file's is compared with."""
        p = self.profile
        size = int(p.big_ofn_mb * 1_000_000)
        self.progress(f"large Functional Syntax file: {size / 1e6:.1f} MB, cold, local folder")
        big = ensure_big_ofn(self.cache / f"ofn-{size}-s{p.seed}" / "big.ofn", size, p.seed)
        tiny = ensure_big_ofn(self.cache / f"ofn-tiny-s{p.seed}" / "tiny.ofn", 2000, p.seed)
        result = self._pair("big .ofn/folder", str(big.parent), runs=1)
        result["tiny"] = self.measure("tiny .ofn/folder", self.job("pipeline", str(tiny.parent)))
        result["corpus"] = corpus_size(big.parent)
        return result

    def scenario_big_files(self) -> list[dict[str, Any]]:
        """The big files, once per budget: peak memory of the process tree."""
        p = self.profile
        root = self.corpus_dir(p.big_files, p.big_size, p.big_size + p.big_size // 32)
        self.progress(f"big files: {p.big_files} x ~{p.big_size >> 20} MiB, local folder")
        limits = {"unbounded": 10**15, "default": None, "one": p.big_size}
        out = []
        for key, title in BIG_BUDGETS:
            job = self.job("pipeline", str(root), max_bytes_in_flight=limits[key])
            (run,) = self.measure(f"big files, {title}", job)
            out.append({"key": key, "title": title, "run": run, "corpus": corpus_size(root)})
        return out


def _copy_db(source: str, target: str) -> None:
    for suffix in ("", "-wal"):
        if Path(source + suffix).exists():
            shutil.copyfile(source + suffix, target + suffix)


def _remove_db(db: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(db + suffix).unlink(missing_ok=True)


__all__ = [
    "BIG_BUDGETS",
    "PROFILES",
    "Profile",
    "Runner",
    "copy_logseq",
    "corpus_size",
    "table_counts",
]
