"""The repository contract, run against every Repository we ship."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streaming_sync import Repository
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
