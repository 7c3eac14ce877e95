"""SIGINT and SIGTERM for the command line: the first one stops the command cleanly.

:func:`run_stoppable` awaits a command; SIGTERM cancels it like SIGINT does, so the files
in flight finish or roll back and the final checkpoint is written, and the exit code is
130 (SIGINT) or 143 (SIGTERM). Only the first signal cancels: the clean-up it starts is
short and bounded, and cancelling that again (three quick Ctrl-C) would cut the closing
of the database connections, whose threads then outlive the event loop (an "Event loop
is closed" traceback, or a process that never exits). Later signals only say that the
command is stopping; once interrupted, the process ignores them until it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Iterator
from typing import Any

EXIT_SIGINT, EXIT_SIGTERM = 130, 143
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def run_stoppable(command: Awaitable[int]) -> int:
    """Await ``command`` (in the current task), stopping it on the first signal."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        if len(received) == 1:
            task.cancel()
        elif len(received) == 2:
            sys.stderr.write(
                "streaming-sync: stopping; the files in flight finish or roll back first\n"
            )

    for signum in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop, signum)
    try:
        return await command
    except asyncio.CancelledError:
        if not received:
            raise
        sys.stderr.write(
            "streaming-sync: interrupted; committed files are kept, "
            "run the same command again to resume\n"
        )
        return EXIT_SIGTERM if received[0] == signal.SIGTERM else EXIT_SIGINT
    finally:
        if received:
            _ignore_stop_signals(loop)


def _ignore_stop_signals(loop: asyncio.AbstractEventLoop) -> None:
    """Ignore SIGINT/SIGTERM from now on. Removing the loop's handlers first keeps
    ``loop.close()`` from restoring Python's default SIGINT handler, which would raise
    KeyboardInterrupt wherever the exit happens to be."""
    for signum in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signum)
            signal.signal(signum, signal.SIG_IGN)


@contextlib.contextmanager
def handlers_restored(restore: bool) -> Iterator[None]:
    """When ``restore``, put the SIGINT/SIGTERM handlers back as they were when the block
    began: for a caller that runs the CLI inside its own program (``main(argv)``); the
    program itself (``streaming-sync``) exits ignoring them instead."""
    saved: dict[int, Any] = {s: signal.getsignal(s) for s in STOP_SIGNALS} if restore else {}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            with contextlib.suppress(ValueError, TypeError):  # not the main thread
                signal.signal(signum, handler)


__all__ = ["EXIT_SIGINT", "EXIT_SIGTERM", "handlers_restored", "run_stoppable"]
