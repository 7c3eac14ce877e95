"""The commands a newcomer expects (issue 16): ``check`` (pre-flight, writes nothing),
``sync --dry-run`` (what would be added, changed, deleted), ``ontologies`` (ids with
counts and last sync), ``drop`` (asks first) and ``status`` counting the last sync's
warnings. The real entry point, as a subprocess, against real files and a GitHub-like
server."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from streaming_sync import SqliteRepository
from streaming_sync._runlock import make_holder
from streaming_sync.storage.sqlite._schema import SCHEMA_VERSION
from streaming_sync.testing.github_server import GitHubLikeServer

from .cli_support import SAMPLE, acli, cli
from .test_cli_edges import read_only

METAVERSE = SAMPLE / "metaverse"
TOKEN = "ghp_" + "Pre7l1ghtT0ken" * 2


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def synced(db: Path, source: Path = METAVERSE, *more: str) -> Path:
    done = cli("sync", str(source), "--db", str(db), "--quiet", *more)
    assert done.returncode == 0, done.stderr
    return db


def rows(db: Path, table: str, ontology_id: str) -> int:
    with sqlite3.connect(db) as conn:
        query = f"SELECT count(*) FROM {table} WHERE ontology_id = ?"
        (count,) = conn.execute(query, (ontology_id,)).fetchone()
    conn.close()
    return int(count)


# -- check --------------------------------------------------------------------------------


def test_check_a_folder_and_a_new_database_creates_nothing(tmp_path: Path) -> None:
    """Pre-flight of a first sync: the folder lists its files, the database does not
    exist yet but its folder is writable; exit 0, and still no database."""
    db = tmp_path / "onto.db"
    done = cli("check", str(METAVERSE), "--db", str(db))
    assert done.returncode == 0, done.stdout + done.stderr
    listed = len(list(METAVERSE.glob("*.md")))
    assert re.search(
        rf"^ok +source: .*: {listed} files listed \(commit [0-9a-f]{{40}}", done.stdout, re.M
    )
    assert re.search(r"^ok +database: .*does not exist yet; a sync creates it$", done.stdout, re.M)
    assert not db.exists()


def test_check_an_existing_database_reads_its_schema_and_writes_nothing(tmp_path: Path) -> None:
    """On a database a sync made: its schema version, its last sync; not a byte written
    (the file is the same, and a -wal file SQLite's reader may leave is empty). On a
    read-only file the check fails, saying so."""
    (tmp_path / "data").mkdir()
    db = synced(tmp_path / "data" / "onto.db")
    before = digest(db)
    done = cli("check", str(METAVERSE), "--db", str(db), "--json")
    assert done.returncode == 0, done.stdout
    findings = json.loads(done.stdout)
    assert findings["ok"] is True
    details = [f["detail"] for f in findings["checks"] if f["name"] == "database"]
    assert f"{db}: schema version {SCHEMA_VERSION} (current)" in details
    assert any(
        d.startswith("last sync of 'default': ") and d.endswith("succeeded") for d in details
    )
    assert digest(db) == before
    wal = db.with_name("onto.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with read_only(db):
        refused = cli("check", str(METAVERSE), "--db", str(db))
    assert refused.returncode == 2
    assert re.search(r"^FAIL +database: .*read-only: cannot write", refused.stdout, re.M)


async def test_check_github_says_whether_the_token_works_and_the_rate_limit_left(
    tmp_path: Path,
) -> None:
    """Against the GitHub-like server: an accepted token and the requests left; a
    refused token fails the check (exit 2); no token is a warning, not a failure."""
    db = str(tmp_path / "onto.db")
    async with GitHubLikeServer({"a.md": b"- x"}, tokens={TOKEN}, rate_limit=100) as server:
        source = ["check", "github:octo-org/ontology", "--db", db, "--api-url", server.api_url]
        code, out, _ = await acli(*source, env={"GITHUB_TOKEN": TOKEN})
        assert code == 0, out
        left = server.rate_limit - server.used
        accepted = r"the token in \$GITHUB_TOKEN was accepted"
        assert re.search(rf"^ok +token: {accepted}; rate limit: {left} requests left$", out, re.M)
        code, out, _ = await acli(*source, env={"GITHUB_TOKEN": "ghp_" + "w" * 20})
        assert code == 2 and re.search(r"^FAIL +source: .*refused the token", out, re.M)
        code, out, _ = await acli(*source)
        assert code == 0 and re.search(
            r"^warn +token: no token \(\$GITHUB_TOKEN is not set\)", out, re.M
        )
    assert server.used > 0 and not await asyncio.to_thread(Path(db).exists)


# -- sync --dry-run -----------------------------------------------------------------------


def test_dry_run_lists_what_would_be_added_changed_and_deleted(tmp_path: Path) -> None:
    """Against a synced database: a new file is "add", an edited one "change", a removed
    one "delete", the rest unchanged -- from the listing and the stored SHAs, with the
    database untouched (same bytes, no new run in the history)."""
    folder = tmp_path / "src"
    shutil.copytree(METAVERSE, folder)
    db = synced(tmp_path / "onto.db", folder)
    (folder / "New Page.md").write_text("- ### OntologyBlock\n  - owl:class:: mv:NewPage\n")
    with (folder / "Avatar.md").open("a") as page:
        page.write("\n- an edit\n")
    (folder / "Cryptocurrency.md").unlink()
    before = digest(db)
    done = cli("sync", str(folder), "--db", str(db), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    preview = json.loads(done.stdout)
    assert (preview["add"], preview["change"], preview["delete"]) == (
        ["New Page.md"],
        ["Avatar.md"],
        ["Cryptocurrency.md"],
    )
    assert preview["unchanged"] == preview["listed"] - 2
    dry_full = cli("sync", str(folder), "--db", str(db), "--dry-run", "--full", "--json")
    full = json.loads(dry_full.stdout)
    assert len(full["reprocess"]) == preview["unchanged"] and full["unchanged"] == 0
    assert full["change"] == ["Avatar.md"]
    text = cli("sync", str(folder), "--db", str(db), "--dry-run")
    assert "would add 1, change 1, delete 1;" in text.stdout
    assert "  add    New Page.md" in text.stdout and "  delete Cryptocurrency.md" in text.stdout
    assert digest(db) == before
    history = cli("history", "--db", str(db), "--json")
    assert len(json.loads(history.stdout)) == 1


def test_dry_run_into_a_new_database_adds_everything_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "onto.db"
    done = cli("sync", str(METAVERSE), "--db", str(db), "--dry-run", "--json")
    preview = json.loads(done.stdout)
    assert sorted(preview["add"]) == sorted(p.name for p in METAVERSE.glob("*.md"))
    assert preview["change"] == preview["delete"] == []
    assert not db.exists()


# -- ontologies and drop ------------------------------------------------------------------


def test_ontologies_lists_ids_with_counts_and_last_sync(tmp_path: Path) -> None:
    db = synced(tmp_path / "x.db", METAVERSE, "--ontology-id", "mv")
    synced(db, SAMPLE / "rdf", "--ontology-id", "rdf")
    done = cli("ontologies", "--db", str(db))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["mv", "rdf"]
    files = len(list(METAVERSE.glob("*.md")))
    assert re.match(
        rf"mv: {files} files, \d+ classes, \d+ properties, \d+ axioms; last sync \S+ succeeded$",
        lines[0],
    )
    listed = json.loads(cli("ontologies", "--db", str(db), "--json").stdout)
    assert [(o["ontology_id"], o["files"]) for o in listed] == [("mv", files), ("rdf", 2)]
    assert listed[1]["classes"] == rows(db, "owl_classes", "rdf")
    assert listed[0]["last_run"]["outcome"] == "succeeded"


def test_drop_asks_first_and_removes_only_that_ontology(tmp_path: Path) -> None:
    """``drop`` asks; anything but yes keeps everything (exit 2). Confirmed, it removes
    that id's files and rows -- the other id keeps every row -- and keeps its history."""
    db = synced(tmp_path / "x.db", METAVERSE, "--ontology-id", "mv")
    synced(db, SAMPLE / "rdf", "--ontology-id", "rdf")
    kept = {table: rows(db, table, "rdf") for table in ("owl_classes", "owl_axioms", "sync_files")}
    refused = cli("drop", "--db", str(db), "--ontology-id", "mv", stdin="no\n")
    assert refused.returncode == 2
    assert "drop ontology 'mv' from" in refused.stderr and "nothing was dropped" in refused.stderr
    assert rows(db, "sync_files", "mv") > 0
    assert cli("drop", "--db", str(db), "--ontology-id", "mv", stdin="").returncode == 2  # EOF: no
    done = cli("drop", "--db", str(db), "--ontology-id", "mv", stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert "dropped ontology 'mv'" in done.stdout
    assert rows(db, "sync_files", "mv") == rows(db, "owl_classes", "mv") == 0
    assert rows(db, "owl_axioms", "mv") == 0
    assert {table: rows(db, table, "rdf") for table in kept} == kept
    assert (
        len(json.loads(cli("history", "--db", str(db), "--ontology-id", "mv", "--json").stdout))
        == 1
    )


async def test_drop_never_runs_beside_a_sync_and_knows_the_ids(tmp_path: Path) -> None:
    """``drop --yes`` of an ontology whose run lock a live sync holds is refused with
    nothing removed; an id the database does not hold is refused naming those it does."""
    db = synced(tmp_path / "x.db")
    async with await SqliteRepository.open(db) as repository:
        await repository.acquire_run_lock("default", make_holder(), stale_after=30)
        code, _, err = await acli("drop", "--db", str(db), "--yes")
    assert code == 2 and "another sync of ontology 'default'" in err
    assert rows(db, "sync_files", "default") > 0
    code, _, err = await acli("drop", "--db", str(db), "--ontology-id", "nope", "--yes")
    assert code == 2 and "the ontology ids there: default" in err


# -- status counts warnings ---------------------------------------------------------------


def test_status_counts_the_warnings_of_the_last_sync(tmp_path: Path) -> None:
    """A page whose axiom fence holds a bad axiom lands with a warning (issue 14); the
    sync's summary and ``status`` count the warnings and ``status`` shows them."""
    folder = tmp_path / "pages"
    folder.mkdir()
    good = b"\t\t  SubClassOf(mv:Avatar mv:Agent)\r\n"
    bad = b'\t\t  DataPropertyRange(mv:hasName (DataOneOf("a" "b")))\r\n'
    page = (METAVERSE / "Avatar.md").read_bytes()
    assert good in page
    (folder / "Avatar.md").write_bytes(page.replace(good, good + bad))
    db = tmp_path / "x.db"
    done = cli("sync", str(folder), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "warnings: 1 in 1 file(s)" in done.stdout
    status = cli("status", "--db", str(db))
    assert "warnings: 1 in 1 file(s)" in status.stdout
    assert re.search(r"^  warning: Avatar\.md: line \d+: .*axiom skipped$", status.stdout, re.M)


@pytest.mark.parametrize("command", ["status", "history", "ontologies", "drop"])
def test_reading_commands_need_an_existing_database(tmp_path: Path, command: str) -> None:
    """A command that reads or changes a database refuses a path where there is none,
    and creates nothing."""
    done = cli(command, "--db", str(tmp_path / "none.db"))
    assert done.returncode == 2
    assert "no such database file; run a sync first" in done.stderr
    assert list(tmp_path.iterdir()) == []
