"""``streaming-sync changes`` and ``streaming-sync prune``: the change feed from the
command line.

``changes`` prints the records after ``--since`` (a position or a run id; default every
record kept), one per line -- ``--json`` makes each line a JSON object
(``change_to_dict``) -- and with ``--follow`` keeps printing them as they are committed
until interrupted. A ``--since`` older than what the feed keeps is refused (exit 2,
saying from which position it can continue). ``prune`` deletes the records older than
the ``--keep-runs`` newest runs and/or ``--keep-days`` days.

``_cli_feed`` registers them with :func:`add_commands`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TextIO

import attrs

from ._changes import (
    Change,
    ClassChange,
    PropertyChange,
    change_to_dict,
    is_run_id,
    kind_of,
    new_row,
    old_row,
)
from ._cli_db import check_database_path
from ._cli_options import (
    EXIT_OK,
    SubParsers,
    add_command,
    db_options,
    json_option,
    positive_int,
    switch,
)
from ._defaults import open_repository
from ._errors import ConfigError
from ._reader import OntologyReader
from ._reader_changes import DEFAULT_POLL
from .storage._names import is_postgres


def since_argument(value: str) -> int | str:
    """``--since``: a position (a whole number) or a run id (as reports show it)."""
    if value.isdigit():
        return int(value)
    if is_run_id(value):
        return value
    raise argparse.ArgumentTypeError(
        f"{value!r}: give a position (a whole number) or a run id (e.g."
        " 2024-05-01T12:00:00.000000Z-1a2b, from a report's changes.run_id)"
    )


def add_commands(sub: SubParsers) -> None:
    """``changes`` and ``prune``."""
    changes = add_command(
        sub,
        "changes",
        run_changes,
        help="the change feed: what each sync added, removed or changed",
        description="Print the change records after --since, oldest first.",
    )
    db_options(changes)
    changes.add_argument(
        "--since",
        type=since_argument,
        metavar="POSITION|RUN",
        help="after this position, or from this run on (default: every record kept)",
    )
    changes.add_argument("--limit", type=positive_int, metavar="N", help="at most N records")
    switch(changes, "--follow", "keep printing records as they are committed")
    json_option(changes, "one JSON object per line")
    prune = add_command(
        sub,
        "prune",
        run_prune,
        help="delete old change records",
        description="Remove the change records older than the --keep-runs newest runs that "
        "changed something and/or older than --keep-days days. Readers asking for pruned "
        "records are told so (never given a partial feed).",
    )
    db_options(prune)
    retention_options(prune, "")


def retention_options(parser: argparse.ArgumentParser, when: str) -> None:
    """``--keep-runs`` and ``--keep-days`` (``when``: a prefix for their help)."""
    parser.add_argument(
        "--keep-runs",
        type=positive_int,
        metavar="N",
        help=f"{when}keep the change records of the N newest runs that changed something",
    )
    parser.add_argument(
        "--keep-days",
        type=float,
        metavar="DAYS",
        help=f"{when}keep the change records of the last DAYS days",
    )


@asynccontextmanager
async def _reader(db: str, ontology_id: str) -> AsyncIterator[OntologyReader]:
    """A reader on ``db``: a SQLite file read-only, or a PostgreSQL repository."""
    if not is_postgres(db):
        await asyncio.to_thread(check_database_path, db, must_exist=True)
        async with await OntologyReader.open(db, ontology_id=ontology_id) as reader:
            yield reader
        return
    async with (
        await open_repository(db) as repository,
        OntologyReader(repository, ontology_id) as reader,
    ):
        yield reader


def change_line(change: Change) -> str:
    """One record as a line of text: position, run, operation, kind, then the row -- or,
    for a changed class or property, its IRI and each changed column, old -> new."""
    head = f"{change.position:>8}  {change.run_id or '-'}  {change.op:<7}  {kind_of(change):<11}  "
    if isinstance(change, ClassChange | PropertyChange) and change.old and change.new:
        old, new = change.old, change.new
        fields = "; ".join(
            f"{name}: {getattr(old, name)!r} -> {getattr(new, name)!r}" for name in change.fields
        )
        return f"{head}{change.iri}  {fields}"
    row = new_row(change) or old_row(change)
    assert row is not None
    return head + "  ".join(repr(v) for v in attrs.astuple(row))


def _print(change: Change, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(change_to_dict(change), ensure_ascii=False) + "\n")
    else:
        out.write(change_line(change) + "\n")
    out.flush()


async def run_changes(args: argparse.Namespace) -> int:
    """Print the records (see the module docstring)."""
    limit = args.limit
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit {limit}: must be 1 or more")
    async with _reader(args.db, args.ontology_id) as reader:
        since: int | str | None = args.since
        printed = 0
        while limit is None or printed < limit:
            page = 1000 if limit is None else min(1000, limit - printed)
            records = await reader.changes(since, limit=page)
            for change in records:
                _print(change, args.json, sys.stdout)
            printed += len(records)
            if records:
                since = records[-1].position
            if len(records) < page:
                break
        if not args.follow or (limit is not None and printed >= limit):
            return EXIT_OK
        if since is None:
            since = await reader.change_feed().last_position(args.ontology_id)
        async for change in reader.follow(since, poll=DEFAULT_POLL):
            _print(change, args.json, sys.stdout)
            printed += 1
            if limit is not None and printed >= limit:
                break
    return EXIT_OK


async def run_prune(args: argparse.Namespace) -> int:
    """Delete old records; say how many went."""
    if args.keep_runs is None and args.keep_days is None:
        raise ConfigError("prune: give --keep-runs N, --keep-days DAYS or both")
    if args.keep_runs is not None and args.keep_runs < 1:
        raise ConfigError(f"--keep-runs {args.keep_runs}: keep at least 1 run")
    if args.keep_days is not None and not args.keep_days >= 0:
        raise ConfigError(f"--keep-days {args.keep_days}: must be 0 or more")
    await asyncio.to_thread(check_database_path, args.db, must_exist=True)
    keep_for = None if args.keep_days is None else timedelta(days=args.keep_days)
    async with await open_repository(args.db) as repository:
        deleted = await repository.prune(
            args.ontology_id, keep_runs=args.keep_runs, keep_for=keep_for
        )
    sys.stdout.write(f"pruned {deleted} change record(s) of {args.ontology_id!r}\n")
    return EXIT_OK


__all__ = [
    "add_commands",
    "change_line",
    "retention_options",
    "run_changes",
    "run_prune",
    "since_argument",
]
