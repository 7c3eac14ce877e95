"""Parsers for tests that run in real parse processes: picklable, importable by the
processes, and scripted by the file's first line (the rest is the line format of
tests/lineformat.py):

* ``die`` -- the process SIGKILLs itself (as the out-of-memory killer would);
* ``exit N`` -- the process exits with code N at once (a native crash);
* ``hang PIDFILE`` -- writes its pid to PIDFILE, then never returns (a runaway parse);
* ``log MESSAGE`` -- logs MESSAGE as a warning, then parses the rest;
* ``whoami`` -- declares ``ex:Me`` labelled with its pid and where its fd 1 points.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from streaming_sync._model import OntologyClass, OntologyData

from .lineformat import LineParser

logger = logging.getLogger(__name__)


class ScriptedParser:
    """The line format, with the scripted first lines above."""

    def accepts(self, path: str) -> bool:
        return path.endswith(".txt")

    def parse(self, path: str, data: bytes) -> OntologyData:
        first, _, rest = data.decode().partition("\n")
        word, _, argument = first.partition(" ")
        if word == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        elif word == "exit":
            os._exit(int(argument))
        elif word == "hang":
            Path(argument).write_text(str(os.getpid()))
            while True:  # a parse that never ends: only killing its process stops it
                time.sleep(60)
        elif word == "log":
            logger.warning("%s says %s", path, argument)
            return LineParser().parse(path, rest.encode())
        elif word == "whoami":
            where = os.readlink(f"/proc/{os.getpid()}/fd/1")
            return OntologyData(classes=(OntologyClass("ex:Me", f"{os.getpid()} {where}"),))
        return LineParser().parse(path, data)


def _refuse_outside(pid: int) -> UnloadableParser:
    if os.getpid() != pid:
        raise ImportError("this parser only loads in the process that made it")
    return UnloadableParser()


class UnloadableParser(ScriptedParser):
    """Pickles fine, but cannot be unpickled in any other process (a parser whose module
    the parse processes cannot import)."""

    def __reduce__(self) -> tuple[object, ...]:
        return (_refuse_outside, (os.getpid(),))


class BlockingParser(LineParser):
    """For parsing in threads: a file whose text is ``block`` waits until ``release`` is
    set (or 60 s), standing in for a parse that overruns its timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.blocked = threading.Event()

    def parse(self, path: str, data: bytes) -> OntologyData:
        if data == b"block":
            self.blocked.set()
            self.release.wait(60)
        return super().parse(path, data)


class StreamingScriptedParser(ScriptedParser):
    """A ``StreamingParser`` of the line format: each line that declares a class is a part
    of its own; a line ``die`` or ``hang PIDFILE`` among them does what the first line
    does in ``ScriptedParser`` -- after the parts before it were sent."""

    def parse_parts(self, path: str, data: bytes) -> Iterator[OntologyData]:
        for line in data.decode().splitlines():
            word, _, argument = line.partition(" ")
            if word == "die":
                os.kill(os.getpid(), signal.SIGKILL)
            elif word == "hang":
                Path(argument).write_text(str(os.getpid()))
                while True:
                    time.sleep(60)
            elif word == "class":
                yield LineParser().parse(path, line.encode())
