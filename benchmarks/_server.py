"""The GitHub-like server for the benchmarks, in its own process.

``python -m benchmarks._server --latency 0.05 PREFIX=FOLDER ...`` serves the folders (each
below its prefix; ``=FOLDER`` alone serves it at the root) as one repository with
``streaming_sync.testing.GitHubLikeServer`` and prints one JSON line with its URLs. It
runs until its standard input closes.

It runs in a process of its own so that its memory (the whole repository and tarball)
and its CPU never count as the client's, as with the real GitHub.

* Latency: the server's own fault hook, ``Fault.slow(latency)`` on EVERY request of both
  origins (API and download), so each request waits ``latency`` seconds before it is
  answered. No wrapper or middleware is needed.
* The tarball of the head commit is built once, before the measurements, and served
  through the server's ``tarball_override``: gzip-compressing 40 MB per request would
  otherwise charge the client machine's two cores for work GitHub does elsewhere.
* A control app on a third port (never slowed down): ``GET /requests`` gives the number
  of requests the server recorded so far per origin; ``POST /change?count=N&salt=S``
  commits a small edit to ``N`` files (chosen with the salt) and answers their paths.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from streaming_sync.testing.github_server import Fault, GitHubLikeServer, RequestRecord

from .generate import change_file


def read_tree(specs: Sequence[str], limit: int | None = None) -> dict[str, bytes]:
    """``PREFIX=FOLDER`` specs -> path -> bytes (``limit`` files per folder, by path)."""
    files: dict[str, bytes] = {}
    for spec in specs:
        prefix, _, folder = spec.rpartition("=")
        root = Path(folder)
        paths = sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
        for path in paths[:limit]:
            name = path.relative_to(root).as_posix()
            files[f"{prefix}/{name}" if prefix else name] = path.read_bytes()
    return files


class BenchServer:
    """A ``GitHubLikeServer`` with latency, a prebuilt tarball and a control app."""

    def __init__(self, files: dict[str, bytes], latency: float) -> None:
        self.latency = latency
        self.server = GitHubLikeServer(files, faults=self._slow)
        self._runner: web.AppRunner | None = None
        self.control_url = ""

    def _slow(self, record: RequestRecord) -> Fault | None:
        return Fault.slow(self.latency) if self.latency > 0 else None

    def _refresh_tarball(self) -> None:
        self.server.tarball_override = self.server.store.tarball(self.server.head)

    async def start(self) -> dict[str, str]:
        self._refresh_tarball()
        await self.server.start()
        app = web.Application()
        app.router.add_get("/requests", self._requests)
        app.router.add_post("/change", self._change)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.control_url = f"http://{host}:{port}"
        return {
            "api_url": self.server.api_url,
            "control_url": self.control_url,
            "owner": self.server.owner,
            "repo": self.server.repo,
        }

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        await self.server.close()

    async def _requests(self, request: web.Request) -> web.Response:
        records = self.server.requests
        api = sum(1 for r in records if r.origin == "api")
        return web.json_response({"api": api, "download": len(records) - api})

    async def _change(self, request: web.Request) -> web.Response:
        count = int(request.query.get("count", "1"))
        salt = request.query.get("salt", "0")
        files = self.server.files
        chosen = random.Random(salt).sample(sorted(files), min(count, len(files)))
        self.server.commit({p: change_file(files[p], salt) for p in chosen})
        self._refresh_tarball()
        return web.json_response({"changed": chosen})


async def serve(specs: Sequence[str], latency: float, limit: int | None) -> None:
    bench = BenchServer(read_tree(specs, limit), latency)
    info = await bench.start()
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes it
    finally:
        await bench.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="GitHub-like server for the benchmarks")
    parser.add_argument("folders", nargs="+", help="PREFIX=FOLDER (or =FOLDER)")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--limit", type=int, default=None, help="files per folder")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.folders, args.latency, args.limit))


if __name__ == "__main__":
    main()
