"""The parse thread's time limit (a private unit): it counts from the moment the thread
takes a parse, not from when the parse was asked for -- a parse queued behind a long one
is not failed for the wait -- and a parse that overruns fails with ``ParseTimeout``
while the thread is given up. Ordering only: the sleeps leave wide margins either way."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from streaming_sync import OntologyData, ParseTimeout
from streaming_sync._parse_thread import ParseThread


class SleepingParser:
    """Parses ``b"sleep S"`` by sleeping S seconds (a parse that holds its thread);
    ``b"block"`` until ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def accepts(self, path: str) -> bool:
        return True

    def parse(self, path: str, data: bytes) -> OntologyData:
        if data == b"block":
            self.release.wait(30)
        else:
            time.sleep(float(data.split()[1]))
        return OntologyData()


async def test_the_limit_counts_from_the_start_of_the_parse_not_the_wait() -> None:
    thread, parser = ParseThread(), SleepingParser()
    first = asyncio.ensure_future(thread.parse(parser, "a", b"sleep 0.6", time_limit=1.0))
    await asyncio.sleep(0.05)  # the first has been taken by the thread
    second = await thread.parse(parser, "b", b"sleep 0.6", time_limit=1.0)
    await first
    # 1.15 s after it was asked for, but 0.6 s of parse: no timeout.
    assert second.waited > 0.4 and 0.5 < second.worked < 1.0
    assert thread.overran == 0


async def test_an_overrunning_parse_fails_and_the_next_runs_on_a_new_thread() -> None:
    thread, parser = ParseThread(), SleepingParser()
    try:
        start = time.monotonic()
        with pytest.raises(ParseTimeout, match="runs on in its thread"):
            await thread.parse(parser, "stuck", b"block", time_limit=0.3)
        assert time.monotonic() - start < 20
        assert thread.overran == 1
        done = await thread.parse(parser, "next", b"sleep 0", time_limit=5.0)
        assert done.data == OntologyData()
    finally:
        parser.release.set()
