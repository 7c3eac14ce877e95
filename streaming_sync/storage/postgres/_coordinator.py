"""``PostgresCoordinator``: the shared sync's work table on PostgreSQL (see
``streaming_sync._protocols.WorkCoordinator`` for the protocol and ``streaming_sync._run``
for how a participant uses it).

One row of ``sync_shared_runs`` per run -- at most one open run per ontology and commit
(a partial unique index) -- and one row of ``sync_work`` per file to do. ``claim`` is
``SELECT ... FOR UPDATE SKIP LOCKED`` over rows that are not done and not held (or whose
lease expired), so concurrent participants never receive the same row; ``complete``
updates only a row this participant still holds, so each file is completed once.
Lease times are the server's clock, so participants on machines with skewed clocks
agree on when a lease expired. Every query takes "now" as a parameter -- NULL for the
server's ``clock_timestamp()`` -- so a test (or a caller with a clock it trusts more)
can pass ``clock=`` and decide when leases expire without waiting for them.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import asyncpg

from ..._model import FileEntry, FinishedRun, Participation
from ._repository import PostgresRepository, lock_key, translate_error

T = TypeVar("T")

DEFAULT_LEASE = 30.0
DEFAULT_JOIN_WAIT = 30.0
#: Seconds between a joiner's looks for the run to join.
JOIN_POLL = 0.2

_OPEN_RUN = """
SELECT run_id, started_at FROM sync_shared_runs
WHERE ontology_id = $1 AND commit = $2 AND finished_at IS NULL
"""
# "Now" in every query below: the caller's clock (epoch seconds) or, when that is NULL,
# the server's.
_NOW = "COALESCE(to_timestamp(${n}::float8), clock_timestamp())"

_CREATE_RUN = f"""
INSERT INTO sync_shared_runs (ontology_id, commit, created_by, started_at, summary)
VALUES ($1, $2, $3, extract(epoch FROM {_NOW.format(n=5)}), $4::jsonb)
RETURNING run_id, started_at
"""
_CLAIM = f"""
WITH picked AS (
    SELECT path FROM sync_work
    WHERE run_id = $1 AND NOT done AND (owner IS NULL OR lease_until < {_NOW.format(n=5)})
    ORDER BY path
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE sync_work AS w
SET owner = $2, lease_until = {_NOW.format(n=5)} + make_interval(secs => $4),
    claims = w.claims + 1
FROM picked WHERE w.run_id = $1 AND w.path = picked.path
RETURNING w.path, w.size, w.sha
"""
_RENEW = f"""
UPDATE sync_work SET lease_until = {_NOW.format(n=4)} + make_interval(secs => $3)
WHERE run_id = $1 AND owner = $2 AND NOT done
"""
_RELEASE = """
UPDATE sync_work SET owner = NULL, lease_until = NULL
WHERE run_id = $1 AND owner = $2 AND NOT done
"""
_COMPLETE = f"""
UPDATE sync_work
SET done = true, outcome = $4::jsonb, completed_by = $2, completed_at = {_NOW.format(n=5)},
    lease_until = NULL
WHERE run_id = $1 AND path = $3 AND owner = $2 AND NOT done
"""
_FINISHED = "SELECT NOT EXISTS (SELECT 1 FROM sync_work WHERE run_id = $1 AND NOT done)"
_FINALIZE = f"""
UPDATE sync_shared_runs SET finished_at = {_NOW.format(n=3)}, finished_by = $2
WHERE run_id = $1 AND finished_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM sync_work WHERE run_id = $1 AND NOT done)
RETURNING started_at, summary::text, extract(epoch FROM finished_at)
"""
_CLOSED = """
SELECT started_at, summary::text, extract(epoch FROM finished_at) FROM sync_shared_runs
WHERE run_id = $1 AND finished_at IS NOT NULL
"""
_OUTCOMES = "SELECT outcome::text FROM sync_work WHERE run_id = $1 ORDER BY path"


def participant_name() -> str:
    """``host:pid:random``: unique per participant, readable in the work table."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class PostgresCoordinator:
    """A ``WorkCoordinator`` on the database of a ``PostgresRepository`` (sharing its
    pool and schema). ``lease``: seconds a claimed file stays reserved without a
    heartbeat (the service renews every third of it); ``join``: never create a run, wait
    up to ``join_wait`` seconds for one to exist, asking every ``JOIN_POLL`` seconds.

    ``clock``: the time (epoch seconds) leases and run times are measured by; None, the
    default, is the database server's clock, which every participant shares. ``sleep``:
    how a joiner waits between two looks (``asyncio.sleep``). Tests pass both, so that
    leases expire and joiners give up when the test says, not after real waiting."""

    def __init__(
        self,
        repository: PostgresRepository,
        *,
        lease: float = DEFAULT_LEASE,
        join: bool = False,
        join_wait: float = DEFAULT_JOIN_WAIT,
        owner: str | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not lease > 0:
            raise ValueError(f"lease={lease!r}: must be greater than 0")
        self.repository = repository
        self.join = join
        self.join_wait = join_wait
        self._lease = float(lease)
        self._owner = owner or participant_name()
        self._clock = clock
        self._sleep = sleep

    def __repr__(self) -> str:
        role = "joiner" if self.join else "participant"
        return f"<PostgresCoordinator {role} {self._owner!r} lease={self._lease}s>"

    @property
    def owner(self) -> str:
        return self._owner

    @property
    def lease_seconds(self) -> float:
        return self._lease

    async def begin(
        self,
        ontology_id: str,
        commit: str,
        todo: Sequence[FileEntry],
        summary: Mapping[str, Any],
    ) -> Participation | None:
        """Join the open run of ``(ontology_id, commit)`` or create it; a joiner looks
        every ``JOIN_POLL`` seconds for up to ``join_wait`` seconds (of its ``sleep``) and
        returns None if no run appears."""
        waited = 0.0
        while True:
            run = await self._call(
                f"starting the shared run of {ontology_id!r}",
                lambda conn: self._begin(conn, ontology_id, commit, todo, summary),
            )
            if run is not None or not self.join or waited >= self.join_wait:
                return run
            await self._sleep(JOIN_POLL)
            waited += JOIN_POLL

    async def _begin(
        self,
        conn: asyncpg.Connection,
        ontology_id: str,
        commit: str,
        todo: Sequence[FileEntry],
        summary: Mapping[str, Any],
    ) -> Participation | None:
        async with conn.transaction():
            key = lock_key(self.repository.schema, f"run:{ontology_id}\0{commit}")
            await conn.execute("SELECT pg_advisory_xact_lock($1)", key)
            row = await conn.fetchrow(_OPEN_RUN, ontology_id, commit)
            if row is not None:
                return Participation(int(row["run_id"]), False, float(row["started_at"]))
            if self.join:
                return None
            row = await conn.fetchrow(
                _CREATE_RUN,
                ontology_id,
                commit,
                self._owner,
                json.dumps(dict(summary)),
                self._now(),
            )
            assert row is not None
            run_id = int(row["run_id"])
            await conn.copy_records_to_table(
                "sync_work",
                records=[(run_id, e.path, e.size, e.sha) for e in todo],
                columns=["run_id", "path", "size", "sha"],
                schema_name=self.repository.schema,
            )
            return Participation(run_id, True, float(row["started_at"]))

    async def claim(self, run_id: int, n: int) -> list[FileEntry]:
        rows = await self._call(
            "claiming files",
            lambda conn: conn.fetch(_CLAIM, run_id, self._owner, n, self._lease, self._now()),
        )
        return sorted(
            (FileEntry(str(r["path"]), int(r["size"]), str(r["sha"])) for r in rows),
            key=lambda e: e.path.encode(),
        )

    async def renew(self, run_id: int) -> None:
        await self._call(
            "renewing leases",
            lambda conn: conn.execute(_RENEW, run_id, self._owner, self._lease, self._now()),
        )

    async def release(self, run_id: int) -> None:
        await self._call(
            "releasing leases", lambda conn: conn.execute(_RELEASE, run_id, self._owner)
        )

    async def complete(self, run_id: int, path: str, outcome: Mapping[str, Any]) -> bool:
        status = await self._call(
            f"completing {path!r}",
            lambda conn: conn.execute(
                _COMPLETE, run_id, self._owner, path, json.dumps(dict(outcome)), self._now()
            ),
        )
        return str(status).endswith(" 1")

    async def finished(self, run_id: int) -> bool:
        return bool(
            await self._call("checking the run", lambda conn: conn.fetchval(_FINISHED, run_id))
        )

    async def finalize(self, run_id: int) -> FinishedRun | None:
        async def work(conn: asyncpg.Connection) -> FinishedRun | None:
            async with conn.transaction():
                row = await conn.fetchrow(_FINALIZE, run_id, self._owner, self._now())
                closer = row is not None
                if row is None:
                    row = await conn.fetchrow(_CLOSED, run_id)
                    if row is None:
                        return None
                outcomes = [json.loads(r[0]) for r in await conn.fetch(_OUTCOMES, run_id)]
                return FinishedRun(
                    float(row[0]), float(row[2]), json.loads(row[1]), outcomes, closer
                )

        return await self._call("closing the run", work)

    def _now(self) -> float | None:
        """The time the next query takes as "now" (None: the server's clock)."""
        return None if self._clock is None else self._clock()

    async def _call(self, doing: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        repository = self.repository
        try:
            async with repository.pool.acquire() as conn:
                return await work(conn)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise translate_error(exc, repr(repository), doing) from exc


__all__ = ["DEFAULT_JOIN_WAIT", "DEFAULT_LEASE", "PostgresCoordinator", "participant_name"]
