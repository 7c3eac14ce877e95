"""``GitHubLikeServer``: a local stand-in for GitHub's REST API, for tests of anything
that reads a repository from GitHub (ours and yours).

It serves a folder or a dict of files as ``OWNER/REPO`` on 127.0.0.1 with GitHub's
response shapes and headers, and real git SHAs for blobs, trees and commits (computed
as git does, see ``_git_objects``)::

    async with GitHubLikeServer({"a.md": b"..."}) as server:
        fetcher = GitHubFetcher(owner=server.owner, repo=server.repo, api_url=server.api_url)

API origin (``api_url``): ``/repos/{o}/{r}``, ``/branches/{b}``, ``/commits/{ref}``,
``/commits[?sha=&per_page=&page=]`` (the history from ``sha``, default the default
branch, newest first, paged with a ``Link`` header), with ETag and ``If-None-Match`` ->
304 on every JSON answer, ``/git/trees/{sha}[?recursive=1]``
(``max_tree_entries`` makes big recursive listings come back ``truncated``,
``max_folder_entries`` the same for one folder's own listing),
``/git/blobs/{sha}`` (JSON base64, or raw bytes for ``application/vnd.github.raw[+json]``)
and ``/tarball/{ref}``, which answers 302 to a second origin (``download_url``, another
port standing for codeload.github.com) that streams a real ``.tar.gz``.

Every API answer carries ``x-ratelimit-*`` headers; ``rate_limit`` requests per
``rate_window`` seconds are allowed (a 304 answer costs none, as on GitHub), the next
get GitHub's 403 (or 429) "API rate limit exceeded" and are counted in ``over_budget``.
``secondary_window`` refuses every request for a while with GitHub's secondary-limit
message. ``faults`` (a callable deciding per request) and ``fault_rate`` (seeded) inject
5xx, slow answers, truncated bodies, connection resets and corrupted blobs. ``requests``
records every request with its headers (``round_trips`` counts how many a client
waited for one after the other); ``commit`` changes the files between syncs, and
delivers a signed ``push`` webhook to every URL ``add_webhook`` registered (as GitHub
does; ``hook_answers`` keeps the answers).

(Longer than our ~400-line habit: one class stands in for every endpoint, fault and
header a client meets; the git object store lives in ``_git_objects``.)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import os
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import attrs
from aiohttp import web

from ._git_objects import GitStore
from .webhooks import ZERO, deliver, push_payload

DOCS = "https://docs.github.com/rest"
PRIMARY_MESSAGE = (
    "API rate limit exceeded for {who}. (But here's the good news: Authenticated requests "
    "get a higher rate limit. Check out the documentation for more details.)"
)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID "
    "0000:0000:0000000:0000000:00000000."
)
_CHUNK = 16 * 1024
_CORRUPT = web.RequestKey("corrupt", bool)
_TRUNCATE = web.RequestKey("truncate", bool)


@attrs.frozen
class Fault:
    """What to do to one request: ``error`` (answer ``status``), ``slow`` (wait ``seconds``
    first), ``truncate`` (promise more bytes than sent, then close), ``reset`` (drop the
    connection), ``corrupt`` (flip a byte of a blob), ``secondary`` / ``primary``
    (a rate-limit refusal)."""

    kind: str
    status: int = 500
    seconds: float = 0.0
    retry_after: float | None = None

    @classmethod
    def error(cls, status: int = 500) -> Fault:
        return cls("error", status=status)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)

    @classmethod
    def secondary(cls, retry_after: float | None = None, status: int = 403) -> Fault:
        return cls("secondary", status=status, retry_after=retry_after)


@attrs.define
class RequestRecord:
    """One request the server saw; ``origin`` is ``api`` or ``download``; ``at`` when it
    arrived and ``finished`` when its answer was sent (None while it runs), both
    ``time.time()``."""

    origin: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    at: float
    status: int | None = None
    fault: str | None = None
    finished: float | None = None


def round_trips(records: Sequence[RequestRecord]) -> dict[int, int]:
    """For each of ``records`` (by index), the longest chain of requests ending in it in
    which each one arrived only after the one before had been answered: how many round
    trips a client waited for, one after the other, until that request arrived.
    Requests sent side by side share a round trip. A measure of sequential waiting that
    does not depend on how fast the machine is."""
    rounds: dict[int, int] = {}
    for i in sorted(range(len(records)), key=lambda k: records[k].at):
        before = [
            rounds[k]
            for k in rounds
            if (done := records[k].finished) is not None and done <= records[i].at
        ]
        rounds[i] = 1 + max(before, default=0)
    return rounds


FaultRule = Callable[[RequestRecord], Fault | None]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _read_folder(root: Path) -> tuple[dict[str, bytes], dict[str, str]]:
    files: dict[str, bytes] = {}
    links: dict[str, str] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            full = Path(folder, name)
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                links[rel] = os.readlink(full)
            else:
                files[rel] = full.read_bytes()
    return files, links


class GitHubLikeServer:
    """See the module docstring. Options:

    ``files``: a dict path -> bytes or a folder. ``links``/``submodules``: extra symlinks
    (path -> target) and submodules (path -> commit SHA) in the tree. ``tokens``: the
    accepted tokens (others get 401 "Bad credentials"; None accepts any); ``private``:
    anonymous requests get 404. ``rate_limit``/``rate_window``/``rate_limit_status``:
    the primary budget. ``max_tree_entries``: recursive trees with more entries are
    truncated; ``max_folder_entries``: so are non-recursive ones (one folder) -- then a
    client's folder-by-folder walk cannot complete the listing either.
    ``faults``/``fault_rate``/``seed``: fault injection.
    """

    def __init__(
        self,
        files: Mapping[str, bytes] | str | os.PathLike[str] | None = None,
        *,
        owner: str = "octo-org",
        repo: str = "ontology",
        default_branch: str = "main",
        links: Mapping[str, str] | None = None,
        submodules: Mapping[str, str] | None = None,
        tokens: Collection[str] | None = None,
        private: bool = False,
        rate_limit: int = 5000,
        rate_window: float = 3600.0,
        rate_limit_status: int = 403,
        max_tree_entries: int | None = None,
        max_folder_entries: int | None = None,
        faults: FaultRule | None = None,
        fault_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        if files is None or isinstance(files, Mapping):
            contents, found_links = dict(files or {}), dict[str, str]()
        else:
            contents, found_links = _read_folder(Path(files))
        self.owner, self.repo = owner, repo
        self.store = GitStore(owner, repo, default_branch)
        self.store.write(
            contents,
            links={**found_links, **(links or {})},
            submodules=submodules,
            message="initial",
        )
        self.tokens = None if tokens is None else set(tokens)
        self.private = private
        self.rate_limit, self.rate_window = rate_limit, rate_window
        self.rate_limit_status = rate_limit_status
        self.max_tree_entries = max_tree_entries
        self.max_folder_entries = max_folder_entries
        self.faults, self.fault_rate = faults, fault_rate
        self._rng = random.Random(seed)
        self.tarball_override: bytes | None = None
        self.requests: list[RequestRecord] = []
        self.over_budget = 0
        self.used = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._window_end = 0.0
        self._secondary: tuple[int, float, float | None] | None = None
        self._secondary_until = 0.0
        self._secondary_retry_after: float | None = None
        self._download_token = secrets.token_hex(8)
        self._runners: list[web.AppRunner] = []
        self.api_url = self.download_url = ""
        self.hooks: list[tuple[str, str]] = []
        self.hook_answers: list[tuple[int, str]] = []
        self._deliveries: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------

    async def __aenter__(self) -> GitHubLikeServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on two random ports of 127.0.0.1: the API and the download origin."""
        api = web.Application(middlewares=[self._api_middleware])
        api.router.add_routes(self._api_routes())
        download = web.Application(middlewares=[self._download_middleware])
        download.router.add_get("/{o}/{r}/legacy.tar.gz/{ref:.+}", self._codeload)
        self.api_url = await self._serve(api)
        self.download_url = await self._serve(download)

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def close(self) -> None:
        await self.deliveries_done()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    # -- the repository ----------------------------------------------------------------

    @property
    def head(self) -> str:
        """The commit SHA the default branch points at."""
        return self.store.branches[self.store.default_branch]

    @property
    def files(self) -> dict[str, bytes]:
        """The files (path -> bytes) of the default branch's head commit."""
        return dict(self.store.commits[self.head].files)

    def commit(
        self,
        changes: Mapping[str, bytes | None],
        *,
        renames: Mapping[str, str] | None = None,
        message: str = "update",
        branch: str | None = None,
    ) -> str:
        """Add or modify (bytes) or delete (None) files, rename ``old -> new``, and make a
        new commit on ``branch`` (default branch). Returns the new commit SHA."""
        branch = branch or self.store.default_branch
        before = self.store.branches.get(branch, ZERO)
        base = self.store.commits[self.store.branches.get(branch, self.head)]
        files = dict(base.files)
        for old, new in (renames or {}).items():
            files[new] = files.pop(old)
        for path, data in changes.items():
            if data is None:
                files.pop(path, None)
            else:
                files[path] = data
        after = self.store.write(
            files, links=base.links, submodules=base.submodules, message=message, branch=branch
        )
        for url, secret in self.hooks:
            payload = push_payload(
                self.owner,
                self.repo,
                ref=f"refs/heads/{branch}",
                before=before,
                after=after,
                default_branch=self.store.default_branch,
                message=message,
            )
            task = asyncio.get_running_loop().create_task(self._deliver(url, payload, secret))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        return after

    def add_webhook(self, url: str, secret: str) -> None:
        """Deliver a signed ``push`` event to ``url`` for every later ``commit`` (needs a
        running event loop at the commit, as the deliveries are sent in the background;
        ``deliveries_done`` waits for them)."""
        self.hooks.append((url, secret))

    async def deliveries_done(self) -> None:
        """Wait until every webhook delivery sent so far was answered (or failed)."""
        while self._deliveries:
            await asyncio.gather(*self._deliveries, return_exceptions=True)

    async def _deliver(self, url: str, payload: dict[str, Any], secret: str) -> None:
        try:
            self.hook_answers.append(await deliver(url, payload, secret))
        except (OSError, aiohttp.ClientError) as error:
            self.hook_answers.append((0, f"delivery failed: {error}"))

    def add_tag(self, name: str, commit: str | None = None) -> None:
        self.store.tags[name] = commit or self.head

    def secondary_window(
        self, *, after: int, seconds: float, retry_after: float | None = None
    ) -> None:
        """Once ``after`` more API requests have been answered, refuse every API request
        for ``seconds`` with GitHub's secondary-limit answer."""
        self._secondary = (len(self.api_requests()) + after, seconds, retry_after)

    def api_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.origin == "api"]

    def download_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.origin == "download"]

    # -- middlewares: record, authenticate, rate-limit, inject faults -------------------

    def _record(self, origin: str, request: web.Request) -> RequestRecord:
        record = RequestRecord(
            origin,
            request.method,
            request.path,
            request.query_string,
            dict(request.headers),
            time.time(),
        )
        self.requests.append(record)
        return record

    def _pick_fault(self, record: RequestRecord) -> Fault | None:
        fault = self.faults(record) if self.faults is not None else None
        if fault is None and self.fault_rate and self._rng.random() < self.fault_rate:
            fault = self._rng.choice([Fault.error(502), Fault("reset"), Fault("truncate")])
        return fault

    @web.middleware
    async def _api_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        record = self._record("api", request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            refusal = self._refusal(request, record)
            response = refusal or await self._with_fault(request, record, handler)
            if refusal is None and response.status == 304:
                self.used = max(0, self.used - 1)  # GitHub: a 304 costs no rate limit
            if not response.prepared:
                response.headers.update(self._rate_headers())
            record.status = response.status
            return response
        finally:
            record.finished = time.time()
            self.in_flight -= 1

    @web.middleware
    async def _download_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        record = self._record("download", request)
        try:
            response = await self._with_fault(request, record, handler)
            record.status = response.status
            return response
        finally:
            record.finished = time.time()

    def _refusal(self, request: web.Request, record: RequestRecord) -> web.Response | None:
        """401 for a wrong token, else a primary or secondary rate-limit refusal."""
        token = self._token(request)
        if token is not None and self.tokens is not None and token not in self.tokens:
            return _error(401, "Bad credentials", status_field=True)
        now = time.time()
        if now >= self._window_end:
            self._window_end, self.used = now + self.rate_window, 0
        if self._secondary and len(self.api_requests()) > self._secondary[0]:
            _, seconds, retry_after = self._secondary
            self._secondary, self._secondary_until = None, now + seconds
            self._secondary_retry_after = retry_after
        if now < self._secondary_until:
            record.fault = "secondary"
            return self._secondary_answer(403, self._secondary_retry_after)
        if self.used >= self.rate_limit:
            self.over_budget += 1
            record.fault = "primary"
            who = "user ID 1" if token else (request.remote or "127.0.0.1")
            return _error(
                self.rate_limit_status,
                PRIMARY_MESSAGE.format(who=who),
                docs=f"{DOCS}/using-the-rest-api/rate-limits-for-the-rest-api",
            )
        self.used += 1
        return None

    def _secondary_answer(self, status: int, retry_after: float | None) -> web.Response:
        response = _error(
            status,
            SECONDARY_MESSAGE,
            docs=f"{DOCS}/using-the-rest-api/"
            "rate-limits-for-the-rest-api#about-secondary-rate-limits",
        )
        if retry_after is not None:
            response.headers["Retry-After"] = f"{retry_after:g}"
        return response

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(0, self.rate_limit - self.used)),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(math.ceil(self._window_end)),
            "x-ratelimit-resource": "core",
        }

    async def _with_fault(
        self, request: web.Request, record: RequestRecord, handler: Handler
    ) -> web.StreamResponse:
        fault = self._pick_fault(record)
        record.fault = fault.kind if fault else record.fault
        if fault is None or fault.kind == "corrupt":
            request[_CORRUPT] = fault is not None
            return await handler(request)
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
            return await handler(request)
        if fault.kind == "error":
            return _error(fault.status, "Server Error")
        if fault.kind == "secondary":
            return self._secondary_answer(fault.status, fault.retry_after)
        if fault.kind == "primary":
            self.used = self.rate_limit
            return _error(self.rate_limit_status, PRIMARY_MESSAGE.format(who="user ID 1"))
        if fault.kind == "reset":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if record.origin == "download":  # a streamed answer: the handler cuts it short
            request[_TRUNCATE] = True
            return await handler(request)
        return await self._truncated(request, await handler(request))

    async def _truncated(
        self, request: web.Request, full: web.StreamResponse
    ) -> web.StreamResponse:
        body = b"x"
        if isinstance(full, web.Response) and isinstance(full.body, bytes):
            body = full.body
        response = web.StreamResponse(status=200, headers=self._rate_headers())
        response.content_type = full.content_type
        response.content_length = len(body) + 100
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.close()
        return response

    def _token(self, request: web.Request) -> str | None:
        value = request.headers.get("Authorization")
        if value is None:
            return None
        return value.split(" ", 1)[-1].strip()

    # -- API handlers ------------------------------------------------------------------

    def _api_routes(self) -> list[web.RouteDef]:
        base = "/repos/{o}/{r}"
        return [
            web.get(base, self._repository),
            web.get(base + "/branches/{branch:.+}", self._branch),
            web.get(base + "/commits", self._commits),
            web.get(base + "/commits/{ref:.+}", self._commit),
            web.get(base + "/git/trees/{sha:.+}", self._tree),
            web.get(base + "/git/blobs/{sha}", self._blob),
            web.get(base + "/tarball", self._tarball),
            web.get(base + "/tarball/{ref:.+}", self._tarball),
        ]

    def _visible(self, request: web.Request) -> bool:
        same = (request.match_info["o"].lower(), request.match_info["r"].lower()) == (
            self.owner.lower(),
            self.repo.lower(),
        )
        return same and not (self.private and self._token(request) is None)

    def _url(self, tail: str) -> str:
        return f"{self.api_url}/repos/{self.owner}/{self.repo}{tail}"

    async def _repository(self, request: web.Request) -> web.Response:
        if not self._visible(request):
            return _error(404, "Not Found", status_field=True)
        return _json(
            request,
            {
                "id": 1,
                "name": self.repo,
                "full_name": f"{self.owner}/{self.repo}",
                "owner": {"login": self.owner},
                "private": self.private,
                "default_branch": self.store.default_branch,
                "url": self._url(""),
            },
        )

    def _commit_json(self, sha: str) -> dict[str, Any]:
        commit = self.store.commits[sha]
        return {
            "sha": sha,
            "url": self._url(f"/commits/{sha}"),
            "commit": {
                "message": commit.message,
                "tree": {"sha": commit.tree, "url": self._url(f"/git/trees/{commit.tree}")},
            },
            "parents": []
            if commit.parent is None
            else [{"sha": commit.parent, "url": self._url(f"/commits/{commit.parent}")}],
            "files": [],
        }

    async def _branch(self, request: web.Request) -> web.Response:
        name = request.match_info["branch"]
        if not self._visible(request) or name not in self.store.branches:
            return _error(
                404,
                "Branch not found" if self._visible(request) else "Not Found",
                status_field=True,
            )
        return _json(
            request,
            {
                "name": name,
                "protected": False,
                "commit": self._commit_json(self.store.branches[name]),
            },
        )

    async def _commit(self, request: web.Request) -> web.Response:
        if not self._visible(request):
            return _error(404, "Not Found", status_field=True)
        ref = request.match_info["ref"]
        sha = self.store.resolve(ref)
        if sha is None:
            return _error(422, f"No commit found for SHA: {ref}", status_field=True)
        if "application/vnd.github.sha" in request.headers.get("Accept", ""):
            return _conditional(request, sha.encode(), "application/vnd.github.sha")
        return _json(request, self._commit_json(sha))

    async def _commits(self, request: web.Request) -> web.Response:
        """List commits: the history from ``sha`` (default branch), newest first."""
        if not self._visible(request):
            return _error(404, "Not Found", status_field=True)
        ref = request.query.get("sha") or self.store.default_branch
        sha = self.store.resolve(ref)
        if sha is None:
            return _error(422, f"No commit found for SHA: {ref}", status_field=True)
        try:
            per_page = min(100, max(1, int(request.query.get("per_page", "30"))))
            page = max(1, int(request.query.get("page", "1")))
        except ValueError:
            return _error(400, "Invalid request.", status_field=True)
        history: list[str] = []
        at: str | None = sha
        while at is not None:
            history.append(at)
            at = self.store.commits[at].parent
        chosen = history[(page - 1) * per_page : page * per_page]
        response = _json(request, [self._commit_json(c) for c in chosen])
        pages = math.ceil(len(history) / per_page)
        if page < pages:
            link = self._url(f"/commits?per_page={per_page}&page={{}}")
            response.headers["Link"] = (
                f'<{link.format(page + 1)}>; rel="next", <{link.format(pages)}>; rel="last"'
            )
        return response

    async def _tree(self, request: web.Request) -> web.Response:
        sha = request.match_info["sha"]
        if sha not in self.store.trees:
            commit = self.store.resolve(sha)
            sha = self.store.commits[commit].tree if commit else sha
        if not self._visible(request) or sha not in self.store.trees:
            return _error(404, "Not Found", status_field=True)
        recursive = request.query.get("recursive") not in (None, "")
        pairs = (
            list(self.store.walk(sha))
            if recursive
            else [(i.name, i) for i in self.store.trees[sha]]
        )
        limit = self.max_tree_entries if recursive else self.max_folder_entries
        truncated = limit is not None and len(pairs) > limit
        if truncated:
            pairs = pairs[:limit]
        return _json(
            request,
            {
                "sha": sha,
                "url": self._url(f"/git/trees/{sha}"),
                "truncated": truncated,
                "tree": [self._tree_item(path, item) for path, item in pairs],
            },
        )

    def _tree_item(self, path: str, item: Any) -> dict[str, Any]:
        kind = {"tree": "trees", "blob": "blobs"}.get(item.kind)
        row = {
            "path": path,
            "mode": "040000" if item.kind == "tree" else item.mode,
            "type": item.kind,
            "sha": item.sha,
        }
        if item.size is not None:
            row["size"] = item.size
        if kind:
            row["url"] = self._url(f"/git/{kind}/{item.sha}")
        return row

    async def _blob(self, request: web.Request) -> web.Response:
        sha = request.match_info["sha"]
        if not self._visible(request) or sha not in self.store.blobs:
            return _error(404, "Not Found", status_field=True)
        data = self.store.blobs[sha]
        if request.get(_CORRUPT):
            data = bytes([data[0] ^ 0xFF]) + data[1:] if data else b"\0"
        if "application/vnd.github.raw" in request.headers.get("Accept", ""):
            return _conditional(request, data, "application/vnd.github.raw")
        return _json(
            request,
            {
                "sha": sha,
                "size": len(data),
                "url": self._url(f"/git/blobs/{sha}"),
                "content": base64.encodebytes(data).decode(),
                "encoding": "base64",
            },
        )

    async def _tarball(self, request: web.Request) -> web.Response:
        ref = request.match_info.get("ref") or self.store.default_branch
        sha = self.store.resolve(ref)
        if not self._visible(request) or sha is None:
            return _error(404, "Not Found", status_field=True)
        location = (
            f"{self.download_url}/{self.owner}/{self.repo}/legacy.tar.gz/{sha}"
            f"?token={self._download_token}"
        )
        return web.Response(status=302, headers={"Location": location})

    # -- download origin ---------------------------------------------------------------

    async def _codeload(self, request: web.Request) -> web.StreamResponse:
        sha = self.store.resolve(request.match_info["ref"])
        if request.query.get("token") != self._download_token or sha is None:
            return web.Response(status=404, text="404: Not Found")
        data = self.tarball_override or self.store.tarball(sha)
        name = f"{self.owner}-{self.repo}-{sha[:7]}.tar.gz"
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/x-gzip",
                "Content-Disposition": f"attachment; filename={name}",
            }
        )
        response.content_length = len(data)
        await response.prepare(request)
        cut = len(data) // 2 if request.get(_TRUNCATE) else len(data)
        for start in range(0, cut, _CHUNK):
            await response.write(data[start : min(cut, start + _CHUNK)])
        if cut < len(data) and request.transport is not None:
            request.transport.close()
            return response
        await response.write_eof()
        return response


def _error(
    status: int, message: str, *, docs: str = DOCS, status_field: bool = False
) -> web.Response:
    body: dict[str, str] = {"message": message, "documentation_url": docs}
    if status_field:
        body["status"] = str(status)
    return web.json_response(body, status=status)


def _conditional(request: web.Request, body: bytes, content_type: str) -> web.Response:
    """A 200 with a weak ETag, or 304 when ``If-None-Match`` names that ETag."""
    etag = 'W/"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    wanted = [
        t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")
    ]
    if etag.removeprefix("W/") in wanted:
        return web.Response(status=304, headers={"ETag": etag})
    response = web.Response(body=body, content_type=content_type, charset="utf-8")
    response.headers["ETag"] = etag
    return response


def _json(request: web.Request, data: Any) -> web.Response:
    return _conditional(request, json.dumps(data).encode(), "application/json")


__all__ = ["Fault", "FaultRule", "GitHubLikeServer", "RequestRecord", "round_trips"]
