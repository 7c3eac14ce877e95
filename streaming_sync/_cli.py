"""The command line: ``streaming-sync`` and ``python -m streaming_sync``.

Exit codes: 0 every file landed; 1 some files failed or the listing was incomplete (the
rest committed); 2 usage error, refusal or fatal error; 130 interrupted (SIGINT); 143
terminated (SIGTERM).

``--events -`` makes stdout a pure JSON-lines stream: the final report is then the
``SyncFinished`` event's ``report`` (``--json`` prints nothing more) and the text summary
goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from ._cli_admin import ADMIN_COMMANDS, add_admin_commands, ontology_id_argument, run_admin
from ._cli_feed import FEED_COMMANDS, add_feed_commands
from ._cli_signals import EXIT_SIGINT, handlers_restored, run_stoppable
from ._config import SyncConfig, default_workers
from ._defaults import open_repository
from ._errors import ConfigError, StreamingSyncError, SyncAborted
from ._formats import RDF_PARSER_KINDS
from ._model import FileFailure, Outcome, SyncReport
from ._protocols import ProgressSink
from ._service import StreamingSyncService
from .observe.metrics import SyncMetrics
from .observe.sinks import JsonLinesSink, LogSink, TerminalProgressSink
from .observe.tally import LISTING
from .storage._names import is_postgres

if TYPE_CHECKING:
    from types import ModuleType

    from .observe.prometheus import MetricsServer

logger = logging.getLogger("streaming_sync.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streaming-sync",
        description="Sync a repository of ontology files into a database, one file at a time.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sync = sub.add_parser("sync", help="sync SOURCE into the database")
    sync.add_argument(
        "source", metavar="SOURCE", help="a folder, or github:OWNER/REPO[@REF][/PATH]"
    )
    _db_options(sync)
    sync.add_argument(
        "--workers", type=int, default=None, help=f"parallel files (default {default_workers()})"
    )
    sync.add_argument(
        "--include",
        action="append",
        metavar="GLOB",
        help="only paths matching GLOB (repeatable; default: ontology formats)",
    )
    sync.add_argument(
        "--exclude", action="append", metavar="GLOB", help="skip paths matching GLOB (repeatable)"
    )
    sync.add_argument("--full", action="store_true", help="re-process unchanged files too")
    sync.add_argument(
        "--strict",
        action="store_true",
        help="a syntax error in a Logseq page's axiom fence fails the page (default: warn)",
    )
    sync.add_argument(
        "--parser",
        choices=RDF_PARSER_KINDS,
        default="auto",
        help="RDF parser (auto: pyoxigraph when installed)",
    )
    sync.add_argument(
        "--api-url", default=None, help="GitHub API URL (GitHub Enterprise: https://HOST/api/v3)"
    )
    sync.add_argument(
        "--token-env",
        default="GITHUB_TOKEN",
        metavar="NAME",
        help="environment variable holding the GitHub token",
    )
    _output_options(sync)
    sync.add_argument("--quiet", action="store_true", help="no progress output")
    _shared_options(sync)
    _observability_options(sync)
    status = sub.add_parser("status", help="the last sync's report and the failing files")
    _db_options(status)
    _output_options(status)
    history = sub.add_parser("history", help="the reports of past syncs, newest first")
    _db_options(history)
    history.add_argument(
        "--limit", type=int, default=20, metavar="N", help="at most N runs (default 20)"
    )
    _output_options(history)
    add_admin_commands(sub)
    add_feed_commands(sub)
    return parser


def _observability_options(sync: argparse.ArgumentParser) -> None:
    sync.add_argument(
        "--events",
        metavar="FILE|-",
        default=None,
        help="append every progress event as a JSON line to FILE; '-' writes them to stdout"
        " (then stdout carries only JSON lines: the report is the SyncFinished event)",
    )
    sync.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="N",
        help="serve Prometheus metrics on port N while the sync runs"
        " (needs: pip install 'streaming_sync[prometheus]')",
    )
    sync.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address the metrics server listens on (default 127.0.0.1)",
    )


def _shared_options(sync: argparse.ArgumentParser) -> None:
    """Shared sync (PostgreSQL only): processes on the same source and database
    cooperate; ``--join`` adds a participant that never starts a run itself."""
    sync.add_argument(
        "--join",
        action="store_true",
        help="join the shared sync another process started on the same source and"
        " postgresql:// database (never start one; wait up to 30 s for it)",
    )
    sync.add_argument(
        "--lease",
        type=float,
        default=None,
        metavar="SECONDS",
        help="shared sync: how long a claimed file stays reserved for a participant that"
        " stopped renewing it (default 30)",
    )


def _db_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        required=True,
        metavar="PATH|URL",
        help="SQLite database file, or postgresql://USER@HOST/DB[?schema=NAME]",
    )
    parser.add_argument(
        "--ontology-id",
        default="default",
        type=ontology_id_argument,
        metavar="ID",
        help="scope of the rows (default: default)",
    )


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")


def _terminal_sink() -> ProgressSink:
    """The rich progress bar when rich is installed (extra ``progress``), else ours."""
    try:
        from .observe.rich import RichProgressSink
    except ImportError:
        return TerminalProgressSink(sys.stderr)
    return RichProgressSink()


def _config(args: argparse.Namespace) -> SyncConfig:
    options: dict[str, Any] = {
        "ontology_id": args.ontology_id,
        "full": args.full,
        "strict": args.strict,
    }
    if args.workers is not None:
        options["workers"] = args.workers
    return SyncConfig(**options)


def _summary(report: SyncReport, out: TextIO) -> None:
    f, r = report.files, report.rows
    out.write(
        f"{report.outcome}: {f.listed} listed, {f.unchanged} unchanged, "
        f"{f.succeeded} synced, {f.skipped} skipped, {f.failed} failed, {f.deleted} deleted "
        f"in {report.duration_s:.2f}s ({report.files_per_second:.1f} files/s)\n"
        f"rows written: {r.classes} classes, {r.properties} properties, {r.axioms} axioms"
        f" (commit {report.commit})\n"
    )
    s = report.stages
    out.write(
        f"stages: listing {s.listing:.2f}s, fetching {s.fetching:.2f}s, parsing {s.parsing:.2f}s,"
        f" writing {s.writing:.2f}s, rate-limited {s.rate_limited:.2f}s (summed over workers)\n"
    )
    for failure in report.failures:
        out.write(
            f"FAILED {_failure_text(failure)}"
            f" [{failure.error_type}, {failure.attempts} attempt(s)]\n"
        )
    for warning in _listing_gaps(report):
        out.write(f"INCOMPLETE {warning}\n")
    if report.error:
        out.write(f"error: {report.error}\n")


def _listing_gaps(report: SyncReport) -> list[str]:
    """The report's warnings about an incomplete listing (not about one file)."""
    return [warning for path, warning in report.warnings if path == LISTING]


def _failure_text(failure: FileFailure) -> str:
    """``path: message``, naming the path once: a failure's message is the error's own
    text, which usually starts with the path already (``x.ttl:3:7: ...``)."""
    if failure.message.startswith(failure.path + ":"):
        return failure.message
    return f"{failure.path}: {failure.message}"


def _events_to_stdout(args: argparse.Namespace) -> bool:
    return getattr(args, "events", None) == "-"


@contextlib.contextmanager
def _events_stream(target: str | None) -> Iterator[TextIO | None]:
    """The stream ``--events`` names: None, stdout for ``-``, else FILE opened to append."""
    if target is None:
        yield None
    elif target == "-":
        yield sys.stdout
    else:
        with open(target, "a", encoding="utf-8") as stream:
            yield stream


def _metrics_server_module() -> ModuleType:
    """``streaming_sync.observe.prometheus``, or ConfigError naming the install command."""
    try:
        # By name, not ``from .observe import``: that would find the attribute of a
        # submodule imported before even when the module is blocked in sys.modules.
        prometheus = importlib.import_module("streaming_sync.observe.prometheus")
    except ImportError as missing:
        raise ConfigError(
            f"--metrics-port needs prometheus_client ({missing}); "
            "pip install 'streaming_sync[prometheus]'"
        ) from None
    return prometheus


async def _run_sync(args: argparse.Namespace) -> int:
    exporter = _metrics_server_module() if args.metrics_port is not None else None
    with _events_stream(args.events) as events:
        sinks: list[ProgressSink] = []
        if not args.quiet:
            sinks.append(_terminal_sink() if sys.stderr.isatty() else LogSink())
        if events is not None:
            sinks.append(JsonLinesSink(events))
        metrics = SyncMetrics()
        if exporter is not None:
            sinks.append(metrics)
        return await _sync_with(args, sinks, metrics, exporter)


async def _sync_with(
    args: argparse.Namespace,
    sinks: list[ProgressSink],
    metrics: SyncMetrics,
    exporter: ModuleType | None,
) -> int:
    service = await StreamingSyncService.from_source(
        args.source,
        db=args.db,
        config=_config(args),
        sinks=sinks,
        include=args.include,
        exclude=args.exclude,
        parser=args.parser,
        api_url=args.api_url,
        token_env=args.token_env,
        join=args.join,
        lease=args.lease,
    )
    server = None
    async with service:
        if exporter is not None:
            server = _serve_metrics(exporter, args, metrics, service)
        try:
            report = await service.sync()
        except SyncAborted as aborted:
            if not isinstance(aborted.report, SyncReport):
                raise
            _print_report(args, aborted.report)
            sys.stderr.write(f"streaming-sync: {aborted}\n")
            return EXIT_USAGE
        finally:
            if server is not None:
                server.close()
    _print_report(args, report)
    return EXIT_OK if report.outcome is Outcome.SUCCEEDED else EXIT_FAILED


def _serve_metrics(
    exporter: ModuleType,
    args: argparse.Namespace,
    metrics: SyncMetrics,
    service: StreamingSyncService,
) -> MetricsServer:
    try:
        server: MetricsServer = exporter.serve(
            metrics, args.metrics_port, addr=args.metrics_host, stats=service.stats
        )
    except OSError as error:
        raise ConfigError(
            f"--metrics-port {args.metrics_port}: cannot listen on"
            f" {args.metrics_host}:{args.metrics_port}: {error}"
        ) from None
    logger.info(
        "serving Prometheus metrics on http://%s:%d/metrics",
        args.metrics_host,
        server.port,
        extra={"event": "metrics.serving", "port": server.port},
    )
    return server


def _print_report(args: argparse.Namespace, report: SyncReport) -> None:
    if _events_to_stdout(args):
        # stdout carries JSON lines only; the report already went out as SyncFinished.
        if not args.quiet or report.outcome is not Outcome.SUCCEEDED:
            _summary(report, sys.stderr)
        return
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif not args.quiet or report.outcome is not Outcome.SUCCEEDED:
        _summary(report, sys.stdout)


async def _run_status(args: argparse.Namespace) -> int:
    async with await open_repository(args.db, read_only=True) as repository:
        failures, report = await repository.load(args.ontology_id)
    if args.json:
        json.dump(
            {
                "last_run": report.to_dict() if report else None,
                "failing": [attrs.asdict(f) for f in failures],
            },
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")
        return EXIT_OK
    if report is None:
        sys.stdout.write(f"no sync recorded for ontology {args.ontology_id!r} in {args.db}\n")
    else:
        _summary(report, sys.stdout)
    sys.stdout.write(f"{len(failures)} file(s) failing now\n")
    for failure in failures:
        sys.stdout.write(f"  {_failure_text(failure)}\n")
    if report is not None and _listing_gaps(report):
        sys.stdout.write(
            "the last sync's listing was incomplete: files upstream may be missing "
            "(see INCOMPLETE above)\n"
        )
    return EXIT_OK


async def _run_history(args: argparse.Namespace) -> int:
    async with await open_repository(args.db, read_only=True) as repository:
        reports = await repository.history(args.ontology_id, args.limit)
    if args.json:
        json.dump([r.to_dict() for r in reports], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    if not reports:
        sys.stdout.write(f"no sync recorded for ontology {args.ontology_id!r} in {args.db}\n")
    for report in reports:
        sys.stdout.write(_history_line(report) + "\n")
    return EXIT_OK


def _history_line(report: SyncReport) -> str:
    f = report.files
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(report.started_at))
    commit = (report.commit or "-")[:12]
    line = (
        f"{started}  {report.outcome!s:<9} {report.duration_s:8.2f}s  commit {commit:<12}  "
        f"{f.listed} listed, {f.unchanged} unchanged, {f.succeeded} synced, "
        f"{f.skipped} skipped, {f.failed} failed, {f.deleted} deleted"
    )
    return line + (f"  error: {report.error}" if report.error else "")


_COMMANDS = {"sync": _run_sync, "status": _run_status, "history": _run_history, **FEED_COMMANDS}


async def _main_async(args: argparse.Namespace) -> int:
    """Run the command; a signal stops it cleanly (see ``_cli_signals``)."""
    if args.command in ADMIN_COMMANDS:
        return await run_stoppable(run_admin(args))
    return await run_stoppable(_COMMANDS[args.command](args))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``streaming-sync``; returns the exit code."""
    args = _parser().parse_args(argv)
    if (
        args.command in ("status", "history")
        and not is_postgres(args.db)
        and not Path(args.db).is_file()
    ):
        sys.stderr.write(
            f"streaming-sync: --db {args.db}: no such database file; run a sync first\n"
        )
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    with handlers_restored(argv is not None):
        try:
            return asyncio.run(_main_async(args))
        except (ConfigError, StreamingSyncError) as error:
            sys.stderr.write(f"streaming-sync: {error}\n")
            return EXIT_USAGE
        except KeyboardInterrupt:
            return EXIT_SIGINT


__all__ = ["main"]
