"""A local folder as a source: the offline default.

Walks the folder recursively (in a thread, so the event loop never blocks on the disk),
keeps the paths the ``PathFilter`` admits, and hashes each file with the git blob SHA-1
-- the same value GitHub reports -- reading in chunks, so a huge file is never held in
memory. Symbolic links are followed only when their target stays inside the root.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from pathlib import Path

from .._config import PathFilter
from .._errors import (
    FileSkipped,
    IntegrityError,
    PermanentFetchError,
    SourceNotFoundError,
)
from .._model import FileEntry, Listing, git_blob_sha1

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


def _blob_sha_of_file(path: Path, size: int) -> str:
    digest = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FolderFetcher:
    """Lists and reads the files below ``root``.

    ``max_file_size``: larger files are listed (hashed in chunks) but ``fetch`` skips
    them with a reason instead of reading them.
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

    def __repr__(self) -> str:
        return f"<FolderFetcher root={str(self.root)!r}>"

    @property
    def source(self) -> str:
        return str(self.root)

    async def list_files(self) -> Listing:
        return await asyncio.to_thread(self._list)

    async def fetch(self, entry: FileEntry) -> bytes:
        if self.max_file_size is not None and entry.size > self.max_file_size:
            raise FileSkipped(
                entry.path, f"{entry.size} bytes is over the size limit of {self.max_file_size}"
            )
        data = await asyncio.to_thread(self._read, entry.path)
        if git_blob_sha1(data) != entry.sha:
            raise IntegrityError(
                f"{entry.path}: the file changed after it was listed; sync again",
                url=str(self.root / entry.path),
            )
        return data

    async def aclose(self) -> None:
        return None

    def _resolved_root(self) -> Path:
        if not self.root.is_dir():
            raise SourceNotFoundError(
                f"{self.root}: not a folder; give the path of the folder to sync"
            )
        return self.root.resolve()

    def _list(self) -> Listing:
        root = self._resolved_root()
        entries: list[FileEntry] = []
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs.sort()
            base = Path(folder)
            for name in sorted(files):
                entry = self._entry(root, base / name)
                if entry is not None:
                    entries.append(entry)
        entries.sort(key=lambda e: e.path.encode())
        commit = git_blob_sha1("\n".join(f"{e.sha} {e.path}" for e in entries).encode())
        return Listing(commit=commit, entries=tuple(entries), complete=True)

    def _entry(self, root: Path, path: Path) -> FileEntry | None:
        relative = path.relative_to(root).as_posix()
        if not self.path_filter(relative):
            return None
        if path.is_symlink() and not self._inside(root, path):
            logger.warning("skipping %s: a link that points outside the folder", relative)
            return None
        try:
            stat = path.stat()
            if not path.is_file():
                return None
            return FileEntry(relative, stat.st_size, _blob_sha_of_file(path, stat.st_size))
        except FileNotFoundError:
            return None  # removed while we walked: it is simply not part of this listing
        except OSError as error:
            logger.warning("skipping %s: cannot read it (%s)", relative, error.strerror)
            return None

    @staticmethod
    def _inside(root: Path, path: Path) -> bool:
        try:
            path.resolve().relative_to(root)
        except (ValueError, OSError):
            return False
        return True

    def _read(self, relative: str) -> bytes:
        root = self._resolved_root()
        path = root / relative
        if ".." in Path(relative).parts or not self._inside(root, path):
            raise PermanentFetchError(f"{relative}: path escapes the folder {root}")
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise PermanentFetchError(
                f"{relative}: the file was removed after it was listed; sync again"
            ) from None
        except OSError as error:
            raise PermanentFetchError(f"{relative}: cannot read it ({error.strerror})") from None


__all__ = ["FolderFetcher"]
