"""A tiny in-memory git object store for ``GitHubLikeServer`` (standard library only).

Blob, tree and commit SHAs are computed exactly as git does (``tree`` objects hold
``<mode> <name>\\0<20-byte sha>`` entries in git's order, where a folder sorts as
``name/``), so the listing a fetcher sees matches ``git ls-tree`` of the same files.
Tarballs are built like GitHub's: a pax global header holding the commit SHA and one
top-level folder ``{owner}-{repo}-{sha7}/``.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from .._model import git_blob_sha1

FILE_MODE, LINK_MODE, TREE_MODE, SUBMODULE_MODE = "100644", "120000", "40000", "160000"


def _git_sha(kind: str, body: bytes) -> str:
    return hashlib.sha1(
        b"%s %d\0" % (kind.encode(), len(body)) + body, usedforsecurity=False
    ).hexdigest()


@attrs.frozen
class TreeItem:
    """One entry of a git tree: ``kind`` is blob, tree or commit (a submodule)."""

    name: str
    mode: str
    kind: str
    sha: str
    size: int | None = None


@attrs.frozen
class Commit:
    sha: str
    tree: str
    parent: str | None
    message: str
    files: Mapping[str, bytes]
    links: Mapping[str, str]
    submodules: Mapping[str, str]


class GitStore:
    """Blobs, trees and commits of one repository, plus its branches."""

    def __init__(self, owner: str, repo: str, default_branch: str = "main") -> None:
        self.owner, self.repo, self.default_branch = owner, repo, default_branch
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, tuple[TreeItem, ...]] = {}
        self.commits: dict[str, Commit] = {}
        self.branches: dict[str, str] = {}
        self.tags: dict[str, str] = {}

    def write(
        self,
        files: Mapping[str, bytes],
        *,
        links: Mapping[str, str] | None = None,
        submodules: Mapping[str, str] | None = None,
        message: str = "sync",
        branch: str | None = None,
    ) -> str:
        """Commit exactly ``files`` (plus symlinks and submodules) on ``branch``."""
        branch = branch or self.default_branch
        links, submodules = dict(links or {}), dict(submodules or {})
        leaves: dict[str, TreeItem] = {}
        for path, data in files.items():
            leaves[path] = self._blob(path, data, FILE_MODE)
        for path, target in links.items():
            leaves[path] = self._blob(path, target.encode(), LINK_MODE)
        for path, sha in submodules.items():
            leaves[path] = TreeItem(path.rsplit("/", 1)[-1], SUBMODULE_MODE, "commit", sha)
        tree = self._tree_of(leaves)
        parent = self.branches.get(branch)
        stamp = int(time.time())
        body = (
            f"tree {tree}\n"
            + (f"parent {parent}\n" if parent else "")
            + f"author Test <test@example.invalid> {stamp} +0000\n"
            + f"committer Test <test@example.invalid> {stamp} +0000\n\n{message}\n"
        )
        sha = _git_sha("commit", body.encode())
        self.commits[sha] = Commit(sha, tree, parent, message, dict(files), links, submodules)
        self.branches[branch] = sha
        return sha

    def _blob(self, path: str, data: bytes, mode: str) -> TreeItem:
        sha = git_blob_sha1(data)
        self.blobs[sha] = data
        return TreeItem(path.rsplit("/", 1)[-1], mode, "blob", sha, len(data))

    def _tree_of(self, leaves: Mapping[str, TreeItem]) -> str:
        nested: dict[str, Any] = {}
        for path, item in leaves.items():
            node = nested
            *folders, _ = path.split("/")
            for folder in folders:
                node = node.setdefault(folder, {})
            node[item.name] = item
        return self._hash_tree(nested)

    def _hash_tree(self, node: Mapping[str, Any]) -> str:
        items = [
            value
            if isinstance(value, TreeItem)
            else TreeItem(name, TREE_MODE, "tree", self._hash_tree(value))
            for name, value in node.items()
        ]
        items.sort(key=lambda i: i.name + "/" if i.kind == "tree" else i.name)
        body = b"".join(f"{i.mode} {i.name}".encode() + b"\0" + bytes.fromhex(i.sha) for i in items)
        sha = _git_sha("tree", body)
        self.trees[sha] = tuple(items)
        return sha

    def resolve(self, ref: str) -> str | None:
        """A commit SHA for a branch, tag, full SHA or unique SHA prefix (7+ chars)."""
        for table in (self.branches, self.tags):
            if ref in table:
                return table[ref]
        for prefix in ("refs/heads/", "refs/tags/"):
            if ref.startswith(prefix):
                return self.resolve(ref[len(prefix) :])
        if len(ref) >= 7:
            found = [sha for sha in self.commits if sha.startswith(ref.lower())]
            if len(found) == 1:
                return found[0]
        return None

    def walk(self, tree: str, prefix: str = "") -> Iterable[tuple[str, TreeItem]]:
        """Every entry below ``tree`` (pre-order), with its path."""
        for item in self.trees[tree]:
            yield prefix + item.name, item
            if item.kind == "tree":
                yield from self.walk(item.sha, f"{prefix}{item.name}/")

    def tarball(self, commit: str) -> bytes:
        """The commit's archive, laid out as GitHub's ``/tarball/{ref}`` is."""
        snapshot = self.commits[commit]
        top = f"{self.owner}-{self.repo}-{commit[:7]}/"
        members: list[tuple[tarfile.TarInfo, bytes | None]] = [(_dir(top), None)]
        for path, item in self.walk(snapshot.tree):
            name = top + path
            if item.kind == "tree" or item.kind == "commit":
                members.append((_dir(name), None))
            elif item.mode == LINK_MODE:
                members.append((_link(name, snapshot.links[path]), None))
            else:
                members.append((_file(name, len(self.blobs[item.sha])), self.blobs[item.sha]))
        return make_tarball(members, comment=commit)


def _dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name.rstrip("/"))
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info


def _file(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, 0o644
    return info


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


def make_tarball(
    members: Sequence[tuple[tarfile.TarInfo, bytes | None]], *, comment: str = ""
) -> bytes:
    """A gzip tar of ``members`` (info, data); any member type, any name -- so tests can
    also craft hostile archives (``..``, absolute names, links, devices)."""
    buffer = io.BytesIO()
    headers = {"comment": comment} if comment else {}
    with tarfile.open(
        fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers=headers
    ) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


__all__ = ["Commit", "GitStore", "TreeItem", "make_tarball"]
