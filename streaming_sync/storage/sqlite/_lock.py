"""The run lock of the SQLite backend: one row of ``sync_locks`` per ontology.

A sync takes the lock before it lists anything and gives it back at the end; while it
runs it refreshes ``heartbeat``. A second sync finds the row and refuses with
``SyncInProgress`` -- unless the row is stale: its heartbeat is older than
``stale_after`` seconds, or it names a process on this host that no longer exists
(a SIGKILLed sync) or whose pid now belongs to a process started after the lock was
taken. ``remove`` (``streaming-sync unlock``) never removes the lock of a live process
of this host, and the lock of another host only when forced. Each step is one
``BEGIN IMMEDIATE`` transaction, so two syncs that race for a free lock are serialised
by SQLite and exactly one wins.

``holder`` is ``host:pid:started``: the host name, the process id and when it started.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import time

from ..._errors import SyncInProgress

logger = logging.getLogger(__name__)

_SELECT = "SELECT holder, host, pid, acquired_at, heartbeat FROM sync_locks WHERE ontology_id = ?"
_TAKE = """
INSERT INTO sync_locks (ontology_id, holder, host, pid, acquired_at, heartbeat)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (ontology_id) DO UPDATE SET holder = excluded.holder, host = excluded.host,
    pid = excluded.pid, acquired_at = excluded.acquired_at, heartbeat = excluded.heartbeat
"""


def _parts(holder: str) -> tuple[str, int]:
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host, int(pid) if pid.isdigit() else -1


#: Holders this process acquired and has not released: a lock row naming this very
#: process but none of these was left by a sync of ours whose release failed (e.g. on a
#: full disk), so it is stale.
_HELD: set[str] = set()


def process_started(pid: int) -> float | None:
    """When process ``pid`` of this host started (epoch seconds), from ``/proc``; None
    where that cannot be read (no such process, not Linux)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rpartition(")")[2].split()
        with open("/proc/stat", encoding="ascii") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _process_gone(host: str, pid: int, holder: str, since: float) -> bool:
    """True only when ``pid`` is on this host and certainly does not run that sync: no
    such process, or one that started after the lock was taken (the pid was reused)."""
    if host != socket.gethostname() or pid <= 0:
        return False
    if pid == os.getpid():
        return holder not in _HELD
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass  # e.g. PermissionError: it exists, owned by someone else
    started = process_started(pid)
    # /proc counts in clock ticks from a boot time in whole seconds: allow a second.
    return started is not None and started > since + 1.0


def alive_here(host: str, pid: int, holder: str, since: float) -> bool:
    """Whether the lock's holder is a live process of this host."""
    on_this_host = host == socket.gethostname() and pid > 0
    return on_this_host and not _process_gone(host, pid, holder, since)


def acquire(
    db: sqlite3.Connection, database: str, oid: str, holder: str, stale_after: float
) -> None:
    """Take the lock of ``oid`` for ``holder`` (inside the caller's transaction)."""
    now = time.time()
    rows = db.execute(_SELECT, (oid,)).fetchall()
    if rows:
        current, host, pid, since, heartbeat = rows[0]
        stale = now - float(heartbeat) > stale_after
        gone = _process_gone(str(host), int(pid), str(current), float(since))
        if current != holder and not stale and not gone:
            raise SyncInProgress(
                oid, str(current), since=float(since), heartbeat=float(heartbeat), database=database
            )
        if current != holder:
            logger.warning(
                "%s: taking over the stale run lock of ontology %r from %s", database, oid, current
            )
    host, pid = _parts(holder)
    db.execute(_TAKE, (oid, holder, host, pid, now, now))
    _HELD.add(holder)


def renew(db: sqlite3.Connection, database: str, oid: str, holder: str) -> None:
    """Refresh the heartbeat; ``SyncInProgress`` when another sync took the lock over."""
    cursor = db.execute(
        "UPDATE sync_locks SET heartbeat = ? WHERE ontology_id = ? AND holder = ?",
        (time.time(), oid, holder),
    )
    if cursor.rowcount == 0:
        rows = db.execute(_SELECT, (oid,)).fetchall()
        if rows:
            current, _, _, since, heartbeat = rows[0]
            raise SyncInProgress(
                oid, str(current), since=float(since), heartbeat=float(heartbeat), database=database
            )
        host, pid = _parts(holder)  # the row was removed (unlock): take it back
        db.execute(_TAKE, (oid, holder, host, pid, time.time(), time.time()))


def release(db: sqlite3.Connection, oid: str, holder: str) -> None:
    """Give the lock back (a no-op when ``holder`` no longer holds it)."""
    _HELD.discard(holder)
    db.execute("DELETE FROM sync_locks WHERE ontology_id = ? AND holder = ?", (oid, holder))


def remove(db: sqlite3.Connection, database: str, oid: str, force: bool) -> str | None:
    """Remove the lock of ``oid`` (``streaming-sync unlock``); the old holder, or None.

    Never the lock of a live process of this host (``SyncInProgress``, even with
    ``force``); one of another host, whose liveness this host cannot check, only with
    ``force`` (else ``SyncInProgress``); one of a process of this host that is gone,
    always."""
    rows = db.execute(_SELECT, (oid,)).fetchall()
    if not rows:
        return None
    current, host, pid, since, heartbeat = rows[0]
    here = str(host) == socket.gethostname()
    refuse = alive_here(str(host), int(pid), str(current), float(since)) if here else not force
    if refuse:
        raise SyncInProgress(
            oid, str(current), since=float(since), heartbeat=float(heartbeat), database=database
        )
    if not here:
        logger.warning(
            "%s: removed the run lock of ontology %r held by %s on another host, without "
            "knowing whether it still runs (--force)",
            database,
            oid,
            current,
        )
    db.execute("DELETE FROM sync_locks WHERE ontology_id = ? AND holder = ?", (oid, current))
    return str(current)


__all__ = ["acquire", "alive_here", "process_started", "release", "remove", "renew"]
