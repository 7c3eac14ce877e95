"""The PostgreSQL storage backend (``pip install 'streaming_sync[postgres]'``):
``PostgresRepository`` (a ``Repository``, a ``CheckpointStore``, the HTTP validator
cache and the run history) on an asyncpg pool, and ``PostgresCoordinator``, the work
table of the shared sync.

The modules behind it: ``_repository`` (the repository and the translation of asyncpg's
errors), ``_sql`` (the SQL text of the per-file write, keyed like the statements of
``storage._write``), ``_schema`` (versioned migrations) and ``_coordinator``.
"""

from __future__ import annotations

try:
    import asyncpg  # noqa: F401 -- imported first so a missing extra is named here
except ImportError as missing:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        f"the PostgreSQL backend needs asyncpg ({missing}); "
        "install it with: pip install 'streaming_sync[postgres]'"
    ) from missing

from ._coordinator import DEFAULT_JOIN_WAIT, DEFAULT_LEASE, PostgresCoordinator
from ._repository import DEFAULT_SCHEMA, PostgresRepository

__all__ = [
    "DEFAULT_JOIN_WAIT",
    "DEFAULT_LEASE",
    "DEFAULT_SCHEMA",
    "PostgresCoordinator",
    "PostgresRepository",
]
