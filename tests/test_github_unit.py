"""Narrow cases of the GitHub source: spec parsing, header parsing, the rate gate, tar
names and the mapping of single answers to errors. The rate gate
(``sources._github_ratelimit``) and the tar member names (``sources._github_tar``) are
private units: those tests are about them, with an injected clock and sleep.

(aioresponses 0.7.9 cannot build responses for the installed aiohttp 3.14 -- its
``ClientResponse`` needs a ``stream_writer`` -- so single canned answers come from a
two-line aiohttp app instead.)
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from streaming_sync import (
    AuthenticationError,
    ConfigError,
    FileEntry,
    PermanentFetchError,
    SourceNotFoundError,
    TransientFetchError,
    ValidatorCache,
    WaitBudgetExceeded,
    git_blob_sha1,
)
from streaming_sync.sources._github_ratelimit import (
    RateGate,
    RateHeaders,
    error_message,
    limit_kind,
)
from streaming_sync.sources._github_tar import member_path
from streaming_sync.sources.github import (
    GitHubFetcher,
    GitHubSpec,
    MemoryHttpCache,
    parse_github_spec,
    token_from_env,
)

TOKEN = "ghp_unitTOKEN_do_not_print"

# -- the source spec -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("github:o/r", GitHubSpec("o", "r")),
        ("github:o/r.git", GitHubSpec("o", "r")),
        ("github:o/r@main", GitHubSpec("o", "r", "main")),
        ("github:o/r@main/docs", GitHubSpec("o", "r", "main", "docs")),
        ("github:o/r@v1.2/docs/sub/", GitHubSpec("o", "r", "v1.2", "docs/sub")),
        ("github:o/r/docs//pages", GitHubSpec("o", "r", None, "docs/pages")),
        ("github:o/r@feature%2Fx/docs", GitHubSpec("o", "r", "feature/x", "docs")),
        ("github:my-org/my.repo@" + "a" * 40, GitHubSpec("my-org", "my.repo", "a" * 40)),
    ],
)
def test_spec_parses(spec: str, expected: GitHubSpec) -> None:
    """REF ends at the first '/' after '@'; a '/' inside a ref is written %2F; the folder
    is normalised."""
    assert parse_github_spec(spec) == expected
    assert parse_github_spec(str(expected)) == expected


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("gh:o/r", "github:"),
        ("github:o", "owner"),
        ("github:/r", "owner"),
        ("github:o/", "repository"),
        ("github:o/r@", "ref"),
        ("github:o/r@a..b", "ref"),
        ("github:o/r@main/../x", "'..'"),
        ("github:o/r/./x", "'.'"),
    ],
)
def test_bad_specs_are_config_errors(spec: str, names: str) -> None:
    """A malformed spec raises ConfigError naming the bad part and showing the form."""
    with pytest.raises(ConfigError, match="github:OWNER/REPO") as caught:
        parse_github_spec(spec)
    assert names in str(caught.value)


def test_token_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token comes from the named variable; unset or blank means anonymous."""
    monkeypatch.setenv("GH_X", "  abc \n")
    monkeypatch.setenv("GH_BLANK", " ")
    monkeypatch.delenv("GH_NONE", raising=False)
    assert token_from_env("GH_X") == "abc"
    assert token_from_env("GH_BLANK") is None
    assert token_from_env("GH_NONE") is None


async def test_memory_cache_is_a_validator_cache() -> None:
    """MemoryHttpCache has the ValidatorCache capability and round-trips entries."""
    cache = MemoryHttpCache()
    assert isinstance(cache, ValidatorCache)
    assert await cache.cache_get("k") is None
    await cache.cache_put("k", 'W/"1"', b"body")
    assert await cache.cache_get("k") == ('W/"1"', b"body")


@pytest.mark.parametrize(
    "options",
    [
        {"api_url": "https://user:pw@example.invalid"},
        {"api_url": "ftp://example.invalid"},
        {"ref": "bad ref"},
        {"path": "../up"},
        {"max_concurrency": 0},
        {"repo": "r.git"},
    ],
)
def test_bad_options_are_config_errors(options: dict[str, Any]) -> None:
    """Invalid constructor options raise ConfigError naming the option."""
    with pytest.raises(ConfigError):
        GitHubFetcher(**{"owner": "o", "repo": "r", **options})


# -- headers and the gate --------------------------------------------------------------


def test_rate_headers_and_limit_kind() -> None:
    """x-ratelimit-* and retry-after are parsed; 403/429 are classified as primary or
    secondary the way GitHub documents; other 403s are not rate limits."""
    rate = RateHeaders.parse(
        {
            "x-ratelimit-limit": "60",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": "1700000000",
            "x-ratelimit-resource": "core",
        }
    )
    assert (rate.limit, rate.remaining, rate.reset, rate.resource) == (60, 0, 1.7e9, "core")
    assert RateHeaders.parse({"x-ratelimit-remaining": "x"}).remaining is None
    secondary = "You have exceeded a secondary rate limit."
    assert limit_kind(403, rate, "API rate limit exceeded for 1.2.3.4.") == "primary"
    assert limit_kind(429, rate, "") == "primary"
    plain = RateHeaders.parse({"x-ratelimit-remaining": "10"})
    assert limit_kind(403, plain, secondary) == "secondary"
    assert limit_kind(403, RateHeaders.parse({"retry-after": "3"}), "") == "secondary"
    assert limit_kind(403, plain, "Resource not accessible by integration") is None
    assert limit_kind(404, rate, "") is None
    assert limit_kind(429, plain, "") == "secondary"
    assert error_message(b"<html>") == ""
    assert error_message(b'{"message": "x"}') == "x"


def _headers(remaining: int, reset: float) -> dict[str, str]:
    return {"x-ratelimit-remaining": str(remaining), "x-ratelimit-reset": str(reset)}


class FakeTime:
    """An epoch clock that moves only when the gate sleeps; the sleeps are recorded."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_gate_never_trusts_a_stale_higher_remaining() -> None:
    """Answers arriving out of order within a window cannot raise the estimate; a newer
    window replaces it."""
    gate = RateGate(wait_budget=10)
    first = await gate.acquire()
    assert first.probe
    gate.release(first, _headers(10, 1000))
    a, b = await gate.acquire(), await gate.acquire()
    gate.release(b, _headers(8, 1000))
    after_b = gate.remaining
    gate.release(a, _headers(9, 1000))  # stale: sent earlier, answered later
    assert after_b is not None
    assert after_b <= 8
    assert gate.remaining == after_b
    c = await gate.acquire()
    gate.release(c, _headers(50, 2000))
    assert gate.remaining == 50


async def test_gate_lets_one_asked_for_request_beside_the_probe() -> None:
    """While the budget is unknown the probe goes alone -- except a request asked for
    ``beside_probe``, which neither waits for the probe nor becomes it (sent first, it
    leaves the probe to the next request); the probe's answer then counts it among
    those in flight."""
    gate = RateGate(wait_budget=10)
    beside = await asyncio.wait_for(gate.acquire(beside_probe=True), 1)
    assert not beside.probe
    probe = await asyncio.wait_for(gate.acquire(), 1)
    assert probe.probe
    waiting = asyncio.ensure_future(gate.acquire())
    also = await asyncio.wait_for(gate.acquire(beside_probe=True), 1)
    assert not also.probe and not waiting.done()
    gate.release(probe, _headers(10, 1000))
    assert gate.remaining == 8  # the two requests beside the probe are still in flight
    gate.release(await asyncio.wait_for(waiting, 1), _headers(7, 1000))
    assert gate.remaining == 5  # 7 left when it was answered, 2 of them still in flight
    gate.release(beside, _headers(6, 1000))
    gate.release(also, _headers(6, 1000))
    assert gate.remaining == 5  # never raised within a window


async def test_gate_budget_exceeded_stops_every_caller() -> None:
    """A pause past the wait budget raises WaitBudgetExceeded (with resume_at) for the
    caller and every later one until the next sync."""
    fake = FakeTime()
    gate = RateGate(wait_budget=0.5, reset_margin=0, clock=fake.clock, sleep=fake.sleep)
    ticket = await gate.acquire()
    resume = fake.now + 30
    gate.release(ticket, _headers(0, resume))
    with pytest.raises(WaitBudgetExceeded) as caught:
        await gate.acquire()
    assert caught.value.resume_at == resume
    with pytest.raises(WaitBudgetExceeded):
        await gate.acquire()
    gate.new_sync()
    with pytest.raises(WaitBudgetExceeded):  # the window is still exhausted
        await gate.acquire()


async def test_gate_without_headers_does_not_serialise() -> None:
    """A server without rate-limit headers (GitHub Enterprise with limits off) leaves
    requests ungated."""
    gate = RateGate(wait_budget=1)
    gate.release(await gate.acquire(), {})
    tickets = await asyncio.wait_for(asyncio.gather(*(gate.acquire() for _ in range(5))), 1)
    assert not any(t.probe for t in tickets)


async def test_secondary_waits_grow() -> None:
    """Without retry-after, secondary waits start at secondary_min_wait and double; each
    pause is announced and then waited out exactly (measured with an injected clock)."""
    fake = FakeTime()
    events: list[float] = []

    async def record(event: Any) -> None:
        events.append(event.resume_at - fake.now)

    gate = RateGate(
        wait_budget=100, secondary_min_wait=5, emit=record, clock=fake.clock, sleep=fake.sleep
    )
    for _ in range(3):
        await gate.limited(await gate.acquire(), "secondary", {})
    assert events == [5, 10, 20]
    assert fake.sleeps == [5, 10]  # the third pause is still running
    assert gate.waited == 35


async def test_primary_pause_waits_until_the_reset_time() -> None:
    """With the budget at 0, the next request waits at the gate until GitHub's reset time
    plus the margin, then goes out as the probe that learns the new budget."""
    fake = FakeTime(1_000.0)
    gate = RateGate(wait_budget=600, reset_margin=1, clock=fake.clock, sleep=fake.sleep)
    gate.release(await gate.acquire(), _headers(0, 1_060.0))
    ticket = await gate.acquire()
    assert ticket.probe and fake.now == 1_061.0
    assert sum(fake.sleeps) == 61.0 and gate.pauses == 1


@pytest.mark.parametrize(
    ("name", "folder", "expected"),
    [
        ("o-r-abc1234/docs/a.md", "", "docs/a.md"),
        ("o-r-abc1234/docs/a.md", "docs", "a.md"),
        ("o-r-abc1234/other/a.md", "docs", None),
        ("o-r-abc1234/docsx/a.md", "docs", None),
        ("o-r-abc1234/../a.md", "", None),
        ("/etc/passwd", "", None),
        ("o-r-abc1234/a/./b", "", None),
        ("toplevel", "", None),
    ],
)
def test_member_path(name: str, folder: str, expected: str | None) -> None:
    """Tar names lose GitHub's top folder; unsafe or outside names are refused."""
    assert member_path(name, folder) == expected


# -- single answers mapped to errors ---------------------------------------------------


Answer = Callable[[web.Request], web.Response]


@pytest.fixture
async def canned() -> AsyncIterator[Callable[[Answer], Any]]:
    """Start an app answering every request with ``answer(request)``; yields a starter
    that returns the base URL."""
    runners: list[web.AppRunner] = []

    async def start(answer: Answer) -> str:
        async def handle(request: web.Request) -> web.Response:
            return answer(request)

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def _json(status: int, body: dict[str, Any]) -> Answer:
    return lambda request: web.json_response(body, status=status)


ENTRY = FileEntry("a.md", 5, git_blob_sha1(b"hello"))


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (_json(401, {"message": "Bad credentials"}), AuthenticationError, r"\$GITHUB_TOKEN"),
        (_json(403, {"message": "Resource not accessible"}), AuthenticationError, "403"),
        (_json(404, {"message": "Not Found"}), PermanentFetchError, "not found"),
        (_json(500, {"message": "boom"}), TransientFetchError, "500"),
        (_json(502, {}), TransientFetchError, "502"),
    ],
)
async def test_blob_answers_map_to_errors(
    canned: Any, answer: Answer, error: type[Exception], text: str
) -> None:
    """Each non-2xx answer to a blob request becomes the matching package error; the
    body of an error is never returned as file content."""
    url = await canned(answer)
    async with GitHubFetcher(owner="o", repo="r", api_url=url, token=TOKEN) as fetcher:
        with pytest.raises(error, match=text) as caught:
            await fetcher.fetch(ENTRY)
    assert TOKEN not in str(caught.value)


async def test_anonymous_401_says_to_set_a_token(canned: Any) -> None:
    """Without a token, a 401 says which variable to set."""
    url = await canned(_json(401, {"message": "Requires authentication"}))
    async with GitHubFetcher(owner="o", repo="r", api_url=url, token_env="ORG_TOKEN") as f:
        with pytest.raises(AuthenticationError, match=r"set one in \$ORG_TOKEN"):
            await f.list_files()


async def test_repository_404_is_source_not_found(canned: Any) -> None:
    """A 404 of the repository lookup is the fatal SourceNotFoundError naming it."""
    url = await canned(_json(404, {"message": "Not Found"}))
    async with GitHubFetcher(owner="o", repo="r", api_url=url) as fetcher:
        with pytest.raises(SourceNotFoundError, match="o/r"):
            await fetcher.list_files()


async def test_empty_repository_says_it_has_no_commits(canned: Any) -> None:
    """GitHub answers 409 "Git Repository is empty." to listing the commits of an empty
    repository: the default branch's lookup says so (fatal), not "ref not found"."""
    url = await canned(_json(409, {"message": "Git Repository is empty."}))
    async with GitHubFetcher(owner="o", repo="r", api_url=url) as fetcher:
        with pytest.raises(SourceNotFoundError, match=r"o/r .* has no commits yet") as caught:
            await fetcher.list_files()
    assert caught.value.fatal


async def test_json_blob_answer_is_decoded(canned: Any) -> None:
    """A server that ignores the raw media type answers JSON base64; it is decoded and
    verified like raw bytes."""
    body = {"content": base64.encodebytes(b"hello").decode(), "encoding": "base64"}
    url = await canned(_json(200, body))
    async with GitHubFetcher(owner="o", repo="r", api_url=url) as fetcher:
        assert await fetcher.fetch(ENTRY) == b"hello"


async def test_malformed_json_is_transient(canned: Any) -> None:
    """A 200 that is not the JSON we expect is a transient fault, never a listing."""
    url = await canned(lambda request: web.Response(text="<html>", content_type="text/html"))
    async with GitHubFetcher(owner="o", repo="r", api_url=url, ref="main") as fetcher:
        with pytest.raises(TransientFetchError, match="malformed"):
            await fetcher.list_files()
