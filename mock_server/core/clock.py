"""The mock's clock: real (optionally sped up) or manual (moves only when told).

Mock time is measured in seconds since the clock started or was last reset ("elapsed").
Wall time for display is the wall-clock moment of that start plus the elapsed mock time; it never
raises, even for an instant past what ``datetime`` can hold (it stops at the end of year 9999).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "RealClock", "iso_utc", "make_clock"]

_LATEST = datetime.max.replace(tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def iso_utc(moment: datetime, *, timespec: str = "auto") -> str:
    """``moment`` (UTC) in ISO 8601 with a ``Z``, as every answer and log line shows times."""
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def _wall_time(start: datetime, at: float) -> datetime:
    """``start`` plus ``at`` seconds, clamped to what ``datetime`` can hold."""
    try:
        return start + timedelta(seconds=at)
    except (OverflowError, ValueError):
        # Readers (GET /_mock/clock, task timelines) must keep answering whatever the clock
        # reached, e.g. a real clock at a huge --speed; NaN cannot happen but clamps low.
        return _LATEST if at > 0 else _EARLIEST


class Clock(Protocol):
    """What the core needs of a clock."""

    mode: str

    def now(self) -> float:
        """Mock seconds since start or reset."""

    def wall_time(self, at: float) -> datetime:
        """The displayed (UTC) date-time of mock instant ``at``."""

    def real_seconds_until(self, at: float) -> float | None:
        """Real seconds to wait until mock instant ``at``; None when only ``advance`` moves time."""

    def advance(self, seconds: float) -> None:
        """Move mock time forward (manual clocks only)."""

    def reset(self) -> None:
        """Start again from zero."""


class RealClock:
    """Mock time follows the monotonic clock, ``speed`` times faster."""

    mode = "real"

    def __init__(self, *, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError("speed must be greater than 0")
        self.speed = speed
        self.reset()

    def reset(self) -> None:
        self._start_monotonic = time.monotonic()
        self._start_wall = datetime.now(UTC)
        self._offset = 0.0

    def now(self) -> float:
        return (time.monotonic() - self._start_monotonic) * self.speed + self._offset

    def wall_time(self, at: float) -> datetime:
        return _wall_time(self._start_wall, at)

    def real_seconds_until(self, at: float) -> float | None:
        return max(0.0, (at - self.now()) / self.speed)

    def advance(self, seconds: float) -> None:
        """Jump ahead; real time keeps flowing from there."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self._offset += seconds


class ManualClock:
    """Mock time stands still until ``advance`` moves it."""

    mode = "manual"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._elapsed = 0.0
            self._start_wall = datetime.now(UTC)

    def now(self) -> float:
        return self._elapsed

    def wall_time(self, at: float) -> datetime:
        return _wall_time(self._start_wall, at)

    def real_seconds_until(self, at: float) -> float | None:
        return 0.0 if at <= self._elapsed else None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._lock:
            self._elapsed += seconds


def make_clock(*, mode: str, speed: float = 1.0) -> Clock:
    """The clock for a configured mode."""
    if mode == "manual":
        return ManualClock()
    return RealClock(speed=speed)
