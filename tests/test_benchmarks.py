"""The benchmark machinery (benchmarks/) on a tiny corpus: it runs, it reports every
scenario, and the baseline it compares against writes the same rows as the pipeline.

No timing is asserted anywhere: the machine is shared, and the numbers are the
benchmark's output, not its correctness.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks import write_profile
from benchmarks._measure import Job
from benchmarks._proc import run_job
from benchmarks._report import _speedup_goal
from benchmarks._scenarios import PROFILES, table_counts
from benchmarks.baseline import baseline_sync, read_snapshot
from benchmarks.generate import MIN_SIZE, generate, relative_path
from benchmarks.run import render, run_benchmark
from streaming_sync import git_blob_sha1, materialize
from streaming_sync._validate import validate
from streaming_sync.parsers import DefaultParser
from streaming_sync.sources.folder import FolderFetcher

from .conftest import find_corpus

EXPECTED_ROWS = {
    "s1",
    "s2_local",
    "s2_server",
    "s3_unchanged",
    "s3_changed",
    "s4_1x",
    "s4",
    "big_ofn",
}


def test_generator_is_deterministic_skewed_and_links_files(tmp_path: Path) -> None:
    """The same seed gives byte-identical files; sizes spread from a few KB upwards;
    parents are often declared in another file."""
    first, second = tmp_path / "a", tmp_path / "b"
    generate(first, files=12, seed=7, mean_size=8 * 1024, max_size=40 * 1024)
    generate(second, files=12, seed=7, mean_size=8 * 1024, max_size=40 * 1024)
    paths = [relative_path(i) for i in range(12)]
    assert [(first / p).read_bytes() for p in paths] == [(second / p).read_bytes() for p in paths]
    sizes = [(first / p).stat().st_size for p in paths]
    assert min(sizes) >= MIN_SIZE * 0.8
    assert max(sizes) >= 4 * min(sizes)
    crossing = 0
    for index, path in enumerate(paths):
        parents = re.findall(rb"rdfs:subClassOf :F(\d{5})C", (first / path).read_bytes())
        crossing += sum(int(p) != index for p in parents)
    assert crossing > 12


async def test_baseline_writes_the_reference_rows(tmp_path: Path) -> None:
    """The baseline's single bulk save holds exactly ``materialize`` of the parsed files,
    read back through the SQLite repository like the pipeline's rows."""
    root = tmp_path / "corpus"
    generate(root, files=5, seed=3, mean_size=4 * 1024, max_size=8 * 1024)
    parser = DefaultParser()
    result = await baseline_sync(FolderFetcher(root), parser, tmp_path / "b.db", "bench")
    expected = {}
    for index in range(5):
        data = (root / relative_path(index)).read_bytes()
        path = relative_path(index)
        expected[path] = (git_blob_sha1(data), validate(path, parser.parse(path, data)))
    assert result.succeeded == 5
    assert await read_snapshot(tmp_path / "b.db", "bench") == materialize(expected)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the whole plan on the tiny profile, shared by the tests below."""
    corpus = find_corpus()
    if corpus is None:
        if os.environ.get("CI"):
            pytest.fail("../shared/corpus is missing in CI: the benchmark smoke test needs it")
        pytest.skip("../shared/corpus not found (set STREAMING_SYNC_CORPUS)")
    root = tmp_path_factory.mktemp("bench")
    return run_benchmark(
        PROFILES["tiny"], corpus, cache=root / "cache", workdir=root / "work", progress=str
    )


@pytest.mark.slow
@pytest.mark.timeout(900)  # the fixture runs the whole plan: minutes on a busy machine
def test_tiny_benchmark_reports_every_scenario(tiny: dict[str, Any]) -> None:
    """The whole plan (subprocesses, the GitHub-like server, every scenario, the floor,
    the goals) on a tiny profile: every row is there and measured, cold syncs process
    every file, re-syncs only the changed ones, the floor and the write costs are
    measured, each scenario's time is broken down, the big files land under each memory
    budget with the process tree's peak measured, and the printed summary names every
    row and every goal."""
    rows = {row["key"]: row for row in tiny["rows"]}
    sweep = {f"sweep_w{w}_c{c or 8}" for w, c in PROFILES["tiny"].sweep}
    assert set(rows) == EXPECTED_ROWS | sweep
    for row in rows.values():
        assert row["pipeline"]["seconds"] > 0
        assert row["baseline"]["seconds"] > 0
    for key in ("s1", "s2_local", "s2_server", "s4_1x", "s4", "big_ofn"):
        assert rows[key]["rows_match"] is True, key
        assert rows[key]["pipeline"]["files"] == rows[key]["corpus"][0]
    assert rows["s3_unchanged"]["pipeline"]["files"] == 0
    assert rows["s3_changed"]["pipeline"]["files"] == rows["s3_changed"]["changed_files"]
    assert rows["s2_server"]["pipeline"]["requests"] > 0
    assert len(tiny["goals"]) == 13
    assert all(isinstance(goal["met"], bool) for goal in tiny["goals"])
    floor = tiny["raw"]["s2_local"]["floor"]
    assert floor["parse_s"] > 0 and floor["plain_insert_s"] > 0 and floor["save_file_s"] > 0
    assert floor["floor_s"] == floor["parse_s"] + floor["plain_insert_s"]
    assert {b["key"] for b in tiny["breakdown"]} == set(rows)
    goals = {goal["goal"]: goal["measured"] for goal in tiny["goals"]}
    for name in ("Scenario 4, 1x", "Scenario 4, 10x", "Scenario 1 (Logseq"):
        (measured,) = [m for g, m in goals.items() if g.startswith(name)]
        assert "the most possible here:" in measured, name
    assert tiny["raw"]["s4"]["floor"]["files"] == rows["s4"]["corpus"][0]
    for row in rows.values():
        tree = row["pipeline"]["rss_tree_mb"]
        assert tree >= row["pipeline"]["rss_mb"] > 0
    text = render(tiny)
    for row in rows.values():
        assert row["scenario"] in text
    for goal in tiny["goals"]:
        assert goal["goal"] in text
    big = tiny["big_files"]
    assert [row["key"] for row in big] == ["unbounded", "default", "one"]
    for row in big:
        assert row["outcome"] == "succeeded" and row["files"] == row["corpus"][0]
        assert row["rss_tree_sampled_mb"] > row["rss_main_mb"] / 2 > 0
        assert row["budget"] in text


@pytest.mark.slow
@pytest.mark.timeout(900)  # when it is the first to need the fixture
async def test_tiny_benchmark_rows_are_identical(tiny: dict[str, Any]) -> None:
    """Beyond equal row counts: the baseline's and the pipeline's public tables are the
    same snapshot, for the Logseq corpus (page links, placeholders) and the RDF one."""
    for key in ("s1", "s2_local", "s4"):
        pipeline_db = tiny["raw"][key]["pipeline"][-1]["db"]
        baseline_db = tiny["raw"][key]["baseline"][-1]["db"]
        assert sum(table_counts(Path(pipeline_db)).values()) > 0
        pipeline_rows = await read_snapshot(pipeline_db, "bench")
        assert pipeline_rows == await read_snapshot(baseline_db, "bench"), key


@pytest.mark.slow
def test_a_measurement_reports_its_own_memory_not_its_parents(tmp_path: Path) -> None:
    """A measurement started from a process that holds a lot of memory (pytest after
    memory-hungry tests) reports its own peak: ``wait4``'s ``ru_maxrss`` would report the
    parent's, inherited at the fork (the tiny benchmark failed that way)."""
    folder = tmp_path / "src"
    generate(folder, files=2, seed=3, mean_size=4 * 1024, max_size=8 * 1024)
    ballast = bytearray(400 * 2**20)  # touched: resident in this process
    ballast[::4096] = b"x" * len(ballast[::4096])
    result = run_job(Job(kind="pipeline", source=str(folder), db=str(tmp_path / "m.db")))
    del ballast
    assert result["report"]["files"]["succeeded"] == 2
    assert 0 < result["peak_rss_mb"] < 300
    assert result["tree"]["hwm_sum_mb"] >= result["peak_rss_mb"]


def test_a_speedup_goal_says_when_the_machine_cannot_reach_it() -> None:
    """A speed-up goal with a bound (the least time any sync can take here) states the
    most this machine allows, and says the goal is out of reach only when that is below
    the goal."""
    row = {"speedup": 1.5, "baseline": {"seconds": 2.0}, "pipeline": {"seconds": 1.33}}
    far = _speedup_goal(row, "g", 2.0, (1.25, "a floor"))
    near = _speedup_goal(row, "g", 1.5, (0.5, "a floor"))
    assert "the most possible here: 1.60x (a floor; 2x is out of reach" in far["measured"]
    assert not far["met"]
    assert "the most possible here: 4.00x (a floor)" in near["measured"] and near["met"]


def test_write_profile_floor_writes_the_same_rows_as_the_library(tmp_path: Path) -> None:
    """``benchmarks.write_profile`` measures every mode, and its floor inserts the same
    public rows (by table) as the library's write one file at a time and in batches --
    so the ratio it prints compares like with like."""
    root = tmp_path / "corpus"
    generate(root, files=7, seed=5, mean_size=4 * 1024, max_size=8 * 1024)
    items = write_profile.parse_folder(root)
    result = write_profile.profile(items, tmp_path, batches=(3,), rounds=1)
    assert result["files"] == 7
    assert set(result["seconds"]) == {"floor", "save_file", "batch 3"}
    counts = {mode: table_counts(tmp_path / f"{mode}.db") for mode in ("floor", "save_file")}
    counts["batch 3"] = table_counts(tmp_path / "batch3.db")
    tables = ["owl_classes", "owl_class_hierarchy", "owl_properties", "owl_axioms"]
    floor = {table: counts["floor"][table] for table in tables}
    assert all(floor[table] > 0 for table in tables)
    for mode in ("save_file", "batch 3"):
        assert {table: counts[mode][table] for table in tables} == floor


SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample"


async def test_feed_cost_switches_the_change_feed_off_and_on(tmp_path: Path) -> None:
    """``benchmarks.feed_cost`` compares a cold sync with the change feed and without it:
    the "without" sync records no change and lands the same rows, the "with" sync
    records them (its switch follows the write's hooks -- it once patched names the
    write no longer read, and measured two syncs with the feed)."""
    from benchmarks import feed_cost

    sample = SAMPLE
    without = await feed_cost.cold_sync(sample, tmp_path / "without.db", feed=False)
    with_feed = await feed_cost.cold_sync(sample, tmp_path / "with.db", feed=True)
    assert without.changes.total == 0 < with_feed.changes.total
    assert without.rows == with_feed.rows and without.files == with_feed.files
    assert table_counts(tmp_path / "without.db") == table_counts(tmp_path / "with.db")
    assert sum(table_counts(tmp_path / "with.db").values()) > 0
