"""GitHub-like webhook deliveries, for tests of anything that receives them (ours:
``streaming-sync watch --webhook-port``).

:func:`push_payload` builds a ``push`` event's payload in GitHub's shape (the fields a
receiver reads: ``ref``, ``before``, ``after``, ``created``, ``deleted``, ``forced``,
``repository`` with ``full_name`` and ``default_branch``, ``head_commit``, ``commits``,
``pusher``, ``sender``); :func:`deliver` POSTs a delivery with GitHub's headers
(``X-GitHub-Event``, ``X-GitHub-Delivery``, ``X-GitHub-Hook-ID``, ``X-Hub-Signature-256``)
and returns the status and text of the answer. ``GitHubLikeServer.add_webhook`` uses
them to deliver a push for every commit it makes, as GitHub does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp

from .._webhook import signature

ZERO = "0" * 40


def push_payload(
    owner: str,
    repo: str,
    *,
    ref: str,
    before: str,
    after: str,
    default_branch: str = "main",
    message: str = "update",
) -> dict[str, Any]:
    """A ``push`` payload of ``ref`` moving from ``before`` to ``after``."""
    html = f"https://github.com/{owner}/{repo}"
    commit: dict[str, Any] = {
        "id": after,
        "tree_id": None,
        "distinct": True,
        "message": message,
        "url": f"{html}/commit/{after}",
        "author": {"name": "Octo Cat", "email": "octocat@example.invalid", "username": "octocat"},
        "added": [],
        "removed": [],
        "modified": [],
    }
    return {
        "ref": ref,
        "before": before,
        "after": after,
        "created": before == ZERO,
        "deleted": after == ZERO,
        "forced": False,
        "base_ref": None,
        "compare": f"{html}/compare/{before[:12]}...{after[:12]}",
        "commits": [] if after == ZERO else [commit],
        "head_commit": None if after == ZERO else commit,
        "repository": {
            "id": 1,
            "name": repo,
            "full_name": f"{owner}/{repo}",
            "private": False,
            "owner": {"login": owner, "name": owner},
            "html_url": html,
            "default_branch": default_branch,
            "master_branch": default_branch,
        },
        "pusher": {"name": "octocat", "email": "octocat@example.invalid"},
        "sender": {"login": "octocat", "id": 1, "type": "User"},
    }


def delivery_headers(
    body: bytes,
    secret: str | bytes | None,
    *,
    event: str = "push",
    delivery: str | None = None,
    hook_id: int = 1,
) -> dict[str, str]:
    """The headers GitHub sends with ``body`` (no signature header without a secret)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/streaming-sync-tests",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": str(hook_id),
    }
    if secret is not None:
        key = secret.encode() if isinstance(secret, str) else secret
        headers["X-Hub-Signature-256"] = signature(key, body)
    return headers


async def deliver(
    url: str,
    body: bytes | Mapping[str, Any],
    secret: str | bytes | None,
    *,
    event: str = "push",
    headers: Mapping[str, str] | None = None,
    session: aiohttp.ClientSession | None = None,
) -> tuple[int, str]:
    """POST one delivery to ``url``: ``body`` (a payload is sent as JSON), signed with
    ``secret`` unless None; ``headers`` replace or add to GitHub's. Returns the answer's
    status and text."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {**delivery_headers(raw, secret, event=event), **(headers or {})}
    if session is None:
        async with aiohttp.ClientSession() as own:
            return await _post(own, url, raw, sent)
    return await _post(session, url, raw, sent)


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: Mapping[str, str]
) -> tuple[int, str]:
    async with session.post(url, data=body, headers=dict(headers)) as response:
        return response.status, await response.text()


__all__ = ["ZERO", "deliver", "delivery_headers", "push_payload"]
