"""How many GitHub round trips a sync waits for, one after the other, and what it costs
in requests: a cold sync reaches the tarball's bytes after two sequential round trips
(the commit beside the ref's tarball link; the tree beside the download), a re-sync
stays cheap, and the files delivered are the listed commit's even when the branch
moves. Counted from the server's records (``round_trips``), never timed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from streaming_sync import PathFilter, SourceNotFoundError, StreamingSyncService, SyncConfig
from streaming_sync.sources.github import GitHubFetcher, MemoryHttpCache
from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync.testing.github_server import (
    Fault,
    GitHubLikeServer,
    RequestRecord,
    round_trips,
)

from .lineformat import LineParser

FILES = {f"pages/p{i:02}.txt": f"class ex:C{i}\nsub ex:C{i} ex:Root".encode() for i in range(60)}
EVERYTHING = PathFilter(include=("*",))
# Every request waits this long on the server, so that requests a client sends side by
# side overlap there and requests sent one after the other do not; the assertions are
# about that order, never about how long anything took.
LATENCY = 0.1


def slow(record: RequestRecord) -> Fault | None:
    return Fault.slow(LATENCY)


@pytest.fixture
async def server() -> AsyncIterator[GitHubLikeServer]:
    async with GitHubLikeServer(FILES, faults=slow) as running:
        yield running


def fetcher(server: GitHubLikeServer, **options: Any) -> GitHubFetcher:
    defaults: dict[str, Any] = {
        "owner": server.owner,
        "repo": server.repo,
        "api_url": server.api_url,
        "path_filter": EVERYTHING,
    }
    return GitHubFetcher(**{**defaults, **options})


def rounds_until_download(server: GitHubLikeServer) -> int:
    """The sequential round trips the client waited for before the (first) download
    request arrived, that request included."""
    rounds = round_trips(server.requests)
    return min(rounds[i] for i, r in enumerate(server.requests) if r.origin == "download")


def listing_rounds(server: GitHubLikeServer) -> tuple[int, int]:
    """The round trips after which the ref's lookup and the (first) tree request
    arrived."""
    trips = round_trips(server.requests)
    rounds = {r.path: trips[i] for i, r in enumerate(server.requests)}
    lookup = next(p for p in rounds if "/commits" in p)
    tree = next(p for p in rounds if "/git/trees/" in p)
    return rounds[lookup], rounds[tree]


@pytest.mark.parametrize("ref", [None, "main"])
async def test_cold_listing_and_tarball_take_two_round_trips(
    server: GitHubLikeServer, ref: str | None
) -> None:
    """With nothing cached, the default branch (or a named ref) resolves to its commit
    and tree in one request while the ref's tarball link is asked for beside it; the
    tree and the download follow side by side: two sequential round trips and four
    requests before the tarball's bytes arrive (three and four when the link was asked
    for the resolved commit; five and five before that)."""
    async with fetcher(server, ref=ref) as github:
        listing = await github.list_files()
        got = {e.path: data async for e, data in github.fetch_many(listing.entries)}
    assert got == FILES
    assert rounds_until_download(server) == 2
    assert listing_rounds(server) == (1, 2)  # the archive delays no step of the listing
    first_two = sorted(r.path.rsplit("/", 1)[-1] for r in server.requests[:2])
    assert first_two == (["commits", "tarball"] if ref is None else ["main", "main"])
    assert len(server.api_requests()) == 3 and len(server.download_requests()) == 1


async def test_cold_service_sync_reaches_the_tarball_after_two_round_trips(
    server: GitHubLikeServer, tmp_path: Path
) -> None:
    """Through the public service: a cold sync of 60 files (over the tarball threshold)
    makes 3 API requests and 1 download, and the download starts after two
    sequential round trips; every file lands."""
    async with await SqliteRepository.open(tmp_path / "s.db") as repo:
        github = fetcher(server, cache=repo)
        service = StreamingSyncService(
            fetcher=github,
            repository=repo,
            parser=LineParser(),  # type: ignore[arg-type]
            config=SyncConfig(parse_processes=0),
            owned=[github],
        )
        async with service:
            report = await service.sync()
    assert report.files.processed == len(FILES)
    assert rounds_until_download(server) == 2
    assert listing_rounds(server) == (1, 2)
    assert len(server.api_requests()) == 3 and len(server.download_requests()) == 1


async def test_later_listings_ask_for_no_tarball_link_ahead(server: GitHubLikeServer) -> None:
    """Once a validator is cached (a sync ran before), an unchanged repository costs one
    request, answered 304, and a changed one its commit and tree only: the tarball link
    is asked for ahead only on the first listing, when every file will be wanted, so a
    small change stays proportional."""
    cache = MemoryHttpCache()
    async with fetcher(server, cache=cache) as github:
        await github.list_files()
    seen = len(server.requests)
    async with fetcher(server, cache=cache) as github:
        await github.list_files()
        unchanged = server.requests[seen:]
        assert [r.status for r in unchanged] == [304]
        seen = len(server.requests)
        server.commit({"pages/p00.txt": b"class ex:Changed"})
        await github.list_files()
    changed = server.requests[seen:]
    assert [r.status for r in changed] == [200, 200]
    assert not [r for r in changed if "/tarball" in r.path]


async def test_a_threshold_no_sync_reaches_starts_nothing_ahead(
    server: GitHubLikeServer,
) -> None:
    """A ``tarball_threshold`` above 10,000 says the archive is (nearly) never wanted: a
    first listing asks for its commit and tree only, and the files come one by one."""
    async with fetcher(server, tarball_threshold=10**9) as github:
        listing = await github.list_files()
        assert not github.wants_bulk(len(listing.entries))
    paths = [r.path for r in server.requests]
    assert len(paths) == 2 and paths[0].endswith("/commits") and "/git/trees/" in paths[1]
    assert not server.download_requests()


async def test_tarball_is_the_listed_commit_when_the_branch_moves(
    server: GitHubLikeServer,
) -> None:
    """The branch moves while the tree is being listed and again before fetch_many: the
    archive asked for beside the commit is the listed commit's (it says so), so every
    delivered file is the listed one, none is missing, and no file of the newer commits
    is mixed in."""
    moved: list[str] = []

    def move_once(record: RequestRecord) -> Fault | None:
        if "/git/trees/" in record.path and not moved:
            moved.append(server.commit({p: b"class ex:Newer" for p in FILES}))
        return Fault.slow(LATENCY)

    server.faults = move_once
    async with fetcher(server) as github:
        listing = await github.list_files()
        server.commit({"pages/p01.txt": b"class ex:Newest"})
        got = {e.path: data async for e, data in github.fetch_many(listing.entries)}
    assert moved and listing.commit != server.head
    assert got == FILES
    tarball = [r for r in server.api_requests() if "/tarball" in r.path]
    assert [r.path.rsplit("/", 1)[-1] for r in tarball] == ["tarball"]
    (download,) = server.download_requests()
    assert download.path.endswith(f"/legacy.tar.gz/{listing.commit}")


async def test_an_archive_of_a_ref_that_moved_is_dropped_for_the_listed_commit(
    server: GitHubLikeServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The ref moves after its archive was asked for and before the listing resolves
    it: the archive names the old commit, so fetch_many downloads the listed commit's
    (its link by SHA) and delivers that commit's bytes."""
    old = server.head
    pushed: list[str] = []

    def move_the_ref(record: RequestRecord) -> Fault | None:
        if record.origin == "download" and not pushed:
            pushed.append(server.commit({"pages/p00.txt": b"class ex:Moved"}))
        # the ref's lookup answers after the archive's download has begun
        return Fault.slow(3 * LATENCY if "/commits" in record.path else LATENCY)

    server.faults = move_the_ref
    caplog.set_level(logging.INFO)
    async with fetcher(server) as github:
        listing = await github.list_files()
        assert listing.commit == pushed[0] != old
        got = {e.path: data async for e, data in github.fetch_many(listing.entries)}
    assert got == {**FILES, "pages/p00.txt": b"class ex:Moved"}
    assert len(server.download_requests()) == 2
    tarball = [r.path.rsplit("/", 1)[-1] for r in server.api_requests() if "/tarball" in r.path]
    assert tarball == ["tarball", pushed[0]]
    assert any(f"holds commit {old[:12]}" in r.getMessage() for r in caplog.records)


async def test_an_expired_early_link_is_asked_for_again(server: GitHubLikeServer) -> None:
    """When the download origin refuses the download started during the listing
    (GitHub's links of private repositories expire), fetch_many asks the API for the
    commit's link and still delivers every file."""
    refused: list[RequestRecord] = []

    def expire_first(record: RequestRecord) -> Fault | None:
        if record.origin == "download" and not refused:
            refused.append(record)
            return Fault.error(404)
        return Fault.slow(LATENCY)

    server.faults = expire_first
    async with fetcher(server) as github:
        listing = await github.list_files()
        got = {e.path: data async for e, data in github.fetch_many(listing.entries)}
    assert got == FILES
    assert len([r for r in server.api_requests() if "/tarball" in r.path]) == 2
    assert [r.status for r in server.download_requests()] == [404, 200]


async def test_a_stale_early_download_is_not_used(server: GitHubLikeServer) -> None:
    """A download started during the listing more than a minute before fetch_many is
    not read (GitHub's links of private repositories live five minutes, a waiting
    download may be dropped): fetch_many closes it and asks for the commit's archive.
    (Ages the private ``_ahead`` record rather than waiting a minute.)"""
    async with fetcher(server) as github:
        listing = await github.list_files()
        assert github._ahead is not None
        started = await github._ahead
        assert started is not None
        aged: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        aged.set_result((started[0], time.monotonic() - 61.0))
        github._ahead = aged
        got = {e.path: data async for e, data in github.fetch_many(listing.entries)}
    assert got == FILES
    tarball = [r.path.rsplit("/", 1)[-1] for r in server.api_requests() if "/tarball" in r.path]
    assert tarball == ["tarball", listing.commit]
    assert len(server.download_requests()) == 2


async def test_a_failed_listing_leaves_no_link_behind(server: GitHubLikeServer) -> None:
    """When the folder of the source is missing, the listing fails as before and the
    archive asked for alongside is closed or cancelled, never left running."""
    async with fetcher(server, path="nowhere") as github:
        with pytest.raises(SourceNotFoundError, match="nowhere"):
            await github.list_files()
        assert github._ahead is None
    assert server.in_flight == 0
