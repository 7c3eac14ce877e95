"""From raw measurements to the table, the goals and the JSON document."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

Raw = dict[str, Any]


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def pipeline_summary(runs: Sequence[Raw]) -> Raw:
    """Median wall time over the runs; peaks are the largest seen in any run. Memory:
    ``rss_mb`` the measuring process's own peak (``VmHWM``), ``rss_tree_mb`` the sum of
    every process's own peak (``_measure.TreeSampler``), ``pss_tree_mb`` the largest
    sum of the tree's proportional set size at one moment."""
    seconds = _median([r["seconds"] for r in runs])
    processed = int(runs[0]["report"]["files"]["processed"])
    return {
        "seconds": seconds,
        "files": processed,
        "files_per_s": processed / seconds if seconds else 0.0,
        "rss_mb": max(r["tree"]["main_hwm_mb"] for r in runs),
        "rss_tree_mb": max(r["tree"]["hwm_sum_mb"] for r in runs),
        "pss_tree_mb": max(r["tree"]["pss_peak_mb"] for r in runs),
        "processes": max(len(r["tree"]["processes"]) for r in runs),
        "cpu_children_s": runs[-1]["tree"]["cpu_children_s"],
        "placement": runs[-1]["placement"],
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
        "rss_mb": max(r["hwm_main_mb"] for r in runs),
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


def _speedup_goal(row: Raw, name: str, least: float, bound: tuple[float, str] | None = None) -> Raw:
    """``bound``: the least time any sync of the scenario can take on this machine, and
    what it is -- the most the goal's ratio can be here is the baseline's over it."""
    ratio = row["speedup"] or 0.0
    baseline = row["baseline"]["seconds"]
    measured = f"{ratio:.2f}x ({baseline:.2f} s -> {row['pipeline']['seconds']:.2f} s)"
    if bound is not None and bound[0] > 0:
        ceiling = baseline / bound[0]
        reach = "" if ceiling >= least else f"; {least:g}x is out of reach on this machine"
        measured += f"; the most possible here: {ceiling:.2f}x ({bound[1]}{reach})"
    return _goal(name, ratio >= least, measured)


def _floor_bound(floor: Raw) -> tuple[float, str]:
    """The floor of a local scenario (``_alone.floor``) as a bound for ``_speedup_goal``."""
    return floor["floor_s"], (
        f"the floor {floor['floor_s']:.2f} s: parse {floor['parse_s']:.2f} s on the better of"
        f" {floor['processes']} processes and this one, + plain insert"
        f" {floor['plain_insert_s']:.2f} s"
    )


#: A cold sync from a server waits at least this many round trips one after the other:
#: one to learn the commit, one for its content (GitHub's API needs more).
LEAST_ROUND_TRIPS = 2


def build_goals(s: Raw, rows: list[Raw]) -> list[Raw]:
    """The goals of issue 15 (and those of issue 8 still worth checking), each met or
    not in this run."""
    by = {r["key"]: r for r in rows}
    s1, s2, s3, s4, one_x = by["s1"], by["s2_local"], by["s3_unchanged"], by["s4"], by["s4_1x"]
    floor = s["s2_local"]["floor"]
    pipe = s2["pipeline"]
    changed = by["s3_changed"]
    parsers = {r["pipeline"]["parser"] for r in rows if r["pipeline"]}
    workers = sorted(pipe["cpu_workers_s"])
    both = len(workers) >= 2 and workers[0] >= 0.6 * workers[-1]
    write_ratio = floor["save_file_s"] / floor["plain_insert_s"] if floor["plain_insert_s"] else 0
    tree, tree_1x = s4["pipeline"]["rss_tree_mb"], one_x["pipeline"]["rss_tree_mb"]
    return [
        _speedup_goal(one_x, "Scenario 4, 1x: pipeline >= 1.0x the baseline", 1.0,
                      _floor_bound(s["s4_1x"]["floor"]) if "floor" in s["s4_1x"] else None),
        _speedup_goal(s4, "Scenario 4, 10x: pipeline >= 2x the baseline", 2.0,
                      _floor_bound(s["s4"]["floor"]) if "floor" in s["s4"] else None),
        _goal("Scenario 2 local: pipeline <= 1.5x the floor",
              pipe["seconds"] <= 1.5 * floor["floor_s"],
              f"{pipe['seconds']:.2f} s vs 1.5 x {floor['floor_s']:.2f} s = "
              f"{1.5 * floor['floor_s']:.2f} s (floor: parse {floor['parse_s']:.2f} s -- the"
              f" faster of {floor['processes']} processes, pool start included,"
              f" {floor.get('parse_pool_s', floor['parse_s']):.2f} s, and this process"
              f" alone, {floor.get('parse_here_s', floor['parse_s']):.2f} s -- + plain insert"
              f" {floor['plain_insert_s']:.2f} s); {pipe['seconds'] / floor['floor_s']:.2f}x"),
        _goal("Per-file write (save_file) <= 2x a plain insert of the same rows",
              write_ratio <= 2.0,
              f"{write_ratio:.2f}x ({floor['save_file_s']:.2f} s vs "
              f"{floor['plain_insert_s']:.2f} s for {floor['written']} files, "
              f"{floor['rows']} rows, one transaction each"
              + (f"; write_batch: {floor['write_batch_s']:.2f} s"
                 if floor["write_batch_s"] is not None else "") + ")"),
        _speedup_goal(s1, "Scenario 1 (Logseq, server at 50 ms): >= 35x the baseline", 35.0,
                      _latency_bound(s["s1"])),
        _goal("Logseq corpus: whole process tree <= 85 MB", s1["pipeline"]["rss_tree_mb"] <= 85,
              _tree(s1["pipeline"])),
        _goal("Scenario 4: whole tree at 10x files <= 1.2x at 1x", tree <= 1.2 * tree_1x,
              f"{tree:.0f} MB vs {tree_1x:.0f} MB ({tree / tree_1x:.2f}x); 10x: "
              f"{_tree(s4['pipeline'])}; 1x: {_tree(one_x['pipeline'])}"),
        *([_big_ofn_goal(by["big_ofn"])] if "big_ofn" in by else []),
        _goal("Rows equal the baseline's in every scenario",
              all(r.get("rows_match") is not False for r in rows),
              ", ".join(f"{r['key']}: {'yes' if r['rows_match'] else 'NO'}"
                        for r in rows if "rows_match" in r)),
        _goal("Scenario 2: parsing uses both cores", both,
              f"CPU s per parse process: {', '.join(f'{w:.1f}' for w in workers) or 'none'}; "
              f"main process {pipe['cpu_main_s']:.1f} s; wall {pipe['seconds']:.1f} s"),
        _goal("pyoxigraph parser exists and is auto-selected",
              all("Oxigraph" in p or "Fallback" in p for p in parsers), ", ".join(sorted(parsers))),
        _goal("Scenario 3 no change: <= 2 requests and < 0.5 s",
              s3["pipeline"]["requests"] <= 2 and s3["pipeline"]["seconds"] < 0.5,
              f"{s3['pipeline']['requests']} requests, {s3['pipeline']['seconds']:.3f} s"),
        _goal("Scenario 3 1% changed: requests proportional to changed files",
              changed["pipeline"]["requests"] <= changed["changed_files"] + 3,
              f"{changed['pipeline']['requests']} requests for {changed['changed_files']} "
              f"changed files (allowed: changed + 3 for ref, commit and tree)"),
    ]  # fmt: skip


def _latency_bound(s1: Raw) -> tuple[float, str] | None:
    latency = s1.get("latency")
    if not latency:
        return None
    least = LEAST_ROUND_TRIPS * latency
    return least, f"{LEAST_ROUND_TRIPS} round trips at {latency * 1000:.0f} ms = {least:.2f} s"


def _tree(summary: Raw) -> str:
    """The tree's memory in words: sum of each process's peak, and what it is made of."""
    place = summary.get("placement") or {}
    started = place.get("processes_started", 0)
    return (
        f"{summary['rss_tree_mb']:.0f} MB = main {summary['rss_mb']:.0f} MB + "
        f"{summary['rss_tree_mb'] - summary['rss_mb']:.0f} MB in "
        f"{summary['processes']} other processes ({started} parse processes started); "
        f"PSS at one moment {summary['pss_tree_mb']:.0f} MB"
    )


def _big_ofn_goal(row: Raw) -> Raw:
    """The large .ofn's whole-tree peak against a tiny file's sync plus 4x its size."""
    size_mb = row["corpus"][1] / 2**20
    tree, tiny = row["pipeline"]["rss_tree_mb"], row["tiny"]["rss_tree_mb"]
    bound = tiny + 4 * size_mb
    return _goal(
        "Large .ofn: whole tree <= a tiny file's sync + 4 x the file size",
        tree <= bound,
        f"{tree:.0f} MB ({_tree(row['pipeline'])}) vs {tiny:.0f} MB + "
        f"4 x {size_mb:.1f} MB = {bound:.0f} MB; {row['pipeline']['seconds']:.1f} s",
    )


def breakdown_rows(rows: Sequence[Raw]) -> list[Raw]:
    """Where each pipeline scenario's time went: wall, CPU per process, the stages'
    working and waiting seconds (summed over files), where files were parsed."""
    out = []
    for r in rows:
        p = r["pipeline"]
        stages = p["stages"]
        place = p.get("placement") or {}
        out.append({
            "key": r["key"], "wall_s": p["seconds"], "cpu_main_s": p["cpu_main_s"],
            "cpu_children_s": p["cpu_children_s"], "listing_s": stages.get("listing", 0.0),
            **{k: stages.get(k, 0.0) for k in ("fetching", "parsing", "writing", "queue_wait",
                                               "budget_wait", "parse_wait", "write_wait")},
            "on_loop": place.get("loop"), "on_thread": place.get("thread"),
            "in_processes": place.get("pool"),
            "processes_started": place.get("processes_started"),
            "mb_to_processes": place.get("bytes_to_processes", 0) / 1e6,
            "mb_from_processes": place.get("bytes_from_processes", 0) / 1e6,
        })  # fmt: skip
    return out


def markdown_breakdown(rows: list[Raw]) -> str:
    """The breakdown as a table (seconds; stage seconds summed over files)."""
    head = ("| scenario | wall s | CPU main s | CPU other processes s | listing | fetch "
            "| parse | parse wait | write | write wait | queue wait | budget wait "
            "| files on the loop / thread / in processes (started) "
            "| MB to / from processes |")  # fmt: skip
    lines = [head, "|" + "---|" * 14]
    for b in rows:
        lines.append(
            f"| {b['key']} | {b['wall_s']:.2f} | {b['cpu_main_s']:.2f} | "
            f"{b['cpu_children_s']:.2f} | {b['listing_s']:.2f} | {b['fetching']:.2f} | "
            f"{b['parsing']:.2f} | {b['parse_wait']:.2f} | {b['writing']:.2f} | "
            f"{b['write_wait']:.2f} | {b['queue_wait']:.2f} | {b['budget_wait']:.2f} | "
            f"{b['on_loop']} / {b['on_thread']} / {b['in_processes']} "
            f"({b['processes_started']}) | "
            f"{b['mb_to_processes']:.1f} / {b['mb_from_processes']:.1f} |"
        )
    return "\n".join(lines)


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
                "rss_main_mb": run["hwm_main_mb"],
                "rss_tree_sum_mb": run["tree"]["hwm_sum_mb"],
                "rss_tree_sampled_mb": run["tree"]["rss_peak_mb"],
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
    "breakdown_rows",
    "build_goals",
    "build_rows",
    "markdown_big_files",
    "markdown_breakdown",
    "markdown_goals",
    "markdown_table",
    "pipeline_summary",
    "recommend",
]
