"""Optional capabilities are declared Protocols, checked once when the service is built:
a part of a user's own that has one gets what it gives, a part without goes without."""

from __future__ import annotations

import pytest

from streaming_sync import (
    EventSource,
    Listing,
    RateLimited,
    RateLimitStatus,
    RunLockStore,
    StreamingSyncService,
    SyncConfig,
    SyncInProgress,
)
from streaming_sync.testing import InMemoryFetcher, InMemoryRepository, RecordingSink

PAGE = b"- Thing\n  ### OntologyBlock\n    - owl:class:: ex:Thing\n"
CONFIG = SyncConfig(parse_processes=0, workers=2)


class PausingFetcher(InMemoryFetcher):
    """A fetcher with the EventSource and RateLimitStatus capabilities: it reports one
    rate-limit pause while listing and says how much budget is left."""

    def __init__(self) -> None:
        super().__init__({"a.md": PAGE})
        self.bound: list[object] = []
        self.emit_event: object = None

    def bind_events(self, emit: object) -> None:
        self.bound.append(emit)
        self.emit_event = emit

    @property
    def rate_limit_remaining(self) -> int | None:
        return 41

    async def list_files(self) -> Listing:
        assert callable(self.emit_event)
        await self.emit_event(RateLimited(resume_at=0.0, reason="primary rate limit"))
        return await super().list_files()


async def test_event_source_is_bound_once_and_its_events_reach_the_sinks() -> None:
    """The service binds its emitter once, when built; what the part emits goes to every
    sink like the service's own events, in order."""
    fetcher = PausingFetcher()
    assert isinstance(fetcher, EventSource) and isinstance(fetcher, RateLimitStatus)
    sink = RecordingSink()
    service = StreamingSyncService(
        fetcher=fetcher, repository=InMemoryRepository(), config=CONFIG, sinks=[sink]
    )
    assert len(fetcher.bound) == 1
    await service.sync()
    await service.sync()
    assert len(fetcher.bound) == 1
    kinds = [type(e).__name__ for e in sink.events]
    assert kinds.count("RateLimited") == 2
    assert kinds.index("RateLimited") < kinds.index("SyncStarted")


async def test_rate_limit_status_feeds_the_stats() -> None:
    """stats().rate_limit_remaining is the fetcher's own number when it has the
    capability, None when it has not."""
    with_status = StreamingSyncService(
        fetcher=PausingFetcher(), repository=InMemoryRepository(), config=CONFIG
    )
    plain = StreamingSyncService(
        fetcher=InMemoryFetcher({"a.md": PAGE}), repository=InMemoryRepository(), config=CONFIG
    )
    assert with_status.stats().rate_limit_remaining == 41
    assert plain.stats().rate_limit_remaining is None


class LockingRepository(InMemoryRepository):
    """A checkpoint store of a user's own with the RunLockStore capability: one holder
    per ontology, refused while held."""

    def __init__(self) -> None:
        super().__init__()
        self.holders: dict[str, str] = {}
        self.calls: list[str] = []

    async def acquire_run_lock(self, ontology_id: str, holder: str, *, stale_after: float) -> None:
        self.calls.append("acquire")
        if ontology_id in self.holders:
            raise SyncInProgress(ontology_id, self.holders[ontology_id], since=0.0, heartbeat=0.0)
        self.holders[ontology_id] = holder

    async def renew_run_lock(self, ontology_id: str, holder: str) -> None:
        self.calls.append("renew")

    async def release_run_lock(self, ontology_id: str, holder: str) -> None:
        self.calls.append("release")
        if self.holders.get(ontology_id) == holder:
            del self.holders[ontology_id]


async def test_a_run_lock_store_of_ones_own_is_locked_around_each_sync() -> None:
    """A store with the RunLockStore capability gets the run lock around every sync and
    back after it; a second sync while it is held is refused with SyncInProgress."""
    repo = LockingRepository()
    assert isinstance(repo, RunLockStore)
    service = StreamingSyncService(
        fetcher=InMemoryFetcher({"a.md": PAGE}), repository=repo, config=CONFIG
    )
    await service.sync()
    assert repo.calls == ["acquire", "release"] and repo.holders == {}
    repo.holders["default"] = "elsewhere:1:0.0"
    with pytest.raises(SyncInProgress, match="elsewhere"):
        await service.sync()
    assert repo.calls[-1] == "acquire"
