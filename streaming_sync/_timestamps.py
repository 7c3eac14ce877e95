"""Timestamps in JSON: ISO 8601 in UTC, read back from that or from epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(epoch: float) -> str:
    """``epoch`` seconds as ISO 8601 in UTC, to the microsecond:
    ``2026-12-06T12:26:00.321456Z`` (the form of every timestamp in our JSON)."""
    stamp = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds")
    return stamp.removesuffix("+00:00") + "Z"


def epoch_of(value: object) -> float:
    """Epoch seconds from a JSON timestamp: a number, or ISO 8601 text (``ValueError``
    for anything else). Reads what :func:`iso_utc` writes, and the numbers of before."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        stamp = datetime.fromisoformat(value)
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
    raise ValueError(f"not a timestamp: {value!r}")


__all__ = ["epoch_of", "iso_utc"]
