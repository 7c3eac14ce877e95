"""The floor of a local sync, and what one file's write costs against a plain insert.

:func:`floor` takes every file of a folder the sync would take (the default filter),
with its bytes already in memory, and measures, one after the other:

* **parse**: the fastest parser (``DefaultParser``: pyoxigraph when installed) on all
  cores -- a cold ``ParsePool`` of one process per core, its start included, every file
  at once -- with the pipeline's validation; or, when that is faster (a small corpus:
  the pool's start costs more than it gives), the same parses one after the other in
  this process, no pool;
* **plain insert**: those files' rows written with plain ``sqlite3`` ``executemany``
  into the public tables of the same schema, one transaction per file (no provenance,
  no recomputation: the least a per-file design can do);
* **save_file**: the same rows through ``SqliteRepository.save_file``, one transaction
  per file, one file after the other -- the pipeline's per-file write;
* **write_batch**: the same through ``write_batch`` in batches of 64 files, when the
  repository has it (group commit, for reference).

The three writes are alternated ``WRITE_ROUNDS`` times and the best of each is kept.
The floor is parse + plain insert: what the machine needs to turn the bytes into rows
and store them file by file. The per-file write cost is save_file against plain insert.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streaming_sync._config import PathFilter, SyncConfig
from streaming_sync._errors import SkipFile, StreamingSyncError
from streaming_sync._model import EMPTY, FileEntry, FileWrite, OntologyData
from streaming_sync._parse_pool import ParsePool
from streaming_sync._parse_worker import parse_and_validate
from streaming_sync._protocols import BatchWriter
from streaming_sync.parsers import DefaultParser
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.storage.sqlite import SqliteRepository

Parsed = list[tuple[FileEntry, OntologyData]]
BATCH = 64
#: Rounds of the three writes in ``floor`` (the best of each is kept).
WRITE_ROUNDS = 2


async def _read(root: Path) -> list[tuple[FileEntry, bytes]]:
    fetcher = FolderFetcher(
        root, path_filter=PathFilter(), max_file_size=SyncConfig().max_file_size
    )
    listing = await fetcher.list_files()
    return [(entry, await fetcher.fetch(entry)) for entry in listing.entries]


async def parse_all_cores(files: Sequence[tuple[FileEntry, bytes]]) -> tuple[float, Parsed]:
    """Seconds to parse every file on a cold pool of one process per core (start
    included); the rows of those that parsed (a skipped file as empty, as the pipeline
    writes it)."""
    limit = SyncConfig().file_timeout
    start = time.monotonic()
    async with ParsePool(DefaultParser(), os.cpu_count() or 1) as pool:
        pool.start()

        async def one(entry: FileEntry, data: bytes) -> OntologyData | None:
            try:
                return await pool.parse(entry.path, data, time_limit=limit)
            except SkipFile:
                return EMPTY
            except StreamingSyncError:
                return None  # a failing file is not written

        parsed = await asyncio.gather(*(one(e, d) for e, d in files))
        seconds = time.monotonic() - start
    return seconds, [(e, d) for (e, _), d in zip(files, parsed, strict=True) if d is not None]


def parse_here(files: Sequence[tuple[FileEntry, bytes]]) -> float:
    """Seconds to parse and validate every file one after the other in this process."""
    parser = DefaultParser()
    start = time.monotonic()
    for entry, data in files:
        # A skipped or failing file: as in parse_all_cores, its cost is counted.
        with contextlib.suppress(StreamingSyncError):
            parse_and_validate(parser, entry.path, data)
    return time.monotonic() - start


def _remove(db: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(db + suffix).unlink(missing_ok=True)


async def _fresh(db: str) -> None:
    repository = await SqliteRepository.open(db)  # the schema, as the pipeline has it
    await repository.aclose()


_COLUMNS = {
    "owl_classes": "ontology_id class_iri label comment file_sha1 properties last_synced "
    "created_at updated_at",
    "owl_class_hierarchy": "ontology_id class_iri parent_iri",
    "owl_properties": "ontology_id property_iri label property_type domain range "
    "created_at updated_at",
    "owl_axioms": "ontology_id axiom_type subject object property_iri annotations "
    "is_inferred source_path from_link created_at",
    "owl_other_axioms": "ontology_id source_path kind text created_at",
}
_SQL = {
    table: f"INSERT OR IGNORE INTO {table} ({', '.join(c.split())}) "
    f"VALUES ({', '.join('?' for _ in c.split())})"
    for table, c in _COLUMNS.items()
}  # the table and column names are this module's constants


def _rows(oid: str, entry: FileEntry, data: OntologyData, now: str) -> dict[str, list[Any]]:
    return {
        "owl_classes": [(oid, c.iri, c.label, c.comment, entry.sha, None, now, now, now)
                        for c in data.classes],
        "owl_class_hierarchy": [(oid, e.class_iri, e.parent_iri) for e in data.edges],
        "owl_properties": [(oid, p.iri, p.label, str(p.property_type), None, None, now, now)
                           for p in data.properties],
        "owl_axioms": [(oid, str(a.axiom_type), a.subject, a.object, a.property_iri,
                        a.annotations, int(a.is_inferred), entry.path, 0, now)
                       for a in data.axioms],
        "owl_other_axioms": [(oid, entry.path, o.kind, o.text, now) for o in data.other_axioms],
    }  # fmt: skip


def plain_insert(db: str, oid: str, parsed: Parsed) -> float:
    """Seconds to insert each file's rows with plain ``sqlite3``, one transaction per
    file, with the repository's pragmas (WAL, synchronous=NORMAL)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    connection = sqlite3.connect(db, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        start = time.monotonic()
        for entry, data in parsed:
            connection.execute("BEGIN IMMEDIATE")
            for table, rows in _rows(oid, entry, data, now).items():
                connection.executemany(_SQL[table], rows)
            connection.execute("COMMIT")
        return time.monotonic() - start
    finally:
        connection.close()


async def save_each(db: str, oid: str, parsed: Parsed) -> float:
    """Seconds to ``save_file`` each file, one after the other, into a fresh database."""
    repository = await SqliteRepository.open(db)
    try:
        start = time.monotonic()
        for entry, data in parsed:
            await repository.save_file(oid, entry, data)
        return time.monotonic() - start
    finally:
        await repository.aclose()


async def write_batches(db: str, oid: str, parsed: Parsed) -> float | None:
    """Seconds to write the files with ``write_batch``, ``BATCH`` at a time (None when
    the repository has no ``write_batch``)."""
    repository = await SqliteRepository.open(db)
    try:
        if not isinstance(repository, BatchWriter):
            return None
        start = time.monotonic()
        for at in range(0, len(parsed), BATCH):
            items = [FileWrite(e, d) for e, d in parsed[at : at + BATCH]]
            await repository.write_batch(oid, items)
        return time.monotonic() - start
    finally:
        await repository.aclose()


async def floor(root: Path, db: str, oid: str) -> dict[str, Any]:
    """The floor of syncing ``root`` locally, and the write costs (module docstring)."""
    files = await _read(root)
    pool_s, parsed = await parse_all_cores(files)
    here_s = parse_here(files)
    parse_s = min(pool_s, here_s)
    rows = sum(
        len(d.classes) + len(d.edges) + len(d.properties) + len(d.axioms) + len(d.other_axioms)
        for _, d in parsed
    )
    dbs = {name: f"{db}.{name}" for name in ("plain", "save", "batch")}
    inserts, saves, batches = [], [], []
    # The three writes alternated, WRITE_ROUNDS times, the best of each kept: this
    # machine's speed drifts over a run, and one round of each compared moments, not
    # writes (the per-file ratio read 1.86x and 2.26x in two default runs of one tree).
    for _ in range(WRITE_ROUNDS):
        for path in dbs.values():
            _remove(path)
            await _fresh(path)
        inserts.append(plain_insert(dbs["plain"], oid, parsed))
        saves.append(await save_each(dbs["save"], oid, parsed))
        batches.append(await write_batches(dbs["batch"], oid, parsed))
    insert_s, save_s = min(inserts), min(saves)
    batch_s = None if None in batches else min(b for b in batches if b is not None)
    return {
        "files": len(files),
        "written": len(parsed),
        "bytes": sum(len(d) for _, d in files),
        "rows": rows,
        "processes": os.cpu_count() or 1,
        "parse_s": parse_s,
        "parse_pool_s": pool_s,
        "parse_here_s": here_s,
        "plain_insert_s": insert_s,
        "save_file_s": save_s,
        "write_batch_s": batch_s,
        "floor_s": parse_s + insert_s,
    }


__all__ = ["floor", "parse_all_cores", "parse_here", "plain_insert", "save_each", "write_batches"]
