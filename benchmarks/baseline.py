"""The design streaming_sync replaces, written out as a reference to measure against.

The old design synced in one batch: list the source, then for each file in turn fetch it,
parse it, and keep its rows in memory; when every file is parsed, compute the public
tables from everything at once and write them in ONE transaction at the end. It had no
change detection, so every re-sync did the same full batch.

To compare designs and not parts, the baseline uses the SAME parts as the pipeline:

* the same fetcher object (``FolderFetcher`` or ``GitHubFetcher``; it only calls
  ``list_files`` and ``fetch``, one file after the other, never the tarball),
* the same parser (``DefaultParser``, in this process) and the same per-file
  ``validate`` step the pipeline runs in its workers,
* the same SQLite schema: the database is created by ``SqliteRepository.open`` and the
  rows -- ``streaming_sync.materialize`` of all files, i.e. exactly the public tables a
  clean pipeline sync must produce -- are written with a plain ``sqlite3`` bulk insert
  (``executemany``) in a single transaction. Only the five public ``owl_*`` tables are
  written: the old design kept no per-file provenance.

So the differences measured are the design's own: sequential vs concurrent fetching,
parsing in this process vs a process pool, accumulating everything vs streaming, one
final save vs one transaction per file.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from streaming_sync._errors import StreamingSyncError
from streaming_sync._model import LINK_AXIOM_ANNOTATIONS, OntologyData
from streaming_sync._protocols import Fetcher, Parser
from streaming_sync._snapshot import OntologySnapshot, materialize
from streaming_sync._validate import validate
from streaming_sync.storage.sqlite import SqliteRepository


@attrs.define
class BaselineResult:
    """What one baseline run did, with seconds per stage (they add up to ``seconds``)."""

    files: int = 0
    succeeded: int = 0
    failed: int = 0
    rows: int = 0
    listing_s: float = 0.0
    fetching_s: float = 0.0
    parsing_s: float = 0.0
    materializing_s: float = 0.0
    writing_s: float = 0.0
    seconds: float = 0.0


async def baseline_sync(
    fetcher: Fetcher, parser: Parser, db_path: str | os.PathLike[str], ontology_id: str
) -> BaselineResult:
    """Sequential fetch -> parse -> accumulate everything in memory -> one save."""
    result = BaselineResult()
    start = time.monotonic()
    listing = await fetcher.list_files()
    result.listing_s = time.monotonic() - start
    files: dict[str, tuple[str, OntologyData]] = {}
    for entry in listing.entries:
        result.files += 1
        if not parser.accepts(entry.path):
            continue
        mark = time.monotonic()
        try:
            data = await fetcher.fetch(entry)
            fetched = time.monotonic()
            result.fetching_s += fetched - mark
            files[entry.path] = (entry.sha, validate(entry.path, parser.parse(entry.path, data)))
            result.parsing_s += time.monotonic() - fetched
        except StreamingSyncError:  # a skipped or failing file contributes nothing
            result.failed += 1
    result.succeeded = len(files)
    mark = time.monotonic()
    snapshot = materialize(files)
    result.materializing_s = time.monotonic() - mark
    mark = time.monotonic()
    await _create_schema(db_path)
    result.rows = await asyncio.to_thread(write_snapshot, db_path, ontology_id, snapshot)
    result.writing_s = time.monotonic() - mark
    result.seconds = time.monotonic() - start
    return result


async def _create_schema(db_path: str | os.PathLike[str]) -> None:
    repository = await SqliteRepository.open(db_path)
    await repository.aclose()


def _rows(values: Iterable[Any], *head: object) -> list[tuple[object, ...]]:
    return [(*head, *attrs.astuple(v, recurse=False)) for v in values]


def write_snapshot(
    db_path: str | os.PathLike[str], ontology_id: str, snapshot: OntologySnapshot
) -> int:
    """Insert ``snapshot`` into the public tables in one transaction; returns the rows."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    oid = ontology_id
    classes = _rows(sorted(snapshot.classes), oid)
    edges = _rows(snapshot.edges, oid)
    props = _rows(snapshot.properties, oid)
    axioms = [
        (oid, a.axiom_type, a.subject, a.object, a.property_iri, a.annotations,
         int(a.is_inferred), a.source_path, int(a.annotations == LINK_AXIOM_ANNOTATIONS), now)
        for a in snapshot.axioms
    ]  # fmt: skip
    others = _rows(snapshot.other_axioms, oid)
    connection = sqlite3.connect(db_path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("BEGIN IMMEDIATE")
        _insert(connection, "owl_classes", _CLASSES, [(*r, now, now, now) for r in classes])
        _insert(connection, "owl_class_hierarchy", _EDGES, edges)
        _insert(connection, "owl_properties", _PROPERTIES, [(*r, now, now) for r in props])
        _insert(connection, "owl_axioms", _AXIOMS, axioms)
        _insert(connection, "owl_other_axioms", _OTHERS, [(*r, now) for r in others])
        connection.execute("COMMIT")
    finally:
        connection.close()
    return len(classes) + len(edges) + len(props) + len(axioms) + len(others)


_CLASSES = (
    "ontology_id class_iri label comment file_sha1 properties last_synced created_at updated_at"
)
_EDGES = "ontology_id class_iri parent_iri"
_PROPERTIES = "ontology_id property_iri label property_type domain range created_at updated_at"
_AXIOMS = (
    "ontology_id axiom_type subject object property_iri annotations is_inferred source_path "
    "from_link created_at"
)
_OTHERS = "ontology_id source_path kind text created_at"


def _insert(
    connection: sqlite3.Connection, table: str, columns: str, rows: Sequence[tuple[object, ...]]
) -> None:
    names = columns.split()
    marks = ", ".join("?" for _ in names)
    # The table and column names are this module's constants, never input.
    connection.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows)


async def read_snapshot(db_path: str | Path, ontology_id: str) -> OntologySnapshot:
    """The public rows of a database (baseline's or pipeline's), read back the same way."""
    repository = await SqliteRepository.open(db_path)
    try:
        return await repository.snapshot(ontology_id)
    finally:
        await repository.aclose()


__all__ = ["BaselineResult", "baseline_sync", "read_snapshot", "write_snapshot"]
