"""The CLI commands of the change feed and of watch mode, registered in one call so that
``_cli`` needs one line to add them: ``changes``, ``prune`` (``_cli_changes``) and
``watch`` (``_cli_watch``)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping

from ._cli_changes import CHANGES_COMMANDS, add_changes_commands
from ._cli_watch import add_watch_command, run_watch

#: The commands of the feed and watch mode, by name, with the coroutine running each.
FEED_COMMANDS: Mapping[str, Callable[[argparse.Namespace], Awaitable[int]]] = {
    **CHANGES_COMMANDS,
    "watch": run_watch,
}


def add_feed_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``changes``, ``prune`` and ``watch`` to the CLI's subcommands."""
    add_changes_commands(sub)
    add_watch_command(sub)


__all__ = ["FEED_COMMANDS", "add_feed_commands"]
