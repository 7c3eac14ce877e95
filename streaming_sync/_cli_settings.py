"""Settings of the CLI: every option of every command from the command line, a
``STREAMING_SYNC_*`` environment variable or a TOML file, in that order of precedence,
then the option's default.

* **Environment**: ``STREAMING_SYNC_`` + the option's name in capitals, ``-`` as ``_``
  (``--ontology-id`` -> ``STREAMING_SYNC_ONTOLOGY_ID``, ``SOURCE`` ->
  ``STREAMING_SYNC_SOURCE``). Switches take ``1/true/yes/on`` or ``0/false/no/off``;
  repeatable options a comma-separated list. An empty variable counts as unset.
* **File**: ``--config FILE``, else ``$STREAMING_SYNC_CONFIG``, else ``./pyproject.toml``
  when it exists. A file with a ``[tool.streaming_sync]`` table is read from that table
  (a ``pyproject.toml`` without one gives nothing), any other file from its top level.
  Keys are the options' names (``ontology-id`` or ``ontology_id``), values TOML's own
  types (``workers = 4``, ``full = true``, ``include = ["*.md"]``). A key no command
  knows is an error (a typo never passes silently); a key of another command is left
  to that command.

The options' defaults are taken aside when the parser is built (:meth:`Settings.adopt`),
so argparse leaves an option it was not given at None, and :meth:`Settings.resolve`
fills it in from the other places, through the same conversion and checks as the
command line (an invalid value is a usage error naming the variable or the key).
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ._errors import ConfigError

ENV_PREFIX = "STREAMING_SYNC_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"
PYPROJECT = "pyproject.toml"
#: Options that are never settings: ``--config`` names the file itself; ``--yes``
#: answers one confirmation, not every one to come.
NOT_SETTINGS = frozenset({"help", "version", "config", "yes"})
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@attrs.frozen
class SettingsFile:
    """The settings a file gives (``path`` None: no file)."""

    path: str | None = None
    values: Mapping[str, Any] = attrs.field(factory=dict)


def env_name(dest: str) -> str:
    return ENV_PREFIX + dest.upper()


def setting_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The options of ``parser`` that are settings. (``_actions`` is argparse's list of
    a parser's options; it has no public one.)"""
    return [
        action
        for action in parser._actions
        if action.dest not in NOT_SETTINGS
        and action.dest != argparse.SUPPRESS
        and not isinstance(action, argparse._SubParsersAction)
    ]


class Settings:
    """The defaults of every command's options, and the settings of one invocation."""

    def __init__(self) -> None:
        self._defaults: dict[str, dict[str, Any]] = {}

    def adopt(self, command: str, parser: argparse.ArgumentParser) -> None:
        """Take the defaults of ``command``'s options aside (argparse then leaves an
        option it was not given at None)."""
        defaults = self._defaults.setdefault(command, {})
        for action in setting_actions(parser):
            default = None if action.default is argparse.SUPPRESS else action.default
            defaults[action.dest] = default
            if action.default is not argparse.SUPPRESS:
                action.default = None

    def defaults(self, command: str) -> dict[str, Any]:
        """The defaults of ``command``'s options (``Any``: each option's own type)."""
        return dict(self._defaults.get(command, {}))

    def known_keys(self) -> set[str]:
        return {dest for defaults in self._defaults.values() for dest in defaults}

    def resolve(
        self,
        args: argparse.Namespace,
        parser: argparse.ArgumentParser,
        environ: Mapping[str, str],
        file: SettingsFile,
    ) -> dict[str, str]:
        """Fill in ``args`` (of the command ``parser`` parsed) from ``environ``, ``file``
        and the defaults; returns where each value came from (``command line``,
        ``environment``, ``file`` or ``default``)."""
        unknown = sorted(set(file.values) - self.known_keys())
        if unknown:
            raise ConfigError(
                f"{file.path}: {', '.join(map(repr, unknown))}: no command has such a setting;"
                f" the settings are: {', '.join(sorted(self.known_keys()))}"
            )
        defaults = self._defaults[args.command]
        origins: dict[str, str] = {}
        for action in setting_actions(parser):
            dest = action.dest
            text = environ.get(env_name(dest), "")
            if getattr(args, dest, None) is not None:
                origins[dest] = "command line"
                continue
            if text:
                value = _converted(action, text, _from_text, f"{env_name(dest)}={text!r}")
                origins[dest] = "environment"
            elif dest in file.values:
                raw = file.values[dest]
                value = _converted(action, raw, _from_toml, f"{file.path}: {dest} = {raw!r}")
                origins[dest] = "file"
            else:
                value, origins[dest] = defaults.get(dest), "default"
            setattr(args, dest, value)
        _check_required(args, parser)
        return origins


def load_file(flag: str | None, environ: Mapping[str, str]) -> SettingsFile:
    """The settings file ``--config`` (``flag``), ``$STREAMING_SYNC_CONFIG`` or
    ``./pyproject.toml`` names, read (see the module docstring)."""
    named = flag or environ.get(CONFIG_ENV) or None
    path = named or (PYPROJECT if os.path.isfile(PYPROJECT) else None)
    if path is None:
        return SettingsFile()
    where = f"--config {path}" if flag else (f"{CONFIG_ENV}={path}" if named else path)
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such file") from None
    except OSError as error:
        raise ConfigError(f"{where}: cannot read it: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML: {error}") from None
    tool = document.get("tool")
    if isinstance(tool, dict) and "streaming_sync" in tool:
        table, path = tool["streaming_sync"], f"{path} [tool.streaming_sync]"
    elif Path(path).name == PYPROJECT:
        return SettingsFile()
    else:
        table = document
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: must be a table of settings (key = value)")
    values: dict[str, Any] = {}
    for key, value in table.items():
        dest = key.replace("-", "_")
        if dest in values:
            raise ConfigError(f"{path}: {key!r} is given twice (with - and with _)")
        values[dest] = value
    return SettingsFile(path, values)


def _converted(action: argparse.Action, raw: Any, convert: Any, where: str) -> Any:
    """``convert(action, raw)``, its failure a ``ConfigError`` naming ``where``."""
    try:
        return convert(action, raw)
    except (ValueError, argparse.ArgumentTypeError, ConfigError) as error:
        reason = str(error) or "not a valid value"
        raise ConfigError(f"{where}: {reason}") from None


def _is_switch(action: argparse.Action) -> bool:
    switches = (argparse._StoreTrueAction, argparse._StoreFalseAction)
    return isinstance(action, (*switches, argparse.BooleanOptionalAction))


def _from_text(action: argparse.Action, text: str) -> Any:
    """A setting's value from the text of an environment variable."""
    if _is_switch(action):
        word = text.strip().lower()
        if word not in _TRUE + _FALSE:
            raise ValueError(f"use one of {', '.join(_TRUE + _FALSE)}")
        return word in _TRUE
    if isinstance(action, argparse._AppendAction):
        return [_one(action, part.strip()) for part in text.split(",") if part.strip()]
    if isinstance(action, argparse._CountAction):
        return int(text)
    return _one(action, text)


def _from_toml(action: argparse.Action, value: Any) -> Any:
    """A setting's value from a TOML value (the same checks as on the command line)."""
    if _is_switch(action):
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if isinstance(action, argparse._AppendAction):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise ValueError("must be a list of strings")
        return [_one(action, _scalar(item)) for item in items]
    if isinstance(action, argparse._CountAction):
        return int(_scalar(value))
    return _one(action, _scalar(value))


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be a string or a number")
    return str(value)


def _one(action: argparse.Action, text: str) -> Any:
    value = action.type(text) if callable(action.type) else text
    if action.choices is not None and value not in action.choices:
        raise ValueError(f"use one of {', '.join(map(str, action.choices))}")
    return value


def _check_required(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    required: tuple[str, ...] = getattr(args, "required_settings", ())
    for action in setting_actions(parser):
        if action.dest in required and getattr(args, action.dest) is None:
            name = action.option_strings[0] if action.option_strings else action.dest.upper()
            raise ConfigError(
                f"{args.command}: {name} is required: give it on the command line, as"
                f" {env_name(action.dest)}, or as {action.dest.replace('_', '-')} in the"
                " settings file"
            )


__all__ = ["CONFIG_ENV", "ENV_PREFIX", "Settings", "SettingsFile", "env_name", "load_file"]
