"""Inside a parse process: the loop that parses files for ``_parse_pool.ParsePool``.

A parse process serves one socket (one end of a ``socketpair``; the pool holds the
other). The wire format is a frame: an 8-byte big-endian length, then a pickle -- except
a request's file bytes, which follow their frame raw so that they are never pickled.

    pool -> process   (path, size, parts) frame, then ``size`` raw bytes
    process -> pool   (READY, pid, log records)           once, when the parser is loaded
                      (INIT_FAILED, reason, log records)  instead, when it cannot be
                      (PART, OntologyData, log records)   for a request with ``parts``:
                                                          each part as it is made
                      (RESULT, OntologyData, log records) per request (None after parts)
                      (RAISED, exception, log records)    per request (maybe after parts)

A streamed request (``parts``: the parser is a ``StreamingParser``) sends each part as
soon as the parser yields it; the socket's buffer is the bounded queue between the two
processes: when the pool is not reading (its writer is busy), ``sendall`` waits, and so
does the parser.

A parse process must die with the sync that started it and never hold its terminal or
pipes (a caller that captures the CLI's output waits for every holder of the pipe):

* its stdin, stdout and stderr point at ``/dev/null``; what it logs travels back with
  each reply and is logged by the pool's process, under the same logger names;
* a watcher thread waits for the pool's end of the socket to close -- the pool closing
  it, or its process dying, even by SIGKILL -- and then ends the process at once, even in
  the middle of a parse. (``PR_SET_PDEATHSIG`` would not do: the parent of a
  ``forkserver`` child is the fork server, which itself lives as long as any child.)
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import select
import signal
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

from ._model import OntologyData
from ._protocols import Parser, StreamingParser
from ._validate import validate

READY, INIT_FAILED, RESULT, RAISED, PART = "ready", "init-failed", "result", "raised", "part"
MAX_LOG_RECORDS = 100  # per reply: a parser that logs per triple must not flood the pool
COLLECT_AFTER = 1024 * 1024  # bytes: collect garbage after files this big (cheap next to them)

_HEADER = struct.Struct("!Q")


def parse_and_validate(parser: Parser, path: str, data: bytes) -> OntologyData:
    """What runs in a parse process (or thread): parse, then validate (both CPU-bound)."""
    return validate(path, parser.parse(path, data))


def parse_parts_and_validate(
    parser: StreamingParser, path: str, data: bytes
) -> Iterator[OntologyData]:
    """A streamed parse: each part validated as it comes (the checks are per row; a row
    repeated in two parts is merged by the writer, as parts are sets)."""
    for part in parser.parse_parts(path, data):
        yield validate(path, part)


# -- wire format (blocking side; the pool speaks it with the event loop's sock_* calls) --


def frame(message: object) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload)) + payload


def frame_size(header: bytes) -> int:
    (size,) = _HEADER.unpack(header)
    return int(size)


HEADER_SIZE = _HEADER.size


def _receive_exactly(sock: socket.socket, size: int) -> bytearray | None:
    """``size`` bytes, or None when the pool closed the socket first."""
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        count = sock.recv_into(view[got:])
        if count == 0:
            return None
        got += count
    return buffer


def _receive_request(sock: socket.socket) -> tuple[str, bytes, bool] | None:
    header = _receive_exactly(sock, HEADER_SIZE)
    if header is None:
        return None
    frame_bytes = _receive_exactly(sock, frame_size(bytes(header)))
    if frame_bytes is None:
        return None
    path, size, parts = pickle.loads(frame_bytes)
    data = _receive_exactly(sock, size)
    return None if data is None else (path, bytes(data), parts)


# -- the process's own set-up -------------------------------------------------------------


def _end_with_the_pool(sock: socket.socket) -> None:
    """End this process as soon as the pool's end of ``sock`` closes. The thread only
    polls for the hang-up (never reads), so requests stay for the main thread."""
    if not hasattr(select, "poll"):  # Windows: no poll(); the process ends with its socket
        return
    hang_up = select.POLLHUP | select.POLLERR | select.POLLNVAL | getattr(select, "POLLRDHUP", 0)

    def watch() -> None:
        poller = select.poll()
        poller.register(sock, getattr(select, "POLLRDHUP", 0))
        while True:
            if any(events & hang_up for _, events in poller.poll()):
                os._exit(0)

    threading.Thread(target=watch, name="end-with-the-pool", daemon=True).start()


def _detach_stdio() -> None:
    """Point fds 0, 1 and 2 at /dev/null: the caller's pipes and terminal are not ours."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


class _LogBuffer(logging.Handler):
    """Keeps this process's log records until the next reply carries them to the pool."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) >= MAX_LOG_RECORDS:
            self.dropped += 1
            return
        # Pickle-safe: the message is formatted here, the traceback turned into text.
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)

    def drain(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        if self.dropped:
            records.append(
                logging.makeLogRecord(
                    {
                        "name": __name__,
                        "levelno": logging.WARNING,
                        "levelname": "WARNING",
                        "msg": f"{self.dropped} more log records of one parse were dropped",
                    }
                )
            )
            self.dropped = 0
        return records


def _capture_logs(level: int) -> _LogBuffer:
    buffer = _LogBuffer()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(buffer)
    root.setLevel(level)
    return buffer


def _picklable(error: Exception) -> Exception:
    try:
        pickle.dumps(error)
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def serve(sock: socket.socket, parser_blob: bytes, log_level: int) -> None:
    """The parse process's main: load the parser, then parse what the pool sends until the
    pool closes the socket (or dies: then the watcher ends the process)."""
    _end_with_the_pool(sock)
    _detach_stdio()
    # Ctrl-C reaches the whole process group; the pool decides when parsing stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logs = _capture_logs(log_level)
    try:
        parser: Parser = pickle.loads(parser_blob)
    except Exception as error:
        sock.sendall(frame((INIT_FAILED, f"{type(error).__name__}: {error}", logs.drain())))
        return
    sock.sendall(frame((READY, os.getpid(), logs.drain())))
    while (request := _receive_request(sock)) is not None:
        path, data, parts = request
        if parts and isinstance(parser, StreamingParser):
            _stream(sock, parser, path, data, logs)
        else:
            sock.sendall(_reply(parser, path, data, logs))
        # Nothing of a file may outlive its reply: parsing leaves reference cycles, which
        # an idle process would never collect -- 550 MB kept after a 42 MB Turtle file.
        big = len(data) >= COLLECT_AFTER
        del request, data
        if big:
            gc.collect()


def _reply(parser: Parser, path: str, data: bytes, logs: _LogBuffer) -> bytes:
    reply: tuple[Any, ...]
    try:
        reply = (RESULT, parse_and_validate(parser, path, data))
    except Exception as error:  # sent to the pool, which raises it there
        reply = (RAISED, _picklable(error))
    return frame((*reply, logs.drain()))


def _stream(
    sock: socket.socket, parser: StreamingParser, path: str, data: bytes, logs: _LogBuffer
) -> None:
    """Send each part as it is made, then RESULT (or RAISED, where the parse failed)."""
    try:
        for part in parse_parts_and_validate(parser, path, data):
            sock.sendall(frame((PART, part, logs.drain())))
            del part  # only the part being made stays in this process
    except Exception as error:
        sock.sendall(frame((RAISED, _picklable(error), logs.drain())))
    else:
        sock.sendall(frame((RESULT, None, logs.drain())))


__all__ = [
    "HEADER_SIZE",
    "INIT_FAILED",
    "PART",
    "RAISED",
    "READY",
    "RESULT",
    "frame",
    "frame_size",
    "parse_and_validate",
    "parse_parts_and_validate",
    "serve",
]
