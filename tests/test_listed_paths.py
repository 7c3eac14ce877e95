"""A listed path no database can store (not valid UTF-8 text, or holding a NUL) -- which
a ``Fetcher`` of a user's own may list -- is skipped with the reason under a shown form;
the other files land and the writer never sees it."""

from __future__ import annotations

from pathlib import Path

from streaming_sync import (
    FileEntry,
    Listing,
    Outcome,
    SqliteRepository,
    StreamingSyncService,
    SyncConfig,
    git_blob_sha1,
)

PAGE = b"- Thing\n  ### OntologyBlock\n    - owl:class:: ex:Thing\n"
NUL_PATH = "bad\x00name.md"
SURROGATE_PATH = "caf\udce9.md"


class OddFetcher:
    """A user's fetcher that lists two unstorable paths beside a good one."""

    source = "odd:"

    def __init__(self) -> None:
        self.fetched: list[str] = []

    async def list_files(self) -> Listing:
        sha = git_blob_sha1(PAGE)
        paths = ("good.md", NUL_PATH, SURROGATE_PATH)
        return Listing("c1", tuple(FileEntry(p, len(PAGE), sha) for p in paths))

    async def fetch(self, entry: FileEntry) -> bytes:
        self.fetched.append(entry.path)
        return PAGE

    async def aclose(self) -> None:
        return None


async def test_unstorable_paths_are_skipped_with_the_reason(tmp_path: Path) -> None:
    """Both odd paths are skipped (shown as \\x00 and \\udce9, the reasons naming the
    problem) without being fetched; the good file lands; the report is stored."""
    fetcher = OddFetcher()
    async with (
        await SqliteRepository.open(tmp_path / "s.db") as repo,
        StreamingSyncService(
            fetcher=fetcher, repository=repo, config=SyncConfig(parse_processes=0)
        ) as service,
    ):
        report = await service.sync()
        _, stored = await repo.load("default")
    assert report.outcome is Outcome.SUCCEEDED
    assert report.files.succeeded == 1 and report.files.skipped == 2
    reasons = {s.path: s.reason for s in report.skipped}
    assert "NUL" in reasons["bad\\x00name.md"]
    assert "UTF-8" in reasons["caf\\udce9.md"]
    assert fetcher.fetched == ["good.md"]
    assert stored is not None and stored.skipped == report.skipped
