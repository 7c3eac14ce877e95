"""The tarball reader's own parts (private units): ``TarPicker.next_files`` hands the
requested files over in bounded batches, and ``SyncStreamReader.close`` stops a read
that waits for the download. (The whole path, hostile archives included, is tested
against the GitHub-like server in ``test_github_fetcher.py``.)"""

from __future__ import annotations

import asyncio
import io
import tarfile
import threading
import time

import pytest

from streaming_sync import FileEntry, git_blob_sha1
from streaming_sync.sources._github_tar import SyncStreamReader, TarPicker
from streaming_sync.testing._git_objects import make_tarball

TOP = "octo-org-ontology-0123456"


def _archive(files: dict[str, bytes]) -> tuple[bytes, dict[str, FileEntry]]:
    members = []
    for path, data in files.items():
        info = tarfile.TarInfo(f"{TOP}/{path}")
        info.size = len(data)
        members.append((info, data))
    wanted = {p: FileEntry(p, len(d), git_blob_sha1(d)) for p, d in files.items()}
    return make_tarball(members), wanted


def _picker(archive: bytes, wanted: dict[str, FileEntry]) -> TarPicker:
    return TarPicker(io.BytesIO(archive), wanted, folder="", max_file_size=None)  # type: ignore[arg-type]


def test_next_files_hands_over_bounded_batches_in_archive_order() -> None:
    """At most ``files`` files, none added once ``size`` bytes are held, at least one
    however big; every requested file once, in the archive's order; then empty."""
    files = {f"pages/p{i:02}.md": f"- page {i}\n".encode() * 10 for i in range(70)}
    files["pages/zz-big.md"] = b"x" * 50_000
    files["pages/zz-after.md"] = b"- after\n"
    archive, wanted = _archive(files)
    picker = _picker(archive, wanted)
    try:
        sizes = []
        got: list[tuple[FileEntry, bytes]] = []
        while batch := picker.next_files(files=32, size=20_000):
            sizes.append(len(batch))
            got += batch
    finally:
        picker.close()
    assert [e.path for e, _ in got] == list(files)
    assert all(data == files[e.path] for e, data in got)
    # 70 pages of 110 bytes: 32, 32, then the 6 left and the big file (added while
    # under the bound, which it passes), then the last file alone.
    assert sizes == [32, 32, 7, 1]


def test_next_files_skips_what_was_not_requested_and_what_does_not_match() -> None:
    files = {f"p{i}.md": f"- {i}\n".encode() for i in range(5)}
    archive, wanted = _archive(files)
    del wanted["p1.md"]
    wanted["p2.md"] = FileEntry("p2.md", len(files["p2.md"]), "0" * 40)  # another SHA
    picker = _picker(archive, wanted)
    try:
        got = [e.path for e, _ in picker.next_files()]
        assert picker.next_files() == []
    finally:
        picker.close()
    assert got == ["p0.md", "p3.md", "p4.md"]


async def test_closing_the_reader_stops_a_read_waiting_for_the_download() -> None:
    """A read waiting for bytes that do not come (a stalled download) ends at once with
    ``ValueError`` when the reader is closed, not after its timeout: a tarball
    abandoned half way does not keep its reading thread for ``request_timeout``."""
    never, asked = asyncio.Event(), asyncio.Event()

    async def stalled(n: int) -> bytes:
        asked.set()
        await never.wait()
        return b""

    reader = SyncStreamReader(stalled, asyncio.get_running_loop(), timeout=60.0)
    outcome: list[BaseException | int] = []

    def read() -> None:
        try:
            outcome.append(reader.readinto(bytearray(16)))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=read)
    thread.start()
    await asked.wait()  # the read waits for the download
    start = time.monotonic()
    reader.close()
    await asyncio.to_thread(thread.join, 30)
    assert not thread.is_alive() and time.monotonic() - start < 30
    (error,) = outcome
    assert isinstance(error, ValueError) and "closed" in str(error)
    with pytest.raises(ValueError, match="closed"):
        reader.readinto(bytearray(16))
