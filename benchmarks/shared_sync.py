"""Speed-up of a shared sync: 2 cooperating processes against 1, parse-bound, on PostgreSQL.

``python -m benchmarks.shared_sync [--dsn URL] [--files N] [--repeat R]`` generates a
Turtle corpus (``benchmarks.generate``), then times, each in a fresh PostgreSQL schema:

* ``1 process``: one participant parsing with rdflib in a thread (one core's worth:
  rdflib holds the GIL);
* ``2 processes``: two participants of one shared sync, each parsing in a thread;
* ``1 process + pool``: one participant with a 2-process parse pool (the single-machine
  alternative, for reference).

Wall time runs from starting the processes to the last one's exit (imports included).
The table's last column is the speed-up over ``1 process``; the ratio line is the
number asked for. The server comes from ``--dsn`` or ``STREAMING_SYNC_TEST_PG_DSN``
(start one with ``.ci/postgres.sh start``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from .generate import ensure_corpus

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = (("1 process", 1, 0), ("2 processes", 2, 0), ("1 process + pool", 1, 2))


async def participant(url: str, source: str, parse_processes: int) -> int:
    """One participant of the shared sync (runs in its own process)."""
    from streaming_sync import StreamingSyncService, SyncConfig

    config = SyncConfig(workers=4, parse_processes=parse_processes)
    async with await StreamingSyncService.from_source(
        source, db=url, config=config, parser="rdflib"
    ) as service:
        report = await service.sync()
    return 0 if report.files.processed >= 0 else 1


def drop_schema(dsn: str, schema: str) -> None:
    async def drop() -> None:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(drop())


def timed_run(dsn: str, corpus: Path, processes: int, parse_processes: int) -> float:
    """Seconds from starting ``processes`` participants to the last one's exit."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    url = f"{dsn}?schema={schema}"
    command = [sys.executable, "-m", "benchmarks.shared_sync", "--participant", url]
    command += [str(corpus), str(parse_processes)]
    try:
        start = time.perf_counter()
        children = [subprocess.Popen(command, cwd=ROOT) for _ in range(processes)]
        codes = [child.wait(timeout=600) for child in children]
        elapsed = time.perf_counter() - start
        if any(codes):
            raise RuntimeError(f"a participant failed: exit codes {codes}")
        return elapsed
    finally:
        drop_schema(dsn, schema)


def table(rows: list[tuple[str, int, int, float]], files: int) -> str:
    base = rows[0][3]
    header = ("configuration", "procs", "pool", "wall s", "files/s", "speed-up")
    lines = ["{:<18} {:>5} {:>4} {:>7} {:>8} {:>8}".format(*header)]
    for label, procs, pool, seconds in rows:
        lines.append(
            f"{label:<18} {procs:>5} {pool:>4} {seconds:>7.2f} {files / seconds:>8.1f}"
            f" {base / seconds:>7.2f}x"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.participant:
        url, source, pool = args.participant
        return asyncio.run(participant(url, source, int(pool)))
    dsn = args.dsn or os.environ.get("STREAMING_SYNC_TEST_PG_DSN")
    if not dsn:
        sys.stderr.write("no server: pass --dsn or set STREAMING_SYNC_TEST_PG_DSN\n")
        return 2
    corpus = args.corpus
    size = ensure_corpus(corpus, args.files, seed=7, mean_size=args.mean_size)
    rows = []
    for label, procs, pool in CONFIGS:
        best = min(timed_run(dsn, corpus, procs, pool) for _ in range(args.repeat))
        rows.append((label, procs, pool, best))
    # A command-line tool: printing the table is its output.
    print(f"corpus: {args.files} Turtle files, {size / 1e6:.1f} MB; cores: {os.cpu_count()};")
    print(f"best of {args.repeat} runs each, rdflib parser, fresh schema per run\n")
    print(table(rows, args.files))
    print(f"\nspeed-up of 2 cooperating processes over 1: {rows[0][3] / rows[1][3]:.2f}x")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default=None, help="postgresql:// URL of the server")
    parser.add_argument("--files", type=int, default=160)
    parser.add_argument("--mean-size", type=int, default=24 * 1024)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--corpus", type=Path, default=Path("/tmp/streaming_sync_bench/shared_sync")
    )
    parser.add_argument("--participant", nargs=3, metavar=("URL", "SOURCE", "POOL"))
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
