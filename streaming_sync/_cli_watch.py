"""``streaming-sync watch``: keep a database current with its source.

Syncs at once, then polls every ``--interval`` seconds (idle polls ask the source with
its ETags and write nothing) and syncs when upstream moved; prints one line per sync --
one JSON object with ``--json`` (the report, its ``changes`` included). With
``--webhook-port`` it also serves GitHub's push webhook (``_webhook``), signed with the
secret in the environment variable ``--webhook-secret-env``: a push syncs at once, and
polling stays on as a safety net every ``--safety-interval`` seconds. ``--health-port``
serves ``/healthz``; ``--metrics-port`` the Prometheus metrics. SIGINT/SIGTERM end it
after the files in flight (exit 130/143, see ``_cli_signals``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import Any, TypeVar

from ._cli_changes import retention_options
from ._cli_db import check_database_path
from ._cli_options import (
    EXIT_OK,
    SubParsers,
    add_command,
    json_option,
    positive_float,
    positive_int,
    switch,
)
from ._cli_source import check_token_env
from ._cli_sync import source_options
from ._config import SyncConfig
from ._defaults import GITHUB_PREFIX
from ._errors import ConfigError
from ._formats import RDF_PARSER_KINDS
from ._model import SyncReport
from ._protocols import ProgressSink
from ._service import StreamingSyncService
from ._watch import DEFAULT_INTERVAL, PushTrigger, Retention, Watcher
from ._watch_http import serve_health, serve_webhook
from ._webhook import DEFAULT_MAX_BODY, PushTarget, WebhookReceiver
from .observe.health import HealthMonitor
from .observe.metrics import SyncMetrics
from .observe.sinks import LogSink
from .sources._github_spec import parse_github_spec

logger = logging.getLogger("streaming_sync.cli")

T = TypeVar("T")


def add_commands(sub: SubParsers) -> None:
    """``watch``."""
    watch = add_command(
        sub,
        "watch",
        run_watch,
        help="sync SOURCE now and again whenever it changes (polling, webhooks)",
        description="Sync SOURCE, then poll it every --interval seconds and sync when it "
        "moved (idle polls write nothing); with --webhook-port a GitHub push syncs at once.",
    )
    source_options(watch)
    watch.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="files processed at once (default: 2 per core, at most 8)",
    )
    watch.add_argument(
        "--parser",
        choices=RDF_PARSER_KINDS,
        default="auto",
        help="RDF parser (auto: pyoxigraph when installed)",
    )
    watch.add_argument(
        "--interval",
        type=positive_float,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between polls (default {DEFAULT_INTERVAL:g})",
    )
    json_option(watch, "one JSON report per sync on stdout")
    switch(watch, "--quiet", "no progress output")
    _endpoint_options(watch)
    retention_options(watch, "after each sync, ")


def _endpoint_options(parser: argparse.ArgumentParser) -> None:
    for name, what in (("health", "/healthz"), ("metrics", "Prometheus metrics")):
        parser.add_argument(
            f"--{name}-port", type=int, default=None, metavar="N", help=f"serve {what} on port N"
        )
        parser.add_argument(
            f"--{name}-host",
            default="127.0.0.1",
            metavar="HOST",
            help=f"address the {what} server listens on (default 127.0.0.1)",
        )
    parser.add_argument(
        "--webhook-port", type=int, default=None, metavar="N",
        help="serve GitHub's push webhook on port N (needs --webhook-secret-env)",
    )  # fmt: skip
    parser.add_argument(
        "--webhook-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address the webhook server listens on (default 127.0.0.1)",
    )
    parser.add_argument(
        "--webhook-secret-env", default=None, metavar="NAME",
        help="environment variable holding the webhook's secret",
    )  # fmt: skip
    parser.add_argument(
        "--webhook-max-bytes", type=positive_int, default=DEFAULT_MAX_BODY, metavar="N",
        help=f"refuse deliveries over N bytes (default {DEFAULT_MAX_BODY})",
    )  # fmt: skip
    parser.add_argument(
        "--safety-interval", type=positive_float, default=None, metavar="SECONDS",
        help="with webhooks: seconds between safety-net polls (default 10 x --interval)",
    )  # fmt: skip


def _retention(args: argparse.Namespace) -> Retention | None:
    if args.keep_runs is None and args.keep_days is None:
        return None
    if args.keep_runs is not None and args.keep_runs < 1:
        raise ConfigError(f"--keep-runs {args.keep_runs}: keep at least 1 run")
    if args.keep_days is not None and not args.keep_days >= 0:
        raise ConfigError(f"--keep-days {args.keep_days}: must be 0 or more")
    days = None if args.keep_days is None else timedelta(days=args.keep_days)
    return Retention(args.keep_runs, days)


def _receiver(args: argparse.Namespace, trigger: PushTrigger) -> WebhookReceiver | None:
    """The webhook's receiver (None without ``--webhook-port``); the secret is read from
    the environment here and kept only in the receiver."""
    if args.webhook_port is None:
        return None
    if not args.source.startswith(GITHUB_PREFIX):
        raise ConfigError("--webhook-port: webhooks come from GitHub; SOURCE must be github:...")
    if not args.webhook_secret_env:
        raise ConfigError("--webhook-port needs --webhook-secret-env NAME (the secret's variable)")
    secret = os.environ.get(args.webhook_secret_env, "")
    if not secret:
        raise ConfigError(
            f"--webhook-secret-env {args.webhook_secret_env}: that variable is not set or empty"
        )
    if args.webhook_max_bytes < 1:
        raise ConfigError(f"--webhook-max-bytes {args.webhook_max_bytes}: must be 1 or more")
    spec = parse_github_spec(args.source)
    target = PushTarget(spec.owner, spec.repo, spec.ref)
    return WebhookReceiver(secret, target, trigger.push, max_body=args.webhook_max_bytes)


def _interval(args: argparse.Namespace) -> float:
    if not args.interval > 0:
        raise ConfigError(f"--interval {args.interval}: must be more than 0 seconds")
    if args.webhook_port is None:
        return float(args.interval)
    safety = args.safety_interval if args.safety_interval is not None else 10 * args.interval
    if not safety > 0:
        raise ConfigError(f"--safety-interval {safety}: must be more than 0 seconds")
    return float(safety)


def _line(report: SyncReport) -> str:
    """One sync, as a line: outcome, files, and what changed."""
    f, c = report.files, report.changes
    shown = (("classes", c.classes), ("edges", c.edges), ("properties", c.properties),
             ("axioms", c.axioms))  # fmt: skip
    kinds = ", ".join(
        f"{kind} +{n.added} -{n.removed}" + (f" ~{n.changed}" if n.changed else "")
        for kind, n in shown
        if n.total
    )
    return (
        f"{report.outcome}: commit {(report.commit or '-')[:12]}, {f.succeeded} synced,"
        f" {f.failed} failed, {f.deleted} deleted in {report.duration_s:.2f}s;"
        f" changes: {kinds or 'none'} (run {c.run_id})"
        + (f"; error: {report.error}" if report.error else "")
    )


def _metrics_module() -> Any:
    try:
        return importlib.import_module("streaming_sync.observe.prometheus")
    except ImportError as missing:
        raise ConfigError(
            f"--metrics-port needs prometheus_client ({missing}); "
            "pip install 'streaming_sync[prometheus]'"
        ) from None


@contextlib.asynccontextmanager
async def _endpoints(
    args: argparse.Namespace,
    watcher: Watcher,
    receiver: WebhookReceiver | None,
    metrics: SyncMetrics,
    service: StreamingSyncService,
) -> AsyncIterator[None]:
    """The health, webhook and metrics endpoints asked for, while the block runs; each
    says where it listens on stderr (a port of 0 picks a free one)."""
    exporter = _metrics_module() if args.metrics_port is not None else None
    async with contextlib.AsyncExitStack() as stack:
        if args.health_port is not None:
            health = await _listen(
                "health", serve_health(watcher.status, args.health_host, args.health_port)
            )
            stack.push_async_callback(health.aclose)
            _say(f"health on http://{args.health_host}:{health.port}/healthz")
        if receiver is not None:
            hook = await _listen(
                "webhook", serve_webhook(receiver, args.webhook_host, args.webhook_port)
            )
            stack.push_async_callback(hook.aclose)
            _say(f"webhook on http://{args.webhook_host}:{hook.port}/")
        if exporter is not None:
            server = await _listen(
                "metrics",
                asyncio.to_thread(
                    exporter.serve,
                    metrics,
                    args.metrics_port,
                    addr=args.metrics_host,
                    stats=service.stats,
                ),
            )
            stack.callback(server.close)
            _say(f"metrics on http://{args.metrics_host}:{server.port}/metrics")
        yield


def _say(text: str) -> None:
    sys.stderr.write(f"streaming-sync: {text}\n")
    sys.stderr.flush()


async def _listen(name: str, starting: Awaitable[T]) -> T:
    try:
        return await starting
    except OSError as error:
        raise ConfigError(f"--{name}-port: cannot listen: {error}") from None


async def run_watch(args: argparse.Namespace) -> int:
    """Watch until interrupted (see the module docstring)."""
    check_token_env(args)
    check_database_path(args.db, must_exist=False)
    trigger = PushTrigger()
    receiver = _receiver(args, trigger)
    interval, retention = _interval(args), _retention(args)
    options: dict[str, Any] = {"ontology_id": args.ontology_id}
    if args.workers is not None:
        options["workers"] = args.workers
    monitor, metrics = HealthMonitor(), SyncMetrics()
    sinks: list[ProgressSink] = [monitor, metrics]
    if not args.quiet:
        sinks.append(LogSink())
    service = await StreamingSyncService.from_source(
        args.source, db=args.db, config=SyncConfig(**options), sinks=sinks,
        include=args.include, exclude=args.exclude, parser=args.parser,
        api_url=args.api_url, token_env=args.token_env,
    )  # fmt: skip
    async with service:
        watcher = service.watch(
            interval, trigger=trigger if receiver else None, retention=retention, monitor=monitor
        )
        async with (
            _endpoints(args, watcher, receiver, metrics, service),
            contextlib.aclosing(aiter(watcher)) as reports,
        ):
            async for report in reports:
                shown = report.to_dict() if args.json else None
                sys.stdout.write((json.dumps(shown) if shown else _line(report)) + "\n")
                sys.stdout.flush()
    return EXIT_OK


__all__ = ["add_commands", "run_watch"]
