"""GitHubLikeServer: GitHub's shapes, headers, SHAs and faults, checked with plain aiohttp."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from streaming_sync import git_blob_sha1
from streaming_sync.testing._git_objects import GitStore
from streaming_sync.testing.github_server import Fault, GitHubLikeServer, round_trips

FILES = {"a.md": b"alpha\n", "docs/b.ttl": b"@prefix : <x#> .\n", "docs/deep/c.owl": b"<c/>"}


@pytest.fixture
async def server() -> AsyncIterator[GitHubLikeServer]:
    async with GitHubLikeServer(FILES, links={"docs/l.md": "../a.md"}) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(http: aiohttp.ClientSession, url: str, **headers: str) -> tuple[int, Any, bytes]:
    async with http.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, response.headers, await response.read()


def repo_url(server: GitHubLikeServer, tail: str = "") -> str:
    return f"{server.api_url}/repos/{server.owner}/{server.repo}{tail}"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")
def test_tree_sha_equals_git(tmp_path: Path) -> None:
    """The server's tree SHA is the one ``git write-tree`` computes for the same files
    (including a symlink)."""
    store = GitStore("o", "r")
    commit = store.write(FILES, links={"docs/l.md": "../a.md"})
    for path, data in FILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    (tmp_path / "docs/l.md").symlink_to("../a.md")
    git = ["git", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    tree = subprocess.run([*git, "write-tree"], check=True, capture_output=True, text=True)
    assert store.commits[commit].tree == tree.stdout.strip()


async def test_repository_commit_and_tree_shapes(
    server: GitHubLikeServer, http: aiohttp.ClientSession
) -> None:
    """Repository, branch, commit and tree answers carry GitHub's fields; a recursive
    tree lists blobs with size and the symlink with mode 120000."""
    _, _, body = await get(http, repo_url(server))
    repo = json.loads(body)
    assert repo["default_branch"] == "main"
    assert repo["full_name"] == "octo-org/ontology"
    _, _, body = await get(http, repo_url(server, "/branches/main"))
    assert json.loads(body)["commit"]["sha"] == server.head
    _, _, body = await get(http, repo_url(server, "/commits/main"))
    commit = json.loads(body)
    assert commit["sha"] == server.head
    _, _, body = await get(
        http, repo_url(server, f"/git/trees/{commit['commit']['tree']['sha']}?recursive=1")
    )
    tree = json.loads(body)
    rows = {row["path"]: row for row in tree["tree"]}
    assert tree["truncated"] is False
    assert rows["docs/deep/c.owl"]["sha"] == git_blob_sha1(b"<c/>")
    assert rows["docs/deep/c.owl"]["size"] == 4
    assert rows["docs"]["type"] == "tree"
    assert rows["docs/l.md"]["mode"] == "120000"


async def test_list_commits_newest_first_paged_with_etag(
    server: GitHubLikeServer, http: aiohttp.ClientSession
) -> None:
    """List commits (``/commits``) is the history of the default branch (or ``sha``),
    newest first, each item in the single commit's shape (``sha``, ``commit.tree.sha``),
    paged by ``per_page``/``page`` with a ``Link`` header (as GitHub pages), with an ETag
    that answers 304 until the branch moves."""
    first = server.head
    second = server.commit({"a.md": b"two"})
    third = server.commit({"a.md": b"three"})
    status, headers, body = await get(http, repo_url(server, "/commits?per_page=1"))
    items = json.loads(body)
    assert status == 200 and [i["sha"] for i in items] == [third]
    assert items[0]["commit"]["tree"]["sha"] == server.store.commits[third].tree
    assert 'rel="next"' in headers["Link"] and "page=2" in headers["Link"]
    _, _, body = await get(http, repo_url(server, "/commits"))
    assert [i["sha"] for i in json.loads(body)] == [third, second, first]
    _, last_headers, body = await get(http, repo_url(server, "/commits?per_page=2&page=2"))
    assert [i["sha"] for i in json.loads(body)] == [first] and "Link" not in last_headers
    _, _, body = await get(http, repo_url(server, f"/commits?sha={second}"))
    assert [i["sha"] for i in json.loads(body)] == [second, first]
    again, _, _ = await get(
        http, repo_url(server, "/commits?per_page=1"), **{"If-None-Match": headers["ETag"]}
    )
    server.commit({"a.md": b"four"})
    moved, _, _ = await get(
        http, repo_url(server, "/commits?per_page=1"), **{"If-None-Match": headers["ETag"]}
    )
    assert (again, moved) == (304, 200)


async def test_round_trips_count_what_a_client_waited_for(http: aiohttp.ClientSession) -> None:
    """``round_trips``: requests sent side by side share a round trip, a request sent
    after another was answered comes one round later (the server waits a little on each
    request so that the side-by-side ones overlap)."""
    async with GitHubLikeServer(FILES, faults=lambda r: Fault.slow(0.1)) as server:
        await get(http, repo_url(server))
        await asyncio.gather(*(get(http, repo_url(server, "/commits/main")) for _ in range(3)))
        await get(http, repo_url(server, "/branches/main"))
        rounds = round_trips(server.requests)
    assert [rounds[i] for i in range(len(server.requests))] == [1, 2, 2, 2, 3]


async def test_etag_and_rate_headers(server: GitHubLikeServer, http: aiohttp.ClientSession) -> None:
    """JSON answers have an ETag; If-None-Match gets 304, which costs no rate limit (as
    on GitHub); every API answer, errors included, carries the x-ratelimit headers."""
    status, headers, _ = await get(http, repo_url(server, "/commits/main"))
    etag = headers["ETag"]
    again, _, body = await get(http, repo_url(server, "/commits/main"), **{"If-None-Match": etag})
    missing, missing_headers, _ = await get(http, repo_url(server, "/git/blobs/" + "0" * 40))
    assert (status, again, body, missing) == (200, 304, b"", 404)
    for name in ("limit", "remaining", "used", "reset", "resource"):
        assert f"x-ratelimit-{name}" in missing_headers
    assert int(missing_headers["x-ratelimit-used"]) == 2  # the 200 and the 404


@pytest.mark.parametrize("status", [403, 429])
async def test_primary_exhaustion(http: aiohttp.ClientSession, status: int) -> None:
    """Past the budget the server answers 403/429, remaining 0, GitHub's message, and
    counts the request as over budget."""
    async with GitHubLikeServer(FILES, rate_limit=2, rate_limit_status=status) as server:
        answers = [await get(http, repo_url(server)) for _ in range(3)]
    assert [a[0] for a in answers] == [200, 200, status]
    assert answers[2][1]["x-ratelimit-remaining"] == "0"
    assert b"API rate limit exceeded" in answers[2][2]
    assert server.over_budget == 1


async def test_secondary_window_and_bad_credentials(http: aiohttp.ClientSession) -> None:
    """A secondary window answers GitHub's secondary message with retry-after; an
    unknown token gets 401 Bad credentials."""
    async with GitHubLikeServer(FILES, tokens={"good"}) as server:
        server.secondary_window(after=1, seconds=5, retry_after=2)
        first = await get(http, repo_url(server), Authorization="Bearer good")
        refused = await get(http, repo_url(server), Authorization="Bearer good")
        bad = await get(http, repo_url(server), Authorization="Bearer bad")
    assert first[0] == 200
    assert refused[0] == 403
    assert b"secondary rate limit" in refused[2]
    assert refused[1]["Retry-After"] == "2"
    assert bad[0] == 401
    assert b"Bad credentials" in bad[2]


async def test_blob_json_and_raw(server: GitHubLikeServer, http: aiohttp.ClientSession) -> None:
    """Blobs come as JSON base64 by default and as bytes with the raw media type."""
    sha = git_blob_sha1(FILES["a.md"])
    _, _, body = await get(http, repo_url(server, f"/git/blobs/{sha}"))
    assert base64.b64decode(json.loads(body)["content"]) == FILES["a.md"]
    for media in ("application/vnd.github.raw+json", "application/vnd.github.raw"):
        _, headers, raw = await get(http, repo_url(server, f"/git/blobs/{sha}"), Accept=media)
        assert raw == FILES["a.md"]
        assert headers["Content-Type"].startswith("application/vnd.github.raw")


async def test_tarball_redirects_to_another_origin(
    server: GitHubLikeServer, http: aiohttp.ClientSession
) -> None:
    """/tarball/{ref} answers 302 to the download origin, which streams a tar.gz with
    GitHub's top-level folder and the commit in the pax header."""
    status, headers, _ = await get(http, repo_url(server, "/tarball/main"))
    location = headers["Location"]
    assert status == 302
    assert location.startswith(server.download_url)
    assert server.download_url != server.api_url
    _, _, data = await get(http, location)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        names = archive.getnames()
        assert archive.pax_headers["comment"] == server.head
        top = f"octo-org-ontology-{server.head[:7]}"
        assert f"{top}/docs/deep/c.owl" in names
        assert archive.getmember(f"{top}/docs/l.md").issym()
    assert server.download_requests()[0].headers.get("Authorization") is None


async def test_commit_changes_files(server: GitHubLikeServer, http: aiohttp.ClientSession) -> None:
    """commit() adds, modifies, deletes and renames files in a new commit with its own tree."""
    old = server.head
    new = server.commit(
        {"new.md": b"n", "a.md": b"changed", "docs/b.ttl": None},
        renames={"docs/deep/c.owl": "c.owl"},
    )
    assert new != old
    assert server.store.commits[new].parent == old
    assert server.files == {"new.md": b"n", "a.md": b"changed", "c.owl": b"<c/>"}
    _, _, body = await get(http, repo_url(server, f"/git/trees/{new}?recursive=1"))
    assert {r["path"] for r in json.loads(body)["tree"] if r["type"] == "blob"} == {
        "new.md",
        "a.md",
        "c.owl",
        "docs/l.md",
    }
    status, _, body = await get(http, repo_url(server, "/commits/nope"))
    assert status == 422
    assert b"No commit found" in body


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault("truncate"), aiohttp.ClientPayloadError),
        (Fault("reset"), aiohttp.ServerDisconnectedError),
    ],
)
async def test_broken_connections(
    server: GitHubLikeServer, http: aiohttp.ClientSession, fault: Fault, error: type[Exception]
) -> None:
    """Injected truncated bodies and resets reach the client as aiohttp's own errors;
    the request is still recorded."""
    server.faults = lambda record: fault
    with pytest.raises(error):
        await get(http, repo_url(server))
    assert server.requests[-1].fault == fault.kind


async def test_fault_rate_is_seeded(http: aiohttp.ClientSession) -> None:
    """The same seed injects the same faults in the same order."""
    outcomes = []
    for _ in range(2):
        async with GitHubLikeServer(FILES, fault_rate=0.3, seed=1) as server:
            for _ in range(20):
                with contextlib.suppress(aiohttp.ClientError):
                    await get(http, repo_url(server))
            outcomes.append([r.fault for r in server.requests])
    assert outcomes[0] == outcomes[1]
    assert any(outcomes[0])
    assert not all(outcomes[0])
