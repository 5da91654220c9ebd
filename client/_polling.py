"""The waits between the polls of ``wait``, and the one check of a number of seconds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import InvalidArgumentError

__all__ = ["POLL_GROWTH", "PollSchedule", "check_seconds"]

#: Each wait between polls is this many times the one before, up to the cap.
POLL_GROWTH = 1.5


def check_seconds(name: str, value: Any) -> None:
    """Refuse a wait timeout or poll interval that is not a number of seconds above 0.

    The one rule for the clients' defaults (``wait_timeout=``, ``poll_interval=``,
    ``max_poll_interval=``) and for the arguments of one ``wait`` or ``generate``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(f"{name} must be a number of seconds, not {value!r}")
    if not value > 0:  # also refuses NaN
        raise InvalidArgumentError(f"{name} must be greater than 0, not {value!r}")


class PollSchedule:
    """The waits between polls of ``wait``: growing by half each time, capped, within a deadline."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        timeout: float,
        poll_interval: float,
        max_poll_interval: float,
    ) -> None:
        check_seconds("timeout", timeout)
        check_seconds("poll_interval", poll_interval)
        check_seconds("max_poll_interval", max_poll_interval)
        self.timeout = timeout
        self._clock = clock
        self._deadline = clock() + timeout
        self._interval = poll_interval
        self._max_interval = max(max_poll_interval, poll_interval)

    def next_delay(self) -> float | None:
        """How long to sleep before the next poll, or None when the deadline has passed."""
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            return None
        delay = min(self._interval, remaining)
        self._interval = min(self._interval * POLL_GROWTH, self._max_interval)
        return delay
