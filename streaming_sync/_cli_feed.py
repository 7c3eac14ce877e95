"""The CLI commands of the change feed and of watch mode, registered in one call
(``_cli.COMMAND_GROUPS``): ``changes``, ``prune`` (``_cli_changes``) and ``watch``
(``_cli_watch``)."""

from __future__ import annotations

from . import _cli_changes, _cli_watch
from ._cli_options import SubParsers


def add_commands(sub: SubParsers) -> None:
    """``changes``, ``prune`` and ``watch``."""
    _cli_changes.add_commands(sub)
    _cli_watch.add_commands(sub)


__all__ = ["add_commands"]
