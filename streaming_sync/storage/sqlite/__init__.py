"""The SQLite storage backend: ``SqliteRepository`` (a ``Repository``, a
``CheckpointStore``, the run lock, the HTTP validator cache and the run history) on one
stdlib ``sqlite3`` connection that owns one thread.

It also holds ``migrate`` and ``restore`` (what ``streaming-sync migrate`` and
``restore`` run) and ``SqliteReadEngine``, the read API's SQL engine
(``OntologyReader.open`` picks it).

The modules behind it: ``_repository`` (the repository), ``_connection`` (the
connection's thread), ``_sql`` (the SQL text of the per-file write, keyed like the
statements of ``storage._write``), ``_schema`` (DDL and the checks run on open),
``_migrate``/``_upgrade``/``_legacy``/``_backup`` (``streaming-sync migrate`` and
``restore``), ``_lock`` (the run lock) and ``_read`` (the read API's SQL engine).
"""

from __future__ import annotations

from ._migrate import MigrationResult, RestoreResult, migrate, restore
from ._read import SqliteReadEngine, database_file
from ._repository import DEFAULT_BUSY_TIMEOUT, SqliteRepository

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "MigrationResult",
    "RestoreResult",
    "SqliteReadEngine",
    "SqliteRepository",
    "database_file",
    "migrate",
    "restore",
]
