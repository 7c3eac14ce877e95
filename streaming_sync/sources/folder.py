"""A local folder as a source: the offline default.

Walks the folder recursively (in a thread, so the event loop never blocks on the disk),
keeps the paths the ``PathFilter`` admits, and hashes each file with the git blob SHA-1
-- the same value GitHub reports -- reading in chunks, so a huge file is never held in
memory.

Symbolic links to files are followed when their target stays inside the root (links to
folders are not descended into). A link that loops, dangles or points outside the
folder is listed -- with git's SHA of a link, the blob of its target path -- and
``fetch`` skips it with the reason, so the sync reports it and goes on.

A path that is not valid UTF-8 (``caf\\xe9.ttl`` from an old Latin-1 archive) is listed
under its escaped form (each undecodable byte as ``\\xNN``, Python's
``backslashreplace``) and skipped with the reason: no stored path is ever anything but
valid UTF-8 text. docs/reliability.md says why it is skipped rather than synced under an
encoded name.

Several files are read in batches (``fetch_many``, the optional ``BulkFetcher``): one
thread hop per batch of small files instead of one per file -- under a busy GIL each hop
can wait a switch interval. A file above ``BULK_FILE_BYTES``, one that cannot be read
or that changed since the listing is left to ``fetch``, which says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from .._aio import BATCH_BYTES, BATCH_FILES, batches_from_thread, in_batches
from .._config import PathFilter, check_file_size
from .._errors import (
    IntegrityError,
    PermanentFetchError,
    SkipFile,
    SourceNotFoundError,
)
from .._model import FileEntry, Listing, git_blob_sha1

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20

#: ``fetch_many`` reads files of at most this size, in batches of at most
#: ``BATCH_FILES`` files, each closed once it holds ``BATCH_BYTES`` (``_aio.in_batches``;
#: bigger files are fetched one by one: what a batch reads ahead is held outside the
#: sync's ``max_bytes_in_flight``).
BULK_FILE_BYTES = 1024 * 1024


def _blob_sha_of_file(path: Path, size: int) -> str:
    digest = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def shown_path(name: str) -> str:
    """``name`` (as ``os`` gives it: undecodable bytes as surrogates) as valid UTF-8
    text: each byte that is not UTF-8 becomes ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _is_utf8(name: str) -> bool:
    try:
        os.fsencode(name).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _inside(root: Path, real: str) -> bool:
    return os.path.commonpath([root, real]) == str(root)


def _link_problem(root: Path, path: Path) -> str | None:
    """Why the symbolic link ``path`` cannot be synced, or None (not a link, or a link
    to a file inside ``root``)."""
    if not path.is_symlink():
        return None
    target = shown_path(os.readlink(path))
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return f"a symbolic link that loops (-> {target}); fix or remove the link"
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return f"a symbolic link to {target}, which does not exist; fix or remove the link"
        return f"a symbolic link that cannot be followed (-> {target}: {error.strerror})"
    if not _inside(root, real):
        return f"a symbolic link to {target}, outside the folder; links are followed only inside it"
    return None


def _unusable(path: Path, relative: str, problem: str) -> tuple[FileEntry, str]:
    """The entry of a file that is listed only to be skipped with ``problem``: a link
    gets git's SHA of a link (the blob of its target path), anything else its content's."""
    shown = shown_path(relative)
    if path.is_symlink():
        target = os.fsencode(os.readlink(path))
        return FileEntry(shown, len(target), git_blob_sha1(target)), problem
    size = path.stat().st_size
    return FileEntry(shown, size, _blob_sha_of_file(path, size)), problem


class FolderFetcher:
    """Lists and reads the files below ``root``.

    ``max_file_size``: ``fetch`` reads at most that many bytes (plus one) of a file and
    skips a file that holds more (the sync checks the listed size before fetching).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        path_filter: PathFilter | None = None,
        max_file_size: int | None = None,
    ) -> None:
        self.root = Path(root)
        self.path_filter = path_filter or PathFilter()
        self.max_file_size = max_file_size
        # path -> why: the files the last listing holds only to skip them.
        self._unusable: dict[str, str] = {}
        # The root as the last listing resolved it: a fetch reads below that one.
        self._root_at_listing: Path | None = None

    def __repr__(self) -> str:
        return f"<FolderFetcher root={str(self.root)!r}>"

    @property
    def source(self) -> str:
        return str(self.root)

    async def list_files(self) -> Listing:
        listing, unusable = await asyncio.to_thread(self._list)
        self._unusable = unusable
        return listing

    async def fetch(self, entry: FileEntry) -> bytes:
        problem = self._unusable.get(entry.path)
        if problem is not None:
            raise SkipFile(entry.path, problem)
        data = await asyncio.to_thread(self._read, entry.path)
        if git_blob_sha1(data) != entry.sha:
            raise IntegrityError(
                f"{entry.path}: the file changed after it was listed; sync again",
                url=str(self.root / entry.path),
            )
        return data

    def wants_bulk(self, count: int) -> bool:
        """Two files or more are read in batches (``fetch_many``)."""
        return count > 1

    async def fetch_many(
        self, entries: Sequence[FileEntry]
    ) -> AsyncIterator[tuple[FileEntry, bytes]]:
        """The files of ``entries`` up to ``BULK_FILE_BYTES``, read in batches on a
        thread, in order; the others are left to ``fetch`` (module docstring)."""
        small = (e for e in entries if e.size <= BULK_FILE_BYTES and e.path not in self._unusable)
        batches = in_batches(small, _listed_size, files=BATCH_FILES, limit=BATCH_BYTES)

        def next_batch() -> list[tuple[FileEntry, bytes]]:
            for batch in batches:
                read = [(e, data) for e in batch if (data := self._read_listed(e)) is not None]
                if read:
                    return read
            return []

        async with contextlib.aclosing(batches_from_thread(next_batch)) as files:
            async for item in files:
                yield item

    async def aclose(self) -> None:
        return None

    def _resolved_root(self) -> Path:
        if not self.root.is_dir():
            raise SourceNotFoundError(
                f"{self.root}: not a folder; give the path of the folder to sync"
            )
        return self.root.resolve()

    def _list(self) -> tuple[Listing, dict[str, str]]:
        root = self._root_at_listing = self._resolved_root()
        found: dict[str, tuple[FileEntry, str | None]] = {}
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs.sort()
            base = Path(folder)
            for name in sorted(files):
                item = self._entry(root, base / name)
                if item is not None:
                    _add(found, *item)
        entries = sorted((entry for entry, _ in found.values()), key=lambda e: e.path.encode())
        # A listing names its content by a hash of its entries; an empty one has no
        # content to name (the hash of nothing would be git's well-known empty blob).
        commit = git_blob_sha1("\n".join(f"{e.sha} {e.path}" for e in entries).encode())
        commit = commit if entries else ""
        unusable = {path: problem for path, (_, problem) in found.items() if problem}
        return Listing(commit=commit, entries=tuple(entries), complete=True), unusable

    def _entry(self, root: Path, path: Path) -> tuple[FileEntry, str | None] | None:
        relative = path.relative_to(root).as_posix()
        if not self.path_filter(shown_path(relative)):
            return None
        try:
            problem = _link_problem(root, path)
            if problem is None and not _is_utf8(relative):
                problem = (
                    "the file name is not valid UTF-8 (undecodable bytes shown as \\xNN); "
                    "rename it to a UTF-8 name to sync it"
                )
            if problem is not None:
                return _unusable(path, relative, problem)
            stat = path.stat()
            if not path.is_file():
                return None
            return FileEntry(relative, stat.st_size, _blob_sha_of_file(path, stat.st_size)), None
        except FileNotFoundError:
            return None  # removed while we walked: it is simply not part of this listing
        except OSError as error:
            logger.warning("skipping %s: cannot read it (%s)", shown_path(relative), error.strerror)
            return None

    def _read_listed(self, entry: FileEntry) -> bytes | None:
        """``entry``'s bytes when they can be read and are still the listed ones, else
        None (``fetch`` says why)."""
        try:
            data = self._read(entry.path)
        except (PermanentFetchError, SkipFile):
            return None
        return data if git_blob_sha1(data) == entry.sha else None

    def _read(self, relative: str) -> bytes:
        root = self._root_at_listing or self._resolved_root()
        path = root / relative
        if ".." in Path(relative).parts or not _inside(root, os.path.realpath(path)):
            raise PermanentFetchError(f"{relative}: path escapes the folder {root}")
        limit = self.max_file_size
        try:
            with path.open("rb") as handle:
                # One byte past what is there (or the limit) tells a file that grew; a
                # bare read(limit + 1) would allocate the whole limit for every file.
                size = os.fstat(handle.fileno()).st_size
                data = handle.read((size if limit is None else min(size, limit)) + 1)
        except FileNotFoundError:
            raise PermanentFetchError(
                f"{relative}: the file was removed after it was listed; sync again"
            ) from None
        except OSError as error:
            raise PermanentFetchError(f"{relative}: cannot read it ({error.strerror})") from None
        check_file_size(relative, len(data), limit, read=True)
        return data


def _listed_size(entry: FileEntry) -> int:
    return entry.size


def _add(
    found: dict[str, tuple[FileEntry, str | None]], entry: FileEntry, problem: str | None
) -> None:
    """Add ``entry``; when an escaped name equals a real one (a file literally named
    ``caf\\xe9.ttl``), the real file keeps the path and the other is left out."""
    taken = found.get(entry.path)
    if taken is None:
        found[entry.path] = (entry, problem)
        return
    if problem is None:
        found[entry.path] = (entry, problem)
    logger.warning(
        "leaving out a file listed as %s: its escaped name is the name of another file",
        entry.path,
    )


__all__ = ["FolderFetcher", "shown_path"]
