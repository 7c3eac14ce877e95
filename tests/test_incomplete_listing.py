"""An incomplete GitHub listing is never a success (issue 12, point 8).

GitHub truncates a big recursive tree; the fetcher then walks folder by folder. When
that walk cannot complete the listing either -- a folder whose own listing is truncated,
a subtree GitHub does not serve -- the sync is ``partial`` (CLI exit 1), its report
warns naming what is missing, nothing is deleted on the strength of that listing, and
``status`` shows it. Against the GitHub-like test server, made to truncate and to fail
the walk; the CLI runs as a real subprocess.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from streaming_sync import (
    Outcome,
    SqliteRepository,
    StreamingSyncService,
    SyncConfig,
    TransientFetchError,
)
from streaming_sync.sources.github import GitHubFetcher
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository
from streaming_sync.testing.github_server import Fault, GitHubLikeServer, RequestRecord

from .conftest import ROOT

SAMPLE = ROOT / "examples" / "sample"
PAGES = sorted((SAMPLE / "metaverse").glob("*.md")) + sorted(
    (SAMPLE / "narrativegoldmine").glob("*.md")
)


def upstream() -> dict[str, bytes]:
    """Real Logseq pages: four at the top, ten in ``big/``, two in ``other/``."""
    pages = [p.read_bytes() for p in PAGES]
    files = {f"top{i}.md": pages[i] for i in range(4)}
    files |= {f"big/page{i:02}.md": pages[4 + i] for i in range(10)}
    files |= {f"other/page{i}.md": pages[14 + i] for i in range(2)}
    return files


async def cli(server: GitHubLikeServer, *args: str) -> tuple[int, str, str]:
    """The real CLI (a subprocess) against ``server``; (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "streaming_sync",
        *args,
        cwd=ROOT,
        env={**os.environ, "GITHUB_TOKEN": ""},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def sync_args(server: GitHubLikeServer, db: Path) -> list[str]:
    return [
        "sync", f"github:{server.owner}/{server.repo}", "--db", str(db),
        "--api-url", server.api_url, "--quiet", "--json", "--workers", "2",
    ]  # fmt: skip


async def committed(db: Path) -> Mapping[str, str]:
    async with await SqliteRepository.open(db) as repo:
        return await repo.committed_files("default")


async def snapshot(db: Path) -> object:
    async with await SqliteRepository.open(db) as repo:
        return await repo.snapshot("default")


async def test_truncated_walk_is_partial_deletes_nothing_and_status_says_so(
    tmp_path: Path,
) -> None:
    """A full sync, then a commit that changes a top file, adds one and deletes one page
    of ``big/`` -- listed with the recursive tree truncated AND ``big/``'s own listing
    truncated: exit 1, outcome partial, a warning naming ``big/``; the changes that were
    listed land; the pages of ``big/`` the listing lacks keep their rows and SHAs (even
    the one deleted upstream: nothing is deleted from an incomplete listing); ``status``
    shows the gap. Once a commit is listed whole again, the sync succeeds, deletes the
    page deleted upstream, and the database equals a clean sync of that commit."""
    db, clean = tmp_path / "s.db", tmp_path / "clean.db"
    files = upstream()
    async with GitHubLikeServer(files) as server:
        code, out, err = await cli(server, *sync_args(server, db))
        assert code == 0, err
        before = await committed(db)
        new_page = (SAMPLE / "narrativegoldmine" / "System.md").read_bytes()
        server.commit({"top0.md": files["top1.md"], "new.md": new_page, "big/page09.md": None})
        server.max_tree_entries, server.max_folder_entries = 3, 7
        code, out, err = await cli(server, *sync_args(server, db))
        assert code == 1, err
        assert "Traceback" not in err
        report = json.loads(out)
        assert report["outcome"] == "partial"
        assert report["files"]["failed"] == 0 and report["files"]["deleted"] == 0
        gaps = [w["warning"] for w in report["warnings"] if w["path"] == "(listing)"]
        assert len(gaps) == 1 and "'big/'" in gaps[0] and "truncated" in gaps[0]
        after = await committed(db)
        listed_big = {e for e in after if e.startswith("big/") and after[e] == before[e]}
        assert {f"big/page{i:02}.md" for i in range(7, 10)} <= listed_big  # kept, unlisted
        assert after["top0.md"] != before["top0.md"] and "new.md" in after

        code, out, err = await cli(server, "status", "--db", str(db))
        assert code == 0, err
        assert "partial" in out and "INCOMPLETE" in out and "'big/'" in out
        assert "listing was incomplete" in out
        code, out, err = await cli(server, "status", "--db", str(db), "--json")
        last = json.loads(out)["last_run"]
        assert last["outcome"] == "partial" and any(
            "'big/'" in w["warning"] for w in last["warnings"]
        )

        # GitHub's truncation is as fixed as the tree (cached trees stay truncated): a
        # new commit that touches big/ lists whole again.
        server.max_tree_entries = server.max_folder_entries = None
        server.commit({"big/page00.md": files["top2.md"]})
        code, out, err = await cli(server, *sync_args(server, db))
        assert code == 0, err
        report = json.loads(out)
        assert report["outcome"] == "succeeded" and report["files"]["deleted"] == 1
        assert not report["warnings"] or all(w["path"] != "(listing)" for w in report["warnings"])
        code, _, err = await cli(server, *sync_args(server, clean))
        assert code == 0, err
    assert await snapshot(db) == await snapshot(clean)
    assert set(await committed(db)) == set(await committed(clean))


def subtree_sha(server: GitHubLikeServer, name: str) -> str:
    root = server.store.commits[server.head].tree
    return next(item.sha for item in server.store.trees[root] if item.name == name)


async def test_a_subtree_github_does_not_serve_is_named_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    """The recursive tree is truncated and the tree of ``other/`` answers 404 during the
    walk (the library, through ``GitHubFetcher``): the listing is incomplete and says
    so, the report is partial with a warning naming ``other/``, and the pages of
    ``other/`` committed earlier keep their rows."""
    files = upstream()
    async with GitHubLikeServer(files) as server:
        config = SyncConfig(parse_processes=0, workers=2)
        async with await SqliteRepository.open(tmp_path / "s.db") as repo:

            def service() -> StreamingSyncService:
                fetcher = GitHubFetcher(
                    owner=server.owner, repo=server.repo, api_url=server.api_url
                )
                return StreamingSyncService(
                    fetcher=fetcher, repository=repo, config=config, owned=[fetcher]
                )

            async with service() as first:
                assert (await first.sync()).outcome is Outcome.SUCCEEDED
            before = dict(await repo.committed_files("default"))
            rows_before = await repo.snapshot("default")
            other = subtree_sha(server, "other")

            def refuse_other(record: RequestRecord) -> Fault | None:
                return Fault.error(404) if record.path.endswith(f"/git/trees/{other}") else None

            server.faults, server.max_tree_entries = refuse_other, 3
            async with service() as second:
                listing = await second.fetcher.list_files()
                assert not listing.complete
                assert len(listing.missing) == 1 and "'other/'" in listing.missing[0]
                assert not any(e.path.startswith("other/") for e in listing.entries)
                report = await second.sync()
            assert report.outcome is Outcome.PARTIAL and report.files.deleted == 0
            assert [p for p, _ in report.warnings] == ["(listing)"]
            assert "'other/'" in report.warnings[0][1]
            assert await repo.committed_files("default") == before
            assert await repo.snapshot("default") == rows_before


async def test_a_walk_that_keeps_failing_is_never_a_success(tmp_path: Path) -> None:
    """The recursive tree is truncated and one subtree answers 502 on every try: the
    listing is retried, then the sync stops (CLI exit 2, the reason on stderr) without
    deleting anything -- never exit 0."""
    db = tmp_path / "s.db"
    async with GitHubLikeServer(upstream()) as server:
        code, _, err = await cli(server, *sync_args(server, db))
        assert code == 0, err
        before = await committed(db)
        server.commit({"top0.md": upstream()["top1.md"]})  # a new root tree, not cached
        big = subtree_sha(server, "big")
        server.max_tree_entries = 3
        server.faults = lambda r: Fault.error(502) if r.path.endswith(f"/trees/{big}") else None
        code, out, err = await cli(server, *sync_args(server, db))
        assert code == 2, (out, err)
        assert "502" in err and "Traceback" not in err
        assert await committed(db) == before
        code, out, _ = await cli(server, "status", "--db", str(db), "--json")
        assert json.loads(out)["last_run"]["outcome"] == "aborted"


@pytest.mark.parametrize("complete", [True, False])
async def test_any_fetcher_s_incomplete_listing_makes_the_run_partial(complete: bool) -> None:
    """A listing marked incomplete by any Fetcher (here the in-memory double, which names
    no part) makes the run partial with a generic warning; a complete one succeeds."""
    fetcher = InMemoryFetcher({"a.md": b"- no ontology block\n"}, complete=complete)
    repo = InMemoryRepository()
    config = SyncConfig(parse_processes=0, workers=1)
    async with StreamingSyncService(fetcher=fetcher, repository=repo, config=config) as service:
        report = await service.sync()
    gaps = [w for p, w in report.warnings if p == "(listing)"]
    if complete:
        assert report.outcome is Outcome.SUCCEEDED and not gaps
    else:
        assert report.outcome is Outcome.PARTIAL
        assert gaps == [
            "incomplete listing: the source could not list every file; files there are not"
            " in this sync and no file was deleted; sync again later, or sync that folder on"
            " its own"
        ]


async def test_a_shared_run_from_an_incomplete_listing_is_partial() -> None:
    """Shared sync (PostgreSQL): the run's combined report -- the one ``status`` shows --
    is partial with the listing warning when its creator's listing was incomplete."""
    from streaming_sync.storage.postgres import PostgresCoordinator

    from .pg_support import fresh_repository, pg_dsn

    async with fresh_repository(pg_dsn()) as repo:
        service = StreamingSyncService(
            fetcher=InMemoryFetcher({"a.md": b"- no ontology block\n"}, complete=False),
            repository=repo,  # type: ignore[arg-type]
            config=SyncConfig(parse_processes=0, workers=1),
            coordinator=PostgresCoordinator(repo),  # type: ignore[arg-type]
        )
        async with service:
            own = await service.sync()
        _, combined = await repo.load("default")  # type: ignore[attr-defined]
    assert own.outcome is Outcome.PARTIAL
    assert combined is not None and combined.started_at != own.started_at
    assert combined.outcome is Outcome.PARTIAL
    assert [p for p, _ in combined.warnings] == ["(listing)"]


async def test_a_malformed_tree_answer_is_not_cached() -> None:
    """A tree answer that is JSON but not a tree (no ``tree`` list) fails the listing as
    transient and is not kept in the HTTP cache: the next listing asks again and gets
    the real tree (before, the cached bad body failed every later listing)."""
    from aiohttp import web

    from streaming_sync.sources.github import MemoryHttpCache

    tree_sha, blob = "b" * 40, "c" * 40
    answers = [{"sha": tree_sha, "truncated": False, "tree": "oops"}]

    async def handle(request: web.Request) -> web.Response:
        if request.path.endswith("/commits/main"):
            return web.json_response({"sha": "a" * 40, "commit": {"tree": {"sha": tree_sha}}})
        if "/git/trees/" in request.path:
            good = {"sha": tree_sha, "truncated": False, "tree": [
                {"path": "a.md", "mode": "100644", "type": "blob", "sha": blob, "size": 3}
            ]}  # fmt: skip
            return web.json_response(answers.pop() if answers else good)
        return web.json_response({"message": "Not Found"}, status=404)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    cache = MemoryHttpCache()
    try:
        for attempt in range(2):
            async with GitHubFetcher(
                owner="o", repo="r", ref="main", api_url=f"http://{host}:{port}", cache=cache
            ) as fetcher:
                if attempt == 0:
                    with pytest.raises(TransientFetchError, match="malformed tree"):
                        await fetcher.list_files()
                else:
                    listing = await fetcher.list_files()
                    assert [e.path for e in listing.entries] == ["a.md"]
    finally:
        await runner.cleanup()
