"""Parsing in a thread of this process (``parse_processes=0``): the other ``Parsing``
strategy beside ``_parse_pool.ParsePool``.

Each file is parsed in a daemon thread of its own. A parse that overruns its time limit
fails its file with ``ParseTimeout`` but runs on -- Python cannot stop a thread -- taking
CPU (and the GIL) from the rest of the sync until it ends; being a daemon thread, it
never keeps the program from exiting (the default executor's threads would: asyncio
waits for them when the loop closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from ._aio import AsyncClosing
from ._errors import ParseTimeout
from ._model import OntologyData
from ._parse_worker import parse_and_validate
from ._protocols import Parser


class ThreadParsing(AsyncClosing):
    """Parses in a daemon thread of this process per file (see the module docstring)."""

    def __init__(self, parser: Parser) -> None:
        self.parser = parser
        self.overran = 0  # parses that overran their timeout (and ran on)

    def __repr__(self) -> str:
        return f"<ThreadParsing [overran: {self.overran}]>"

    def start(self) -> None:
        return None

    async def parse(self, path: str, data: bytes, *, time_limit: float) -> OntologyData:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[OntologyData] = loop.create_future()
        thread = threading.Thread(
            target=_parse_in_thread,
            args=(loop, future, self.parser, path, data),
            name=f"parse {path}",
            daemon=True,
        )
        thread.start()
        try:
            async with asyncio.timeout(time_limit):
                return await future
        except TimeoutError:
            self.overran += 1
            raise ParseTimeout(path, time_limit, stopped=False) from None

    async def aclose(self) -> None:
        return None


def _parse_in_thread(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[OntologyData],
    parser: Parser,
    path: str,
    data: bytes,
) -> None:
    try:
        outcome: tuple[OntologyData | None, Exception | None] = (
            parse_and_validate(parser, path, data),
            None,
        )
    except Exception as error:
        outcome = (None, error)
    with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits for this parse
        loop.call_soon_threadsafe(_settle, future, *outcome)


def _settle(
    future: asyncio.Future[OntologyData], result: OntologyData | None, error: Exception | None
) -> None:
    if future.done():  # timed out or cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert result is not None
        future.set_result(result)


__all__ = ["ThreadParsing"]
