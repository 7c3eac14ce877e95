"""GitHub's rate limits, shared by every request of one fetcher.

``RateGate`` is the one place that decides when a request may go out. It keeps an
estimate of the primary budget left in the current window (``x-ratelimit-remaining``
minus the requests still in flight, never trusting a stale, higher value within the same
window), so concurrent requests never spend more than the server allows. When the
estimate reaches 0, or the server answers with a primary or secondary limit, every
request waits at the gate until one common time; after a pause a single probe request
goes first to learn the new budget. Waiting is charged against a total wait budget;
a wait past it raises ``WaitBudgetExceeded`` for every caller.

Secondary limits follow GitHub's documented advice: ``retry-after`` seconds when given,
else the reset time when ``x-ratelimit-remaining`` is 0, else at least one minute
(``secondary_min_wait``) and exponentially longer on each repeat.

No HTTP library here: headers arrive as a ``Mapping[str, str]`` (case-insensitive ones
work as they are).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

import attrs

from .._errors import WaitBudgetExceeded
from .._protocols import Emit
from ..observe.events import RateLimited

logger = logging.getLogger(__name__)


@attrs.frozen
class RateHeaders:
    """The ``x-ratelimit-*`` headers of one response (None when absent or malformed)."""

    limit: int | None
    remaining: int | None
    reset: float | None
    resource: str | None
    retry_after: float | None

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateHeaders:
        def number(name: str) -> float | None:
            raw = headers.get(name)
            try:
                return None if raw is None else float(raw.strip())
            except ValueError:
                return None

        limit, remaining = number("x-ratelimit-limit"), number("x-ratelimit-remaining")
        return cls(
            limit=None if limit is None else int(limit),
            remaining=None if remaining is None else int(remaining),
            reset=number("x-ratelimit-reset"),
            resource=headers.get("x-ratelimit-resource"),
            retry_after=number("retry-after"),
        )


def error_message(body: bytes) -> str:
    """The ``message`` of a GitHub error body, or '' (bodies are JSON when they are
    errors; anything else yields '')."""
    try:
        value = json.loads(body)
    except ValueError:
        return ""
    message = value.get("message") if isinstance(value, dict) else None
    return message[:300] if isinstance(message, str) else ""


def limit_kind(status: int, rate: RateHeaders, message: str) -> str | None:
    """'secondary', 'primary' or None: whether a response is a rate-limit answer."""
    if status not in (403, 429):
        return None
    lowered = message.lower()
    if "secondary rate limit" in lowered or "abuse" in lowered or rate.retry_after is not None:
        return "secondary"
    if rate.remaining == 0 or "rate limit" in lowered:
        return "primary"
    return "secondary" if status == 429 else None


@attrs.define
class Ticket:
    """One request's pass through the gate; ``probe`` marks the lone request that
    learns the budget after a pause."""

    probe: bool
    done: bool = False


def _clock_text(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


class RateGate:
    """Admits requests under GitHub's rate limits; see the module docstring.

    ``clock`` (epoch seconds, compared with GitHub's reset times) and ``sleep`` are
    injectable, so tests run a pause without waiting it out."""

    def __init__(
        self,
        *,
        wait_budget: float,
        secondary_min_wait: float = 60.0,
        reset_margin: float = 1.0,
        emit: Emit | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.clock, self.sleep = clock, sleep
        self.wait_budget = wait_budget
        self.secondary_min_wait = secondary_min_wait
        self.reset_margin = reset_margin
        self.emit = emit
        self.waited = 0.0
        self.pauses = 0
        self._paused_until = 0.0
        self._remaining: int | None = None
        self._reset_at = 0.0
        self._untracked = False
        self._inflight = 0
        self._probing = False
        self._strikes = 0
        self._exceeded: WaitBudgetExceeded | None = None
        self._changed = asyncio.Event()

    @property
    def remaining(self) -> int | None:
        """The estimated primary budget left in this window (None until GitHub said)."""
        return self._remaining

    def __repr__(self) -> str:
        return (
            f"<RateGate remaining={self._remaining} inflight={self._inflight} "
            f"paused_until={self._paused_until:.0f} waited={self.waited:.1f}s>"
        )

    def new_sync(self) -> None:
        """Start a new wait budget (called when a sync lists its files)."""
        self.waited = 0.0
        self._exceeded = None

    async def acquire(self, *, beside_probe: bool = False) -> Ticket:
        """Wait until a request may go out; raises ``WaitBudgetExceeded``.

        While the budget is unknown one request goes out (the probe) and the others
        wait for its answer; ``beside_probe``: this one goes out without being the probe
        or waiting for it (one request a caller asks for up front beside its first one,
        such as a cold sync's archive beside the commit lookup: it should neither wait
        a round trip for the probe nor make the lookup wait for it)."""
        while True:
            if self._exceeded is not None:
                raise self._exceeded
            now = self.clock()
            if self._paused_until > now:
                await self._wait_change(self._paused_until - now)
            elif self._untracked:
                return self._admit(probe=False)
            elif self._remaining is None:
                if beside_probe:
                    return self._admit(probe=False)
                if not self._probing:
                    self._probing = True
                    return self._admit(probe=True)
                await self._wait_change(None)
            elif self._remaining > 0:
                self._remaining -= 1
                return self._admit(probe=False)
            elif self._reset_at + self.reset_margin <= now:
                self._remaining = None
            else:
                await self._pause(self._reset_at + self.reset_margin, "primary rate limit")

    def release(self, ticket: Ticket, headers: Mapping[str, str] | None) -> None:
        """The request ended (``headers`` None when no response arrived). Synchronous,
        so it is safe in ``finally`` blocks during cancellation."""
        if ticket.done:
            return
        ticket.done = True
        self._inflight -= 1
        if ticket.probe:
            self._probing = False
        if headers is not None:
            self._learn(RateHeaders.parse(headers))
        self._notify()

    def succeeded(self) -> None:
        """A non-limited answer arrived: secondary backoff starts over."""
        self._strikes = 0

    async def limited(self, ticket: Ticket, kind: str, headers: Mapping[str, str]) -> None:
        """The server refused ``ticket``'s request for a rate limit: pause everyone
        (raises ``WaitBudgetExceeded`` when the pause is past the budget)."""
        self.release(ticket, headers)
        rate = RateHeaders.parse(headers)
        now = self.clock()
        if kind == "secondary" and rate.retry_after is not None:
            until, reason = now + rate.retry_after, "secondary rate limit (retry-after)"
        elif rate.remaining == 0 and rate.reset is not None:
            # a floor, so a reset time already past (clock skew) cannot spin the loop
            floor = now + min(1.0, self.secondary_min_wait)
            until, reason = max(rate.reset + self.reset_margin, floor), f"{kind} rate limit"
        elif kind == "secondary":
            until = now + self.secondary_min_wait * 2**self._strikes
            reason = "secondary rate limit"
            self._strikes += 1
        else:
            until, reason = now + self.secondary_min_wait, "primary rate limit (no reset time)"
        self._remaining = None
        await self._pause(until, reason)

    def _admit(self, *, probe: bool) -> Ticket:
        self._inflight += 1
        return Ticket(probe=probe)

    def _learn(self, rate: RateHeaders) -> None:
        if rate.remaining is None or rate.reset is None:
            self._untracked = True
            return
        self._untracked = False
        if rate.resource not in (None, "core"):
            return
        estimate = max(0, rate.remaining - self._inflight)
        if self._remaining is None or rate.reset > self._reset_at:
            self._remaining, self._reset_at = estimate, rate.reset
        elif rate.reset == self._reset_at:
            self._remaining = min(self._remaining, estimate)

    async def _pause(self, until: float, reason: str) -> None:
        now = self.clock()
        extra = until - max(now, self._paused_until)
        if extra <= 0:
            return
        if self.waited + extra > self.wait_budget:
            self._exceeded = WaitBudgetExceeded(
                f"GitHub {reason}: waiting until {_clock_text(until)} would pass the wait "
                f"budget of {self.wait_budget:g} s; try again after {_clock_text(until)}",
                resume_at=until,
            )
            self._notify()
            raise self._exceeded
        self.waited += extra
        self.pauses += 1
        self._paused_until = until
        logger.warning("GitHub %s: every request waits until %s", reason, _clock_text(until))
        self._notify()
        if self.emit is not None:
            try:
                await self.emit(RateLimited(resume_at=until, reason=reason))
            except Exception:
                logger.exception("the rate-limit event handler failed; ignored")

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, seconds: float | None) -> None:
        """Sleep until the gate's state changes or ``seconds`` pass."""
        changed = asyncio.ensure_future(self._changed.wait())
        waits = (
            {changed} if seconds is None else {changed, asyncio.ensure_future(self.sleep(seconds))}
        )
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            await asyncio.gather(*waits, return_exceptions=True)


__all__ = ["RateGate", "RateHeaders", "Ticket", "error_message", "limit_kind"]
