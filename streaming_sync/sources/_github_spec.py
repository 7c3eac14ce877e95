"""The pieces of the GitHub source that need no HTTP library: the ``github:`` source spec,
an ETag cache in memory and the token lookup.

Spec grammar: ``github:OWNER/REPO[@REF][/PATH]``.

* ``REF`` (branch, tag or commit SHA) ends at the first ``/`` after ``@``, so
  ``github:o/r@main/docs`` is ref ``main``, folder ``docs``. A ref that itself contains
  ``/`` (``feature/x``) is written percent-encoded: ``github:o/r@feature%2Fx/docs``.
* ``PATH`` is a folder, ``/``-separated; empty, ``.`` and ``..`` segments are refused.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

import attrs

from .._errors import ConfigError

SCHEME = "github:"
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,99})$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_BAD_REF = re.compile(r"[\x00-\x20~^:?*\[\\\x7f]|\.\.|@\{|//|^/|/$|\.lock$|^-")
_EXAMPLE = "github:OWNER/REPO[@REF][/PATH], e.g. github:octocat/hello@main/docs"


@attrs.frozen
class GitHubSpec:
    """A parsed ``github:`` source: ``ref`` None means the default branch, ``path`` ''
    the whole repository."""

    owner: str
    repo: str
    ref: str | None = None
    path: str = ""

    def __str__(self) -> str:
        ref = "" if self.ref is None else "@" + self.ref.replace("/", "%2F")
        path = "/" + self.path if self.path else ""
        return f"{SCHEME}{self.owner}/{self.repo}{ref}{path}"


def _bad(spec: str, why: str) -> ConfigError:
    return ConfigError(f"source {spec!r}: {why}; expected {_EXAMPLE}")


def normalize_folder(path: str, *, spec: str = "") -> str:
    """``/a//b/`` -> ``a/b``; refuses ``.`` and ``..`` segments (ConfigError)."""
    parts = [p for p in path.strip("/").split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise _bad(spec or path, f"path {path!r} may not contain '.' or '..' segments")
    return "/".join(parts)


def check_ref(ref: str, *, spec: str = "") -> str:
    """A ref must be a plausible git ref name (no spaces, ``..``, ``~^:?*[\\``)."""
    if not ref or _BAD_REF.search(ref):
        raise _bad(spec or ref, f"ref {ref!r} is not a valid branch, tag or commit name")
    return ref


def parse_github_spec(spec: str) -> GitHubSpec:
    """Parse ``github:OWNER/REPO[@REF][/PATH]`` (see the module docstring for the rule
    that splits REF from PATH). Raises ``ConfigError`` naming what is wrong."""
    if not spec.startswith(SCHEME):
        raise _bad(spec, f"a GitHub source starts with {SCHEME!r}")
    rest = spec[len(SCHEME) :].lstrip("/")
    owner, sep, rest = rest.partition("/")
    if not sep or not _OWNER.match(owner):
        raise _bad(spec, f"owner {owner!r} is missing or not a valid GitHub account name")
    match = re.match(r"^([^@/]*)(.*)$", rest)
    assert match is not None  # the pattern matches every string
    repo, rest = match.group(1), match.group(2)
    repo = repo.removesuffix(".git")
    if not _REPO.match(repo) or repo in (".", ".."):
        raise _bad(spec, f"repository name {repo!r} is missing or invalid")
    ref: str | None = None
    if rest.startswith("@"):
        raw_ref, _, path = rest[1:].partition("/")
        ref = check_ref(unquote(raw_ref), spec=spec)
    else:
        path = rest
    return GitHubSpec(owner, repo, ref, normalize_folder(path, spec=spec))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_safe_path(path: str) -> bool:
    """A listed path we accept: relative, '/'-separated, without '.' or '..' parts, empty
    parts, backslashes or control characters, and valid UTF-8 text (JSON can carry a
    lone surrogate, which no database column of text can store). Anything else is
    never passed on."""
    if not path or path.startswith("/") or "\\" in path:
        return False
    if not path.isascii():
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            return False
    if _CONTROL.search(path):
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def token_from_env(name: str = "GITHUB_TOKEN") -> str | None:
    """The token held by environment variable ``name``; None when unset or blank
    (anonymous access)."""
    value = os.environ.get(name, "").strip()
    return value or None


class MemoryHttpCache:
    """A ``ValidatorCache`` in a dict: lives as long as the object (one process)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[str, bytes]] = {}

    def __repr__(self) -> str:
        return f"<MemoryHttpCache entries={len(self.entries)}>"

    async def cache_get(self, key: str) -> tuple[str, bytes] | None:
        return self.entries.get(key)

    async def cache_put(self, key: str, etag: str, body: bytes) -> None:
        self.entries[key] = (etag, body)


__all__ = [
    "GitHubSpec",
    "MemoryHttpCache",
    "check_ref",
    "is_safe_path",
    "normalize_folder",
    "parse_github_spec",
    "token_from_env",
]
