"""``streaming-sync sync`` (and its ``--dry-run``) and ``streaming-sync check``.

``--events -`` makes stdout a pure JSON-lines stream: the final report is then the
``SyncFinished`` event's ``report`` (``--json`` prints nothing more) and the text summary
goes to stderr. When the reader of stdout goes away (``| head``) the events stop quietly,
the sync runs to its end, and the exit code is 141 (128 + SIGPIPE), as a shell expects.

A new SQLite database is created only once the source listed: the first sync lists
the source before it opens the database, so a typo in SOURCE or a failed GitHub listing
leaves no empty database behind.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from ._cli_check import run_check, run_dry_run
from ._cli_db import check_database_path, is_new_database
from ._cli_options import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_USAGE,
    SubParsers,
    add_command,
    db_options,
    glob_argument,
    json_option,
    positive_float,
    positive_int,
    require,
    silence_stdout,
    switch,
    write_json,
)
from ._cli_report import summary
from ._cli_source import check_token_env, list_source, nothing_listed, source_fetcher
from ._config import SyncConfig
from ._errors import ConfigError, SyncAborted
from ._formats import RDF_PARSER_KINDS
from ._model import Outcome, SyncReport
from ._protocols import ProgressSink
from ._service import StreamingSyncService
from .observe.events import ProgressEvent
from .observe.metrics import SyncMetrics
from .observe.sinks import JsonLinesSink, LogSink, TerminalProgressSink

if TYPE_CHECKING:
    from types import ModuleType

    from .observe.prometheus import MetricsServer

logger = logging.getLogger("streaming_sync.cli")


def add_commands(sub: SubParsers) -> None:
    """``sync`` and ``check``."""
    sync = add_command(sub, "sync", run_sync, help="sync SOURCE into the database")
    source_options(sync)
    _sync_options(sync)
    _output_options(sync)
    _shared_options(sync)
    _observability_options(sync)
    check = add_command(
        sub,
        "check",
        run_check_command,
        help="pre-flight: is the source reachable, the token valid, the database writable?",
        description="Check what a sync of SOURCE into --db needs, writing nothing: the"
        " source lists (and how many files), the GitHub token is accepted (and the rate"
        " limit left), the database can be written and has the current schema version."
        " Exit 0 when a sync could run, 2 when something would stop it.",
    )
    source_options(check)
    json_option(check, "print the findings as JSON")


def source_options(parser: argparse.ArgumentParser) -> None:
    """SOURCE, ``--db``, ``--ontology-id`` and the options of the source."""
    parser.add_argument(
        "source",
        metavar="SOURCE",
        nargs="?",
        help="a folder, or github:OWNER/REPO[@REF][/PATH] (required)",
    )
    require(parser, "source")
    db_options(parser)
    parser.add_argument(
        "--include",
        action="append",
        type=glob_argument,
        metavar="GLOB",
        help="only paths matching GLOB (repeatable; default: ontology formats)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        type=glob_argument,
        metavar="GLOB",
        help="skip paths matching GLOB (repeatable)",
    )
    parser.add_argument("--api-url", help="GitHub API URL (GitHub Enterprise: https://HOST/api/v3)")
    parser.add_argument(
        "--token-env",
        default="GITHUB_TOKEN",
        metavar="NAME",
        help="environment variable holding the GitHub token (default GITHUB_TOKEN; a"
        " variable named on purpose must be set)",
    )


def _sync_options(sync: argparse.ArgumentParser) -> None:
    sync.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="files processed at once (default: 2 per core, at most 8)",
    )
    switch(sync, "--full", "re-process unchanged files too")
    switch(
        sync,
        "--strict",
        "a syntax error in a Logseq page's axiom fence fails the page (default: warn)",
    )
    sync.add_argument(
        "--parser",
        choices=RDF_PARSER_KINDS,
        default="auto",
        help="RDF parser (auto: pyoxigraph when installed)",
    )
    switch(
        sync,
        "--dry-run",
        "list the source and say what a sync would add, change and delete; write nothing",
    )


def _output_options(sync: argparse.ArgumentParser) -> None:
    json_option(sync)
    switch(sync, "--quiet", "no progress output (failures still print)")


def _shared_options(sync: argparse.ArgumentParser) -> None:
    """Shared sync (PostgreSQL only): processes on the same source and database
    cooperate; ``--join`` adds a participant that never starts a run itself."""
    switch(
        sync,
        "--join",
        "join the shared sync another process started on the same source and"
        " postgresql:// database (never start one; wait up to 30 s for it)",
    )
    sync.add_argument(
        "--lease",
        type=positive_float,
        metavar="SECONDS",
        help="shared sync: how long a claimed file stays reserved for a participant that"
        " stopped renewing it (default 30)",
    )


def _observability_options(sync: argparse.ArgumentParser) -> None:
    sync.add_argument(
        "--events",
        metavar="FILE|-",
        help="append every progress event as a JSON line to FILE; '-' writes them to stdout"
        " (then stdout carries only JSON lines: the report is the SyncFinished event)",
    )
    sync.add_argument(
        "--metrics-port",
        type=int,
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


def sync_config(args: argparse.Namespace) -> SyncConfig:
    """The ``SyncConfig`` of the options (the rest keep the library's defaults)."""
    options: dict[str, Any] = {"ontology_id": args.ontology_id}
    for name in ("full", "strict", "workers"):
        if getattr(args, name, None) is not None:
            options[name] = getattr(args, name)
    return SyncConfig(**options)


async def run_check_command(args: argparse.Namespace) -> int:
    return await run_check(args, sync_config(args))


def _terminal_sink() -> ProgressSink:
    """The rich progress bar when rich is installed (extra ``progress``), else ours."""
    try:
        from .observe.rich import RichProgressSink
    except ImportError:
        return TerminalProgressSink(sys.stderr)
    return RichProgressSink()


@contextlib.contextmanager
def _events_stream(target: str | None) -> Iterator[TextIO | None]:
    """The stream ``--events`` names: None, stdout for ``-``, else FILE opened to append."""
    if target is None or target == "-":
        yield None if target is None else sys.stdout
        return
    try:
        stream = open(target, "a", encoding="utf-8")  # noqa: SIM115 -- closed below
    except OSError as error:
        raise ConfigError(f"--events {target}: cannot open it: {error.strerror}") from None
    with stream:
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


class _Fanout:
    """Sends each event to every sink (for what runs before the service has its own)."""

    def __init__(self, sinks: list[ProgressSink]) -> None:
        self.sinks = sinks

    async def __call__(self, event: ProgressEvent) -> None:
        for sink in self.sinks:
            await sink.emit(event)


async def run_sync(args: argparse.Namespace) -> int:
    config = sync_config(args)
    check_token_env(args)
    check_database_path(args.db, must_exist=False)
    exporter = _metrics_server_module() if args.metrics_port is not None else None
    with _events_stream(args.events) as events:
        sinks: list[ProgressSink] = []
        if not args.quiet:
            sinks.append(_terminal_sink() if sys.stderr.isatty() else LogSink())
        json_sink = JsonLinesSink(events) if events is not None else None
        if json_sink is not None:
            sinks.append(json_sink)
        if args.dry_run:
            return await run_dry_run(args, config, _Fanout(sinks))
        if is_new_database(args.db):
            async with source_fetcher(args, config, _Fanout(sinks)) as fetcher:
                await list_source(fetcher, config, _Fanout(sinks))
        metrics = SyncMetrics()
        if exporter is not None:
            sinks.append(metrics)
        code = await _sync_with(args, config, sinks, metrics, exporter)
    if json_sink is not None and json_sink.closed and events is sys.stdout:
        silence_stdout()
        return EXIT_PIPE
    return code


async def _sync_with(
    args: argparse.Namespace,
    config: SyncConfig,
    sinks: list[ProgressSink],
    metrics: SyncMetrics,
    exporter: ModuleType | None,
) -> int:
    service = await StreamingSyncService.from_source(
        args.source,
        db=args.db,
        config=config,
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
            _print_report(args, aborted.report, error_line=False)
            sys.stderr.write(f"streaming-sync: {aborted}\n")
            return EXIT_USAGE
        finally:
            if server is not None:
                server.close()
    _print_report(args, report)
    if report.files.listed == 0:
        sys.stderr.write(f"streaming-sync: {nothing_listed(args)}\n")
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


def _print_report(args: argparse.Namespace, report: SyncReport, *, error_line: bool = True) -> None:
    failed = report.outcome is not Outcome.SUCCEEDED
    if args.events == "-":
        # stdout carries JSON lines only; the report already went out as SyncFinished.
        if not args.quiet or failed:
            summary(report, sys.stderr, error_line=error_line)
        return
    if args.json:
        write_json(report.to_dict())
    elif not args.quiet or failed:
        summary(report, sys.stdout, error_line=error_line)


__all__ = ["add_commands", "run_sync", "source_options", "sync_config"]
