"""The commands that read what syncs recorded -- ``status``, ``history``, ``ontologies``
-- and the text of a report, which ``sync`` prints too. They open the database
read-only, so a database on a read-only file, folder or mount works."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

import attrs

from ._cli_db import check_database_path
from ._cli_options import (
    EXIT_OK,
    SubParsers,
    add_command,
    db_option,
    db_options,
    json_option,
    positive_int,
    write_json,
)
from ._defaults import open_repository
from ._errors import ConfigError
from ._model import FileFailure, SyncReport
from .observe.tally import LISTING
from .storage._names import is_postgres

if TYPE_CHECKING:
    from ._defaults import DefaultRepository

#: Warnings ``status`` lists before it only counts the rest.
SHOWN_WARNINGS = 10


def add_commands(sub: SubParsers) -> None:
    """``status``, ``history`` and ``ontologies``."""
    status = add_command(
        sub, "status", run_status, help="the last sync's report and the failing files"
    )
    db_options(status)
    json_option(status)
    history = add_command(
        sub, "history", run_history, help="the reports of past syncs, newest first"
    )
    db_options(history)
    history.add_argument(
        "--limit", type=positive_int, default=20, metavar="N", help="at most N runs (default 20)"
    )
    json_option(history)
    ontologies = add_command(
        sub,
        "ontologies",
        run_ontologies,
        help="the ontology ids in the database, with their row counts and last sync",
    )
    db_option(ontologies, postgres=False)
    json_option(ontologies)


def local_time(epoch: float) -> str:
    """``epoch`` in ISO 8601, local time with its offset, to the second."""
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def summary(report: SyncReport, out: TextIO, *, error_line: bool = True) -> None:
    """A report as text. ``error_line``: end with the error that stopped the run (left
    out when the caller prints that error itself: it is said once)."""
    f, r = report.files, report.rows
    out.write(
        f"{report.outcome}: {f.listed} listed, {f.unchanged} unchanged, "
        f"{f.succeeded} synced, {f.skipped} skipped, {f.failed} failed, {f.deleted} deleted "
        f"in {report.duration_s:.2f}s ({report.files_per_second:.1f} files/s)\n"
        f"rows written: {r.classes} classes, {r.properties} properties, {r.axioms} axioms"
        f" (commit {report.commit or '-'})\n"
    )
    s = report.stages
    out.write(
        f"stages: listing {s.listing:.2f}s, fetching {s.fetching:.2f}s, parsing {s.parsing:.2f}s,"
        f" writing {s.writing:.2f}s, rate-limited {s.rate_limited:.2f}s (summed over workers)\n"
    )
    warnings = file_warnings(report)
    if warnings:
        files = len({path for path, _ in warnings})
        out.write(f"warnings: {len(warnings)} in {files} file(s)\n")
    for failure in report.failures:
        tries = f"{failure.attempts} attempt(s)"
        out.write(f"FAILED {failure_text(failure)} [{failure.error_type}, {tries}]\n")
    for warning in listing_gaps(report):
        out.write(f"INCOMPLETE {warning}\n")
    if report.error and error_line:
        out.write(f"error: {report.error}\n")


def file_warnings(report: SyncReport) -> list[tuple[str, str]]:
    """The report's warnings about files (a bad axiom skipped, ...), not the listing's."""
    return [(path, warning) for path, warning in report.warnings if path != LISTING]


def listing_gaps(report: SyncReport) -> list[str]:
    """The report's warnings about an incomplete listing (not about one file)."""
    return [warning for path, warning in report.warnings if path == LISTING]


def failure_text(failure: FileFailure) -> str:
    """``path: message``, naming the path once: a failure's message is the error's own
    text, which usually starts with the path already (``x.ttl:3:7: ...``)."""
    if failure.message.startswith(failure.path + ":"):
        return failure.message
    return f"{failure.path}: {failure.message}"


async def ontology_ids(db: str) -> list[str] | None:
    """The ontology ids a SQLite database holds (None for PostgreSQL, which cannot list
    them yet)."""
    if is_postgres(db):
        return None
    from ._reader import OntologyReader

    async with await OntologyReader.open(db) as reader:
        return await reader.ontology_ids()


async def unknown_ontology(db: str, ontology_id: str) -> ConfigError:
    """The error for an ontology id nothing was recorded for, naming those there are."""
    known = await ontology_ids(db)
    if known is None:
        there = ""
    elif known:
        there = f"; the ontology ids there: {', '.join(known)}"
    else:
        there = "; it holds no ontology yet: run a sync first"
    return ConfigError(f"no sync recorded for ontology {ontology_id!r} in {db}{there}")


async def _open_existing(args: argparse.Namespace) -> DefaultRepository:
    check_database_path(args.db, must_exist=True)
    return await open_repository(args.db, read_only=True)


async def run_status(args: argparse.Namespace) -> int:
    async with await _open_existing(args) as repository:
        failures, report = await repository.load(args.ontology_id)
    if report is None and not failures:
        raise await unknown_ontology(args.db, args.ontology_id)
    if args.json:
        last = report.to_dict() if report else None
        write_json({"last_run": last, "failing": [attrs.asdict(f) for f in failures]})
        return EXIT_OK
    if report is not None:
        summary(report, sys.stdout)
        _warning_lines(report, sys.stdout)
    sys.stdout.write(f"{len(failures)} file(s) failing now\n")
    for failure in failures:
        sys.stdout.write(f"  {failure_text(failure)}\n")
    if report is not None and listing_gaps(report):
        sys.stdout.write(
            "the last sync's listing was incomplete: files upstream may be missing "
            "(see INCOMPLETE above)\n"
        )
    return EXIT_OK


def _warning_lines(report: SyncReport, out: TextIO) -> None:
    warnings = file_warnings(report)
    for path, warning in warnings[:SHOWN_WARNINGS]:
        out.write(f"  warning: {path}: {warning}\n")
    if len(warnings) > SHOWN_WARNINGS:
        out.write(f"  ... and {len(warnings) - SHOWN_WARNINGS} more (status --json lists all)\n")


async def run_history(args: argparse.Namespace) -> int:
    async with await _open_existing(args) as repository:
        reports = await repository.history(args.ontology_id, args.limit)
    if not reports:
        raise await unknown_ontology(args.db, args.ontology_id)
    if args.json:
        write_json([r.to_dict() for r in reports])
        return EXIT_OK
    for report in reports:
        sys.stdout.write(history_line(report) + "\n")
    return EXIT_OK


def history_line(report: SyncReport) -> str:
    f = report.files
    commit = (report.commit or "-")[:12]
    line = (
        f"{local_time(report.started_at)}  {report.outcome!s:<9} {report.duration_s:8.2f}s"
        f"  commit {commit:<12}  {f.listed} listed, {f.unchanged} unchanged, {f.succeeded}"
        f" synced, {f.skipped} skipped, {f.failed} failed, {f.deleted} deleted"
    )
    return line + (f"  error: {report.error}" if report.error else "")


async def run_ontologies(args: argparse.Namespace) -> int:
    from ._reader import OntologyReader

    if is_postgres(args.db):
        raise ConfigError("ontologies: a PostgreSQL database cannot list its ontology ids yet")
    rows = []
    async with (
        await _open_existing(args) as repository,
        await OntologyReader.open(args.db) as reader,
    ):
        for oid in await reader.ontology_ids():
            counts = await reader.engine.counts(oid)
            _, last = await repository.load(oid)
            rows.append((oid, counts, last))
    if args.json:
        write_json(
            [
                {"ontology_id": oid, **attrs.asdict(counts), "last_run": last and last.to_dict()}
                for oid, counts, last in rows
            ]
        )
        return EXIT_OK
    if not rows:
        sys.stdout.write(f"no ontology in {args.db} yet: run a sync first\n")
    for oid, counts, last in rows:
        when = f"last sync {local_time(last.started_at)} {last.outcome}" if last else "never synced"
        sys.stdout.write(
            f"{oid}: {counts.files} files, {counts.classes} classes, {counts.properties}"
            f" properties, {counts.axioms} axioms; {when}\n"
        )
    return EXIT_OK


__all__ = [
    "add_commands",
    "failure_text",
    "file_warnings",
    "history_line",
    "listing_gaps",
    "local_time",
    "ontology_ids",
    "summary",
    "unknown_ontology",
]
