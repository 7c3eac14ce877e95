"""The two lower bounds of a local sync: the parser alone and the writes alone.

``parse_alone`` parses every file of a folder with the same parser, the same parsing
strategy (``parsing_for``: the supervised process pool of the same size, or a thread)
and the same call the pipeline makes (``parsing.parse(path, data, time_limit=...)``),
with every file's bytes already in memory. ``write_alone`` saves the parsed files into a fresh
``SqliteRepository`` one transaction per file, one after the other, as the pipeline's
writes are serialised. A pipeline that overlapped them perfectly would take
``max(parse, write)``; one that did them one after the other ``parse + write``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from streaming_sync._config import SyncConfig
from streaming_sync._errors import SkipFile, StreamingSyncError
from streaming_sync._model import EMPTY, FileEntry, OntologyData
from streaming_sync._parse_pool import Parsing, parsing_for
from streaming_sync.parsers import DefaultParser
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.storage.sqlite import SqliteRepository

_TINY = b"@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<urn:x:A> a owl:Class .\n"


async def _parse_all(
    parsing: Parsing, files: list[tuple[FileEntry, bytes]]
) -> list[OntologyData | None]:
    limit = SyncConfig().file_timeout

    async def one(entry: FileEntry, data: bytes) -> OntologyData | None:
        try:
            return await parsing.parse(entry.path, data, time_limit=limit)
        except SkipFile:
            return EMPTY  # the pipeline saves a skipped file as empty
        except StreamingSyncError:
            return None  # a failing file is not written

    return list(await asyncio.gather(*(one(e, d) for e, d in files)))


async def pool_start_seconds(processes: int) -> float:
    """Seconds a fresh pool needs before each worker has parsed one tiny file."""
    if processes == 0:
        return 0.0
    start = time.monotonic()
    parsing = parsing_for(DefaultParser(), processes)
    parsing.start()
    try:
        tiny = [(FileEntry(f"t{i}.ttl", len(_TINY), ""), _TINY) for i in range(processes * 2)]
        await _parse_all(parsing, tiny)
    finally:
        await parsing.aclose()
    return time.monotonic() - start


async def parse_alone(root: Path, processes: int) -> dict[str, Any]:
    """Parse every file below ``root`` with a cold pool of ``processes`` (the time
    includes the pool's start, which the pipeline pays too)."""
    fetcher = FolderFetcher(root, path_filter=None, max_file_size=SyncConfig().max_file_size)
    listing = await fetcher.list_files()
    files = [(e, await fetcher.fetch(e)) for e in listing.entries]
    parser = DefaultParser()
    start = time.monotonic()
    parsing = parsing_for(parser, processes)
    parsing.start()
    try:
        parsed = await _parse_all(parsing, files)
    finally:
        await parsing.aclose()
    seconds = time.monotonic() - start
    results = [(e, d) for (e, _), d in zip(files, parsed, strict=True) if d is not None]
    return {
        "seconds": seconds,
        "pool_start_s": await pool_start_seconds(processes),
        "processes": processes,
        "files": len(files),
        "bytes": sum(len(d) for _, d in files),
        "parser": repr(parser),
        "results": results,
    }


async def write_alone(
    db: str, ontology_id: str, results: list[tuple[FileEntry, OntologyData]]
) -> dict[str, Any]:
    """Save each parsed file in its own transaction, sequentially, into a fresh database."""
    repository = await SqliteRepository.open(db)
    rows = 0
    start = time.monotonic()
    try:
        for entry, data in results:
            await repository.save_file(ontology_id, entry, data)
            rows += len(data.classes) + len(data.edges) + len(data.properties)
            rows += len(data.axioms) + len(data.other_axioms)
    finally:
        await repository.aclose()
    return {"seconds": time.monotonic() - start, "files": len(results), "rows": rows}


__all__ = ["parse_alone", "pool_start_seconds", "write_alone"]
