"""What the change feed costs a cold sync: ``python -m benchmarks.feed_cost``.

Cold syncs of a folder (default: the shared corpus) into fresh SQLite files, with the
change feed and without it, alternated back to back in ONE process (A B A B ...), so that
the machine's drift and load hit both alike; prints the median wall time of each, their
ratio, and the same for the write stage (where the feed's statements run).

"Without" switches the feed's statements off: ``storage._write.HOOKS``
become empty and the per-connection capture triggers are dropped, leaving the write
exactly as it was before the feed. (A private switch for this measurement only: a
repository always keeps its feed.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from streaming_sync import FolderFetcher, StreamingSyncService, SyncConfig, SyncReport
from streaming_sync.storage import _write
from streaming_sync.storage.sqlite import SqliteRepository

_ROOT = Path(__file__).resolve().parents[1]
#: The shared corpus, found as the tests find it (``$STREAMING_SYNC_CORPUS``, else
#: ``shared/corpus`` beside the checkout or one level up).
CORPUS = next(
    (
        c
        for c in (
            Path(os.environ.get("STREAMING_SYNC_CORPUS", "/nonexistent")),
            _ROOT.parent / "shared" / "corpus",
            _ROOT.parent.parent / "shared" / "corpus",
        )
        if (c / "README.md").is_file()
    ),
    _ROOT / "examples" / "sample",
)
_CAPTURE_TRIGGERS = ("sync_feed_axiom_gone", "sync_feed_other_axiom_gone", "sync_feed_file_written")


@contextlib.contextmanager
def feed_statements(enabled: bool) -> Iterator[None]:
    """The feed's hook statements on (as shipped) or off (none run)."""
    saved = _write.HOOKS
    if not enabled:
        _write.HOOKS = _write.Hooks()  # no statement before or after the recompute
    try:
        yield
    finally:
        _write.HOOKS = saved


async def cold_sync(folder: Path, db: Path, *, feed: bool) -> SyncReport:
    """One cold sync of ``folder`` (default parser and settings) into the new ``db``."""
    async with await SqliteRepository.open(db) as repo:
        if not feed:
            drop = "".join(f"DROP TRIGGER IF EXISTS temp.{t};" for t in _CAPTURE_TRIGGERS)
            # The repository's own connection (private): the triggers are per connection.
            await repo._require_open().call(lambda conn: conn.executescript(drop), "bench")
        fetcher = FolderFetcher(folder)
        service = StreamingSyncService(
            fetcher=fetcher, repository=repo, config=SyncConfig(ontology_id="bench")
        )
        async with service:
            with feed_statements(feed):
                return await service.sync()


async def measure(folder: Path, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"with": [], "without": [], "with_w": [], "without_w": []}
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(rounds):
            for feed in (True, False) if i % 2 == 0 else (False, True):
                name = "with" if feed else "without"
                started = time.perf_counter()
                report = await cold_sync(folder, Path(scratch, f"{name}{i}.db"), feed=feed)
                times[name].append(time.perf_counter() - started)
                times[f"{name}_w"].append(report.stages.writing)
                assert report.files.failed == 0 or report.files.succeeded > 0
                assert (report.changes.total > 0) == feed
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    times = asyncio.run(measure(args.corpus, args.rounds))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"cold sync of {args.corpus}, {args.rounds} rounds each, alternated, one process")
    print(f"  wall:  with feed {med['with']:.2f}s, without {med['without']:.2f}s,"
          f" ratio {med['with'] / med['without']:.3f}")  # fmt: skip
    ratio = med["with_w"] / med["without_w"]
    print(f"  write stage (summed over workers): with {med['with_w']:.2f}s,"
          f" without {med['without_w']:.2f}s, ratio {ratio:.3f}")  # fmt: skip
    print(f"  all wall times: with {times['with']}, without {times['without']}")


if __name__ == "__main__":
    main()
