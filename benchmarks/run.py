"""The benchmark's one entry point: ``python -m benchmarks.run [--quick] [--json PATH]``.

Runs every scenario of issues 8, 14.5 and 15 against the old design's batch approach
(``baseline``) and the machine's floor in the same invocation, prints the table, the
goals (met / not met) with the machine's load, and where each scenario's time went
(stages working and waiting, CPU per process, where files were parsed), and writes the
whole result -- machine, settings, every raw measurement -- as JSON (by default to
``benchmarks/results/latest.json``). Generated corpora are cached under
``benchmarks/results/cache`` (``--cache`` to move it); databases go to a temporary
folder that is removed at the end (``--keep`` keeps it).

See ``docs/performance.md`` for what each scenario measures and the latest results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from ._report import (
    big_files_rows,
    breakdown_rows,
    build_goals,
    build_rows,
    markdown_big_files,
    markdown_breakdown,
    markdown_goals,
    markdown_table,
    recommend,
)
from ._scenarios import PROFILES, Profile, Runner
from ._sysinfo import machine

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def find_corpus() -> Path | None:
    """The shared corpus, located as ``tests/conftest.py`` does: ``$STREAMING_SYNC_CORPUS``,
    else ``../shared/corpus`` beside the checkout (or one level further up)."""
    root = HERE.parent
    env = os.environ.get("STREAMING_SYNC_CORPUS")
    candidates = [Path(env)] if env else []
    candidates += [root.parent / "shared" / "corpus", root.parent.parent / "shared" / "corpus"]
    return next((c for c in candidates if (c / "README.md").is_file()), None)


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def run_benchmark(
    profile: Profile,
    corpus: Path,
    *,
    cache: Path,
    workdir: Path,
    progress: Any = _say,
) -> dict[str, Any]:
    """Run every scenario of ``profile``; the JSON-ready result (rows, goals, raw)."""
    started = time.monotonic()
    load_before = os.getloadavg()
    workdir.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    raw = Runner(profile, workdir, cache, corpus, progress).run()
    rows = build_rows(raw)
    return {
        "profile": profile.name,
        "settings": attrs.asdict(profile),
        "machine": {**machine(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - started, 1),
        "rows": rows,
        "big_files": big_files_rows(raw["big"]),
        "breakdown": breakdown_rows(rows),
        "goals": build_goals(raw, rows),
        "recommendation": recommend(rows),
        "raw": raw,
    }


def render(result: dict[str, Any]) -> str:
    """The printed summary: machine, table, goals, fetch-concurrency recommendation."""
    m = result["machine"]
    return "\n".join(
        [
            f"streaming_sync benchmark ({result['profile']}), {result['finished_at']}, "
            f"{result['duration_s']:.0f} s",
            f"machine: {m['nproc']} cores, {m['cpu_model']}, {m['memory_gib']} GiB, "
            f"Python {m['python']}, SQLite {m['sqlite']}, pyoxigraph {m['pyoxigraph']}; "
            f"load average before {m['loadavg_before'][0]:.1f}, after "
            f"{m['loadavg_after'][0]:.1f} on {m['nproc']} cores"
            + (
                " -- the machine was busy: times are slower than on a quiet one"
                if max(m["loadavg_before"][0], m["loadavg_after"][0]) > 0.5 * m["nproc"]
                else ""
            ),
            "",
            markdown_table(result["rows"]),
            "",
            markdown_goals(result["goals"]),
            "",
            "Where the time went (stage seconds summed over files; working and waiting apart):",
            "",
            markdown_breakdown(result["breakdown"]),
            "",
            markdown_big_files(result["big_files"]),
            "",
            "Fetch concurrency: " + result["recommendation"],
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 run each, smaller corpora")
    parser.add_argument("--profile", choices=sorted(PROFILES), help="overrides --quick")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--cache", type=Path, default=RESULTS / "cache")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile or ("quick" if args.quick else "default")]
    corpus = find_corpus()
    if corpus is None:
        _say("the shared corpus was not found: set STREAMING_SYNC_CORPUS")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="streaming-sync-bench-"))
    try:
        result = run_benchmark(profile, corpus, cache=args.cache, workdir=workdir)
    finally:
        if args.keep:
            _say(f"databases kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1, default=str))
    sys.stdout.write(render(result) + "\n")
    _say(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
