"""The write path alone, against its floor (issue 15, goal 2's per-file write cost).

Every file of a folder is parsed once, in this process, and kept in memory. Then, each
into a fresh SQLite database with the library's schema, on a plain connection in this
thread (so the thread's CPU time is the write's CPU time, whatever else the machine runs):

* *floor*: a plain ``sqlite3`` insert of the same public rows (each file's
  ``materialize``), one transaction per file, ``executemany`` per table, foreign keys off;
* *save_file*: the library's write of one file per transaction (``storage/_write.py``
  through the SQLite driver: what ``SqliteRepository.save_file`` runs on its thread);
* *batch N*: group commit, ``N`` files per transaction (what ``write_batch`` runs).

The best of ``--rounds`` is kept for each. The repository's thread hop (one per
transaction) is not in these numbers: it is the same for the floor and for the library.

Run ``python -m benchmarks.write_profile FOLDER [--files N] [--batch 16 64] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import functools
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks._measure import ONTOLOGY_ID
from streaming_sync._errors import StreamingSyncError
from streaming_sync._model import LINK_AXIOM_ANNOTATIONS, FileEntry, FileWrite, OntologyData
from streaming_sync._snapshot import materialize
from streaming_sync._validate import validate
from streaming_sync.parsers import DefaultParser
from streaming_sync.storage.sqlite import _driver, _open
from streaming_sync.storage.sqlite._connection import in_transaction

Item = tuple[str, str, OntologyData]  # path, committed SHA, rows
_OID = ONTOLOGY_ID
_COLUMNS = {
    "owl_classes": "ontology_id class_iri label comment file_sha1 properties last_synced "
    "created_at updated_at",
    "owl_class_hierarchy": "ontology_id class_iri parent_iri",
    "owl_properties": "ontology_id property_iri label property_type domain range created_at "
    "updated_at",
    "owl_axioms": "ontology_id axiom_type subject object property_iri annotations is_inferred "
    "source_path from_link created_at",
    "owl_other_axioms": "ontology_id source_path kind text created_at",
}
_INSERT = {
    table: f"INSERT OR IGNORE INTO {table} ({', '.join(cols.split())}) "
    f"VALUES ({', '.join('?' * len(cols.split()))})"
    for table, cols in _COLUMNS.items()
}


def parse_folder(root: Path, limit: int | None = None) -> list[Item]:
    """Every file below ``root`` the default parser accepts and parses, in path order."""
    from streaming_sync import git_blob_sha1

    parser = DefaultParser()
    items: list[Item] = []
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        path = file.relative_to(root).as_posix()
        if not parser.accepts(path):
            continue
        data = file.read_bytes()
        try:
            items.append((path, git_blob_sha1(data), validate(path, parser.parse(path, data))))
        except StreamingSyncError:
            continue  # a file the pipeline would not write
        if limit is not None and len(items) == limit:
            break
    return items


def public_rows(path: str, sha: str, data: OntologyData, now: str) -> dict[str, list[Any]]:
    """The public rows ``path`` alone gives, as tuples in ``_COLUMNS`` order."""
    snap = materialize({path: (sha, data)})
    link = LINK_AXIOM_ANNOTATIONS
    return {
        "owl_classes": [
            (_OID, c.class_iri, c.label, c.comment, c.file_sha1, c.properties, now, now, now)
            for c in snap.classes
        ],
        "owl_class_hierarchy": [(_OID, e.class_iri, e.parent_iri) for e in snap.edges],
        "owl_properties": [
            (_OID, p.property_iri, p.label, p.property_type, p.domain, p.range, now, now)
            for p in snap.properties
        ],
        "owl_axioms": [
            (
                _OID,
                a.axiom_type,
                a.subject,
                a.object,
                a.property_iri,
                a.annotations,
                int(a.is_inferred),
                a.source_path,
                int(a.annotations == link),
                now,
            )
            for a in snap.axioms
        ],
        "owl_other_axioms": [(_OID, o.source_path, o.kind, o.text, now) for o in snap.other_axioms],
    }


def _connect(db: Path) -> sqlite3.Connection:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    _open.prepare(conn, str(db), 5.0)
    return conn


def _cpu(work: Callable[[], None]) -> float:
    start = time.thread_time()
    work()
    return time.thread_time() - start


def floor(db: Path, items: Sequence[Item]) -> float:
    """CPU seconds of the plain insert (the rows are prepared before the clock starts)."""
    now = _open.now_iso()
    prepared = [(path, sha, public_rows(path, sha, data, now)) for path, sha, data in items]
    conn = _connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")  # one file's rows name other files' classes

    def insert() -> None:
        for path, sha, rows in prepared:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO sync_files VALUES (?, ?, ?, ?)", (_OID, path, sha, now))
            for table, values in rows.items():
                conn.executemany(_INSERT[table], values)
            conn.execute("COMMIT")

    try:
        return _cpu(insert)
    finally:
        conn.close()


def library(db: Path, items: Sequence[Item], batch: int = 1) -> float:
    """CPU seconds of the library's write, ``batch`` files per transaction (1: the
    ``save_file`` path, a batch of one)."""
    now = _open.now_iso()
    conn = _connect(db)

    def write() -> None:
        for start in range(0, len(items), batch):
            chunk = [FileWrite(FileEntry(p, 0, s), d) for p, s, d in items[start : start + batch]]
            in_transaction(
                conn,
                functools.partial(_driver.write_batch, oid=_OID, items=chunk, now=now),
                "BEGIN IMMEDIATE",
            )

    try:
        return _cpu(write)
    finally:
        conn.close()


def profile(
    items: Sequence[Item], workdir: Path, batches: Sequence[int] = (16, 64), rounds: int = 3
) -> dict[str, Any]:
    """The best CPU seconds of each mode over ``rounds``, and the ratios to the floor."""
    modes: dict[str, Callable[[Path], float]] = {
        "floor": lambda db: floor(db, items),
        "save_file": lambda db: library(db, items),
    }
    for size in batches:
        modes[f"batch {size}"] = lambda db, size=size: library(db, items, size)
    best = {
        mode: min(run(workdir / f"{mode.replace(' ', '')}.db") for _ in range(rounds))
        for mode, run in modes.items()
    }
    rows = sum(
        len(d.classes) + len(d.edges) + len(d.properties) + len(d.axioms) + len(d.other_axioms)
        for _, _, d in items
    )
    return {
        "files": len(items),
        "rows": rows,
        "seconds": best,
        "per_file_ms": {m: 1000 * s / max(len(items), 1) for m, s in best.items()},
        "vs_floor": {m: s / best["floor"] if best["floor"] else 0.0 for m, s in best.items()},
    }


def render(name: str, result: dict[str, Any]) -> str:
    lines = [f"{name}: {result['files']} files, {result['rows']} rows"]
    for mode, seconds in result["seconds"].items():
        lines.append(
            f"  {mode:10s} {seconds:8.3f} s CPU  {result['per_file_ms'][mode]:7.3f} ms/file"
            f"  {result['vs_floor'][mode]:5.2f}x floor"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--files", type=int, default=None, help="at most this many per folder")
    parser.add_argument("--batch", type=int, nargs="*", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="write-profile-") as work:
        for folder in args.folders:
            items = parse_folder(folder, args.files)
            result = profile(items, Path(work), args.batch, args.rounds)
            print(render(folder.name, result))


if __name__ == "__main__":
    main()
