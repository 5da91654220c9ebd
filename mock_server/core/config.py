"""The mock's configuration: one frozen object, built by the CLI or by tests."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from .store import DEFAULT_MAX_TASKS

__all__ = [
    "DEFAULT_WEBHOOK_SECRET",
    "MAX_RETRY_DELAY",
    "STANDARD_RETRY_SCHEDULE",
    "MockConfig",
    "check_retry_schedule",
]

#: Used when no ``--webhook-secret`` is given; printed at start so receivers can verify.
DEFAULT_WEBHOOK_SECRET = "whsec_bW9jay1kZXZlbG9wbWVudC1zZWNyZXQtMDAwMA=="

#: When a message's attempts are made when they fail, in mock seconds, each after the one before:
#: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (Standard Webhooks / Svix), so a
#: receiver that is down for up to a day still gets every message.
STANDARD_RETRY_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
#: The longest wait a retry schedule may name (a week of mock time).
MAX_RETRY_DELAY = 7 * 86_400.0
_MAX_SCHEDULE = 100

ClockMode = Literal["real", "manual"]
RequestLog = Literal["off", "text", "json"]


@dataclass(frozen=True, kw_only=True)
class MockConfig:
    """Everything that shapes one mock instance.

    Times are in mock seconds (the clock's unit). ``api_keys`` empty means any non-empty key is
    accepted. ``public_url`` is the base of result URLs; when unset, the base of the request that
    created the task is used.

    Webhooks: each attempt (resolving the host included) ends after ``webhook_timeout`` seconds;
    ``webhook_retry_schedule`` says when a failed message's attempts are made, in mock seconds,
    each after the one before (the first entry, 0, is the first attempt; the default is
    ``STANDARD_RETRY_SCHEDULE``). Setting any of ``webhook_max_retries``,
    ``webhook_initial_backoff`` or ``webhook_max_backoff`` instead gives the older exponential
    backoff: that many retries (default 5), waiting the initial backoff (default 1 s) plus up to
    20 % jitter, doubling up to the maximum (default 300 s); the two kinds cannot be mixed. At
    most ``webhook_response_cap`` bytes of an answer are read. ``webhook_workers`` is how many
    attempts may be in flight to one receiver (scheme, host and port) at once; every receiver has
    workers of its own, so one that hangs never delays the others.

    ``max_tasks`` bounds the tasks kept: beyond it the oldest finished ones are forgotten (and
    answer 404 like unknown ones); a create when all of them are still running is a 429.
    """

    api_keys: tuple[str, ...] = ()
    clock: ClockMode = "real"
    speed: float = 1.0
    created_seconds: float = 1.0
    processing_seconds: float = 4.0
    realistic: bool = False
    seed: int | None = None
    public_url: str | None = None
    max_body_bytes: int = 1024 * 1024
    max_tasks: int = DEFAULT_MAX_TASKS
    # Webhooks
    webhook_secrets: tuple[str, ...] = ()
    webhook_allow: tuple[str, ...] = ("loopback",)
    webhook_on_created: bool = True
    webhook_timeout: float = 10.0
    webhook_retry_schedule: tuple[float, ...] | None = None
    webhook_max_retries: int | None = None
    webhook_initial_backoff: float | None = None
    webhook_max_backoff: float | None = None
    webhook_response_cap: int = 64 * 1024
    webhook_workers: int = 8
    chaos_duplicate: bool = False
    chaos_out_of_order: bool = False
    # Control API
    scenarios: tuple[dict[str, Any], ...] = field(default=())
    admin_token: str | None = None
    journal_size: int = 1000
    #: Fault rules in force from the start (as ``POST /_mock/faults`` takes them).
    faults: tuple[dict[str, Any], ...] = field(default=())
    #: One line per request on standard output (``freepik-mock serve`` turns it on).
    request_log: RequestLog = "off"

    def __post_init__(self) -> None:
        if self.clock not in ("real", "manual"):
            raise ValueError(f"clock must be 'real' or 'manual', not {self.clock!r}")
        if self.request_log not in ("off", "text", "json"):
            raise ValueError(
                f"request_log must be 'off', 'text' or 'json', not {self.request_log!r}"
            )
        if not self.speed > 0:
            raise ValueError("speed must be greater than 0")
        if self.max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")
        for name in ("created_seconds", "processing_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        self._check_webhooks()

    def _check_webhooks(self) -> None:
        backoff = self.exponential_backoff
        if self.webhook_retry_schedule is not None:
            if backoff is not None:
                raise ValueError(
                    "webhook_retry_schedule cannot be combined with webhook_max_retries, "
                    "webhook_initial_backoff or webhook_max_backoff: choose one"
                )
            check_retry_schedule(self.webhook_retry_schedule)
        if not (math.isfinite(self.webhook_timeout) and self.webhook_timeout > 0):
            raise ValueError("webhook_timeout must be a finite number of seconds greater than 0")
        if backoff is not None:
            retries, initial, maximum = backoff
            for name, value in (
                ("webhook_initial_backoff", initial),
                ("webhook_max_backoff", maximum),
            ):
                if not (math.isfinite(value) and value > 0):
                    raise ValueError(f"{name} must be a finite number of seconds greater than 0")
            if maximum < initial:
                raise ValueError(
                    f"webhook_max_backoff ({maximum:g} s) must not be less than "
                    f"webhook_initial_backoff ({initial:g} s)"
                )
            if retries < 0:
                raise ValueError("webhook_max_retries must not be negative")
        if self.webhook_workers < 1:
            raise ValueError("webhook_workers must be at least 1")
        if self.webhook_response_cap < 1:
            raise ValueError("webhook_response_cap must be at least 1 byte")

    @property
    def exponential_backoff(self) -> tuple[int, float, float] | None:
        """(retries, initial, maximum) of the older exponential backoff, None for a schedule."""
        legacy = (self.webhook_max_retries, self.webhook_initial_backoff, self.webhook_max_backoff)
        if all(value is None for value in legacy):
            return None
        retries, initial, maximum = legacy
        return (
            5 if retries is None else retries,
            1.0 if initial is None else initial,
            300.0 if maximum is None else maximum,
        )

    @property
    def effective_retry_schedule(self) -> tuple[float, ...] | None:
        """The retry schedule in force (None when the exponential backoff is)."""
        if self.webhook_retry_schedule is not None:
            return self.webhook_retry_schedule
        return None if self.exponential_backoff is not None else STANDARD_RETRY_SCHEDULE

    @property
    def effective_webhook_secrets(self) -> tuple[str, ...]:
        """The secrets deliveries are signed with (the development secret when none is set)."""
        return self.webhook_secrets or (DEFAULT_WEBHOOK_SECRET,)


def check_retry_schedule(schedule: tuple[float, ...]) -> None:
    """A retry schedule: 0 first (the first attempt), then waits of 0 to ``MAX_RETRY_DELAY`` s."""
    if not schedule:
        raise ValueError("webhook_retry_schedule must name at least the first attempt (0)")
    if len(schedule) > _MAX_SCHEDULE:
        raise ValueError(f"webhook_retry_schedule may name at most {_MAX_SCHEDULE} attempts")
    for value in schedule:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"webhook_retry_schedule entries must be numbers, not {value!r}")
        if not (math.isfinite(value) and 0 <= value <= MAX_RETRY_DELAY):
            raise ValueError(
                f"webhook_retry_schedule entries must be seconds from 0 to {MAX_RETRY_DELAY:.0f}, "
                f"not {value!r}"
            )
    if schedule[0] != 0:
        raise ValueError(
            "webhook_retry_schedule must start with 0: the first attempt is made at once "
            f"(then the wait before each retry), not after {schedule[0]:g} s"
        )
