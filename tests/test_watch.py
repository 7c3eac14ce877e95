"""Watch mode against the GitHub-like server: commits pushed while ``watch`` runs are
synced at the first poll after them, idle polls cost 304s only and write nothing, a
signed webhook push syncs at once, a burst of pushes makes one sync of the newest head,
a second watcher is refused, and cancelling ends the watch after the current file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest

from streaming_sync import (
    OntologyData,
    OntologySnapshot,
    PathFilter,
    RetryPolicy,
    StreamingSyncService,
    SyncConfig,
    SyncReport,
    WatchInProgress,
    apply_changes,
)
from streaming_sync._watch import PushTrigger, Watcher
from streaming_sync._watch_http import serve_webhook
from streaming_sync._webhook import PushTarget, WebhookReceiver
from streaming_sync.sources.github import GitHubFetcher
from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync.testing.github_server import GitHubLikeServer

from .feed_support import expected_rows
from .lineformat import LineParser

SECRET = "s3cr3t-" + "x" * 24
NO_ROWS = OntologySnapshot.build([], [], [], [], [])


def pages(n: int) -> dict[str, bytes]:
    return {f"p{i}.txt": f"class ex:C{i} L{i}\nsub ex:C{i} ex:Root".encode() for i in range(n)}


@attrs.frozen
class Watching:
    """A watcher, the queue its reports go to, its repository and the task iterating it."""

    watcher: Watcher
    reports: asyncio.Queue[SyncReport]
    repo: SqliteRepository
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def watching(
    server: GitHubLikeServer,
    db: Path,
    *,
    interval: float,
    trigger: PushTrigger | None = None,
    parser: LineParser | None = None,
) -> AsyncIterator[Watching]:
    """A service on the server's repository and ``db``, watched by a task that puts each
    report in the queue; cancelled (and awaited) at the end."""
    repo = await SqliteRepository.open(db)
    fetcher = GitHubFetcher(
        owner=server.owner,
        repo=server.repo,
        api_url=server.api_url,
        path_filter=PathFilter(include=("*.txt",)),
        cache=repo,
        tarball_threshold=10**6,
    )
    service = StreamingSyncService(
        fetcher=fetcher,
        repository=repo,
        parser=parser or LineParser(),
        config=SyncConfig(workers=2, parse_processes=0, retry=RetryPolicy(base=0.01)),
        owned=[fetcher, repo],
    )
    async with service:
        watcher = service.watch(interval, trigger=trigger, debounce=0.2)
        reports: asyncio.Queue[SyncReport] = asyncio.Queue()

        async def run() -> None:
            async for report in watcher:
                reports.put_nowait(report)

        task = asyncio.create_task(run())
        try:
            yield Watching(watcher, reports, repo, task)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_commits_are_synced_at_the_first_poll_and_idle_polls_write_nothing(
    tmp_path: Path,
) -> None:
    """After the first sync, idle polls ask GitHub with ETags (304s, no rate limit
    spent) and write nothing; a commit pushed meanwhile is synced at the very next poll
    (within one interval), its report counting what changed."""
    db = tmp_path / "w.db"
    async with (
        GitHubLikeServer(pages(3)) as server,
        watching(server, db, interval=0.2) as w,
    ):
        watcher, reports, repo = w.watcher, w.reports, w.repo
        async with asyncio.timeout(30):
            first = await reports.get()
            assert first.commit == server.head and first.changes.classes.added == 4
            with contextlib.closing(sqlite3.connect(db)) as spy:
                version = spy.execute("PRAGMA data_version").fetchone()[0]
                used, seen = server.used, len(server.api_requests())
                await watcher.next_tick()
                await watcher.next_tick()
                assert spy.execute("PRAGMA data_version").fetchone()[0] == version
            idle = server.api_requests()[seen:]
            assert watcher.idle_polls >= 2 and idle
            assert {r.status for r in idle} == {304} and server.used == used
            polls = watcher.idle_polls
            head = server.commit({"p0.txt": b"class ex:C0 Renamed\nsub ex:C0 ex:Root"})
            report = await reports.get()
        assert report.commit == head and watcher.idle_polls in (polls, polls + 1)
        assert report.changes.classes.changed == 1 and report.changes.total == 1
        feed = await repo.changes("default")
        assert apply_changes(NO_ROWS, feed) == await repo.snapshot("default")


@contextlib.asynccontextmanager
async def hooked(
    server: GitHubLikeServer, trigger: PushTrigger, *, max_body: int = 1 << 20
) -> AsyncIterator[tuple[str, WebhookReceiver]]:
    """A webhook endpoint for the server's repository, registered on the server."""
    receiver = WebhookReceiver(
        SECRET, PushTarget(server.owner, server.repo), trigger.push, max_body=max_body
    )
    served = await serve_webhook(receiver, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{served.port}/"
    server.add_webhook(url, SECRET)
    try:
        yield url, receiver
    finally:
        await served.aclose()


async def test_a_signed_push_syncs_at_once_and_a_burst_coalesces(tmp_path: Path) -> None:
    """With a webhook, a push syncs at once (the poll interval is far longer than the
    test); five pushes in a burst make one sync, of the newest head."""
    trigger = PushTrigger()
    async with (
        GitHubLikeServer(pages(2)) as server,
        hooked(server, trigger) as (_, receiver),
        watching(server, tmp_path / "h.db", interval=3600, trigger=trigger) as w,
    ):
        watcher, reports = w.watcher, w.reports
        async with asyncio.timeout(30):
            await reports.get()
            head = server.commit({"new.txt": b"class ex:New\nsub ex:New ex:Root"})
            pushed = await reports.get()
            assert pushed.commit == head and pushed.changes.classes.added == 1
            for i in range(5):
                head = server.commit({f"burst{i}.txt": f"class ex:B{i}".encode()})
            burst = await reports.get()
            await server.deliveries_done()
        assert burst.commit == head and burst.changes.classes.added == 5
        assert (trigger.pushes, watcher.syncs, receiver.answered) == (6, 3, {202: 6})
        assert not trigger.pending and reports.empty()


async def test_refused_deliveries_never_start_a_sync(tmp_path: Path) -> None:
    """Unsigned, forged (wrong secret), replayed-with-another-body and oversized
    deliveries are refused (401, 401, 401, 413) and trigger nothing; ``ping`` answers
    200; pushes to another repository or ref and a repeated delivery id are acknowledged
    and ignored; only the genuine push triggers a sync."""
    from streaming_sync.testing.webhooks import deliver, delivery_headers, push_payload

    trigger = PushTrigger()
    async with (
        GitHubLikeServer(pages(1)) as server,
        hooked(server, trigger, max_body=4096) as (url, receiver),
    ):

        def push(**changes: str) -> dict[str, object]:
            payload = push_payload(
                server.owner, server.repo, ref="refs/heads/main", before="a" * 40, after="b" * 40
            )
            if "repo" in changes:
                payload["repository"]["full_name"] = changes["repo"]  # type: ignore[index]
            if "ref" in changes:
                payload["ref"] = changes["ref"]
            return payload

        genuine = json.dumps(push()).encode()
        signed = delivery_headers(genuine, SECRET)
        answers = {
            "unsigned": await deliver(url, genuine, None),
            "forged": await deliver(url, genuine, "not-the-secret"),
            "replayed with another body": await deliver(
                url, genuine.replace(b"b" * 40, b"c" * 40), None, headers=signed
            ),
            "oversized": await deliver(url, b"x" * 5000, SECRET),
            "ping": await deliver(url, {"zen": "Keep it logically awesome."}, SECRET, event="ping"),
            "other repository": await deliver(url, push(repo="someone/else"), SECRET),
            "other ref": await deliver(url, push(ref="refs/heads/dev"), SECRET),
            "genuine": await deliver(url, genuine, None, headers=signed),
            "same delivery again": await deliver(url, genuine, None, headers=signed),
        }
    status = {name: code for name, (code, _) in answers.items()}
    assert status == {
        "unsigned": 401,
        "forged": 401,
        "replayed with another body": 401,
        "oversized": 413,
        "ping": 200,
        "other repository": 200,
        "other ref": 200,
        "genuine": 202,
        "same delivery again": 200,
    }
    assert trigger.pushes == 1 and trigger.latest_head == "b" * 40
    assert "ignored" in answers["other ref"][1] and SECRET not in repr(receiver)
    assert all(SECRET not in text for _, text in answers.values())


async def test_a_second_watcher_of_the_same_database_is_refused(tmp_path: Path) -> None:
    """While one watcher runs, a second one on the same database and ontology raises
    WatchInProgress before syncing anything; once the first stops, a new one starts."""
    db = tmp_path / "two.db"
    async with GitHubLikeServer(pages(1)) as server:
        async with watching(server, db, interval=3600) as first:
            await asyncio.wait_for(first.reports.get(), 30)
            async with watching(server, db, interval=3600) as second:
                with pytest.raises(WatchInProgress, match="another watcher"):
                    await asyncio.wait_for(second.task, 30)
                assert second.reports.empty() and second.watcher.syncs == 0
        async with watching(server, db, interval=3600) as third:
            assert (await asyncio.wait_for(third.reports.get(), 30)).commit == server.head


class GatedParser(LineParser):
    """Parses normally until ``hold`` is set: then the next parse signals ``held`` and
    waits for ``release`` (a thread event: parsing runs in a thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()

    def parse(self, path: str, data: bytes) -> OntologyData:
        if self.hold.is_set():
            self.held.set()
            self.release.wait(30)
        return super().parse(path, data)


async def test_cancelling_the_watch_ends_it_after_the_current_file(tmp_path: Path) -> None:
    """Cancelled while a file is being parsed, the watch ends once that file's write is
    done: every committed file is whole, the feed replays to the rows, and the lock is
    free for the next watcher."""
    parser = GatedParser()
    db = tmp_path / "c.db"
    async with GitHubLikeServer(pages(2)) as server:
        async with watching(server, db, interval=0.2, parser=parser) as w:
            await asyncio.wait_for(w.reports.get(), 30)
            parser.hold.set()
            server.commit({f"n{i}.txt": f"class ex:N{i}".encode() for i in range(4)})
            await asyncio.to_thread(parser.held.wait, 30)
            # Leaving the block cancels the watch while that file is being parsed.
            asyncio.get_running_loop().call_later(0.2, parser.release.set)
        async with await SqliteRepository.open(db) as check:
            committed = await check.committed_files("default")
            rows = await check.snapshot("default")
            assert apply_changes(NO_ROWS, await check.changes("default")) == rows
        files = {p: d for p, d in server.files.items() if p in committed}
        assert rows == expected_rows(files)
        async with watching(server, db, interval=3600) as again:
            last = await asyncio.wait_for(again.reports.get(), 30)
        assert last.commit == server.head
