"""Backups of a SQLite database, and ``streaming-sync restore``.

:func:`copy_database` copies with SQLite's online backup API (one consistent state, also
while others use the source). :func:`restore` puts a backup back, and refuses -- with
nothing changed -- a backup that is empty, damaged, or not a streaming_sync database of
a schema this version can use (schema 1, or a legacy schema ``migrate`` knows), a target
that is the backup itself, and a target in use or locked by a live sync. The database
it replaces is always kept beside it as ``NAME.replaced-<timestamp>`` (one that is not a
usable database at all is moved to ``NAME.unusable-<timestamp>`` with its ``-wal`` and
``-shm``), unless the caller says ``keep=False``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

import attrs

from ..._errors import ConfigError, DatabaseLockedError, FatalStorageError, SchemaError
from . import _legacy as legacy
from . import _schema as schema
from ._connection import translate_error

logger = logging.getLogger(__name__)

#: A run lock whose heartbeat is younger than this many seconds means "in use".
_LIVE_LOCK_S = 30.0
#: The tables any streaming_sync database of schema 1 has had from the start.
_CORE_TABLES = frozenset({"owl_classes", "sync_files", "schema_version"})
_SIDE_FILES = ("", "-wal", "-shm")


@attrs.frozen
class RestoreResult:
    """What ``restore`` did: ``kept`` is where the replaced database went (None when there
    was none, or ``keep=False``); ``unusable`` when it was not a usable database."""

    database: str
    backup: str
    kept: str | None = None
    unusable: bool = False


def backup_path(database: str | os.PathLike[str], kind: str = "backup") -> Path:
    """A new timestamped file beside ``database``: ``NAME.backup-YYYYmmddTHHMMSSZ``."""
    db = Path(database)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    candidate = db.with_name(f"{db.name}.{kind}-{stamp}")
    n = 1
    while candidate.exists():
        candidate = db.with_name(f"{db.name}.{kind}-{stamp}-{n}")
        n += 1
    return candidate


def connect_ro(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A read-only connection (``mode=ro``: never creates or changes the file)."""
    uri = "file:" + quote(os.path.abspath(os.fspath(path))) + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=5.0)


def copy_database(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Copy ``source`` into ``target`` with SQLite's online backup API (blocking: call it
    in a thread). Safe while others use ``source``: the copy is one consistent state."""
    src = connect_ro(source)
    try:
        dst = sqlite3.connect(os.fspath(target), timeout=0)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise translate_error(exc, os.fspath(source), f"copying to {target}") from exc
    finally:
        src.close()


async def restore(
    database: str | os.PathLike[str], backup: str | os.PathLike[str], *, keep: bool = True
) -> RestoreResult:
    """Put ``backup`` back into ``database`` (see the module docstring)."""
    return await asyncio.to_thread(_restore, os.fspath(database), os.fspath(backup), keep)


def _restore(database: str, backup: str, keep: bool) -> RestoreResult:
    if not Path(backup).is_file():
        raise ConfigError(f"--backup {backup}: no such file")
    if Path(database).exists() and os.path.samefile(database, backup):
        raise ConfigError(f"--backup {backup} is the database itself; nothing was changed")
    check_backup(backup)
    if not Path(database).exists():
        copy_database(backup, database)
        return RestoreResult(database, backup)
    if not _usable(database):
        kept = _set_aside(database, keep)
        copy_database(backup, database)
        return RestoreResult(database, backup, kept, unusable=True)
    _refuse_in_use(database)
    kept = None
    if keep:
        kept = str(backup_path(database, "replaced"))
        copy_database(database, kept)
    copy_database(backup, database)
    logger.info("%s: restored from %s; the replaced database is at %s", database, backup, kept)
    return RestoreResult(database, backup, kept)


def check_backup(backup: str) -> None:
    """Refuse (nothing changed) a backup that is empty, damaged, or not a streaming_sync
    database of a schema this version can use."""
    if Path(backup).stat().st_size == 0:
        raise FatalStorageError(
            f"{backup}: the file is empty (0 bytes), not a backup -- perhaps it was cut "
            "short by a full disk; nothing was changed"
        )
    try:
        connection = connect_ro(backup)
        try:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            columns: dict[str, set[str]] = {}
            for table, column in connection.execute(schema.COLUMNS_QUERY):
                columns.setdefault(str(table), set()).add(str(column))
            version = None
            if "schema_version" in columns:
                version = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise FatalStorageError(
            f"{backup}: not a usable backup ({exc}); nothing was changed"
        ) from exc
    if result != ["ok"]:
        raise FatalStorageError(
            f"{backup}: the backup fails its integrity check ({'; '.join(result[:3])});"
            " nothing was changed"
        )
    _check_schema(backup, columns, None if version is None else version[0])


def _check_schema(backup: str, columns: dict[str, set[str]], version: object) -> None:
    try:
        if legacy.detect(columns) is not None:
            return  # a database from before streaming_sync: `migrate` takes it from here
    except SchemaError:
        pass  # not a legacy shape we know either: refused below
    problem = schema.schema_problem(columns, version if isinstance(version, int) else None)
    if problem is None and set(columns) >= _CORE_TABLES:
        return
    tables = ", ".join(sorted(columns)[:8]) or "no tables"
    raise SchemaError(
        f"{backup}: not a streaming_sync database of a schema this version can use "
        f"({problem or 'tables: ' + tables}); nothing was changed"
    )


def _usable(database: str) -> bool:
    try:
        connection = sqlite3.connect(database, timeout=0)
        try:
            return [r[0] for r in connection.execute("PRAGMA quick_check")] == ["ok"]
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return False


def _set_aside(database: str, keep: bool) -> str | None:
    """Move the unusable ``database`` (with its -wal/-shm) aside -- or remove it when the
    caller keeps nothing -- so the backup can be copied into a fresh file."""
    moved = str(backup_path(database, "unusable")) if keep else None
    for suffix in _SIDE_FILES:
        if Path(database + suffix).exists():
            if moved is None:
                os.remove(database + suffix)
            else:
                os.replace(database + suffix, moved + suffix)
    logger.warning(
        "%s is not a usable database; %s",
        database,
        f"moved it to {moved}" if moved else "removed it",
    )
    return moved


def _refuse_in_use(database: str) -> None:
    """DatabaseLockedError when a live sync holds a run lock or any connection holds a
    lock on ``database``."""
    connection = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        try:
            rows = connection.execute(
                "SELECT holder FROM sync_locks WHERE heartbeat > ?", (time.time() - _LIVE_LOCK_S,)
            ).fetchall()
        except sqlite3.OperationalError:
            rows = []  # no sync_locks table: a legacy or older database
        if rows:
            raise DatabaseLockedError(
                f"{database}: a sync is running ({rows[0][0]}); stop it before restoring"
            )
        try:
            connection.execute("BEGIN EXCLUSIVE")
            connection.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            raise DatabaseLockedError(
                f"{database}: in use by another connection ({exc}); close it before restoring"
            ) from exc
    finally:
        connection.close()


__all__ = ["RestoreResult", "backup_path", "check_backup", "connect_ro", "copy_database", "restore"]
