"""Test doubles and test kits for apps and backends built on streaming_sync.

* ``InMemoryFetcher``, ``InMemoryRepository``, ``RecordingSink``: in-memory ports.
* ``RepositoryContract`` (``streaming_sync.testing.contract``): the pytest suite every
  ``Repository`` must pass; subclass it and provide a ``repository`` fixture.
* ``GitHubLikeServer`` (``streaming_sync.testing.github_server``): an aiohttp server on
  127.0.0.1 that serves a folder like GitHub's REST API does.
"""

from __future__ import annotations

from .memory import InMemoryFetcher, InMemoryRepository, RecordingSink

__all__ = ["InMemoryFetcher", "InMemoryRepository", "RecordingSink"]
