"""The command line: ``streaming-sync`` and ``python -m streaming_sync``.

Exit codes: 0 every file landed; 1 some files failed or the listing was incomplete (the
rest committed); 2 usage error, refusal or fatal error (one line on stderr saying
which); 130 interrupted (SIGINT); 143 terminated (SIGTERM); 141 the reader of stdout went
away (``| head``).

The commands live in modules of their own, each registering its commands with
``_cli_options.add_command`` (see there); :data:`COMMAND_GROUPS` lists those modules'
``add_commands`` functions, in the order ``--help`` shows them. Every option can also
come from a ``STREAMING_SYNC_*`` variable or a TOML file (``_cli_settings``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, cast

import attrs

from . import _cli_feed, _cli_report, _cli_sync
from ._cli_admin import add_admin_commands
from ._cli_logging import configure, new_run_id
from ._cli_options import (
    EXIT_PIPE,
    EXIT_USAGE,
    AddCommands,
    SubParsers,
    global_options,
    silence_stdout,
)
from ._cli_settings import Settings, load_file
from ._cli_signals import EXIT_SIGINT, handlers_restored, run_stoppable
from ._errors import ConfigError, StreamingSyncError
from ._version import __version__

#: The modules' command registrations: sync and check; status, history and
#: ontologies; migrate, restore, unlock and drop; changes, prune and watch.
COMMAND_GROUPS: tuple[AddCommands, ...] = (
    _cli_sync.add_commands,
    _cli_report.add_commands,
    add_admin_commands,
    _cli_feed.add_commands,
)


class _Parser(argparse.ArgumentParser):
    """argparse with a usage error on one line (the command's ``--help`` has the rest)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see: {self.prog} --help)\n")


@attrs.frozen
class Cli:
    """The parser, each command's own parser, and the options' defaults."""

    parser: argparse.ArgumentParser
    commands: dict[str, argparse.ArgumentParser]
    settings: Settings


def build_cli(groups: Sequence[AddCommands] = COMMAND_GROUPS) -> Cli:
    """The parser with the commands ``groups`` add (``docs/cli.md`` is compared with it)."""
    parser = _Parser(
        prog="streaming-sync",
        description="Sync a repository of ontology files into a database, one file at a time.",
    )
    parser.add_argument("--version", action="version", version=f"streaming-sync {__version__}")
    global_options(parser, None)
    # Each command's parser is a _Parser too (one-line errors); argparse types the
    # subcommands' action by that class, the registrations by the base class.
    sub = cast(
        "SubParsers", parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    )
    for add in groups:
        add(sub)
    settings = Settings()
    for name, command in sub.choices.items():
        settings.adopt(name, command)
    return Cli(parser, dict(sub.choices), settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``streaming-sync``; returns the exit code."""
    cli = build_cli()
    args = cli.parser.parse_args(argv)
    try:
        settings_file = load_file(args.config, os.environ)
        args.origins = cli.settings.resolve(
            args, cli.commands[args.command], os.environ, settings_file
        )
    except ConfigError as error:
        sys.stderr.write(f"streaming-sync: {error}\n")
        return EXIT_USAGE
    configure(
        log_level=args.log_level,
        verbose=args.verbose,
        quiet=bool(getattr(args, "quiet", False)),
        log_format=args.log_format,
        run_id=new_run_id(),
    )
    with handlers_restored(argv is not None):
        try:
            code: int = asyncio.run(run_stoppable(args.run(args)))
        except (ConfigError, StreamingSyncError) as error:
            sys.stderr.write(f"streaming-sync: {error}\n")
            return EXIT_USAGE
        except BrokenPipeError:
            silence_stdout()
            return EXIT_PIPE
        except KeyboardInterrupt:
            return EXIT_SIGINT
        return code


__all__ = ["COMMAND_GROUPS", "Cli", "build_cli", "main"]
