"""From raw measurements to the table, the goals and the JSON document."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

Raw = dict[str, Any]


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def pipeline_summary(runs: Sequence[Raw]) -> Raw:
    """Median wall time over the runs; peaks are the largest seen in any run."""
    seconds = _median([r["seconds"] for r in runs])
    processed = int(runs[0]["report"]["files"]["processed"])
    return {
        "seconds": seconds,
        "files": processed,
        "files_per_s": processed / seconds if seconds else 0.0,
        "rss_mb": max(r["peak_rss_mb"] for r in runs),
        "rss_tree_mb": max(r["peak_rss_mb"] + sum(r["rss_workers_mb"]) for r in runs),
        "requests": int(_median([r["requests"] for r in runs])),
        "parser": runs[0]["parser"],
        "cpu_workers_s": runs[-1]["cpu_workers_s"],
        "cpu_main_s": runs[-1]["cpu_main_s"],
        "workers": runs[0]["workers"],
        "parse_processes": runs[0]["parse_processes"],
        "outcome": runs[-1]["report"]["outcome"],
        "stages": runs[-1]["report"]["stages"],
        "runs": len(runs),
    }


def baseline_summary(runs: Sequence[Raw]) -> Raw:
    seconds = _median([r["seconds"] for r in runs])
    files = int(runs[0]["baseline"]["files"])
    return {
        "seconds": seconds,
        "files": files,
        "files_per_s": files / seconds if seconds else 0.0,
        "rss_mb": max(r["peak_rss_mb"] for r in runs),
        "requests": int(_median([r["requests"] for r in runs])),
        "stages": runs[-1]["baseline"],
        "runs": len(runs),
    }


def _row(key: str, title: str, pipeline: Raw, baseline: Raw | None, **extra: Any) -> Raw:
    ratio = baseline["seconds"] / pipeline["seconds"] if baseline and pipeline["seconds"] else None
    return {"key": key, "scenario": title, "pipeline": pipeline, "baseline": baseline,
            "speedup": ratio, **extra}  # fmt: skip


def build_rows(s: Raw) -> list[Raw]:
    """One row per scenario (and per fetch-concurrency setting)."""
    s1, s2l, s2s, s3 = s["s1"], s["s2_local"], s["s2_server"], s["s3"]
    logseq_base = baseline_summary(s1["baseline"])
    full_resync = baseline_summary(s2s["baseline"])  # the old design re-syncs everything
    rows = [
        _row("s1", "1 Logseq, cold, server 50 ms", pipeline_summary(s1["pipeline"]),
             logseq_base, corpus=s1["corpus"], rows_match=s1["rows_match"]),
    ]  # fmt: skip
    for setting in s["sweep"]:
        cap = setting["max_concurrency"] or 8
        rows.append(
            _row(f"sweep_w{setting['workers']}_c{cap}",
                 f"1 Logseq, one request per file: workers={setting['workers']}, "
                 f"max_concurrency={cap}",
                 pipeline_summary(setting["runs"]), logseq_base, corpus=s1["corpus"])
        )  # fmt: skip
    rows += [
        _row("s2_local", "2 RDF, cold, local folder", pipeline_summary(s2l["pipeline"]),
             baseline_summary(s2l["baseline"]), corpus=s2l["corpus"],
             rows_match=s2l["rows_match"]),
        _row("s2_server", "2 RDF, cold, server 50 ms", pipeline_summary(s2s["pipeline"]),
             full_resync, corpus=s2s["corpus"], rows_match=s2s["rows_match"]),
        _row("s3_unchanged", "3 RDF, re-sync, no change", pipeline_summary(s3["unchanged"]),
             full_resync, corpus=s2s["corpus"]),
        _row("s3_changed", f"3 RDF, re-sync, 1% changed ({s3['changed_files']} files)",
             pipeline_summary(s3["changed"]), full_resync, corpus=s2s["corpus"],
             changed_files=s3["changed_files"]),
    ]  # fmt: skip
    for key, title in (("s4_1x", "4 small-file RDF, 1x, local folder"),
                       ("s4", "4 small-file RDF, 10x files, local folder")):  # fmt: skip
        part = s[key]
        rows.append(
            _row(key, title, pipeline_summary(part["pipeline"]),
                 baseline_summary(part["baseline"]), corpus=part["corpus"],
                 rows_match=part["rows_match"])
        )  # fmt: skip
    if "big_ofn" in s:
        big = s["big_ofn"]
        title = f"5 large Functional Syntax file ({big['corpus'][1] / 1e6:.0f} MB), local folder"
        rows.append(
            _row("big_ofn", title, pipeline_summary(big["pipeline"]),
                 baseline_summary(big["baseline"]), corpus=big["corpus"],
                 rows_match=big["rows_match"], tiny=pipeline_summary(big["tiny"]))
        )  # fmt: skip
    return rows


def _goal(name: str, met: bool, measured: str) -> Raw:
    return {"goal": name, "met": met, "measured": measured}


def build_goals(s: Raw, rows: list[Raw]) -> list[Raw]:
    by = {r["key"]: r for r in rows}
    s1, s2, s3, s4 = by["s1"], by["s2_local"], by["s3_unchanged"], by["s4"]
    alone = s["s2_local"]["alone"]
    bound = alone["parse"]["seconds"] + alone["write"]["seconds"]
    pipe = s2["pipeline"]
    workers = sorted(pipe["cpu_workers_s"])
    both = len(workers) >= 2 and workers[0] >= 0.6 * workers[-1]
    changed = by["s3_changed"]
    one_x = by["s4_1x"]["pipeline"]
    parsers = {r["pipeline"]["parser"] for r in rows if r["pipeline"]}
    return [
        _goal("Scenario 1 at least 25x faster than the baseline", (s1["speedup"] or 0) >= 25,
              f"{s1['speedup']:.1f}x ({s1['baseline']['seconds']:.2f} s -> "
              f"{s1['pipeline']['seconds']:.2f} s)"),
        _goal("Scenario 2 local: at most 1.5 x (parser alone + writes alone)",
              pipe["seconds"] <= 1.5 * bound,
              f"{pipe['seconds']:.2f} s vs 1.5 x ({alone['parse']['seconds']:.2f} s parse on "
              f"{alone['parse']['processes']} processes + {alone['write']['seconds']:.2f} s "
              f"writes) = {1.5 * bound:.2f} s"),
        _goal("Scenario 2: parsing uses both cores", both,
              f"CPU s per parse process: {', '.join(f'{w:.1f}' for w in workers) or 'none'}; "
              f"main process {pipe['cpu_main_s']:.1f} s; wall {pipe['seconds']:.1f} s"),
        _goal("pyoxigraph parser exists and is auto-selected",
              all("Oxigraph" in p for p in parsers), ", ".join(sorted(parsers))),
        _goal("Scenario 3 no change: <= 2 requests and < 0.5 s",
              s3["pipeline"]["requests"] <= 2 and s3["pipeline"]["seconds"] < 0.5,
              f"{s3['pipeline']['requests']} requests, {s3['pipeline']['seconds']:.3f} s"),
        _goal("Scenario 3 1% changed: requests proportional to changed files",
              changed["pipeline"]["requests"] <= changed["changed_files"] + 3,
              f"{changed['pipeline']['requests']} requests for {changed['changed_files']} "
              f"changed files (allowed: changed + 3 for ref, commit and tree)"),
        _goal("Scenario 4: peak RSS at 10x files <= 1.2 x peak at 1x",
              s4["pipeline"]["rss_mb"] <= 1.2 * one_x["rss_mb"],
              f"{s4['pipeline']['rss_mb']:.0f} MB vs {one_x['rss_mb']:.0f} MB at 1x "
              f"({s4['pipeline']['rss_mb'] / one_x['rss_mb']:.2f}x; main process)"),
        _goal("Logseq corpus: peak RSS under 85 MB", s1["pipeline"]["rss_mb"] < 85,
              f"main process {s1['pipeline']['rss_mb']:.0f} MB; with the parse processes "
              f"{s1['pipeline']['rss_tree_mb']:.0f} MB"),
        *([_big_ofn_goal(by["big_ofn"])] if "big_ofn" in by else []),
    ]  # fmt: skip


def _big_ofn_goal(row: Raw) -> Raw:
    """The large .ofn's whole-tree peak against a tiny file's sync plus 4x its size."""
    size_mb = row["corpus"][1] / 2**20
    tree, tiny = row["pipeline"]["rss_tree_mb"], row["tiny"]["rss_tree_mb"]
    bound = tiny + 4 * size_mb
    return _goal(
        "Large .ofn: whole-tree peak <= a tiny file's sync + 4 x the file size",
        tree <= bound,
        f"{tree:.0f} MB (main {row['pipeline']['rss_mb']:.0f} MB) vs {tiny:.0f} MB + "
        f"4 x {size_mb:.1f} MB = {bound:.0f} MB; {row['pipeline']['seconds']:.1f} s",
    )


def big_files_rows(big: Sequence[Raw]) -> list[Raw]:
    """One row per memory budget of the big-files case."""
    rows = []
    for setting in big:
        run = setting["run"]
        rows.append(
            {
                "key": setting["key"],
                "budget": setting["title"],
                "max_bytes_in_flight": run["max_bytes_in_flight"],
                "corpus": setting["corpus"],
                "seconds": run["seconds"],
                "outcome": run["report"]["outcome"],
                "files": int(run["report"]["files"]["succeeded"]),
                "rss_main_mb": run["peak_rss_mb"],
                "rss_tree_sum_mb": run["peak_rss_mb"] + sum(run["rss_workers_mb"]),
                "rss_tree_sampled_mb": run["tree_peak_sampled_mb"],
            }
        )
    return rows


def markdown_big_files(rows: list[Raw]) -> str:
    """The big-files table: time and peak memory per budget."""
    if not rows:
        return ""
    files, size = rows[0]["corpus"]
    lines = [
        f"Big files ({files} Turtle files, {size / 1e6:.0f} MB, local folder): peak memory",
        "",
        "| max_bytes_in_flight | MiB | files | s | main MB | tree MB (at one moment) "
        "| tree MB (sum of each process's peak) |",
        "|" + "---|" * 7,
    ]
    for r in rows:
        budget = r["max_bytes_in_flight"]
        mib = "-" if budget >= 10**15 else f"{budget / 2**20:.0f}"
        lines.append(
            f"| {r['budget']} | {mib} | {r['files']}/{files} | {r['seconds']:.1f} "
            f"| {r['rss_main_mb']:.0f} | {r['rss_tree_sampled_mb']:.0f} "
            f"| {r['rss_tree_sum_mb']:.0f} |"
        )
    return "\n".join(lines)


def recommend(rows: list[Raw]) -> str:
    """Which fetch setting was fastest, next to the default (tarball) path."""
    sweep = [r for r in rows if r["key"].startswith("sweep_")]
    if not sweep:
        return "no fetch-concurrency settings measured"
    best = min(sweep, key=lambda r: r["pipeline"]["seconds"])
    tarball = next(r for r in rows if r["key"] == "s1")["pipeline"]
    listing = ", ".join(
        f"{r['scenario'].split(': ')[1]}: {r['pipeline']['seconds']:.2f} s" for r in sweep
    )
    return (
        f"one request per file at 50 ms: {listing}; fastest {best['scenario'].split(': ')[1]}. "
        f"Default path, same corpus (tarball for >= 50 files, workers={tarball['workers']}, "
        f"parse_processes={tarball['parse_processes']}): {tarball['seconds']:.2f} s."
    )


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown_table(rows: list[Raw]) -> str:
    head = (
        "| scenario | files | MB | pipeline s | files/s | RSS MB main (tree) | requests "
        "| baseline s | baseline RSS MB | baseline requests | speed-up | rows equal |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        p, b = r["pipeline"], r["baseline"] or {}
        files, size = r.get("corpus", (0, 0))
        match = r.get("rows_match")
        lines.append(
            f"| {r['scenario']} | {p['files']}/{files} | {size / 1e6:.1f} | {_fmt(p['seconds'])} "
            f"| {_fmt(p['files_per_s'], 0)} | {p['rss_mb']:.0f} ({p['rss_tree_mb']:.0f}) "
            f"| {p['requests']} | {_fmt(b.get('seconds'))} | {_fmt(b.get('rss_mb'), 0)} "
            f"| {b.get('requests', '-')} | {_fmt(r['speedup'], 1)}x "
            f"| {'-' if match is None else ('yes' if match else 'NO')} |"
        )
    return "\n".join(lines)


def markdown_goals(goals: list[Raw]) -> str:
    lines = ["| goal | met | measured |", "|---|---|---|"]
    lines += [
        f"| {g['goal']} | {'met' if g['met'] else 'NOT MET'} | {g['measured']} |" for g in goals
    ]
    return "\n".join(lines)


__all__ = [
    "baseline_summary",
    "big_files_rows",
    "build_goals",
    "build_rows",
    "markdown_big_files",
    "markdown_goals",
    "markdown_table",
    "pipeline_summary",
    "recommend",
]
