"""Database names: which backend a ``db`` value (``--db``, ``from_source(db=...)``) names.
The one place that knows, so the wiring, the CLI and the backends never disagree."""

from __future__ import annotations

import os

#: The URL schemes of a PostgreSQL database (libpq accepts both).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(db: str | os.PathLike[str]) -> bool:
    """Whether ``db`` names a PostgreSQL database (a ``postgresql://`` or ``postgres://``
    URL) rather than a SQLite file path."""
    return isinstance(db, str) and db.startswith(POSTGRES_SCHEMES)


__all__ = ["POSTGRES_SCHEMES", "is_postgres"]
