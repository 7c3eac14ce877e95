"""The maintenance commands of the CLI: ``migrate``, ``restore``, ``unlock`` and
``drop``.

``_cli`` adds them with :func:`add_admin_commands` (each runs its own coroutine;
:func:`run_admin` runs any of them by name, for a caller that dispatches itself). Exit
codes as for the other commands: 0 done, 2 refused or failed -- the refusal message
says why and that nothing was changed.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from pathlib import Path

import attrs

from ._cli_drop import add_drop, run_drop
from ._cli_options import (
    EXIT_OK,
    EXIT_USAGE,
    SubParsers,
    add_command,
    db_option,
    json_option,
    ontology_id_argument,
    ontology_option,
    require,
    switch,
    write_json,
)
from ._errors import ConfigError, SyncInProgress

ADMIN_COMMANDS = ("migrate", "restore", "unlock", "drop")
EXIT_REFUSED = EXIT_USAGE


def add_admin_commands(sub: SubParsers) -> None:
    """Add ``migrate``, ``restore``, ``unlock`` and ``drop`` to the CLI's subcommands."""
    _add_migrate(sub)
    _add_restore(sub)
    _add_unlock(sub)
    add_drop(sub)


def _add_migrate(sub: SubParsers) -> None:
    migrate = add_command(
        sub,
        "migrate",
        _run_migrate,
        help="upgrade a database left by the original system to the current schema",
        description="Detect a legacy schema, back the database up beside it (SQLite's "
        "online backup API), move the rows to the current schema in one transaction and "
        "check the row counts. A database already current is left alone; an unknown "
        "schema is refused with nothing changed.",
    )
    db_option(migrate, postgres=False)
    ontology_option(migrate, "ontology the legacy rows go to")
    switch(migrate, "--dry-run", "report what would be migrated; change nothing")
    switch(
        migrate,
        "--drop-legacy",
        "remove the rows an earlier migrate brought over (the legacy:* files)",
    )
    json_option(migrate, "print the result as JSON")


def _add_restore(sub: SubParsers) -> None:
    restore = add_command(
        sub,
        "restore",
        _run_restore,
        help="put a backup back (checks the backup first; keeps the database it replaces)",
        description="Copy FILE back into the database with SQLite's backup API. Refuses, "
        "with nothing changed, a backup that is empty, damaged or not a streaming_sync "
        "database of a schema this version can use, and a database in use. The database "
        "it replaces is kept beside it as PATH.replaced-<timestamp> unless --no-keep.",
    )
    db_option(restore, postgres=False)
    restore.add_argument("--backup", metavar="FILE", help="the backup to restore (required)")
    require(restore, "backup")
    restore.add_argument(
        "--no-keep",
        action="store_true",
        help="do not keep a copy of the database being replaced",
    )


def _add_unlock(sub: SubParsers) -> None:
    unlock = add_command(
        sub,
        "unlock",
        _run_unlock,
        help="remove a run lock left by a sync that is gone",
        description="Remove the run lock of an ontology. Only needed when a crashed sync "
        "on another host left it; a lock of a dead process on this host, or one without a "
        "heartbeat for 30 s, is taken over by the next sync anyway. Refuses the lock of "
        "a live process on this host; the lock of another host only with --force.",
    )
    db_option(unlock, postgres=False)
    ontology_option(unlock, "ontology")
    unlock.add_argument(
        "--force",
        action="store_true",
        help="remove the lock of a sync on another host, whose liveness cannot be checked "
        "from here (never the lock of a live process on this host)",
    )


async def run_admin(args: argparse.Namespace) -> int:
    """Run one of :data:`ADMIN_COMMANDS`; errors propagate as the library's own."""
    runners = {
        "migrate": _run_migrate,
        "restore": _run_restore,
        "unlock": _run_unlock,
        "drop": run_drop,
    }
    return await runners[args.command](args)


async def _run_migrate(args: argparse.Namespace) -> int:
    from .storage.sqlite import migrate

    result = await migrate(
        args.db,
        ontology_id=args.ontology_id,
        dry_run=args.dry_run,
        drop_legacy=args.drop_legacy,
    )
    if args.json:
        write_json(attrs.asdict(result))
        return EXIT_OK
    line = f"{result.database}: {result.status}"
    if result.variant:
        line += f" (legacy schema: {result.variant})"
    sys.stdout.write(line + "\n")
    if result.counts:
        counts = ", ".join(f"{n} {kind}" for kind, n in result.counts.items())
        sys.stdout.write(f"rows: {counts}\n")
    if result.backup:
        sys.stdout.write(f"backup: {result.backup}\n")
    if result.message:
        sys.stdout.write(result.message + "\n")
    return EXIT_OK


async def _run_restore(args: argparse.Namespace) -> int:
    from .storage.sqlite import restore

    result = await restore(args.db, args.backup, keep=not args.no_keep)
    if result.unusable:
        where = f"moved it to {result.kept}" if result.kept else "removed it (--no-keep)"
        sys.stdout.write(f"{args.db} was not a usable database; {where}\n")
    elif result.kept:
        sys.stdout.write(f"the replaced database is kept as {result.kept}\n")
    sys.stdout.write(f"{args.db}: restored from {args.backup}\n")
    return EXIT_OK


async def _run_unlock(args: argparse.Namespace) -> int:
    from .storage.sqlite import SqliteRepository

    if not await asyncio.to_thread(Path(args.db).is_file):
        raise ConfigError(f"--db {args.db}: no such database file")
    async with await SqliteRepository.open(args.db) as repository:
        try:
            holder = await repository.remove_run_lock(args.ontology_id, force=args.force)
        except SyncInProgress as held:
            sys.stderr.write(f"streaming-sync: {_refusal(held)}; nothing was changed\n")
            return EXIT_REFUSED
    if holder is None:
        sys.stdout.write(f"ontology {args.ontology_id!r} in {args.db} was not locked\n")
        return EXIT_OK
    if args.force and not holder.startswith(socket.gethostname() + ":"):
        sys.stderr.write(
            f"streaming-sync: warning: removed the lock of a sync on another host ({holder}) "
            "without knowing whether it still runs; if it does, two syncs can now run at once\n"
        )
    sys.stdout.write(f"removed the run lock of {args.ontology_id!r} held by {holder}\n")
    return EXIT_OK


def _refusal(held: SyncInProgress) -> str:
    """Why ``unlock`` leaves the lock ``held`` in place."""
    from ._cli_report import local_time
    from .storage.sqlite._lock import process_started

    locked = local_time(held.since)
    beat = f"last heartbeat {time.time() - held.heartbeat:.0f}s ago"
    if held.host != socket.gethostname():
        return (
            f"the run lock of {held.ontology_id!r} is held by process {held.pid} on host "
            f"{held.host!r} (since {locked}, {beat}), whose liveness this host cannot check; "
            "if you are sure that sync is gone, run unlock again with --force"
        )
    started = process_started(held.pid or 0)
    running = f", running since {local_time(started)}" if started else ""
    return (
        f"the run lock of {held.ontology_id!r} is held by a live sync on this host: process "
        f"{held.pid}{running} (lock taken {locked}, {beat}); stop that sync (it releases "
        "its lock) instead of unlocking it"
    )


__all__ = ["ADMIN_COMMANDS", "add_admin_commands", "ontology_id_argument", "run_admin"]
