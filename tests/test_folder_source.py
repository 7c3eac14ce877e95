"""The local-folder source: what it lists, how it hashes, what it refuses to follow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from streaming_sync import (
    FileEntry,
    IntegrityError,
    PathFilter,
    SkipFile,
    SourceNotFoundError,
    git_blob_sha1,
)
from streaming_sync.sources import folder
from streaming_sync.sources.folder import FolderFetcher


def write(root: Path, relative: str, data: bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def test_lists_recursively_with_git_blob_shas_of_real_files(corpus: Path) -> None:
    """The SHA of each listed RDF file equals the git blob SHA recorded in FILES.tsv."""
    listing = await FolderFetcher(corpus / "rdf").list_files()
    expected = {}
    for line in (corpus / "rdf" / "FILES.tsv").read_text().splitlines()[1:]:
        path, size, _, blob = line.split("\t")
        expected[path] = (int(size), blob)
    got = {e.path: (e.size, e.sha) for e in listing.entries}
    assert {p: got[p] for p in expected} == expected
    for path in set(got) - set(expected):  # files FILES.tsv does not list: hash them here
        data = (corpus / "rdf" / path).read_bytes()
        assert got[path] == (len(data), git_blob_sha1(data))
    assert listing.complete


async def test_include_and_exclude_globs(tmp_path: Path) -> None:
    """Name patterns match the file name; patterns with '/' match the whole path."""
    for name in ["a.md", "b.ttl", "c.txt", "drafts/d.md", "deep/x/e.owl"]:
        write(tmp_path, name, b"x")
    default = await FolderFetcher(tmp_path).list_files()
    assert [e.path for e in default.entries] == ["a.md", "b.ttl", "deep/x/e.owl", "drafts/d.md"]
    filtered = FolderFetcher(
        tmp_path,
        path_filter=PathFilter(include=["*.md"], exclude=[*PathFilter().exclude, "drafts/*"]),
    )
    assert [e.path for e in (await filtered.list_files()).entries] == ["a.md"]


async def test_never_follows_links_out_of_the_root(tmp_path: Path) -> None:
    """A symlink to a file inside the folder is followed; one to a file outside is
    listed only to be skipped with the reason (its target is never read); a link to a
    folder is not descended into."""
    outside = tmp_path / "secret.md"
    outside.write_bytes(b"secret")
    root = tmp_path / "root"
    write(root, "inside.md", b"inside")
    os.symlink(outside, root / "escape.md")
    os.symlink(root / "inside.md", root / "alias.md")
    os.symlink(tmp_path, root / "loop")
    fetcher = FolderFetcher(root)
    entries = {e.path: e for e in (await fetcher.list_files()).entries}
    assert list(entries) == ["alias.md", "escape.md", "inside.md"]
    assert await fetcher.fetch(entries["alias.md"]) == b"inside"
    with pytest.raises(SkipFile, match="outside the folder"):
        await fetcher.fetch(entries["escape.md"])


async def test_fetch_verifies_content_and_size_limit(tmp_path: Path) -> None:
    """fetch returns the bytes; a file changed since listing is an integrity error; a file
    holding more than max_file_size bytes is skipped after reading at most one byte
    more (the shared size rule, on the bytes actually read)."""
    write(tmp_path, "a.md", b"hello")
    fetcher = FolderFetcher(tmp_path, max_file_size=3)
    (entry,) = (await FolderFetcher(tmp_path).list_files()).entries
    assert entry.sha == git_blob_sha1(b"hello")
    with pytest.raises(SkipFile, match="more than max_file_size=3 bytes"):
        await fetcher.fetch(entry)
    assert await FolderFetcher(tmp_path).fetch(entry) == b"hello"
    write(tmp_path, "a.md", b"changed")
    with pytest.raises(IntegrityError, match="changed after it was listed"):
        await FolderFetcher(tmp_path).fetch(entry)


async def test_fetch_many_reads_small_files_in_batches_and_leaves_the_rest_to_fetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fetch_many`` yields the small files, in listing order, read in batches (here of
    at most 3); a file over ``BULK_FILE_BYTES``, one listed only to be skipped (a link
    out of the folder) and one changed since the listing are not yielded -- ``fetch``
    then gives them, or says why not."""
    monkeypatch.setattr(folder, "BATCH_FILES", 3)
    root = tmp_path / "root"
    for i in range(8):
        write(root, f"pages/p{i}.md", f"- page {i}\n".encode())
    write(root, "big.ttl", b"#" * (folder.BULK_FILE_BYTES + 1))
    (tmp_path / "elsewhere.md").write_bytes(b"elsewhere")
    os.symlink(tmp_path / "elsewhere.md", root / "escape.md")
    write(root, "pages/changed.md", b"before")
    fetcher = FolderFetcher(root)
    listing = await fetcher.list_files()
    assert fetcher.wants_bulk(len(listing.entries)) and not fetcher.wants_bulk(1)
    write(root, "pages/changed.md", b"after")
    got = [(e.path, data) async for e, data in fetcher.fetch_many(listing.entries)]
    assert got == [(f"pages/p{i}.md", f"- page {i}\n".encode()) for i in range(8)]
    entries = {e.path: e for e in listing.entries}
    assert await fetcher.fetch(entries["big.ttl"]) == b"#" * (folder.BULK_FILE_BYTES + 1)
    with pytest.raises(SkipFile, match="outside the folder"):
        await fetcher.fetch(entries["escape.md"])
    with pytest.raises(IntegrityError, match="changed after it was listed"):
        await fetcher.fetch(entries["pages/changed.md"])


async def test_fetch_many_stopped_early_ends_cleanly(tmp_path: Path) -> None:
    """A consumer that stops after the first file (the read ahead still running) ends
    the iteration without an error."""
    for i in range(100):
        write(tmp_path, f"p{i:03}.md", b"- page\n" * 100)
    fetcher = FolderFetcher(tmp_path)
    listing = await fetcher.list_files()
    files = fetcher.fetch_many(listing.entries)
    entry, data = await anext(files)
    await files.aclose()
    assert entry.path == "p000.md" and data == b"- page\n" * 100


async def test_missing_folder_is_a_clear_fatal_error(tmp_path: Path) -> None:
    """Listing a folder that does not exist names it and is fatal."""
    with pytest.raises(SourceNotFoundError, match="not a folder") as caught:
        await FolderFetcher(tmp_path / "nope").list_files()
    assert caught.value.fatal


async def test_fetch_refuses_paths_that_escape(tmp_path: Path) -> None:
    """A hostile entry path with '..' is refused, never read."""
    (tmp_path / "root").mkdir()
    write(tmp_path, "outside.md", b"x")
    from streaming_sync import PermanentFetchError

    with pytest.raises(PermanentFetchError, match="escapes"):
        await FolderFetcher(tmp_path / "root").fetch(FileEntry("../outside.md", 1, "0"))


def test_path_filter_defaults_skip_git_folders() -> None:
    """The default filter keeps ontology formats and skips .git internals."""
    keep = PathFilter()
    assert keep("pages/a.md") and keep("x.ttl") and not keep(".git/a.md")
    assert not keep("pages/a.png")
