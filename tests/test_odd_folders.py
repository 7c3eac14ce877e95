"""Odd things on a real disk in the folder source: symbolic links that loop, dangle or
point outside the folder, and file names that are not valid UTF-8. Each such file is a
skipped file with its reason; the rest of the folder syncs (issue 12, points 2 and 3).

The links and names are real (``os.symlink``, a name made of raw bytes); the CLI runs as
a real subprocess, the library against a real SQLite file (and PostgreSQL when the test
server is there)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from streaming_sync import (
    FolderFetcher,
    Outcome,
    SkipFile,
    SqliteRepository,
    StreamingSyncService,
    SyncConfig,
    git_blob_sha1,
)

from .conftest import ROOT
from .pg_support import fresh_repository, pg_dsn

SAMPLE = ROOT / "examples" / "sample"
GOOD = {
    "Avatar.md": SAMPLE / "metaverse" / "Avatar.md",
    "DigitalTwin.md": SAMPLE / "metaverse" / "DigitalTwin.md",
}
LATIN1_NAME = b"caf\xe9.md"  # "café.md" as an old Latin-1 archive wrote it
SHOWN = "caf\\xe9.md"  # how the listing, the report and the database name it


def good_folder(folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    files = {name: source.read_bytes() for name, source in GOOD.items()}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def add_bad_links(folder: Path, outside: Path) -> dict[str, str]:
    """A loop, a dangling link, a link out of the folder, a two-link loop; the words
    each skip reason must contain."""
    outside.write_bytes(b"- zq-outside-marker-7f3a\n")
    os.symlink("loop.md", folder / "loop.md")
    os.symlink("ping.md", folder / "pong.md")
    os.symlink("pong.md", folder / "ping.md")
    os.symlink("missing.md", folder / "dangling.md")
    os.symlink(outside, folder / "escape.md")
    return {
        "loop.md": "loops",
        "ping.md": "loops",
        "pong.md": "loops",
        "dangling.md": "does not exist",
        "escape.md": "outside the folder",
    }


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "streaming_sync", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


async def snapshot(db: Path) -> object:
    """The public rows of ``db`` (timestamps aside), read through the library."""
    async with await SqliteRepository.open(db) as repo:
        return await repo.snapshot("default")


def skipped_reasons(report: Mapping[str, object]) -> dict[str, str]:
    skipped = report["skipped"]
    assert isinstance(skipped, list)
    return {item["path"]: item["reason"] for item in skipped}


async def test_bad_links_are_skipped_with_reasons_by_the_cli(tmp_path: Path) -> None:
    """The real CLI on a folder with a link loop (``ln -s loop.md loop.md``), a two-link
    loop, a dangling link and a link out of the folder: exit 0, no traceback, each link
    skipped with its reason, a link inside the folder followed, and the good files' rows
    equal those of a sync of the good files alone."""
    folder = tmp_path / "src"
    good_folder(folder)
    os.symlink("Avatar.md", folder / "alias.md")  # inside: followed, as documented
    reasons = add_bad_links(folder, tmp_path / "secret.md")
    done = await asyncio.to_thread(
        cli, "sync", str(folder), "--db", str(tmp_path / "s.db"), "--json", "--quiet"
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["outcome"] == "succeeded"
    got = skipped_reasons(report)
    assert sorted(got) == sorted(reasons)
    for path, words in reasons.items():
        assert words in got[path], got[path]
    assert report["files"]["succeeded"] == 3  # the two good files and alias.md
    reference = tmp_path / "ref"
    good_folder(reference)
    shutil.copyfile(folder / "Avatar.md", reference / "alias.md")
    clean = await asyncio.to_thread(
        cli, "sync", str(reference), "--db", str(tmp_path / "ref.db"), "--quiet"
    )
    assert clean.returncode == 0, clean.stderr
    assert await snapshot(tmp_path / "s.db") == await snapshot(tmp_path / "ref.db")
    assert b"zq-outside-marker-7f3a" not in (tmp_path / "s.db").read_bytes()


async def test_bad_links_in_the_library_skip_once_and_land_when_fixed(tmp_path: Path) -> None:
    """Through the library: the listing holds each bad link (git's SHA of a link: the
    blob of its target path), ``fetch`` raises SkipFile with the reason, the sync
    reports them skipped; the next sync leaves them alone while unchanged, and once the
    dangling link's target appears inside the folder it lands like any file."""
    folder = tmp_path / "src"
    good_folder(folder)
    reasons = add_bad_links(folder, tmp_path / "secret.md")
    fetcher = FolderFetcher(folder)
    listing = await fetcher.list_files()
    by_path = {e.path: e for e in listing.entries}
    assert set(reasons) <= set(by_path)
    assert by_path["dangling.md"].sha == git_blob_sha1(b"missing.md")
    for path, words in reasons.items():
        with pytest.raises(SkipFile, match=words):
            await fetcher.fetch(by_path[path])
    config = SyncConfig(parse_processes=0, workers=2)
    async with await SqliteRepository.open(tmp_path / "s.db") as repo:
        service = StreamingSyncService(
            fetcher=FolderFetcher(folder), repository=repo, config=config
        )
        first = await service.sync()
        assert first.outcome is Outcome.SUCCEEDED
        assert {s.path for s in first.skipped} == set(reasons)
        second = await service.sync()
        assert (second.files.processed, second.files.unchanged) == (0, len(by_path))
        (folder / "missing.md").write_bytes(GOOD["DigitalTwin.md"].read_bytes())
        third = await service.sync()
        assert third.outcome is Outcome.SUCCEEDED and not third.skipped
        assert {r for r in ("dangling.md", "missing.md")} <= set(
            await repo.committed_files("default")
        )
        assert third.files.succeeded == 2  # the new file and the link that now resolves


def write_latin1_file(folder: Path, data: bytes) -> None:
    """A file whose name is the raw bytes ``caf\\xe9.md`` (not UTF-8) on the real disk."""
    with open(os.path.join(os.fsencode(folder), LATIN1_NAME), "wb") as handle:
        handle.write(data)


def test_undecodable_name_is_skipped_and_the_rest_syncs(tmp_path: Path) -> None:
    """A real file named with the bytes ``caf\\xe9.md``, also inside a folder whose own
    name is not UTF-8: the CLI exits 0 without a traceback, both are skipped under their
    escaped paths with the reason, the good files land, and the database holds those
    paths as valid UTF-8 text (read back byte for byte through sqlite3)."""
    folder = tmp_path / "src"
    files = good_folder(folder)
    write_latin1_file(folder, files["Avatar.md"])
    odd_dir = os.path.join(os.fsencode(folder), b"archiv\xfc")
    os.mkdir(odd_dir)
    write_latin1_file(Path(os.fsdecode(odd_dir)), files["DigitalTwin.md"])
    db = tmp_path / "s.db"
    done = cli("sync", str(folder), "--db", str(db), "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    got = skipped_reasons(report)
    nested = "archiv\\xfc/" + SHOWN
    assert sorted(got) == sorted([SHOWN, nested])
    assert all("not valid UTF-8" in reason for reason in got.values())
    assert report["files"]["succeeded"] == len(files)
    connection = sqlite3.connect(db)
    connection.text_factory = bytes
    try:
        stored = {row[0] for row in connection.execute("SELECT path FROM sync_files")}
    finally:
        connection.close()
    assert stored == {p.encode() for p in [*files, SHOWN, nested]}
    for raw in stored:
        raw.decode("utf-8")  # strict: every stored path is valid UTF-8
    again = cli("sync", str(folder), "--db", str(db), "--json", "--quiet")
    assert json.loads(again.stdout)["files"]["unchanged"] == len(files) + 2


async def test_an_escaped_name_never_takes_a_real_file_s_path(tmp_path: Path) -> None:
    """A file literally named ``caf\\xe9.md`` (backslash, x, e, 9) beside one whose name
    is the raw byte: the real name keeps its path and lands; the undecodable one is left
    out rather than confused with it."""
    folder = tmp_path / "src"
    files = good_folder(folder)
    (folder / SHOWN).write_bytes(files["Avatar.md"])
    write_latin1_file(folder, files["DigitalTwin.md"])
    fetcher = FolderFetcher(folder)
    listing = await fetcher.list_files()
    entry = next(e for e in listing.entries if e.path == SHOWN)
    assert entry.sha == git_blob_sha1(files["Avatar.md"])
    assert await fetcher.fetch(entry) == files["Avatar.md"]


async def test_skipped_undecodable_path_round_trips_through_postgres(tmp_path: Path) -> None:
    """The escaped path of an undecodable name is valid UTF-8 text for PostgreSQL too: a
    sync into a real PostgreSQL schema stores it and reads it back unchanged."""
    dsn = pg_dsn()
    folder = tmp_path / "src"
    files = good_folder(folder)
    write_latin1_file(folder, files["Avatar.md"])
    async with fresh_repository(dsn) as repo:
        service = StreamingSyncService(
            fetcher=FolderFetcher(folder),
            repository=repo,  # type: ignore[arg-type]
            config=SyncConfig(parse_processes=0, workers=2),
        )
        report = await service.sync()
        assert [s.path for s in report.skipped] == [SHOWN]
        committed = await repo.committed_files("default")  # type: ignore[attr-defined]
        assert set(committed) == {*files, SHOWN}


def test_github_paths_that_are_not_utf8_text_are_refused() -> None:
    """(A private unit: ``_github_spec.is_safe_path``, the gate every GitHub tree path
    passes.) A path holding a lone surrogate -- what ``json.loads`` makes of a hostile
    ``"caf\\udce9.md"`` -- is refused, since no database column of text can store it;
    valid non-ASCII paths pass."""
    import json as json_module

    from streaming_sync.sources._github_spec import is_safe_path

    hostile = json_module.loads('"caf\\udce9.md"')
    assert not is_safe_path(hostile)
    assert is_safe_path("café/ページ.md")
