"""Errors that name the real cause (issue 16): each mistake a newcomer makes on the
command line gets one line saying what is wrong and what to do, the right exit code,
and leaves nothing behind. The real entry point, as a subprocess."""

from __future__ import annotations

import ast
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from streaming_sync import FatalStorageError, SqliteRepository
from streaming_sync.testing.github_server import GitHubLikeServer

from .cli_support import SAMPLE, acli, clean_env, cli
from .conftest import ROOT

METAVERSE = SAMPLE / "metaverse"
EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
TOKEN = "ghp_" + "GoodT0ken" * 3


def one_line_error(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The single stderr line of a refused command (no traceback), after checking the
    exit code."""
    assert done.returncode == code, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_db_in_a_missing_folder_says_the_folder_is_missing(tmp_path: Path) -> None:
    """``--db`` in a folder that does not exist: a usage error naming that folder --
    not "corrupt", not "restore from a backup" -- and the folder is not created."""
    error = one_line_error(cli("sync", str(METAVERSE), "--db", str(tmp_path / "nodir" / "x.db")))
    assert f"the folder {tmp_path / 'nodir'} does not exist" in error
    assert "corrupt" not in error and "backup" not in error
    assert not (tmp_path / "nodir").exists()


def test_db_that_is_not_sqlite_names_what_it_is_and_never_says_delete(tmp_path: Path) -> None:
    """``--db README.md``: "not a SQLite database", with what the file starts with; the
    message never suggests deleting it, and the file is left exactly as it was."""
    readme = tmp_path / "README.md"
    readme.write_text("# My notes\n\nnothing to see\n")
    said = "is not a SQLite database: it starts with text ('# My notes')"
    for command in (["sync", str(METAVERSE)], ["status"], ["drop", "--yes"]):
        done = cli(*command, "--db", str(readme))
        error = one_line_error(done)
        assert said in error and "delete" not in error.lower()
        assert "delete" not in done.stdout.lower()
    check = cli("check", str(METAVERSE), "--db", str(readme))
    assert check.returncode == 2 and f"FAIL  database: --db {readme} {said}" in check.stdout
    assert readme.read_text() == "# My notes\n\nnothing to see\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


async def test_the_library_names_a_file_that_is_not_sqlite_too(tmp_path: Path) -> None:
    """Opened through the library, a gzip file given as the database is refused as "not
    a SQLite database: it starts with gzip data" (not "corrupt ... delete it")."""
    archive = tmp_path / "backup.gz"
    archive.write_bytes(b"\x1f\x8b\x08\x00" + bytes(200))
    with pytest.raises(FatalStorageError) as raised:
        await SqliteRepository.open(archive)
    assert "not a SQLite database: it starts with gzip data" in str(raised.value)
    assert "delete" not in str(raised.value).lower()


def test_no_message_of_the_package_advises_deleting_a_file() -> None:
    """No string in the package tells a user to delete a file: the library never knows
    that a file it did not create is safe to lose (a damaged database is restored from a
    backup or synced into a new file instead)."""
    advice = re.compile(r"(?i)\bdelet(e|ing) (it|the|this|that|your)\b")
    found = []
    for path in (ROOT / "streaming_sync").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and advice.search(node.value)
            ):
                found.append(f"{path.name}: {node.value[:80]!r}")
    assert found == []


def test_a_typo_in_source_leaves_no_database_behind(tmp_path: Path) -> None:
    """A SOURCE folder that does not exist is refused before the database is created."""
    db = tmp_path / "onto.db"
    error = one_line_error(cli("sync", str(SAMPLE / "metavrse"), "--db", str(db)))
    assert "no such folder" in error
    assert list(tmp_path.iterdir()) == []


async def test_a_github_sync_that_fails_before_listing_creates_no_database(
    tmp_path: Path,
) -> None:
    """A repository that does not exist (or a failed listing) on a first sync: the
    error, and no database file -- while an existing database is kept as it was."""
    db = tmp_path / "onto.db"
    async with GitHubLikeServer({"a.md": b"- x"}) as server:
        code, _, err = await acli(
            "sync", "github:octo-org/nope", "--db", str(db), "--api-url", server.api_url
        )
        assert code == 2 and "not found" in err and "Traceback" not in err
        assert not db.exists()
        existing = tmp_path / "kept.db"
        sqlite3.connect(existing).close()  # an empty file of the user's own
        code, _, _ = await acli(
            "sync", "github:octo-org/nope", "--db", str(existing), "--api-url", server.api_url
        )
        assert code == 2 and existing.exists()


def test_a_file_as_source_says_it_is_a_file_and_what_to_pass(tmp_path: Path) -> None:
    """A single file as SOURCE: it is a file; give its folder, with --include NAME."""
    page = tmp_path / "pages" / "Avatar.md"
    page.parent.mkdir()
    page.write_text("- x")
    error = one_line_error(cli("sync", str(page), "--db", str(tmp_path / "x.db")))
    assert "is a file" in error
    assert f"({page.parent})" in error and "--include Avatar.md" in error
    assert not (tmp_path / "x.db").exists()


def test_an_invalid_glob_is_a_usage_error(tmp_path: Path) -> None:
    """``--include '['`` (a set no ']' closes: fnmatch would match a literal '[') is a
    usage error on one line, exit 2, before anything is opened."""
    error = one_line_error(
        cli("sync", str(METAVERSE), "--db", str(tmp_path / "x.db"), "--include", "[")
    )
    assert "--include" in error and "not a usable glob" in error
    assert list(tmp_path.iterdir()) == []


def test_filters_that_leave_nothing_warn(tmp_path: Path) -> None:
    """Filters that match no file of the source: the sync succeeds with nothing to do,
    and a warning on stderr names the filters."""
    done = cli("sync", str(METAVERSE), "--db", str(tmp_path / "x.db"), "--include", "*.nothing")
    assert done.returncode == 0, done.stderr
    assert "warning: nothing to sync" in done.stderr
    assert "*.nothing" in done.stderr


def test_an_empty_folder_reports_no_commit(tmp_path: Path) -> None:
    """A local folder with nothing listed has no revision to name: the report's commit
    is none, not the hash of nothing (git's well-known empty blob)."""
    (tmp_path / "empty").mkdir()
    done = cli("sync", str(tmp_path / "empty"), "--db", str(tmp_path / "x.db"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["commit"] is None
    status = cli("status", "--db", str(tmp_path / "x.db"))
    assert EMPTY_BLOB not in status.stdout and "(commit -)" in status.stdout


@pytest.mark.parametrize("value", [None, "", "   "])
def test_token_env_naming_an_unset_or_empty_variable_is_a_usage_error(
    tmp_path: Path, value: str | None
) -> None:
    """``--token-env GH_TOKNE`` when that variable is unset or blank: a usage error
    naming it (the sync would otherwise go anonymous without a word); nothing created."""
    env = {} if value is None else {"GH_TOKNE": value}
    done = cli(
        "sync", "github:octo-org/ontology", "--db", str(tmp_path / "x.db"),
        "--token-env", "GH_TOKNE", "--api-url", "http://127.0.0.1:9", env=env,
    )  # fmt: skip
    error = one_line_error(done)
    assert "GH_TOKNE" in error and "not set" in error
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_ontology_id_lists_the_ids_there(tmp_path: Path) -> None:
    """``status``/``history`` of an ontology id the database does not hold: exit 2 with
    the ids it does hold."""
    db = tmp_path / "x.db"
    for oid in ("metaverse", "rdf"):
        done = cli("sync", str(SAMPLE / oid), "--db", str(db), "--ontology-id", oid, "--quiet")
        assert done.returncode == 0, done.stderr
    for command in ("status", "history"):
        error = one_line_error(cli(command, "--db", str(db), "--ontology-id", "default"))
        assert "no sync recorded for ontology 'default'" in error
        assert "the ontology ids there: metaverse, rdf" in error


def test_events_into_a_missing_folder_is_a_one_line_usage_error(tmp_path: Path) -> None:
    """``--events /nodir/x.jsonl``: exit 2 (not 1, which means "some files failed"), one
    line naming the file, no traceback, no database created."""
    target = tmp_path / "nodir" / "x.jsonl"
    done = cli("sync", str(METAVERSE), "--db", str(tmp_path / "x.db"), "--events", str(target))
    error = one_line_error(done)
    assert f"--events {target}: cannot open it" in error
    assert not (tmp_path / "x.db").exists()


def pages(folder: Path, count: int) -> Path:
    """``count`` small Logseq pages, enough events to overflow a pipe's buffer."""
    folder.mkdir()
    for n in range(count):
        (folder / f"Page{n}.md").write_text(
            f"- ### OntologyBlock\n  - owl:class:: ex:C{n}\n  - rdfs:label:: Class {n}\n"
        )
    return folder


def test_events_to_a_closed_pipe_end_quietly_and_the_sync_finishes(tmp_path: Path) -> None:
    """``--events - | head -n 3``: once the reader is gone the events stop without a
    single BrokenPipeError; the sync runs to its end (every file committed) and the exit
    code is 141 (128 + SIGPIPE), as for any program writing to a closed pipe."""
    source, db = pages(tmp_path / "pages", 400), tmp_path / "x.db"
    command = [sys.executable, "-m", "streaming_sync", "sync", str(source), "--db", str(db)]
    with subprocess.Popen(
        [*command, "--events", "-", "--quiet"],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        head = [process.stdout.readline() for _ in range(3)]
        process.stdout.close()  # what `head` does after three lines
        err = process.stderr.read()
        assert process.wait(timeout=120) == 141, err
    assert json.loads(head[0])["event"] == "SyncStarted"
    assert "BrokenPipe" not in err and "Traceback" not in err
    status = cli("status", "--db", str(db), "--json")
    assert json.loads(status.stdout)["last_run"]["files"]["succeeded"] == 400


async def test_a_fatal_error_is_printed_once(tmp_path: Path) -> None:
    """A sync stopped by a fatal error (here: the token is refused) prints the summary
    and the error once -- not ``error: ...`` and then ``streaming-sync: sync stopped``."""
    db = tmp_path / "x.db"
    async with GitHubLikeServer({"a.md": b"- x"}, tokens={TOKEN}) as server:
        command = ["sync", "github:octo-org/ontology", "--db", str(db), "--api-url", server.api_url]
        code, _, err = await acli(*command, "--quiet", env={"GITHUB_TOKEN": TOKEN})
        assert code == 0, err
        code, out, err = await acli(*command, "--quiet", env={"GITHUB_TOKEN": "ghp_" + "x" * 20})
    assert code == 2
    assert "aborted:" in out  # the summary of what landed
    both = out + err
    assert both.count("refused the token") == 1, both
    assert "error:" not in out


def test_the_contract_suite_without_pytest_names_its_extra() -> None:
    """``import streaming_sync.testing.contract`` without pytest (or hypothesis) says
    what to install: the ``contract`` extra, which holds exactly what the suite needs."""
    for blocked in ("pytest", "hypothesis"):
        script = (
            f"import sys; sys.modules[{blocked!r}] = None; import streaming_sync.testing.contract"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1
        assert f"needs {blocked}: pip install 'streaming_sync[contract]'" in done.stderr
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    names = {re.split(r"[<>=\[]", spec)[0] for spec in extras["contract"]}
    assert names == {"pytest", "pytest-asyncio", "hypothesis"}
