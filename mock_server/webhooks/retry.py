"""When a failed message is tried again: exponential backoff with jitter, on the mock's clock."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy"]

_SYSTEM_RANDOM = random.SystemRandom()


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Retry ``n`` (1-based) waits ``initial_backoff * 2**(n-1)`` plus up to ``jitter`` of it.

    Every delay is capped at ``max_backoff``. A receiver's ``Retry-After`` replaces the computed
    delay (capped the same way). With a ``seed``, the jitter of a message's n-th retry depends
    only on the seed, the message id and n, so runs repeat exactly.
    """

    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 300.0
    jitter: float = 0.2
    seed: int | None = None

    def delay(self, *, retry: int, key: str, retry_after: float | None = None) -> float:
        """Mock seconds to wait before retry number ``retry`` of the message ``key``."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_backoff))
        base = self.initial_backoff * 2.0 ** min(retry - 1, 64)
        return min(self.max_backoff, base * (1.0 + self.jitter * self._unit(key, retry)))

    def _unit(self, key: str, retry: int) -> float:
        if self.seed is None:
            return _SYSTEM_RANDOM.random()
        return random.Random(f"{self.seed}:{key}:{retry}").random()
