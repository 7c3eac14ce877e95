"""The HTTP endpoints of ``streaming-sync watch``, on aiohttp: the health endpoint and
GitHub's push webhook (judged by ``_webhook.WebhookReceiver``).

* ``GET /healthz`` -- the watcher's ``WatchStatus`` as JSON: 200 when ready (a sync
  finished and the last one did not abort), 503 otherwise; ``/healthz/ready`` the same,
  ``/healthz/live`` 200 while the watch loop runs.
* ``POST /`` (or ``/webhook``) -- a webhook delivery. Its body is read in chunks and
  refused (413) once it passes the receiver's limit -- a declared ``Content-Length``
  over it is refused before reading anything -- and nothing of it is looked at before
  its signature is verified.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import attrs
from aiohttp import web

from ._watch import WatchStatus
from ._webhook import Answer, WebhookReceiver

_CHUNK = 64 * 1024


@attrs.define
class Served:
    """A running endpoint: its port (the one asked for, or the free one picked for 0);
    ``aclose`` stops it."""

    runner: web.AppRunner
    port: int

    async def aclose(self) -> None:
        await self.runner.cleanup()


async def _serve(app: web.Application, host: str, port: int) -> Served:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return Served(runner, int(runner.addresses[0][1]))


async def serve_health(status: Callable[[], WatchStatus], host: str, port: int) -> Served:
    """Serve ``/healthz`` (and ``/live``, ``/ready`` below it) from ``status()``."""

    def answer(ok: bool, current: WatchStatus) -> web.Response:
        return web.json_response(current.to_dict(), status=200 if ok else 503)

    async def ready(_: web.Request) -> web.Response:
        current = status()
        return answer(current.ready, current)

    async def live(_: web.Request) -> web.Response:
        current = status()
        return answer(current.live, current)

    app = web.Application()
    app.router.add_get("/healthz", ready)
    app.router.add_get("/healthz/ready", ready)
    app.router.add_get("/healthz/live", live)
    return await _serve(app, host, port)


async def _body(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` bytes (the rest is not read)."""
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _text(answer: Answer) -> web.Response:
    return web.Response(status=answer.status, text=json.dumps({"message": answer.text}))


async def serve_webhook(receiver: WebhookReceiver, host: str, port: int) -> Served:
    """Serve GitHub's push webhook at ``/`` and ``/webhook``."""

    async def delivery(request: web.Request) -> web.Response:
        refused = receiver.too_big(request.content_length)
        if refused is not None:
            return _text(refused)
        body = await _body(request, receiver.max_body)
        if body is None:
            return _text(receiver.too_big(receiver.max_body + 1) or Answer(413, "too big"))
        return _text(receiver.receive(request.headers, body))

    app = web.Application()
    app.router.add_post("/", delivery)
    app.router.add_post("/webhook", delivery)
    return await _serve(app, host, port)


__all__ = ["Served", "serve_health", "serve_webhook"]
