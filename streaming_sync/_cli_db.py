"""``--db`` checked before anything opens it, so a mistake is a usage error that names
the real cause -- a folder that does not exist, a folder given as the file, a file that
is not a SQLite database (with what it starts with) -- and nothing is created."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ._errors import ConfigError, describe_start
from .storage._names import is_postgres

#: The first 16 bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"


def is_new_database(db: str) -> bool:
    """Whether ``db`` is a SQLite file that does not exist yet (a sync would create it)."""
    return not is_postgres(db) and not os.path.lexists(db)


def check_database_path(db: str, *, must_exist: bool) -> None:
    """``ConfigError`` when the SQLite path ``db`` cannot be a database (a PostgreSQL URL
    passes: its server says what is wrong). ``must_exist``: for commands that only read
    or change an existing database."""
    if is_postgres(db):
        return
    path = Path(db)
    if path.is_dir():
        raise ConfigError(f"--db {db} is a folder: give the path of a database file")
    folder = path.absolute().parent
    if not folder.is_dir():
        raise ConfigError(
            f"--db {db}: the folder {folder} does not exist; create it first, or give a"
            " path in an existing folder"
        )
    if not path.exists():
        if must_exist:
            raise ConfigError(f"--db {db}: no such database file; run a sync first")
        return
    problem = not_sqlite(path)
    if problem is not None:
        raise ConfigError(f"--db {db} {problem}")


def not_sqlite(path: Path) -> str | None:
    """Why the file at ``path`` is not a SQLite database, or None (it is one, it is empty
    -- SQLite makes an empty file a new database --, or it cannot be read: SQLite then
    says why)."""
    try:
        with path.open("rb") as file:
            head = file.read(64)
    except OSError:
        return None
    if not head or head.startswith(SQLITE_HEADER):
        return None
    return (
        f"is not a SQLite database: it starts with {describe_start(head)}. Give the path"
        " of a streaming_sync database, or of a new file to create; nothing was changed"
    )


def writable_problem(db: str) -> str | None:
    """Why a sync could not write ``db`` (a SQLite path), or None: tried for real --
    opening the file to append and creating a file beside it, as SQLite's -wal and -shm
    files are -- because permission bits say nothing to root (nor about a read-only
    mount or an immutable file). Nothing is written."""
    path = Path(db)
    try:
        if path.exists():
            with path.open("ab"):
                pass
        with tempfile.NamedTemporaryFile(dir=path.absolute().parent, prefix=".streaming-sync-"):
            pass
    except OSError as error:
        where = error.filename or str(path.absolute().parent)
        return f"cannot write {where}: {error.strerror}"
    return None


__all__ = [
    "SQLITE_HEADER",
    "check_database_path",
    "is_new_database",
    "not_sqlite",
    "writable_problem",
]
