"""The repository contract, run against every Repository we ship."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streaming_sync import BatchWriter, Repository, StreamWriter
from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync.testing.contract import RepositoryContract
from streaming_sync.testing.memory import InMemoryRepository


class TestInMemoryRepository(RepositoryContract):
    """The reference implementation passes its own contract."""

    @pytest.fixture
    async def repository(self) -> Repository:
        return InMemoryRepository()


class TestSqliteFileRepository(RepositoryContract):
    """SQLite on a real file (WAL); foreign keys and integrity checked after each step."""

    @pytest.fixture
    async def repository(self, db_path: Path) -> AsyncIterator[Repository]:
        async with await SqliteRepository.open(db_path) as repo:
            yield repo

    async def check_invariants(self, repository: Repository) -> None:
        assert isinstance(repository, SqliteRepository)
        assert await repository.check_integrity() == []


class TestSqliteMemoryRepository(RepositoryContract):
    """SQLite in memory (no WAL) behaves the same."""

    @pytest.fixture
    async def repository(self) -> AsyncIterator[Repository]:
        async with await SqliteRepository.open(":memory:") as repo:
            yield repo

    async def check_invariants(self, repository: Repository) -> None:
        assert isinstance(repository, SqliteRepository)
        assert await repository.check_integrity() == []


class BaseOnlyRepository:
    """A user's repository with the port alone (no optional capability): the reference
    semantics behind exactly the five methods of ``Repository``."""

    def __init__(self) -> None:
        self._inner = InMemoryRepository()
        self.save_file = self._inner.save_file
        self.remove_file = self._inner.remove_file
        self.committed_files = self._inner.committed_files
        self.snapshot = self._inner.snapshot
        self.aclose = self._inner.aclose


class TestBaseOnlyRepository(RepositoryContract):
    """A repository without BatchWriter/StreamWriter passes the contract: their tests
    are skipped, not failed."""

    @pytest.fixture
    async def repository(self) -> Repository:
        repo = BaseOnlyRepository()
        assert isinstance(repo, Repository)
        assert not isinstance(repo, BatchWriter | StreamWriter)
        return repo


async def test_shipped_repositories_declare_group_commit_and_streamed_saves() -> None:
    """SQLite and the in-memory reference are BatchWriters and StreamWriters (so the
    contract holds them to both; PostgreSQL: tests/test_postgres.py)."""
    async with await SqliteRepository.open(":memory:") as sqlite:
        for repo in (sqlite, InMemoryRepository()):
            assert isinstance(repo, BatchWriter)
            assert isinstance(repo, StreamWriter)
