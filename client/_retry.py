"""When to retry and how long to wait: pure decisions, no I/O and no sleeping."""

from __future__ import annotations

import email.utils
import math
import time
from dataclasses import dataclass
from datetime import UTC

import httpx

from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    MusicAPIError,
    RateLimitError,
    ServerError,
    TransportError,
)

__all__ = ["RetryEvent", "RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True, kw_only=True)
class RetryEvent:
    """What the client's ``on_retry`` callback receives just before it waits to retry a request.

    ``error`` is what the failed attempt raised; ``retry`` counts the retries of this request
    from 1 up to ``max_retries`` (the client's); ``delay`` is the wait in seconds that follows
    (the API's ``Retry-After`` when it sent one); ``request`` is the request about to be resent.
    """

    error: MusicAPIError
    retry: int
    max_retries: int
    delay: float
    request: httpx.Request


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """The shape of the backoff between retries (how many retries is the client's ``max_retries``).

    The n-th retry (n = 0, 1, ...) waits ``min(max_delay, initial_delay * multiplier**n)``, reduced
    by a random fraction of up to ``jitter`` so that clients that failed together do not retry
    together. A ``Retry-After`` from the API replaces that computed wait; one longer than
    ``max_retry_after`` is not waited for: the error is raised at once, carrying ``retry_after``.

    ``initial_delay`` is the base delay and ``max_delay`` the cap; both may be as small as you
    like, 0 included (no wait at all). Against a fast mock, a test fixture can make retries
    quick without turning them off::

        MusicClient(retry_policy=RetryPolicy(initial_delay=0.01, max_delay=0.05), ...)

    The policy does not shorten a ``Retry-After`` the server sends: the mock sends
    ``Retry-After: 1`` with an injected 429 unless its fault rule says ``"retry_after": 0``;
    with ``max_retry_after`` below that wait, such an error is raised at once instead.
    Delays must be finite numbers of seconds (``max_retry_after`` may be ``math.inf``).
    """

    initial_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 8.0
    jitter: float = 0.5
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        # "not x >= 0" rather than "x < 0": NaN compares false with everything.
        if not (self.initial_delay >= 0 and self.max_delay >= 0 and self.max_retry_after >= 0):
            raise ValueError("RetryPolicy delays must not be negative (or NaN)")
        if not (math.isfinite(self.initial_delay) and math.isfinite(self.max_delay)):
            raise ValueError("RetryPolicy.initial_delay and max_delay must be finite")
        if not (self.multiplier >= 1 and math.isfinite(self.multiplier)):
            raise ValueError("RetryPolicy.multiplier must be a finite number, at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy.jitter must be between 0 and 1")

    def backoff(self, retry_number: int, *, random_fraction: float) -> float:
        """The computed wait before retry ``retry_number``; ``random_fraction`` is in [0, 1)."""
        exponent = min(retry_number, 64)  # past this the cap applies anyway
        try:
            growth = self.multiplier**exponent
        except OverflowError:  # a huge multiplier: far past the cap
            growth = math.inf
        # 0 * inf is NaN: no initial delay means no delay, however large the multiplier.
        delay = min(self.max_delay, self.initial_delay * growth) if self.initial_delay else 0.0
        return delay * (1 - self.jitter * random_fraction)

    def delay_for(
        self, error: MusicAPIError, *, retry_number: int, idempotent: bool, random_fraction: float
    ) -> float | None:
        """The wait before retrying after ``error``, or None when it must not be retried.

        Idempotent calls (get, list, wait, download) are retried on 429, 500, 503, connection
        errors and timeouts. ``create`` is retried only when the error proves the API did not
        process the request: 429, 503 (the vendor asks for retries with backoff), and a connection
        that could not be opened. A read timeout, a dropped connection or a 500 after the body
        was sent may have created a task, so retrying could create a second one (and spend
        credits twice).
        """
        if not is_retryable(error, idempotent=idempotent):
            return None
        retry_after = error.retry_after if isinstance(error, APIStatusError) else None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        return self.backoff(retry_number, random_fraction=random_fraction)


def is_retryable(error: MusicAPIError, *, idempotent: bool) -> bool:
    """Whether ``error`` may be retried (see ``RetryPolicy.delay_for``)."""
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, ServerError):
        return error.status_code == 503 or (idempotent and error.status_code == 500)
    if isinstance(error, TransportError):
        if not error.request_sent:
            return True
        return idempotent and isinstance(error, APIConnectionError | APITimeoutError)
    return False


def parse_retry_after(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds from now, from delta-seconds or an HTTP-date; None if absent.

    An HTTP-date is measured against the response's ``Date`` header when it has one (so client
    and server clocks need not agree), else against ``now`` (default: the wall clock).
    """
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        target = _http_date(value)
        if target is None:
            return None
        reference = _http_date(headers.get("date", ""))
        if reference is None:
            reference = time.time() if now is None else now
        seconds = target - reference
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _http_date(value: str) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are always UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
