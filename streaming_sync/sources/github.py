"""A GitHub repository (or GitHub Enterprise) as a source, over aiohttp.

The only module of the package that talks HTTP to GitHub. It resolves the ref to one
commit in one request (``/commits/{ref}``, or for the default branch the first entry of
``/commits?per_page=1``, both carrying the commit's tree SHA), lists that commit's tree
with the Git Trees API (folder by folder when GitHub truncates the recursive listing;
never the Contents API), fetches blobs by SHA with the raw media type and checks each
against its git blob SHA-1, and downloads the tarball of the commit for large batches
(``fetch_many``), following GitHub's redirect to the download host WITHOUT the token.

Round trips before a cold sync's first bytes: on the first listing with an empty
validator cache (nothing synced before, so every file will be wanted), the tarball of
the ref being listed is asked for, and its download started, while the ref is resolved
and the tree listed; ``fetch_many`` reads it when the sync wants its files: commit +
redirect, tree + download -- two sequential round trips before the first bytes instead
of five. The ref may move meanwhile: the archive names its commit (the pax header
``git archive`` writes), and one of another commit is dropped for the listed commit's
own (its redirect names the SHA); every file taken from any archive is checked against
its listed blob SHA anyway. An early download the sync does not use (fewer files
listed than ``tarball_threshold``) is closed by the next listing or by ``aclose``; with
``tarball_threshold`` above 10,000 none is started.

Conditional requests: the ref lookups keep their ETag and (condensed) body in a
``ValidatorCache`` (the repository's, or one in memory); tree bodies are immutable per
SHA and are reused without asking, so an unchanged repository costs one request per
sync (the commit lookup), answered 304.

Rate limits are handled here, shared by every concurrent request (see
``_github_ratelimit.RateGate``); other faults are translated to the package's errors and
retried by the service. The token is sent only to the API origin and never appears in
logs, reprs, exceptions or cache keys.

(Longer than our usual module: it is the whole aiohttp edge of the GitHub source; the
parts that need no HTTP library live in ``_github_spec``, ``_github_ratelimit`` and
``_github_tar``.)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from yarl import URL

from .._aio import AsyncClosing, batches_from_thread
from .._config import PathFilter, check_file_size
from .._errors import (
    AuthenticationError,
    ConfigError,
    FetchError,
    IntegrityError,
    PermanentFetchError,
    SourceNotFoundError,
    TransientFetchError,
)
from .._model import FileEntry, Listing, git_blob_sha1
from .._protocols import Emit, ValidatorCache
from ._github_ratelimit import RateGate, RateHeaders, error_message, limit_kind
from ._github_spec import (
    GitHubSpec,
    MemoryHttpCache,
    check_ref,
    is_safe_path,
    normalize_folder,
    parse_github_spec,
    token_from_env,
)
from ._github_tar import SyncStreamReader, TarPicker

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
JSON_MEDIA = "application/vnd.github+json"
RAW_MEDIA = "application/vnd.github.raw+json"
API_VERSION = "2022-11-28"
USER_AGENT = "streaming_sync"
_NOT_FOUND = (404, 409, 410, 422)
_REDIRECTS = (301, 302, 303, 307, 308)
# How long an archive download started during the listing is used: GitHub's links for
# private repositories expire after five minutes, and a download left waiting may be
# dropped by the server; an older one is closed and the commit's archive asked for.
_AHEAD_FRESH = 60.0
# A first listing starts the archive's download ahead only when ``tarball_threshold`` is
# at most this: a higher one says the archive is (nearly) never wanted, and a download
# started and dropped would cost a request and the server's work for nothing.
_AHEAD_MAX_THRESHOLD = 10_000
_T = TypeVar("_T")


class _Response:
    """A finished API response: status, headers and (read) body."""

    __slots__ = ("body", "headers", "status", "url")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes, url: str) -> None:
        self.status, self.headers, self.body, self.url = status, headers, body, url


async def _all(calls: Iterable[Awaitable[_T]]) -> list[_T]:
    """Await all ``calls`` concurrently; on the first error cancel the rest and raise that
    error itself (not an ExceptionGroup: the service looks at our error types)."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _read_body(response: aiohttp.ClientResponse, limit: int | None) -> bytes:
    """The body, or its first ``limit + 1`` bytes (the caller sees it is too big)."""
    if limit is None:
        return await response.read()
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)[: limit + 1]


def _condense_commit(data: Any) -> Any:
    return {"sha": data["sha"], "commit": {"tree": {"sha": data["commit"]["tree"]["sha"]}}}


def _condense_head(data: Any) -> Any:
    """The newest commit of a ``/commits?per_page=1`` list (the branch head: git lists
    the starting commit first)."""
    return _condense_commit(data[0])


def _condense_repo(data: Any) -> Any:
    return {"default_branch": data["default_branch"]}


class GitHubFetcher(AsyncClosing):
    """Lists and reads ``owner/repo`` at ``ref`` (None: the default branch), below the
    folder ``path``. Implements ``Fetcher`` and the capabilities ``BulkFetcher``,
    ``EventSource`` (its rate-limit pauses) and ``RateLimitStatus``; see the module
    docstring.

    Paths in the listing are relative to ``path``. ``token`` is the token's value
    (see ``token_from_env``); ``token_env`` only names where it came from, for error
    messages. ``max_file_size``: ``fetch`` reads at most that many bytes (plus one) of a
    blob, and the tarball yields no file over it (the sync checks listed sizes first).
    ``secondary_min_wait`` is the first wait after a secondary rate limit without
    ``retry-after`` (GitHub asks for one minute); ``reset_margin`` is added to reset times.
    """

    def __init__(
        self,
        *,
        owner: str,
        repo: str,
        ref: str | None = None,
        path: str = "",
        api_url: str = DEFAULT_API_URL,
        token: str | None = None,
        token_env: str = "GITHUB_TOKEN",
        path_filter: PathFilter | None = None,
        cache: ValidatorCache | None = None,
        max_concurrency: int = 8,
        request_timeout: float = 30.0,
        wait_budget: float = 3600.0,
        tarball_threshold: int = 50,
        max_file_size: int | None = None,
        secondary_min_wait: float = 60.0,
        reset_margin: float = 1.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        spec = parse_github_spec(f"github:{owner}/{repo}")
        if spec.repo != repo:
            raise ConfigError(f"repo={repo!r}: give the repository name without '.git'")
        self._spec = GitHubSpec(
            owner, repo, None if ref is None else check_ref(ref), normalize_folder(path)
        )
        api = URL(api_url.rstrip("/"))
        if api.scheme not in ("http", "https") or not api.host or api.user or api.password:
            raise ConfigError(f"api_url={api_url!r}: use http(s)://HOST[/PATH] without credentials")
        for name, value in (
            ("max_concurrency", max_concurrency),
            ("request_timeout", request_timeout),
            ("tarball_threshold", tarball_threshold),
        ):
            if not value > 0:
                raise ConfigError(f"{name}={value!r}: must be greater than 0")
        if wait_budget < 0:
            raise ConfigError(f"wait_budget={wait_budget!r}: must be 0 or more")
        self._api = str(api)
        self._token = token or None
        self._token_env = token_env
        self._filter = path_filter or PathFilter()
        self._cache: ValidatorCache = cache if cache is not None else MemoryHttpCache()
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._request_timeout = request_timeout
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._threshold = tarball_threshold
        self._max = max_file_size
        self._gate = RateGate(
            wait_budget=wait_budget,
            secondary_min_wait=secondary_min_wait,
            reset_margin=reset_margin,
        )
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._commit: str | None = None
        # The archive download started during the listing: (response, when started).
        self._ahead: asyncio.Future[tuple[aiohttp.ClientResponse, float] | None] | None = None
        self.requests = 0

    # -- lifecycle and display -------------------------------------------------------

    @classmethod
    def from_spec(cls, spec: str | GitHubSpec, **options: Any) -> GitHubFetcher:
        """A fetcher for ``github:OWNER/REPO[@REF][/PATH]``; ``options`` as for the
        constructor (``api_url``, ``token``, ...).

        ``options`` is ``Any`` because it is forwarded unchanged: the constructor's
        keyword-only parameters are the typed contract, and a wrong name or type fails
        there with the constructor's own ``TypeError``."""
        parsed = spec if isinstance(spec, GitHubSpec) else parse_github_spec(spec)
        return cls(
            owner=parsed.owner, repo=parsed.repo, ref=parsed.ref, path=parsed.path, **options
        )

    @property
    def source(self) -> str:
        """``github:owner/repo[@ref][/path]``: never holds a secret."""
        return str(self._spec)

    @property
    def commit(self) -> str | None:
        """The commit the last ``list_files`` resolved (None before)."""
        return self._commit

    @property
    def rate_limit_remaining(self) -> int | None:
        """GitHub's remaining request budget as last seen (a gauge for metrics)."""
        return self._gate.remaining

    def bind_events(self, emit: Emit) -> None:
        """Report a ``RateLimited`` event through ``emit`` whenever every request pauses
        (``EventSource``: the service binds itself once, when it is built)."""
        self._gate.emit = emit

    @property
    def gate(self) -> RateGate:
        return self._gate

    def __repr__(self) -> str:
        token = "set" if self._token else "none"
        return (
            f"<GitHubFetcher {self.source} api={self._api} token={token} "
            f"requests={self.requests} {self._gate!r}>"
        )

    async def aclose(self) -> None:
        """Close the HTTP session if this fetcher created it; idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._drop_ahead()
        if self._owns_session and self._session is not None:
            await self._session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._closed:
            raise FetchError(f"{self.source}: the fetcher was closed; create a new one")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    # -- listing -----------------------------------------------------------------------

    async def list_files(self) -> Listing:
        """Resolve the ref to a commit and list the blobs below the folder at it."""
        self._gate.new_sync()
        await self._drop_ahead()
        lookup = self._ref_lookup(self._spec.ref)
        if self._threshold <= _AHEAD_MAX_THRESHOLD and not await self._cache.cache_get(
            self._api + lookup[0]
        ):  # a first listing, where every file will be wanted
            self._ahead = asyncio.ensure_future(self._download_ahead())
        try:
            commit, root = await self._resolve(self._spec.ref, *lookup)
            folder = await self._folder_tree(root, commit)
            entries, missing = await self._walk(folder)
        except BaseException:
            await self._drop_ahead()
            raise
        kept = sorted((e for e in entries if self._filter(e.path)), key=lambda e: e.path)
        self._commit = commit
        logger.info(
            "%s at %s: %d files listed (%d kept)", self.source, commit[:12], len(entries), len(kept)
        )
        return Listing(commit, tuple(kept), not missing, missing)

    def _repo_path(self, tail: str) -> str:
        return f"/repos/{quote(self._spec.owner)}/{quote(self._spec.repo)}{tail}"

    def _name(self) -> str:
        return f"GitHub repository {self._spec.owner}/{self._spec.repo} at {self._api}"

    async def _check_repository(self) -> None:
        """Raise ``SourceNotFoundError`` when the repository itself is missing."""
        response, _ = await self._cached_get(self._repo_path(""), _condense_repo)
        if response.status in _NOT_FOUND:
            raise self._missing(response)
        self._checked_json(response, "the repository")

    def _ref_lookup(self, ref: str | None) -> tuple[str, Callable[[Any], Any], str]:
        """The request that resolves ``ref`` (None: the default branch's head): its
        path, how its answer is condensed, and what it looks up (for errors)."""
        if ref is None:
            path, condense, what = "/commits?per_page=1", _condense_head, "the default branch"
        else:
            path, condense, what = (
                f"/commits/{quote(ref, safe='/')}",
                _condense_commit,
                f"ref {ref!r}",
            )
        return self._repo_path(path), condense, what

    async def _resolve(
        self, ref: str | None, path: str, condense: Callable[[Any], Any], what: str
    ) -> tuple[str, str]:
        """The commit ``ref`` names and its root tree, by ``_ref_lookup``'s request."""
        response, _ = await self._cached_get(path, condense)
        if response.status in _NOT_FOUND:
            raise await self._unresolved(ref, response)
        data = self._checked_json(response, what)
        return str(data["sha"]), str(data["commit"]["tree"]["sha"])

    async def _unresolved(self, ref: str | None, response: _Response) -> SourceNotFoundError:
        """Why ``ref`` names no commit: the repository is missing (404), or empty (GitHub
        answers 409 to listing its commits), or the ref is not in it."""
        if ref is None:
            if response.status != 409:
                return self._missing(response)
            return SourceNotFoundError(
                f"{self._name()} has no commits yet: push one first, or check OWNER/REPO",
                url=response.url,
                status=response.status,
            )
        await self._check_repository()
        return SourceNotFoundError(
            f"ref {ref!r} not found in {self._name()}: no branch, tag or commit of that "
            f"name ({response.status} {self._message(response)})",
            url=response.url,
            status=response.status,
        )

    def _missing(self, response: _Response) -> SourceNotFoundError:
        return SourceNotFoundError(
            f"{self._name()} not found (or the token cannot see it): check OWNER/REPO"
            f"{self._token_advice()}",
            url=response.url,
            status=response.status,
        )

    async def _folder_tree(self, root: str, commit: str) -> str:
        sha, walked = root, []
        for part in self._spec.path.split("/") if self._spec.path else []:
            items = (await self._tree(sha, recursive=False))["tree"]
            walked.append(part)
            found = next((i for i in items if i.get("path") == part), None)
            if found is None or found.get("type") != "tree":
                raise SourceNotFoundError(
                    f"folder {'/'.join(walked)!r} not found in {self._name()} at commit "
                    f"{commit[:12]}"
                )
            sha = str(found["sha"])
        return sha

    async def _walk(self, sha: str) -> tuple[list[FileEntry], tuple[str, ...]]:
        """Every blob below tree ``sha``: one recursive request, or -- when GitHub
        truncates it -- every folder non-recursively, level by level. Also returns what
        the walk could not list (a folder whose own listing is truncated, or a subtree
        GitHub does not serve): the listing is then incomplete. Transient faults raise
        (the service retries the listing; trees already read come from the cache)."""
        tree = await self._tree(sha, recursive=True)
        if not tree.get("truncated"):
            return self._blobs(tree["tree"], ""), ()
        logger.info("%s: the recursive tree was truncated; listing folder by folder", self.source)
        entries: list[FileEntry] = []
        missing: list[str] = []
        level = [("", sha)]
        while level:
            bodies = await _all(self._subtree(prefix, s, missing) for prefix, s in level)
            next_level: list[tuple[str, str]] = []
            for (prefix, _), body in zip(level, bodies, strict=True):
                if body is None:
                    continue
                if body.get("truncated"):
                    missing.append(
                        f"folder {prefix or '/'!r}: GitHub truncated its listing (too many "
                        "entries for one answer)"
                    )
                entries += self._blobs(body["tree"], prefix)
                next_level += [
                    (f"{prefix}{i['path']}/", str(i["sha"]))
                    for i in body["tree"]
                    if i.get("type") == "tree"
                ]
            level = next_level
        for gap in missing:
            logger.warning("%s: the listing is incomplete: %s", self.source, gap)
        return entries, tuple(sorted(missing))

    async def _subtree(self, prefix: str, sha: str, missing: list[str]) -> dict[str, Any] | None:
        """Tree ``sha`` at ``prefix``; None (noted in ``missing``) when GitHub does not
        serve a folder below the top one."""
        try:
            return await self._tree(sha, recursive=False)
        except SourceNotFoundError as error:
            if not prefix:
                raise
            missing.append(f"folder {prefix!r}: GitHub did not serve its tree ({error})")
            return None

    def _blobs(self, items: list[Any], prefix: str) -> list[FileEntry]:
        try:
            entries = [
                FileEntry(prefix + str(i["path"]), int(i["size"]), str(i["sha"]))
                for i in items
                if i.get("type") == "blob" and i.get("mode") != "120000"
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TransientFetchError(
                f"{self.source}: malformed tree from GitHub ({exc!r})", url=self._api
            ) from None
        safe = [e for e in entries if is_safe_path(e.path)]
        for entry in entries:
            if not is_safe_path(entry.path):
                logger.warning("%s: ignoring the hostile path %r", self.source, entry.path[:200])
        return safe

    async def _tree(self, sha: str, *, recursive: bool) -> dict[str, Any]:
        """A tree by SHA; its body never changes, so a cached one is used as is (GitHub's
        truncation of a tree is as fixed as the tree: asking again gives the same
        answer). Only a well-formed answer is cached."""
        path = self._repo_path(f"/git/trees/{sha}" + ("?recursive=1" if recursive else ""))
        key = self._api + path
        cached = await self._cache.cache_get(key)
        if cached is not None:
            return self._tree_json(cached[1], sha, key)
        response = await self._api_get(path)
        if response.status in _NOT_FOUND:
            raise SourceNotFoundError(
                f"tree {sha} not found in {self._name()}",
                url=response.url,
                status=response.status,
            )
        self._checked_json(response, f"tree {sha}")
        data = self._tree_json(response.body, sha, key)
        await self._cache.cache_put(key, response.headers.get("ETag", ""), response.body)
        return data

    def _tree_json(self, body: bytes, sha: str, key: str) -> dict[str, Any]:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("tree"), list):
            raise TransientFetchError(f"{self.source}: malformed tree {sha} from GitHub", url=key)
        return data

    # -- fetching one file ------------------------------------------------------------

    async def fetch(self, entry: FileEntry) -> bytes:
        """The blob ``entry.sha`` (raw media type), checked against its SHA."""
        response = await self._api_get(
            self._repo_path(f"/git/blobs/{entry.sha}"), accept=RAW_MEDIA, limit=self._max
        )
        if response.status == 200:
            check_file_size(entry.path, len(response.body), self._max, read=True)
        if response.status != 200:
            raise self._error(response, f"file {entry.path!r}", not_found=PermanentFetchError)
        data = self._blob_bytes(response, entry)
        if git_blob_sha1(data) != entry.sha:
            raise IntegrityError(
                f"{entry.path}: the bytes GitHub sent do not match blob {entry.sha}",
                url=response.url,
                status=response.status,
            )
        return data

    def _blob_bytes(self, response: _Response, entry: FileEntry) -> bytes:
        if not response.headers.get("Content-Type", "").startswith("application/json"):
            return response.body
        try:  # a server that ignored the raw media type: the JSON form, base64
            data = json.loads(response.body)
            return base64.b64decode(data["content"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise IntegrityError(
                f"{entry.path}: malformed blob answer from GitHub", url=response.url
            ) from None

    # -- the tarball fast path ---------------------------------------------------------

    def wants_bulk(self, count: int) -> bool:
        """True for ``tarball_threshold`` files or more, once a commit is listed."""
        return self._commit is not None and count >= self._threshold

    async def fetch_many(
        self, entries: Sequence[FileEntry]
    ) -> AsyncIterator[tuple[FileEntry, bytes]]:
        """Stream the commit's tarball once, yielding the requested files it holds.
        A broken download just ends the iteration (the service fetches the rest one by
        one); only fatal errors (credentials, wait budget) are raised."""
        wanted = {e.path: e for e in entries if self._max is None or e.size <= self._max}
        if not wanted or self._commit is None:
            await self._drop_ahead()
            return
        delivered = 0
        try:
            async with self._archive(self._commit, wanted) as (reader, picker):
                async for item in self._pick(reader, picker):
                    delivered += 1
                    yield item
        except FetchError as exc:
            if exc.fatal:
                raise
            logger.warning(
                "%s: tarball failed (%s); fetching the other files one by one",
                self.source,
                self._scrub(str(exc)),
            )
        except Exception as exc:  # any fault of download or archive: fall back per file
            logger.warning(
                "%s: tarball stopped after %d files (%s); fetching the other files one by one",
                self.source,
                delivered,
                type(exc).__name__,
            )

    async def _download_ahead(self) -> tuple[aiohttp.ClientResponse, float] | None:
        """The archive of the ref being listed, its download started (the answer's
        head read, the body left for ``fetch_many``): (response, when started), or
        None when GitHub did not give it -- ``fetch_many`` then asks for the commit's
        archive and reports the cause; the listing is none of the tarball's business."""
        started = time.monotonic()
        try:
            link = await self._archive_link(self._spec.ref, beside_probe=True)
            response = await self._open_download(link)
        except (TimeoutError, FetchError, aiohttp.ClientError, OSError) as exc:
            logger.debug("%s: no archive ahead (%s)", self.source, self._scrub(str(exc)))
            return None
        if response.status != 200:
            logger.debug("%s: no archive ahead (download %d)", self.source, response.status)
            response.close()
            return None
        return response, started

    async def _drop_ahead(self) -> None:
        """Close the archive download started during the listing, if any."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)
            _close_ahead(ahead)

    async def _take_ahead(
        self, commit: str
    ) -> tuple[aiohttp.ClientResponse, SyncStreamReader, TarPicker] | None:
        """The archive started during the listing, opened, when it is still fresh and
        holds ``commit`` (or names no commit: each file is checked against its SHA
        anyway); else None, the download closed. Used once."""
        ahead, self._ahead = self._ahead, None
        started = await ahead if ahead is not None else None
        if started is None:
            return None
        response, when = started
        if time.monotonic() - when > _AHEAD_FRESH:
            response.close()
            return None
        try:
            opened = await self._open_picker(response, wanted={})
        except Exception as exc:  # a download gone stale: the commit's own is asked for
            response.close()
            logger.info("%s: the archive started early failed (%r)", self.source, exc)
            return None
        reader, picker = opened
        if picker.commit not in (None, commit):
            logger.info(
                "%s: the archive of the ref holds commit %s, not the listed %s; asking "
                "for the listed commit's",
                self.source,
                picker.commit[:12] if picker.commit else None,
                commit[:12],
            )
            picker.close()
            response.close()
            return None
        return response, reader, picker

    async def _archive_link(self, ref: str | None, *, beside_probe: bool = False) -> URL:
        """Where GitHub redirects the tarball request of ``ref`` (a commit SHA, a branch
        or tag; None: the default branch) to."""
        tail = "/tarball" if ref is None else f"/tarball/{quote(ref, safe='/')}"
        api = await self._api_get(self._repo_path(tail), stream=True, beside_probe=beside_probe)
        if api.status not in _REDIRECTS or "Location" not in api.headers:
            raise self._error(api, "the tarball", not_found=PermanentFetchError)
        return URL(self._api).join(URL(api.headers["Location"]))

    @asynccontextmanager
    async def _archive(
        self, commit: str, wanted: Mapping[str, FileEntry]
    ) -> AsyncIterator[tuple[SyncStreamReader, TarPicker]]:
        """The archive of ``commit``, open and ready to pick ``wanted`` from: the one
        started during the listing when it holds ``commit``, else the commit's own."""
        early = await self._take_ahead(commit)
        if early is not None:
            response, reader, picker = early
            picker.want(wanted)
        else:
            response = await self._open_download(await self._archive_link(commit))
        try:
            if early is None:
                if response.status != 200:
                    raise TransientFetchError(
                        f"the tarball download answered {response.status}",
                        url=str(response.url.with_query(None)),
                        status=response.status,
                    )
                reader, picker = await self._open_picker(response, wanted)
            try:
                yield reader, picker
            finally:
                picker.close()
        finally:
            response.close()

    async def _open_download(self, target: URL) -> aiohttp.ClientResponse:
        """GET the archive at ``target`` (its head read, the body not yet); the token
        goes along only to the API's origin. The caller closes the response."""
        headers = {"User-Agent": USER_AGENT}
        if self._token and target.origin() == URL(self._api).origin():
            headers["Authorization"] = f"Bearer {self._token}"
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self._request_timeout, sock_read=self._request_timeout
        )
        self.requests += 1
        return await self._http().get(
            target, headers=headers, allow_redirects=False, timeout=timeout
        )

    async def _open_picker(
        self, response: aiohttp.ClientResponse, wanted: Mapping[str, FileEntry]
    ) -> tuple[SyncStreamReader, TarPicker]:
        """A picker over ``response``'s archive (its first member read, in a thread)."""
        reader = SyncStreamReader(
            response.content.read, asyncio.get_running_loop(), self._request_timeout
        )
        picker = await asyncio.to_thread(
            TarPicker, reader, wanted, folder=self._spec.path, max_file_size=self._max
        )
        return reader, picker

    async def _pick(
        self, reader: SyncStreamReader, picker: TarPicker
    ) -> AsyncIterator[tuple[FileEntry, bytes]]:
        # One thread hop per batch of files (``_github_tar.BATCH_FILES``/``BATCH_BYTES``),
        # the next read while the service takes these; closing the reader ends a read
        # ahead still waiting for the download, before the archive is closed.
        try:
            async with contextlib.aclosing(
                batches_from_thread(picker.next_files, stop=reader.close)
            ) as items:
                async for item in items:
                    yield item
        finally:  # the archive's owner (``_archive``) closes the picker
            if picker.ignored:
                logger.info(
                    "%s: ignored %d tarball entries that are links, devices or unsafe names",
                    self.source,
                    picker.ignored,
                )

    # -- HTTP --------------------------------------------------------------------------

    async def _cached_get(
        self, path: str, condense: Callable[[Any], Any]
    ) -> tuple[_Response, bool]:
        """A conditional GET: sends the cached ETag; a 304 answers with the cached body.
        A 200 body is condensed to what we use before it is cached and returned. Also
        says whether a validator was cached for ``path`` (False: the first time)."""
        key = self._api + path
        cached = await self._cache.cache_get(key)
        response = await self._api_get(path, etag=cached[0] if cached else None)
        if response.status == 304 and cached is not None:
            return _Response(200, response.headers, cached[1], response.url), True
        if response.status == 200:
            data = self._checked_json(response, path)
            try:
                body = json.dumps(condense(data)).encode()
            except (KeyError, IndexError, TypeError) as exc:
                raise TransientFetchError(
                    f"{self.source}: malformed answer from GitHub ({exc!r})", url=response.url
                ) from None
            if etag := response.headers.get("ETag"):
                await self._cache.cache_put(key, etag, body)
            return _Response(200, response.headers, body, response.url), cached is not None
        return response, cached is not None

    async def _api_get(
        self,
        path: str,
        *,
        accept: str = JSON_MEDIA,
        etag: str | None = None,
        stream: bool = False,
        limit: int | None = None,
        beside_probe: bool = False,
    ) -> _Response:
        """One API request under the concurrency cap and the rate-limit gate; rate-limit
        answers are waited out and the request repeated. Other statuses are returned.
        ``limit``: read at most that many bytes of a body, plus one. ``beside_probe``:
        see ``RateGate.acquire``."""
        url = self._api + path
        headers = {"Accept": accept, "X-GitHub-Api-Version": API_VERSION, "User-Agent": USER_AGENT}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if etag:
            headers["If-None-Match"] = etag
        async with self._semaphore:
            while True:
                ticket = await self._gate.acquire(beside_probe=beside_probe)
                response: _Response | None = None
                try:
                    response = await self._send(url, headers, stream=stream, limit=limit)
                finally:
                    if response is None:
                        self._gate.release(ticket, None)
                kind = limit_kind(
                    response.status, RateHeaders.parse(response.headers), self._message(response)
                )
                if kind is None:
                    self._gate.release(ticket, response.headers)
                    self._gate.succeeded()
                    return response
                await self._gate.limited(ticket, kind, response.headers)

    async def _send(
        self, url: str, headers: Mapping[str, str], *, stream: bool, limit: int | None = None
    ) -> _Response:
        """Send one GET; translate aiohttp's faults into ``TransientFetchError``."""
        self.requests += 1
        try:
            async with self._http().get(
                url, headers=headers, allow_redirects=False, timeout=self._timeout
            ) as resp:
                skip = stream and resp.status < 400  # the tarball's body is streamed later
                body = b"" if skip else await _read_body(resp, limit)
                return _Response(resp.status, resp.headers, body, url)
        except TimeoutError:
            raise TransientFetchError(
                f"GitHub did not answer within {self._request_timeout:g} s", url=url
            ) from None
        except aiohttp.ClientPayloadError as exc:
            raise TransientFetchError(
                f"GitHub's answer was cut short ({type(exc).__name__})", url=url
            ) from None
        except aiohttp.ClientError as exc:
            raise TransientFetchError(
                f"GitHub connection failed ({type(exc).__name__})", url=url
            ) from None

    # -- errors ------------------------------------------------------------------------

    def _message(self, response: _Response) -> str:
        return self._scrub(error_message(response.body)) if response.status >= 300 else ""

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _token_advice(self) -> str:
        if self._token:
            return f"; check that the token in ${self._token_env} may read it"
        return f"; for a private repository set a token in ${self._token_env}"

    def _checked_json(self, response: _Response, what: str) -> Any:
        if response.status != 200:
            raise self._error(response, what)
        try:
            return json.loads(response.body)
        except ValueError:
            raise TransientFetchError(
                f"{self.source}: GitHub sent malformed JSON for {what}",
                url=response.url,
                status=200,
            ) from None

    def _error(
        self,
        response: _Response,
        what: str,
        *,
        not_found: type[FetchError] = SourceNotFoundError,
    ) -> FetchError:
        """The package error for a non-2xx answer about ``what``."""
        status, message, url = response.status, self._message(response), response.url
        where = f"{what} of {self._name()}"
        if status == 401:
            hint = (
                f"GitHub refused the token from ${self._token_env} (401 {message}): "
                f"check or renew it"
                if self._token
                else f"GitHub requires a token (401 {message}): set one in ${self._token_env}"
            )
            return AuthenticationError(f"{hint} [{where}]", url=url, status=status)
        if status == 403:
            return AuthenticationError(
                f"GitHub denied access to {where} (403 {message}){self._token_advice()}",
                url=url,
                status=status,
            )
        if status in _NOT_FOUND:
            return not_found(f"{where}: not found ({status} {message})", url=url, status=status)
        if status >= 500 or status == 408:
            return TransientFetchError(
                f"GitHub failed on {where} ({status} {message})", url=url, status=status
            )
        return PermanentFetchError(
            f"GitHub answered {status} {message} for {where}", url=url, status=status
        )


def _close_ahead(ahead: asyncio.Future[tuple[aiohttp.ClientResponse, float] | None]) -> None:
    """Close the download of an archive started ahead (a future done, cancelled or not)."""
    if ahead.done() and not ahead.cancelled() and ahead.exception() is None:
        started = ahead.result()
        if started is not None:
            started[0].close()
    else:
        ahead.cancel()


__all__ = [
    "DEFAULT_API_URL",
    "GitHubFetcher",
    "GitHubSpec",
    "MemoryHttpCache",
    "parse_github_spec",
    "token_from_env",
]
