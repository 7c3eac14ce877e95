"""Health of a running service, judged from its events: healthy, degraded or unhealthy.

``HealthMonitor`` is a ``ProgressSink``; ``monitor.status()`` answers at any moment:

* **Unhealthy** when the last sync was aborted, when files are in flight but no event
  came for ``stall_after`` seconds (a stalled worker; not while a rate-limit pause
  explains the silence), or when the error rate over the last ``window`` finished
  files reaches ``unhealthy_error_rate``;
* **Degraded** when the source rate-limited us until a time still in the future, or the
  error rate reaches ``degraded_error_rate``;
* **Healthy** otherwise.

The error rate is failed / (succeeded + failed + skipped) over the window, judged once
at least ``min_files`` files finished. Every reason found is given, worst first.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from typing import Any

import attrs

from .._errors import ConfigError
from .._model import Outcome
from .events import (
    FileFailed,
    FileSkipped,
    FileStarted,
    FileSucceeded,
    ProgressEvent,
    RateLimited,
    SyncFinished,
    SyncStarted,
)
from .tally import Clock


class HealthState(enum.StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


@attrs.frozen
class HealthStatus:
    """A state and, unless healthy, why (every reason found, joined by ``; ``)."""

    state: HealthState
    reason: str | None = None

    @classmethod
    def healthy(cls) -> HealthStatus:
        return cls(HealthState.HEALTHY)

    @classmethod
    def degraded(cls, reason: str) -> HealthStatus:
        return cls(HealthState.DEGRADED, reason)

    @classmethod
    def unhealthy(cls, reason: str) -> HealthStatus:
        return cls(HealthState.UNHEALTHY, reason)

    @property
    def ok(self) -> bool:
        """True unless unhealthy (degraded still works, more slowly or with failures)."""
        return self.state is not HealthState.UNHEALTHY

    def to_dict(self) -> dict[str, object]:
        return {"state": str(self.state), "reason": self.reason}

    def __str__(self) -> str:
        return str(self.state) if self.reason is None else f"{self.state}: {self.reason}"


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{attribute.name}={value!r}: must be greater than 0")


def _rate(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 < value <= 1:
        raise ConfigError(f"{attribute.name}={value!r}: must be in (0, 1]")


@attrs.define
class HealthMonitor:
    """A ``ProgressSink`` that judges the health of the syncs it sees (see the module
    docstring). ``clock`` (monotonic) and ``wall_clock`` (epoch, compared with
    ``RateLimited.resume_at``) are injectable for tests."""

    window: int = attrs.field(default=50, validator=_positive)
    min_files: int = attrs.field(default=5, validator=_positive)
    degraded_error_rate: float = attrs.field(default=0.1, validator=_rate)
    unhealthy_error_rate: float = attrs.field(default=0.5, validator=_rate)
    stall_after: float = attrs.field(default=120.0, validator=_positive)
    clock: Clock = attrs.field(default=time.monotonic, repr=False)
    wall_clock: Clock = attrs.field(default=time.time, repr=False)
    _outcomes: deque[bool] = attrs.field(init=False, repr=False)
    _in_flight: int = attrs.field(default=0, init=False)
    _last_event: float | None = attrs.field(default=None, init=False)
    _rate_limited: RateLimited | None = attrs.field(default=None, init=False)
    _aborted: str | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        self._outcomes = deque(maxlen=self.window)

    async def emit(self, event: ProgressEvent) -> None:
        self.observe(event)

    def observe(self, event: ProgressEvent) -> None:
        """Update the state from one event."""
        self._last_event = self.clock()
        if isinstance(event, SyncStarted):
            self._in_flight, self._aborted = 0, None
        elif isinstance(event, FileStarted):
            self._in_flight += 1
        elif isinstance(event, FileSucceeded | FileSkipped | FileFailed):
            self._in_flight = max(self._in_flight - 1, 0)
            self._outcomes.append(isinstance(event, FileFailed))
        elif isinstance(event, RateLimited):
            self._rate_limited = event
        elif isinstance(event, SyncFinished):
            self._in_flight = 0
            report = event.report
            if report.outcome is Outcome.ABORTED:
                self._aborted = report.error or "aborted"

    @property
    def error_rate(self) -> float | None:
        """Failed share of the last ``window`` finished files (None below ``min_files``)."""
        if len(self._outcomes) < self.min_files:
            return None
        return sum(self._outcomes) / len(self._outcomes)

    def status(self) -> HealthStatus:
        """The health now."""
        bad, poor = self._unhealthy_reasons(), self._degraded_reasons()
        if bad:
            return HealthStatus.unhealthy("; ".join(bad + poor))
        if poor:
            return HealthStatus.degraded("; ".join(poor))
        return HealthStatus.healthy()

    def _paused_until(self) -> float | None:
        limited = self._rate_limited
        if limited is not None and limited.resume_at > self.wall_clock():
            return limited.resume_at
        return None

    def _unhealthy_reasons(self) -> list[str]:
        reasons = []
        if self._aborted is not None:
            reasons.append(f"last sync aborted: {self._aborted}")
        if self._in_flight > 0 and self._last_event is not None and self._paused_until() is None:
            silent = self.clock() - self._last_event
            if silent >= self.stall_after:
                reasons.append(
                    f"stalled: {self._in_flight} file(s) in flight, no progress for {silent:.0f}s"
                )
        rate = self.error_rate
        if rate is not None and rate >= self.unhealthy_error_rate:
            reasons.append(self._rate_text(rate))
        return reasons

    def _degraded_reasons(self) -> list[str]:
        reasons = []
        until = self._paused_until()
        if until is not None:
            assert self._rate_limited is not None
            clock_text = time.strftime("%H:%M:%S", time.localtime(until))
            reasons.append(f"rate limited until {clock_text} ({self._rate_limited.reason})")
        rate = self.error_rate
        if rate is not None and self.degraded_error_rate <= rate < self.unhealthy_error_rate:
            reasons.append(self._rate_text(rate))
        return reasons

    def _rate_text(self, rate: float) -> str:
        return (
            f"error rate {rate:.0%} over the last {len(self._outcomes)} files"
            f" ({sum(self._outcomes)} failed)"
        )


__all__ = ["HealthMonitor", "HealthState", "HealthStatus"]
