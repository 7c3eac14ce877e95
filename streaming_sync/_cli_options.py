"""What the commands of the CLI share: exit codes, how a command is registered, the
options several commands take, and the argument checks.

**Registering a command.** A module of commands has a function ``add_commands(sub)``
(the name is free) that adds its subcommands with :func:`add_command`, which records the
coroutine that runs each (``parser.set_defaults(run=...)``) and gives it the global
options (``-v``, ``--log-level``, ``--log-format``, ``--config``); ``_cli.COMMAND_GROUPS``
lists those functions, in the order ``--help`` shows the commands. A module written
the older way -- ``add_X_commands(sub)`` adding parsers, and one ``run_X(args)`` for
all of them -- is registered as ``with_runner(add_X_commands, run_X)``.

Every option of every command can also come from a ``STREAMING_SYNC_*`` variable or
the configuration file (``_cli_settings``): give options ``default=None`` or a real
default as usual; the settings pass takes the real default aside and fills in what the
command line left out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from ._config import check_ontology_id, glob_problem
from ._errors import ConfigError

#: 0 done (every file landed); 1 some files failed or the listing was incomplete; 2 a
#: usage error, a refusal or a fatal error; 141 (128 + SIGPIPE) the reader of stdout went
#: away (``| head``). 130/143 (signals) are in ``_cli_signals``.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PIPE = 0, 1, 2, 141

SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Runner: TypeAlias = Callable[[argparse.Namespace], Awaitable[int]]
AddCommands: TypeAlias = Callable[[SubParsers], None]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: The options every command takes (:func:`global_options`).
GLOBAL_OPTIONS = ("verbose", "log_level", "log_format", "config")
LOG_FORMATS = ("text", "json")


def add_command(sub: SubParsers, name: str, run: Runner, **kwargs: Any) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` run by ``run``, with the global options; ``kwargs``
    go to ``add_parser`` (``help``, ``description``; ``Any``: argparse's own)."""
    parser = sub.add_parser(name, **kwargs)
    parser.set_defaults(run=run)
    global_options(parser, argparse.SUPPRESS)
    return parser


def with_runner(add: AddCommands, run: Runner) -> AddCommands:
    """``add`` (which adds subcommands without a runner of their own) registered with
    ``run`` as the runner of each command it adds."""

    def added(sub: SubParsers) -> None:
        before = set(sub.choices)
        add(sub)
        for name, parser in sub.choices.items():
            if name not in before:
                parser.set_defaults(run=run)
                global_options(parser, argparse.SUPPRESS)

    return added


def global_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """``-v``, ``--log-level``, ``--log-format`` and ``--config``, on the main parser
    (``default`` None) and on each command (``argparse.SUPPRESS``: given after the
    command they win; else the main parser's value stays). ``Any``: argparse's default."""
    group = parser.add_argument_group("logging and settings (any command)")
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="more log output: -v this library's debug lines, -vv every library's",
    )
    group.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=default,
        help="the lowest level logged (default INFO; WARNING with --quiet)",
    )
    group.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=default,
        help="text lines (default), or one JSON object per line with the run id and the"
        " file path as fields, for log shippers",
    )
    group.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help="read settings from this TOML file (default: $STREAMING_SYNC_CONFIG, else"
        " [tool.streaming_sync] of ./pyproject.toml); see docs/configuration.md",
    )


def db_option(parser: argparse.ArgumentParser, *, postgres: bool = True) -> None:
    """``--db``: required, but may come from the environment or the settings file."""
    parser.add_argument(
        "--db",
        metavar="PATH|URL" if postgres else "PATH",
        help="SQLite database file"
        + (", or postgresql://USER@HOST/DB[?schema=NAME]" if postgres else "")
        + " (required)",
    )
    require(parser, "db")


def require(parser: argparse.ArgumentParser, *dests: str) -> None:
    """Settings the command needs, from the command line, the environment or the file
    (argparse's ``required`` would refuse them from the other two)."""
    before: tuple[str, ...] = parser.get_default("required_settings") or ()
    parser.set_defaults(required_settings=before + dests)


def ontology_option(parser: argparse.ArgumentParser, what: str = "scope of the rows") -> None:
    parser.add_argument(
        "--ontology-id",
        default="default",
        type=ontology_id_argument,
        metavar="ID",
        help=f"{what} (default: default)",
    )


def db_options(parser: argparse.ArgumentParser) -> None:
    """``--db`` and ``--ontology-id``."""
    db_option(parser)
    ontology_option(parser)


def switch(parser: argparse.ArgumentParser, name: str, help: str) -> None:
    """An off-by-default ``--name``/``--no-name`` option (the last one given wins, so a
    flag from a settings file can be turned back off on the command line)."""
    parser.add_argument(name, action=argparse.BooleanOptionalAction, default=False, help=help)


def json_option(parser: argparse.ArgumentParser, what: str = "print JSON on stdout") -> None:
    parser.add_argument("--json", action=argparse.BooleanOptionalAction, default=False, help=what)


def ontology_id_argument(value: str) -> str:
    """``--ontology-id``: the same rule as ``SyncConfig.ontology_id``, for every command."""
    try:
        return check_ontology_id(value, "--ontology-id")
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def glob_argument(value: str) -> str:
    """``--include``/``--exclude``: a glob that can match (see ``glob_problem``)."""
    problem = glob_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a usable glob: {problem}")
    return value


def positive_int(value: str) -> int:
    """A whole number, 1 or more."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: must be a whole number, 1 or more")
    return number


def positive_float(value: str) -> float:
    """A finite number greater than 0."""
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r}: must be a number greater than 0")
    return number


def silence_stdout() -> None:
    """After the reader of stdout went away: point stdout at /dev/null, so what is
    still buffered (Python flushes stdout at exit) cannot raise ``BrokenPipeError``."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def write_json(value: object) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_PIPE",
    "EXIT_USAGE",
    "GLOBAL_OPTIONS",
    "LOG_FORMATS",
    "LOG_LEVELS",
    "AddCommands",
    "Runner",
    "SubParsers",
    "add_command",
    "db_option",
    "db_options",
    "glob_argument",
    "global_options",
    "json_option",
    "ontology_id_argument",
    "ontology_option",
    "positive_float",
    "positive_int",
    "require",
    "silence_stdout",
    "with_runner",
    "write_json",
]
