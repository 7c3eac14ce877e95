"""``docs/cli.md`` matches the real CLI (issue 16): its reference section is what the
parser generates -- every command, every option with its environment variable and
default -- and its prose names every command and has a section for each."""

from __future__ import annotations

import re

from streaming_sync._cli import build_cli
from streaming_sync._cli_reference import BEGIN, END, reference

from .conftest import ROOT

PAGE = ROOT / "docs" / "cli.md"


def test_the_reference_section_is_what_the_parser_generates() -> None:
    """The section between the markers equals the one generated from the parser now: an
    option added, renamed or removed without regenerating the page
    (``python -m streaming_sync._cli_reference docs/cli.md``) fails here."""
    text = PAGE.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    section = BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END + "\n"
    assert section == reference(build_cli())


def test_the_prose_names_every_command_and_no_other() -> None:
    """The opening sentence lists the commands the parser has, and each command has a
    section of its own above the generated reference."""
    cli = build_cli()
    text = PAGE.read_text(encoding="utf-8").split(BEGIN, 1)[0]
    opening = text.split("\n\n", 2)[1]
    listed = re.findall(r"`([a-z-]+)`", opening.split("has these commands:", 1)[1].split(".")[0])
    assert sorted(listed) == sorted(cli.commands)
    sections = re.findall(r"^## `([a-z-]+)`$", text, re.MULTILINE)
    assert sorted(sections) == sorted(cli.commands)


def test_the_reference_lists_every_option_of_every_command() -> None:
    """Not only equal to the generator's output: the generator misses nothing -- each
    option string of each command appears in its command's section."""
    cli = build_cli()
    section = reference(cli)
    for name, parser in cli.commands.items():
        part = section.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        shared = ("help", "verbose", "log_level", "log_format", "config")
        for action in parser._actions:
            if action.dest in shared:
                continue
            for option in action.option_strings:
                assert option in part, (name, option)
    for option in ("--verbose", "--log-level", "--log-format", "--config"):
        assert option in section.split("### `", 1)[0]
