"""Reading a GitHub tarball as a stream, picking out requested files safely.

``SyncStreamReader`` turns an async ``read(n)`` (an HTTP response body) into a blocking
file object for a worker thread, so ``tarfile`` in stream mode (``r|gz``) decompresses
off the event loop and the archive is never held whole in memory or on disk.
``TarPicker.next_files`` (run in a thread, one call at a time) returns the next requested,
verified files, several per call: each call is a hop between the event loop and a thread,
and under a busy GIL each hop can wait a switch interval (see ``next_files``). It ignores
every member that is not a regular file (symlinks, hard links, devices, FIFOs), names
that are absolute or contain ``..``, files outside the folder, files over the size limit,
and files whose bytes do not hash to the listed SHA.

GitHub puts everything under one top-level folder ``{owner}-{repo}-{sha7}/``; the first
path segment is dropped whatever it is called.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import logging
import tarfile
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from .._aio import BATCH_BYTES, BATCH_FILES, in_batches
from .._model import FileEntry, git_blob_sha1

logger = logging.getLogger(__name__)

AsyncRead = Callable[[int], Coroutine[Any, Any, bytes]]


class SyncStreamReader(io.RawIOBase):
    """A blocking, non-seekable reader over an async ``read(n)`` running on ``loop``.

    Call it only from a worker thread while ``loop`` runs; each read waits at most
    ``timeout`` seconds. ``close()`` makes further reads fail fast."""

    def __init__(self, read: AsyncRead, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        super().__init__()
        self._read = read
        self._loop = loop
        self._timeout = timeout
        self._reading: concurrent.futures.Future[bytes] | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._check_open()
        view = memoryview(buffer).cast("B")
        future = asyncio.run_coroutine_threadsafe(self._read(len(view)), self._loop)
        self._reading = future
        if self.closed:  # closed meanwhile, before this read could be seen and stopped
            future.cancel()
        try:
            data = future.result(self._timeout)
        except concurrent.futures.CancelledError:
            raise ValueError("the tarball stream was closed") from None
        finally:
            self._reading = None
        view[: len(data)] = data
        return len(data)

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("the tarball stream was closed")

    def close(self) -> None:
        """Further reads fail fast, and a read waiting for the download is stopped."""
        super().close()  # first: a read starting now sees it (``readinto``)
        reading = self._reading
        if reading is not None:
            reading.cancel()


def _size(item: tuple[FileEntry, bytes]) -> int:
    return len(item[1])


def member_path(name: str, folder: str) -> str | None:
    """The path of a tar member relative to ``folder`` (below the archive's top-level
    folder), or None when the name is unsafe or outside ``folder``."""
    if name.startswith("/") or "\\" in name:
        return None
    parts = name.split("/")
    if any(p in ("..", ".") for p in parts) or len(parts) < 2:
        return None
    rest = [p for p in parts[1:] if p]
    if not rest:
        return None
    path = "/".join(rest)
    if not folder:
        return path
    prefix = folder + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


#: The size of the compressed reads from the download (``tarfile``'s own, 10 KiB, would be
#: a hop to the event loop per 10 KiB).
READ_BYTES = 256 * 1024


class TarPicker:
    """Walks a gzip tar stream once, returning the requested files one by one."""

    def __init__(
        self,
        stream: io.RawIOBase,
        wanted: Mapping[str, FileEntry],
        *,
        folder: str,
        max_file_size: int | None,
    ) -> None:
        # The stream read READ_BYTES at a time (each read is a hop to the event loop and
        # back), ``tarfile`` taking its 10 KiB blocks from that buffer: its own buffer
        # is copied at every read, it must stay small.
        buffered = io.BufferedReader(stream, READ_BYTES)
        self._tar = tarfile.open(fileobj=buffered, mode="r|gz")  # noqa: SIM115 -- closed in close()
        #: The commit the archive says it holds (``git archive`` writes it in the pax
        #: global header that opens the archive; read with the first member), or None.
        self.commit: str | None = self._tar.pax_headers.get("comment") or None
        self._wanted = dict(wanted)
        self._folder = folder
        self._max = max_file_size
        self.ignored = 0

    def want(self, wanted: Mapping[str, FileEntry]) -> None:
        """Pick ``wanted`` from here on (a picker opened before the listing was read)."""
        self._wanted = dict(wanted)

    def close(self) -> None:
        self._tar.close()

    def next_files(
        self, files: int = BATCH_FILES, size: int = BATCH_BYTES
    ) -> list[tuple[FileEntry, bytes]]:
        """The next requested files (see ``next_file``), at most ``files`` of them and
        no more once they hold ``size`` bytes (at least one file, however big); empty
        at the end. Blocking: call it in a thread.

        One call per batch, not per file: the event loop and this thread each wait for
        the other at every call, and while a parse or a write holds the GIL that wait
        can last a switch interval (5 ms) -- per file, it paced a whole sync of small
        files (docs/performance.md, "Stop 21")."""
        requested = iter(self.next_file, None)
        return next(in_batches(requested, _size, files=files, limit=size), [])

    def next_file(self) -> tuple[FileEntry, bytes] | None:
        """The next requested file whose bytes match its SHA; None at the end or once
        every requested file was delivered. Blocking: call it in a thread."""
        while self._wanted:
            member = self._tar.next()
            if member is None:
                return None
            entry = self._accept(member)
            if entry is None:
                continue
            handle = self._tar.extractfile(member)
            if handle is None:
                continue
            data = handle.read()
            del self._wanted[entry.path]
            if git_blob_sha1(data) != entry.sha:
                logger.warning("tarball: %s does not match its listed SHA; not used", entry.path)
                continue
            return entry, data
        return None

    def _accept(self, member: tarfile.TarInfo) -> FileEntry | None:
        path = member_path(member.name, self._folder)
        if not member.isreg() or path is None:
            if member.isdir() or member.type == tarfile.XGLTYPE:
                return None
            self.ignored += 1
            logger.debug("tarball: ignored member %r (type %r)", member.name, member.type)
            return None
        entry = self._wanted.get(path)
        if entry is None or member.size != entry.size:
            return None
        if self._max is not None and member.size > self._max:
            return None
        return entry


__all__ = [
    "BATCH_BYTES",
    "BATCH_FILES",
    "READ_BYTES",
    "SyncStreamReader",
    "TarPicker",
    "member_path",
]
