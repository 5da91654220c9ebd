"""When a failed message is tried again, on the mock's clock: a fixed schedule or a backoff.

The default is the Standard Webhooks / Svix schedule (``STANDARD_RETRY_SCHEDULE``): at once,
then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, each wait counted from the attempt before, so
a receiver that is down for a day still gets every message. The older exponential backoff with
jitter stays available (``--webhook-retries`` / ``--webhook-backoff``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..core import MockConfig
from ..core.config import check_retry_schedule

__all__ = ["RetryPolicy", "parse_retry_schedule"]

_SYSTEM_RANDOM = random.SystemRandom()


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Retry ``n`` (1-based) waits ``schedule[n]``, exactly, when there is a ``schedule``.

    Without one it waits ``initial_backoff * 2**(n-1)`` plus up to ``jitter`` of it, capped at
    ``max_backoff``, for ``max_retries`` retries. A receiver's ``Retry-After`` replaces the
    delay (capped at ``max_backoff``, or the schedule's longest wait). With a ``seed``, the
    jitter of a message's n-th retry depends only on the seed, the message id and n, so runs
    repeat exactly.
    """

    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 300.0
    jitter: float = 0.2
    seed: int | None = None
    schedule: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.schedule is not None:
            # The schedule decides both how many retries there are and the longest wait.
            object.__setattr__(self, "max_retries", len(self.schedule) - 1)
            object.__setattr__(self, "max_backoff", max(self.schedule))

    @classmethod
    def from_config(cls, config: MockConfig) -> RetryPolicy:
        """The policy ``config`` asks for (its schedule, or the exponential backoff)."""
        backoff = config.exponential_backoff
        if backoff is None:
            return cls(schedule=config.effective_retry_schedule, seed=config.seed)
        retries, initial, maximum = backoff
        return cls(
            max_retries=retries, initial_backoff=initial, max_backoff=maximum, seed=config.seed
        )

    def delay(self, *, retry: int, key: str, retry_after: float | None = None) -> float:
        """Mock seconds to wait before retry number ``retry`` of the message ``key``."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_backoff))
        if self.schedule is not None:
            return self.schedule[min(retry, len(self.schedule) - 1)]
        base = self.initial_backoff * 2.0 ** min(retry - 1, 64)
        return min(self.max_backoff, base * (1.0 + self.jitter * self._unit(key, retry)))

    def _unit(self, key: str, retry: int) -> float:
        if self.seed is None:
            return _SYSTEM_RANDOM.random()
        return random.Random(f"{self.seed}:{key}:{retry}").random()


def parse_retry_schedule(value: str | Sequence[object]) -> tuple[float, ...]:
    """A retry schedule from ``"0,5,300"`` (a flag, an environment variable) or a list of
    numbers (a config file); ``ValueError`` saying what is wrong."""
    items: Sequence[object] = value.split(",") if isinstance(value, str) else value
    schedule: list[float] = []
    for item in items:
        text = item.strip() if isinstance(item, str) else item
        try:
            if isinstance(text, bool) or not isinstance(text, str | int | float):
                raise ValueError
            number = float(text)
        except ValueError:
            raise ValueError(
                f"{item!r} is not a number of seconds; expected a comma-separated list such "
                "as 0,5,300,1800 (0 first: the first attempt)"
            ) from None
        if not math.isfinite(number):
            raise ValueError(f"{item!r} is not a finite number of seconds")
        schedule.append(number)
    result = tuple(schedule)
    check_retry_schedule(result)
    return result
