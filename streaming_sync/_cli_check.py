"""Looking before syncing: ``streaming-sync check`` (is everything a sync needs in
place?) and ``sync --dry-run`` (what would a sync do?). Neither writes a row, nor
creates a database; a SQLite database is opened read-only."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping

import attrs

from ._cli_db import check_database_path, is_new_database, writable_problem
from ._cli_options import EXIT_OK, EXIT_USAGE, write_json
from ._cli_report import local_time
from ._cli_source import (
    DEFAULT_TOKEN_ENV,
    check_token_env,
    is_github,
    list_source,
    nothing_listed,
    preview,
    preview_lines,
    source_fetcher,
)
from ._config import SyncConfig
from ._defaults import open_repository
from ._errors import StreamingSyncError
from ._model import Listing
from ._protocols import Fetcher, RateLimitStatus
from .observe.events import ProgressEvent
from .storage._names import is_postgres

#: Paths a dry run prints per kind (``--json`` lists them all).
DRY_RUN_SHOWN = 200


@attrs.frozen
class Finding:
    """One thing ``check`` looked at: ``status`` is ok, warn or FAIL."""

    name: str
    status: str
    detail: str


async def _quiet(event: ProgressEvent) -> None:
    """``check`` reports what it found at the end, not the listing's retries."""


async def run_check(args: argparse.Namespace, config: SyncConfig) -> int:
    """The findings about the source, the token and the database, one line each;
    exit 0 when a sync could run, 2 when something would stop it."""
    findings = [*await _check_source(args, config), *await _check_database(args)]
    if args.json:
        ok = all(f.status != "FAIL" for f in findings)
        write_json({"ok": ok, "checks": [attrs.asdict(f) for f in findings]})
    else:
        for finding in findings:
            sys.stdout.write(f"{finding.status:<5} {finding.name}: {finding.detail}\n")
    return EXIT_USAGE if any(f.status == "FAIL" for f in findings) else EXIT_OK


async def _check_source(args: argparse.Namespace, config: SyncConfig) -> list[Finding]:
    start = time.monotonic()
    try:
        async with source_fetcher(args, config, _quiet) as fetcher:
            listing = await list_source(fetcher, config, _quiet)
            remaining = (
                fetcher.rate_limit_remaining if isinstance(fetcher, RateLimitStatus) else None
            )
    except StreamingSyncError as error:
        return [Finding("source", "FAIL", f"{args.source}: {error}")]
    seconds = time.monotonic() - start
    found = [
        Finding(
            "source",
            "ok",
            f"{args.source}: {len(listing.entries)} files listed"
            f" (commit {listing.commit or '-'}, {seconds:.2f}s)",
        )
    ]
    if not listing.entries:
        found.append(Finding("source", "warn", nothing_listed(args).removeprefix("warning: ")))
    found += [Finding("source", "warn", f"incomplete listing: {gap}") for gap in listing.missing]
    if is_github(args):
        found.append(_token_finding(args, remaining))
    return found


def _token_finding(args: argparse.Namespace, remaining: int | None) -> Finding:
    budget = "" if remaining is None else f"; rate limit: {remaining} requests left"
    if os.environ.get(args.token_env, "").strip():
        return Finding("token", "ok", f"the token in ${args.token_env} was accepted{budget}")
    return Finding(
        "token",
        "warn",
        f"no token (${args.token_env} is not set): anonymous access, which GitHub limits"
        f" to 60 requests an hour{budget}; set ${DEFAULT_TOKEN_ENV} or --token-env",
    )


async def _check_database(args: argparse.Namespace) -> list[Finding]:
    try:
        check_database_path(args.db, must_exist=False)
        if is_new_database(args.db):
            problem = writable_problem(args.db)
            if problem:
                return [Finding("database", "FAIL", f"{args.db}: {problem}")]
            return [Finding("database", "ok", f"{args.db}: does not exist yet; a sync creates it")]
        return await _existing_database(args)
    except StreamingSyncError as error:
        return [Finding("database", "FAIL", str(error))]


async def _existing_database(args: argparse.Namespace) -> list[Finding]:
    if is_postgres(args.db):
        from .storage.postgres._schema import SCHEMA_VERSION as PG_VERSION

        repository = await open_repository(args.db)
        version, writable = PG_VERSION, None
    else:
        from .storage.sqlite._schema import SCHEMA_VERSION

        repository = await open_repository(args.db, read_only=True)
        version, writable = SCHEMA_VERSION, writable_problem(args.db)
    async with repository:
        _, last = await repository.load(args.ontology_id)
    found = [Finding("database", "ok", f"{args.db}: schema version {version} (current)")]
    if writable:
        found.append(Finding("database", "FAIL", f"{args.db}: read-only: {writable}"))
    when = (
        f"last sync of {args.ontology_id!r}: {local_time(last.started_at)}, {last.outcome}"
        if last
        else f"no sync of {args.ontology_id!r} recorded yet"
    )
    found.append(Finding("database", "ok", when))
    return found


async def run_dry_run(
    args: argparse.Namespace, config: SyncConfig, emit: Callable[[ProgressEvent], Awaitable[None]]
) -> int:
    """What a sync would add, change and delete: the listing against the SHAs the
    database holds (none when it does not exist yet)."""
    check_token_env(args)
    check_database_path(args.db, must_exist=False)
    committed = await _committed(args)
    fetcher: Fetcher
    async with source_fetcher(args, config, emit) as fetcher:
        listing: Listing = await list_source(fetcher, config, emit)
    result = preview(listing, committed, full=config.full)
    if args.json:
        write_json(result.to_dict())
    else:
        for line in preview_lines(result, DRY_RUN_SHOWN):
            sys.stdout.write(line + "\n")
    if not listing.entries:
        sys.stderr.write(f"streaming-sync: {nothing_listed(args)}\n")
    return EXIT_OK


async def _committed(args: argparse.Namespace) -> Mapping[str, str]:
    if is_new_database(args.db):
        return {}
    read_only = not is_postgres(args.db)
    async with await open_repository(args.db, read_only=read_only) as repository:
        return dict(await repository.committed_files(args.ontology_id))


__all__ = ["Finding", "run_check", "run_dry_run"]
