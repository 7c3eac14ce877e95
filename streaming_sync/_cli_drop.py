"""``streaming-sync drop``: remove one ontology id's files and rows from a database.

It asks first (on standard error, reading a line from standard input: ``y`` or ``yes``
drops, anything else -- end of input included -- keeps everything); ``--yes`` skips the
question. It holds the ontology's run lock, so it never runs beside a sync of the same
ontology, and removes the files one by one, as a sync removes files gone upstream (each
in its own transaction: stopped half-way, it leaves fewer files, never broken ones, and
running it again finishes). The run history stays: it records what happened.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading

from ._cli_db import check_database_path
from ._cli_options import EXIT_OK, EXIT_USAGE, SubParsers, add_command, db_option, ontology_option
from ._cli_report import ontology_ids, unknown_ontology
from ._defaults import open_repository
from ._protocols import RunLockStore
from ._runlock import run_lock


def add_drop(sub: SubParsers) -> None:
    drop = add_command(
        sub,
        "drop",
        run_drop,
        help="remove an ontology id's files and rows from the database (asks first)",
        description="Remove every file of --ontology-id from the database, with its rows"
        " (classes, hierarchy, properties, axioms) and its failing-file records, under the"
        " ontology's run lock. Asks for confirmation unless --yes. The run history stays.",
    )
    db_option(drop)
    ontology_option(drop, "the ontology to drop")
    drop.add_argument("--yes", action="store_true", help="drop without asking")


async def run_drop(args: argparse.Namespace) -> int:
    check_database_path(args.db, must_exist=True)
    known = await ontology_ids(args.db)
    if known is not None and args.ontology_id not in known:
        raise await unknown_ontology(args.db, args.ontology_id)
    async with await open_repository(args.db) as repository:
        committed = sorted(await repository.committed_files(args.ontology_id))
        failures, _ = await repository.load(args.ontology_id)
        question = (
            f"drop ontology {args.ontology_id!r} from {args.db}: {len(committed)} file(s)"
            f" and their rows, {len(failures)} failing-file record(s)? [y/N] "
        )
        if not args.yes and not await _confirmed(question):
            sys.stderr.write("streaming-sync: not confirmed; nothing was dropped\n")
            return EXIT_USAGE
        locks = repository if isinstance(repository, RunLockStore) else None
        async with run_lock(locks, args.ontology_id):
            for path in committed:
                await repository.remove_file(args.ontology_id, path)
            await repository.record_failures(args.ontology_id, [])
    sys.stdout.write(
        f"dropped ontology {args.ontology_id!r} from {args.db}: {len(committed)} file(s) and"
        f" their rows removed; its run history stays (`streaming-sync history --db {args.db}"
        f" --ontology-id {args.ontology_id}`)\n"
    )
    return EXIT_OK


async def _confirmed(question: str) -> bool:
    """Ask ``question`` on stderr; True for an answer of y or yes. The line is read on
    a daemon thread: a signal that stops the command meanwhile does not wait for it."""
    sys.stderr.write(question)
    sys.stderr.flush()
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def answered(line: str) -> None:
        if not answer.done():
            answer.set_result(line)

    def read() -> None:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits anymore
            loop.call_soon_threadsafe(answered, line)

    threading.Thread(target=read, name="streaming-sync-confirm", daemon=True).start()
    return (await answer).strip().lower() in ("y", "yes")


__all__ = ["add_drop", "run_drop"]
