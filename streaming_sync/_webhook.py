"""GitHub's push webhook, judged: what a delivery asks for, and whether it may ask.

:class:`WebhookReceiver` decides on one delivery (its headers and raw body) without any
HTTP library; ``_watch_http`` serves it with aiohttp. The order is fixed:

1. a body over ``max_body`` bytes is refused (413) before it is read whole;
2. the ``X-Hub-Signature-256`` header must be ``sha256=`` and the HMAC-SHA256 of the
   exact body bytes under the secret, compared in constant time -- an unsigned or
   forged delivery (a valid signature of another body included) gets 401 and nothing
   of it is parsed or acted on;
3. only then is the body read: ``ping`` answers 200; a ``push`` to the watched
   repository and ref calls ``on_push(head)`` (202), one to another repository or ref is
   acknowledged and ignored (200); any other event is acknowledged and ignored;
4. a delivery id seen before (GitHub's redelivery, or a replay) is acknowledged once
   more and not acted on again.

The secret is held as bytes and never shown: not in the repr, the answers or the logs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import attrs

logger = logging.getLogger(__name__)

#: Largest body accepted by default (GitHub caps payloads at 25 MB; a push of the
#: 2,048 commits a payload may list stays well below this).
DEFAULT_MAX_BODY = 5 * 1024 * 1024
#: How many delivery ids are remembered to recognise a replay.
REMEMBERED_DELIVERIES = 1000
SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"


def signature(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@attrs.frozen
class PushTarget:
    """The pushes that matter: to ``owner/repo`` (case-insensitive, as GitHub names
    are) on ``ref`` -- a branch or tag name; None means the repository's default branch,
    which a push payload names."""

    owner: str
    repo: str
    ref: str | None = None

    def wants(self, payload: Mapping[str, Any]) -> str | None:
        """Why a push is not for us (None when it is)."""
        repository = payload.get("repository") or {}
        name = str(repository.get("full_name", ""))
        if name.lower() != f"{self.owner}/{self.repo}".lower():
            return f"a push to {name or 'an unnamed repository'}, not {self.owner}/{self.repo}"
        pushed = str(payload.get("ref", ""))
        wanted = self.ref or str(repository.get("default_branch") or "")
        if pushed not in (f"refs/heads/{wanted}", f"refs/tags/{wanted}"):
            return f"a push to {pushed or 'no ref'}, not {wanted or 'the default branch'}"
        return None


@attrs.frozen
class Answer:
    """What to answer a delivery: an HTTP status and a short text (never the secret)."""

    status: int
    text: str


class WebhookReceiver:
    """Judges GitHub push deliveries for one :class:`PushTarget` (see the module
    docstring); ``on_push`` gets the pushed head commit (``after``) of each accepted
    push. Counts what it answered, for tests and health."""

    def __init__(
        self,
        secret: str | bytes,
        target: PushTarget,
        on_push: Callable[[str | None], None],
        *,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not key:
            raise ValueError("the webhook secret is empty; set a long random one")
        self._secret = key
        self.target = target
        self.on_push = on_push
        self.max_body = max_body
        self.answered: dict[int, int] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"<WebhookReceiver {self.target.owner}/{self.target.repo} secret=***>"

    def too_big(self, length: int | None) -> Answer | None:
        """413 for a declared or read length over ``max_body`` (checked before reading
        the rest of the body)."""
        if length is not None and length > self.max_body:
            return self._count(Answer(413, f"body over {self.max_body} bytes refused"))
        return None

    def receive(self, headers: Mapping[str, str], body: bytes) -> Answer:
        """The answer to one delivery (its whole body, at most ``max_body`` bytes)."""
        return self._count(self._judge(headers, body))

    def _count(self, answer: Answer) -> Answer:
        self.answered[answer.status] = self.answered.get(answer.status, 0) + 1
        return answer

    def _judge(self, headers: Mapping[str, str], body: bytes) -> Answer:
        if (refused := self.too_big(len(body))) is not None:
            return refused
        sent = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(sent.encode(), signature(self._secret, body).encode()):
            logger.warning(
                "refused a webhook delivery %s: %s",
                headers.get(DELIVERY_HEADER, "(no id)"),
                "unsigned" if not sent else "signature does not match",
            )
            return Answer(401, "signature missing or invalid")
        event = headers.get(EVENT_HEADER, "")
        if event == "ping":
            return Answer(200, "pong")
        if event != "push":
            return Answer(200, f"ignored: a {event or 'nameless'} event")
        delivery = headers.get(DELIVERY_HEADER, "")
        if delivery and delivery in self._seen:
            return Answer(200, "ignored: delivery already received")
        return self._push(headers, body, delivery)

    def _push(self, headers: Mapping[str, str], body: bytes, delivery: str) -> Answer:
        try:
            payload = _payload(headers, body)
        except ValueError as error:
            return Answer(400, f"malformed push payload: {error}")
        self._remember(delivery)
        why_not = self.target.wants(payload)
        if why_not is not None:
            return Answer(200, f"ignored: {why_not}")
        if payload.get("deleted"):
            return Answer(200, "ignored: the ref was deleted")
        head = payload.get("after")
        self.on_push(str(head) if head else None)
        logger.info("webhook: push of %s to %s", str(head)[:12], payload.get("ref"))
        return Answer(202, "sync scheduled")

    def _remember(self, delivery: str) -> None:
        if delivery:
            self._seen[delivery] = None
            while len(self._seen) > REMEMBERED_DELIVERIES:
                self._seen.popitem(last=False)


def _payload(headers: Mapping[str, str], body: bytes) -> Mapping[str, Any]:
    """The push payload: a JSON body, or a form with a ``payload`` field (the two
    content types a GitHub webhook may use)."""
    kind = headers.get("Content-Type", "application/json").split(";")[0].strip().lower()
    text = body.decode("utf-8")
    if kind == "application/x-www-form-urlencoded":
        fields = urllib.parse.parse_qs(text)
        if "payload" not in fields:
            raise ValueError("a form body without a payload field")
        text = fields["payload"][0]
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise ValueError("the payload is not a JSON object")
    return loaded


__all__ = [
    "DEFAULT_MAX_BODY",
    "Answer",
    "PushTarget",
    "WebhookReceiver",
    "signature",
]
