"""GitHubFetcher against GitHubLikeServer (a real aiohttp server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import tarfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from streaming_sync import (
    AuthenticationError,
    BulkFetcher,
    Fetcher,
    FileEntry,
    IntegrityError,
    PathFilter,
    PermanentFetchError,
    RateLimited,
    SkipFile,
    SourceNotFoundError,
    TransientFetchError,
    WaitBudgetExceeded,
    git_blob_sha1,
)
from streaming_sync.sources.github import GitHubFetcher, MemoryHttpCache
from streaming_sync.testing._git_objects import make_tarball
from streaming_sync.testing.github_server import Fault, GitHubLikeServer, RequestRecord

TOKEN = "ghp_TESTTOKEN0123456789abcdefSECRET"
EVERYTHING = PathFilter(include=("*",), exclude=())
SMALL = {f"pages/p{i:02d}.md": f"- page {i}\n".encode() for i in range(20)}


def make(server: GitHubLikeServer, *, emit: Any = None, **options: Any) -> GitHubFetcher:
    """A fetcher for ``server`` with test-sized waits and every path admitted; ``emit``
    receives its events (``bind_events``, as the service does)."""
    defaults: dict[str, Any] = {
        "owner": server.owner,
        "repo": server.repo,
        "api_url": server.api_url,
        "token": TOKEN,
        "path_filter": EVERYTHING,
        "secondary_min_wait": 0.2,
        "reset_margin": 0.0,
        "request_timeout": 5.0,
    }
    fetcher = GitHubFetcher(**{**defaults, **options})
    if emit is not None:
        fetcher.bind_events(emit)
    return fetcher


def walk(root: Path) -> dict[str, tuple[int, str]]:
    """path -> (size, git blob sha) of every file below ``root``, by os.walk."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            data = Path(folder, name).read_bytes()
            found[Path(folder, name).relative_to(root).as_posix()] = (
                len(data),
                git_blob_sha1(data),
            )
    return found


def on_path(fragment: str, fault: Fault) -> Callable[[RequestRecord], Fault | None]:
    return lambda record: fault if fragment in record.path else None


@pytest.fixture
async def small() -> AsyncIterator[GitHubLikeServer]:
    async with GitHubLikeServer(SMALL) as server:
        yield server


# -- listing ---------------------------------------------------------------------------


async def test_listing_matches_the_folder(corpus: Path) -> None:
    """Every file of the folder is listed once with its size and git blob SHA, at the
    commit the branch points to; the fetcher satisfies both protocols."""
    folder = corpus / "logseq-metaverse"
    async with GitHubLikeServer(folder) as server, make(server) as fetcher:
        listing = await fetcher.list_files()
        assert isinstance(fetcher, Fetcher)
        assert isinstance(fetcher, BulkFetcher)
    assert listing.commit == server.head
    assert listing.complete
    assert {e.path: (e.size, e.sha) for e in listing.entries} == walk(folder)
    assert [e.path for e in listing.entries] == sorted(e.path for e in listing.entries)


async def test_truncated_tree_is_listed_folder_by_folder(corpus: Path) -> None:
    """When GitHub truncates the recursive tree, each folder is listed non-recursively
    and the result is the same complete listing."""
    folder = corpus / "logseq-metaverse"
    async with GitHubLikeServer(folder, max_tree_entries=10) as server, make(server) as fetcher:
        listing = await fetcher.list_files()
        plain_tree_requests = [
            r
            for r in server.api_requests()
            if "/git/trees/" in r.path and "recursive" not in r.query
        ]
    assert listing.complete
    assert {e.path: (e.size, e.sha) for e in listing.entries} == walk(folder)
    assert len(plain_tree_requests) >= 2


@pytest.mark.parametrize("max_tree_entries", [None, 5])
async def test_folder_listing_matches_files_tsv(corpus: Path, max_tree_entries: int | None) -> None:
    """PATH limits the listing to a folder; paths are relative to it and every SHA
    equals the git blob SHA-1 recorded in the corpus' FILES.tsv."""
    async with (
        GitHubLikeServer(corpus, max_tree_entries=max_tree_entries) as server,
        make(server, path="rdf") as fetcher,
    ):
        listing = await fetcher.list_files()
    with (corpus / "rdf" / "FILES.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    by_path = {e.path: e for e in listing.entries}
    assert rows
    assert set(by_path) == set(walk(corpus / "rdf"))
    for row in rows:
        assert (by_path[row["path"]].size, by_path[row["path"]].sha) == (
            int(row["bytes"]),
            row["git_blob_sha1"],
        )
    assert fetcher.source == f"github:{server.owner}/{server.repo}/rdf"


async def test_links_submodules_and_filter_are_not_listed() -> None:
    """Symlinks (mode 120000) and submodules are skipped; the default PathFilter keeps
    ontology files only."""
    files = {"a.md": b"a", "b.png": b"png", "d/c.ttl": b"c"}
    async with GitHubLikeServer(
        files, links={"d/link.md": "../a.md"}, submodules={"sub": "f" * 40}
    ) as server:
        async with make(server, path_filter=None) as fetcher:
            default = await fetcher.list_files()
        async with make(server) as fetcher:
            everything = await fetcher.list_files()
    assert [e.path for e in default.entries] == ["a.md", "d/c.ttl"]
    assert [e.path for e in everything.entries] == ["a.md", "b.png", "d/c.ttl"]


async def test_spec_ref_and_path(small: GitHubLikeServer) -> None:
    """``github:o/r@REF/PATH``: the ref is resolved to its commit, paths are relative
    to PATH, and the source names both."""
    old = small.head
    small.add_tag("v1")
    small.commit({"pages/new.md": b"new"})
    spec = f"github:{small.owner}/{small.repo}@v1/pages"
    async with GitHubFetcher.from_spec(spec, api_url=small.api_url, path_filter=EVERYTHING) as f:
        listing = await f.list_files()
        assert f.source == spec
    assert listing.commit == old
    assert sorted(e.path for e in listing.entries) == sorted(p[len("pages/") :] for p in SMALL)


# -- fetching and errors ---------------------------------------------------------------


async def test_fetch_returns_verified_bytes_and_rejects_corrupt_blobs(
    small: GitHubLikeServer,
) -> None:
    """fetch returns each file's bytes; a blob whose bytes do not hash to the listed SHA
    raises the retryable IntegrityError."""
    bad = git_blob_sha1(SMALL["pages/p03.md"])
    small.faults = on_path(bad, Fault("corrupt"))
    async with make(small) as fetcher:
        listing = await fetcher.list_files()
        for entry in listing.entries:
            if entry.sha == bad:
                with pytest.raises(IntegrityError) as caught:
                    await fetcher.fetch(entry)
                assert caught.value.retryable
            else:
                assert await fetcher.fetch(entry) == SMALL[entry.path]


async def test_blobs_are_requested_raw_with_auth(small: GitHubLikeServer) -> None:
    """Blobs are asked for with the raw media type and the token."""
    async with make(small) as fetcher:
        listing = await fetcher.list_files()
        entry = listing.entries[0]
        assert await fetcher.fetch(entry) == SMALL[entry.path]
    blob_requests = [r for r in small.api_requests() if "/git/blobs/" in r.path]
    assert blob_requests[0].headers["Accept"] == "application/vnd.github.raw+json"
    assert blob_requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_bad_token_is_fatal_and_names_the_variable() -> None:
    """401 raises the fatal AuthenticationError naming the variable to check, never the
    token itself."""
    async with (
        GitHubLikeServer(SMALL, tokens={"the-good-one"}) as server,
        make(server, token_env="MY_GH_TOKEN") as fetcher,
    ):
        with pytest.raises(AuthenticationError) as caught:
            await fetcher.list_files()
    assert caught.value.fatal
    assert "MY_GH_TOKEN" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"repo": "missing"}, "octo-org/missing"),
        ({"ref": "no-such-branch"}, "ref 'no-such-branch'"),
        ({"path": "no/such/folder"}, "folder 'no'"),
    ],
)
async def test_missing_repo_ref_or_path_is_fatal(
    small: GitHubLikeServer, options: dict[str, str], names: str
) -> None:
    """404 of the repository, ref or folder raises the fatal SourceNotFoundError saying
    which one is missing."""
    async with make(small, **options) as fetcher:
        with pytest.raises(SourceNotFoundError) as caught:
            await fetcher.list_files()
    assert caught.value.fatal
    assert names in str(caught.value)


async def test_missing_ref_of_missing_repo_names_the_repo(small: GitHubLikeServer) -> None:
    """With a ref given and the repository missing, the error names the repository."""
    async with make(small, repo="gone", ref="main") as fetcher:
        with pytest.raises(SourceNotFoundError, match="octo-org/gone"):
            await fetcher.list_files()


async def test_missing_blob_is_permanent(small: GitHubLikeServer) -> None:
    """404 of one blob fails that file only (PermanentFetchError, not fatal)."""
    async with make(small) as fetcher:
        await fetcher.list_files()
        with pytest.raises(PermanentFetchError) as caught:
            await fetcher.fetch(FileEntry("gone.md", 3, "0" * 40))
    assert not caught.value.fatal
    assert not caught.value.retryable


@pytest.mark.parametrize(
    "fault", [Fault.error(502), Fault("truncate"), Fault("reset"), Fault.slow(1.0)]
)
async def test_transient_faults_are_retryable(small: GitHubLikeServer, fault: Fault) -> None:
    """5xx, truncated bodies, connection resets and timeouts raise TransientFetchError."""
    async with make(small, request_timeout=0.5) as fetcher:
        listing = await fetcher.list_files()
        small.faults = on_path("/git/blobs/", fault)
        with pytest.raises(TransientFetchError) as caught:
            await fetcher.fetch(listing.entries[0])
    assert caught.value.retryable
    assert not isinstance(caught.value, IntegrityError)


async def test_oversized_files_are_listed_but_skipped(small: GitHubLikeServer) -> None:
    """Files over max_file_size stay in the listing (the sync skips them by their listed
    size before fetching); a blob that holds more than the limit when read is skipped
    by the shared size rule, even when the listing claimed less."""
    small.commit({"big.md": b"x" * 100})
    async with make(small, max_file_size=50) as fetcher:
        listing = await fetcher.list_files()
        big = next(e for e in listing.entries if e.path == "big.md")
        assert big.size == 100
        understated = FileEntry(big.path, 10, big.sha)
        with pytest.raises(SkipFile, match="more than max_file_size=50 bytes"):
            await fetcher.fetch(understated)


# -- conditional requests --------------------------------------------------------------


async def test_unchanged_repository_costs_two_304s(small: GitHubLikeServer) -> None:
    """A second listing of an unchanged repository sends at most 2 requests, all answered
    304, and returns the same listing; after a commit the listing changes."""
    cache = MemoryHttpCache()
    async with make(small, cache=cache) as fetcher:
        first = await fetcher.list_files()
    seen = len(small.requests)
    async with make(small, cache=cache) as fetcher:  # a new process would share the cache
        second = await fetcher.list_files()
        again = small.requests[seen:]
        assert second == first
        assert 1 <= len(again) <= 2
        assert all(r.status == 304 for r in again)
        assert all("If-None-Match" in r.headers for r in again)
        new = small.commit(
            {"pages/p00.md": b"changed", "pages/p01.md": None},
            renames={"pages/p02.md": "pages/moved.md"},
        )
        third = await fetcher.list_files()
    assert third.commit == new != first.commit
    paths = {e.path: e.sha for e in third.entries}
    assert "pages/p01.md" not in paths
    assert "pages/p02.md" not in paths
    assert paths["pages/moved.md"] == git_blob_sha1(SMALL["pages/p02.md"])
    assert paths["pages/p00.md"] == git_blob_sha1(b"changed")


# -- rate limits -----------------------------------------------------------------------


async def test_primary_budget_is_never_exceeded() -> None:
    """With a budget of N requests per window and more files fetched concurrently, every
    fetch succeeds, everything pauses (a RateLimited event) and no request goes past the budget."""
    events: list[RateLimited] = []

    async def record(event: RateLimited) -> None:
        events.append(event)

    async with (
        GitHubLikeServer(SMALL, rate_limit=8, rate_window=1.0) as server,
        make(server, emit=record) as fetcher,
    ):
        listing = await fetcher.list_files()
        data = await asyncio.gather(*(fetcher.fetch(e) for e in listing.entries))
    assert data == [SMALL[e.path] for e in listing.entries]
    assert server.over_budget == 0
    assert events
    assert all(e.resume_at > 0 and "rate limit" in e.reason for e in events)


async def test_primary_refusal_pauses_and_repeats() -> None:
    """A 403 with remaining 0 (the server's own idea of the budget) pauses every
    request until the reset time and repeats the refused request."""
    async with GitHubLikeServer(SMALL, rate_window=1.0) as server:
        refused: list[int] = []

        def once(record: RequestRecord) -> Fault | None:
            if "/git/blobs/" in record.path and not refused:
                refused.append(1)
                return Fault("primary")
            return None

        server.faults = once
        events: list[RateLimited] = []

        async def record(event: RateLimited) -> None:
            events.append(event)

        async with make(server, emit=record) as fetcher:
            listing = await fetcher.list_files()
            assert await fetcher.fetch(listing.entries[0]) == SMALL[listing.entries[0].path]
    assert len(events) == 1
    assert events[0].reason.startswith("primary")


@pytest.mark.parametrize("retry_after", [None, 1.0])
async def test_secondary_limit_pauses_every_request(retry_after: float | None) -> None:
    """A secondary limit (with or without retry-after) pauses all concurrent requests:
    only those already in flight are refused, and every fetch succeeds afterwards."""
    events: list[RateLimited] = []

    async def record(event: RateLimited) -> None:
        events.append(event)

    async with (
        GitHubLikeServer(SMALL) as server,
        make(server, emit=record, max_concurrency=4) as fetcher,
    ):
        listing = await fetcher.list_files()
        server.secondary_window(after=3, seconds=0.15, retry_after=retry_after)
        started = time.monotonic()
        data = await asyncio.gather(*(fetcher.fetch(e) for e in listing.entries))
        elapsed = time.monotonic() - started
    refused = [r for r in server.requests if r.fault == "secondary"]
    assert data == [SMALL[e.path] for e in listing.entries]
    assert 1 <= len(refused) <= 4
    assert events
    assert "secondary" in events[0].reason
    assert elapsed >= (retry_after or 0.2) * 0.9


async def test_wait_budget_exceeded_is_fatal() -> None:
    """A pause longer than the wait budget raises WaitBudgetExceeded with the time to
    resume, for the request that met it and for every later one."""
    async with (
        GitHubLikeServer(SMALL, rate_limit=4, rate_window=30.0) as server,
        make(server, wait_budget=1.0) as fetcher,
    ):
        listing = await fetcher.list_files()
        results = await asyncio.gather(
            *(fetcher.fetch(e) for e in listing.entries), return_exceptions=True
        )
        with pytest.raises(WaitBudgetExceeded):
            await fetcher.fetch(listing.entries[-1])
    errors = [r for r in results if isinstance(r, WaitBudgetExceeded)]
    assert errors
    assert len(errors) < len(results)
    assert server.used == server.rate_limit
    caught = errors[0]
    assert caught.fatal
    assert caught.resume_at is not None
    assert caught.resume_at > time.time() + 20
    assert "try again after" in str(caught)
    assert server.over_budget == 0


async def test_concurrency_is_capped(small: GitHubLikeServer) -> None:
    """No more than max_concurrency requests are in flight at once."""
    small.faults = on_path("/git/blobs/", Fault.slow(0.05))
    async with make(small, max_concurrency=3) as fetcher:
        listing = await fetcher.list_files()
        await asyncio.gather(*(fetcher.fetch(e) for e in listing.entries))
    assert small.max_in_flight == 3


# -- the tarball -----------------------------------------------------------------------


async def test_tarball_delivers_every_file_without_the_token(corpus: Path) -> None:
    """fetch_many yields each requested file once with its exact bytes, in one archive
    download; the token goes to the API only, never to the download origin."""
    folder = corpus / "logseq-metaverse"
    async with GitHubLikeServer(folder) as server, make(server) as fetcher:
        listing = await fetcher.list_files()
        assert fetcher.wants_bulk(len(listing.entries))
        assert not fetcher.wants_bulk(3)
        got = {e.path: data async for e, data in fetcher.fetch_many(listing.entries)}
    assert got == {e.path: (folder / e.path).read_bytes() for e in listing.entries}
    downloads = server.download_requests()
    assert len(downloads) == 1
    assert all("Authorization" not in r.headers for r in downloads)
    tarball_api = [r for r in server.api_requests() if "/tarball" in r.path]
    assert [r.headers.get("Authorization") for r in tarball_api] == [f"Bearer {TOKEN}"]


async def test_tarball_respects_folder_and_selection(small: GitHubLikeServer) -> None:
    """Only requested entries below PATH are yielded; oversized ones are left out."""
    small.commit({"other/x.md": b"x", "pages/big.md": b"b" * 200})
    async with make(small, path="pages", max_file_size=100) as fetcher:
        listing = await fetcher.list_files()
        wanted = [e for e in listing.entries if e.path != "p05.md"]
        got = {e.path: data async for e, data in fetcher.fetch_many(wanted)}
    assert set(got) == {e.path for e in wanted} - {"big.md"}
    assert all(got[p] == SMALL["pages/" + p] for p in got)


def _hostile(top: str, files: dict[str, bytes]) -> bytes:
    def info(name: str, kind: bytes, **extra: Any) -> tarfile.TarInfo:
        item = tarfile.TarInfo(name)
        item.type = kind
        for key, value in extra.items():
            setattr(item, key, value)
        return item

    members: list[tuple[tarfile.TarInfo, bytes | None]] = []
    for path, data in files.items():
        members.append((info(f"{top}/{path}", tarfile.REGTYPE, size=len(data)), data))
    evil = b"- evil\n"
    members += [
        (info(f"{top}/../pages/p00.md", tarfile.REGTYPE, size=len(evil)), evil),
        (info("/etc/pages/p01.md", tarfile.REGTYPE, size=len(evil)), evil),
        (info(f"{top}/pages/p02.md", tarfile.SYMTYPE, linkname="/etc/passwd"), None),
        (info(f"{top}/pages/p03.md", tarfile.LNKTYPE, linkname=f"{top}/pages/p04.md"), None),
        (info(f"{top}/pages/p05.md", tarfile.CHRTYPE, devmajor=1, devminor=3), None),
        (info(f"{top}/pages/p06.md", tarfile.FIFOTYPE), None),
        (info(f"{top}/pages/p07.md", tarfile.REGTYPE, size=len(b"- page 0\n")), b"- page 0\n"),
    ]
    return make_tarball(members)


async def test_hostile_tar_entries_are_ignored(small: GitHubLikeServer) -> None:
    """'..' and absolute names, symlinks, hard links, devices, FIFOs and files whose bytes
    do not match their SHA are never yielded; the honest files are."""
    honest = {p: d for p, d in SMALL.items() if p >= "pages/p08.md"}
    small.tarball_override = _hostile(f"octo-org-ontology-{small.head[:7]}", honest)
    async with make(small) as fetcher:
        listing = await fetcher.list_files()
        got = {e.path: data async for e, data in fetcher.fetch_many(listing.entries)}
    assert got == honest


async def test_broken_tarball_just_stops(small: GitHubLikeServer) -> None:
    """A download cut short ends fetch_many quietly (the service fetches the rest)."""
    small.faults = lambda r: Fault("truncate") if r.origin == "download" else None
    small.commit({f"big/{i}.md": os.urandom(20_000) for i in range(10)})
    async with make(small) as fetcher:
        listing = await fetcher.list_files()
        got = [e.path async for e, _ in fetcher.fetch_many(listing.entries)]
    assert len(got) < len(listing.entries)


async def test_a_tarball_left_half_way_ends_cleanly(small: GitHubLikeServer) -> None:
    """A consumer that stops after the first file (a fatal error elsewhere, a cancelled
    sync) closes ``fetch_many`` while the next batch is being read ahead: the read ends,
    the archive is closed, nothing is raised, and the fetcher goes on serving files."""
    small.commit({f"more/{i:03}.md": f"- more {i}\n".encode() * 50 for i in range(150)})
    async with make(small) as fetcher:
        listing = await fetcher.list_files()
        files = fetcher.fetch_many(listing.entries)
        entry, data = await anext(files)
        await files.aclose()
        assert data == await fetcher.fetch(entry)


async def test_tarball_auth_failure_is_fatal(small: GitHubLikeServer) -> None:
    """Bad credentials on the tarball request are fatal, not a silent fallback: on a
    later listing (no tarball link asked for ahead), the token refused after listing."""
    cache = MemoryHttpCache()
    async with make(small, cache=cache) as fetcher:
        await fetcher.list_files()  # the first listing, which asks for the link ahead
        listing = await fetcher.list_files()
        small.tokens = {"another"}
        with pytest.raises(AuthenticationError):
            _ = [e async for e, _ in fetcher.fetch_many(listing.entries)]


async def test_tarball_refused_while_listing_is_fatal_at_fetch_many(
    small: GitHubLikeServer,
) -> None:
    """On a first listing the ref's tarball is asked for alongside the commit and the
    tree; when GitHub refuses it (403), the listing still succeeds and fetch_many asks
    for the commit's and raises the fatal AuthenticationError: the refusal is neither
    lost nor blamed on the listing."""
    small.faults = on_path("/tarball", Fault.error(403))
    async with make(small) as fetcher:
        listing = await fetcher.list_files()
        assert listing.complete and listing.entries
        with pytest.raises(AuthenticationError, match="403"):
            _ = [e async for e, _ in fetcher.fetch_many(listing.entries)]
    tarball_api = [r.path for r in small.api_requests() if "/tarball" in r.path]
    assert tarball_api == [f"/repos/{small.owner}/{small.repo}/tarball", *tarball_api[1:]]
    assert tarball_api[1].endswith(f"/tarball/{small.head}") and len(tarball_api) == 2


async def test_a_cold_listing_starts_the_archive_download_beside_the_commit(
    small: GitHubLikeServer,
) -> None:
    """The first listing asks for the ref's archive while it resolves the ref (not
    after), and its download is the one fetch_many reads: two round trips before the
    first bytes, one archive, every file."""
    small.faults = on_path("/commits", Fault.slow(0.2))  # the ref's lookup answers late
    async with make(small) as fetcher:
        listing = await fetcher.list_files()
        (lookup,) = [r for r in small.api_requests() if "/commits" in r.path]
        (ahead,) = [r for r in small.api_requests() if "/tarball" in r.path]
        (download,) = small.download_requests()
        assert lookup.finished is not None
        assert ahead.at < lookup.finished and download.at < lookup.finished
        got = {e.path: data async for e, data in fetcher.fetch_many(listing.entries)}
    assert got == small.files
    assert len(small.download_requests()) == 1
    assert len([r for r in small.api_requests() if "/tarball" in r.path]) == 1


async def test_an_archive_started_early_and_not_read_is_closed(tmp_path: Path) -> None:
    """A first listing that the sync does not follow with fetch_many (too few files
    wanted) leaves no download open: the next listing closes it (the server sees the
    download cut short: far more bytes than the connection buffers, never read)."""
    big = os.urandom(24 * 1024 * 1024)
    async with GitHubLikeServer({"big.ttl": big, "a.md": b"- a\n"}) as server, make(server) as f:
        await f.list_files()
        for _ in range(100):  # the download started ahead may still be on its way
            if server.download_requests():
                break
            await asyncio.sleep(0.05)
        (download,) = server.download_requests()
        assert not f.wants_bulk(2)
        await f.list_files()  # a later listing: nothing started ahead now
        for _ in range(100):
            if download.finished is not None:
                break
            await asyncio.sleep(0.05)
        assert download.finished is not None and download.status is None
        assert len(server.download_requests()) == 1


# -- hygiene and lifecycle -------------------------------------------------------------


async def test_token_never_leaks(small: GitHubLikeServer, caplog: pytest.LogCaptureFixture) -> None:
    """The token appears in no log record, exception, repr or source name, and only
    ever reaches the API origin."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    small.faults = on_path("/git/blobs/" + git_blob_sha1(SMALL["pages/p01.md"]), Fault.error(503))
    async with make(small, tarball_threshold=1) as fetcher:
        listing = await fetcher.list_files()
        texts += [repr(fetcher), fetcher.source, repr(fetcher.gate)]
        for entry in listing.entries[:3]:
            try:
                await fetcher.fetch(entry)
            except TransientFetchError as exc:
                texts += [str(exc), repr(exc), str(exc.url)]
        _ = [e async for e, _ in fetcher.fetch_many(listing.entries)]
        small.tokens = {"other"}
        for call in (fetcher.list_files(), fetcher.fetch(listing.entries[0])):
            with pytest.raises(AuthenticationError) as caught:
                await call
            texts += [str(caught.value), repr(caught.value), str(caught.value.url)]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    assert len(texts) > 8
    assert not [t for t in texts if TOKEN in t]
    assert all(TOKEN not in str(r.headers) for r in small.download_requests())


async def test_close_is_idempotent_and_keeps_a_given_session(small: GitHubLikeServer) -> None:
    """aclose twice is fine; a session passed in is left open for its owner."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        fetcher = make(small, session=session)
        await fetcher.list_files()
        await fetcher.aclose()
        await fetcher.aclose()
        assert not session.closed
    owned = make(small)
    await owned.list_files()
    await owned.aclose()
    await owned.aclose()


async def test_hostile_tree_paths_are_never_listed() -> None:
    """A tree whose entries name '..', '.' or empty parts (as a hostile server could send)
    yields a listing without them: such a path is never passed on to anything."""
    import aiohttp

    files = {"ok.md": b"fine", "sub/../../evil.md": b"escape", "a/./b.md": b"dot"}
    async with GitHubLikeServer(files) as server:
        async with aiohttp.ClientSession() as http:
            url = f"{server.api_url}/repos/{server.owner}/{server.repo}/commits/main"
            async with http.get(url) as response:
                tree_sha = (await response.json())["commit"]["tree"]["sha"]
            url = f"{server.api_url}/repos/{server.owner}/{server.repo}/git/trees/{tree_sha}"
            async with http.get(url, params={"recursive": "1"}) as response:
                served = {item["path"] for item in (await response.json())["tree"]}
        assert {"sub/../../evil.md", "a/./b.md"} <= served  # the server really sends them
        async with GitHubFetcher(
            owner=server.owner, repo=server.repo, api_url=server.api_url
        ) as fetcher:
            listing = await fetcher.list_files()
    assert [e.path for e in listing.entries] == ["ok.md"]
