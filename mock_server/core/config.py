"""The mock's configuration: one frozen object, built by the CLI or by tests."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from .store import DEFAULT_MAX_TASKS

__all__ = ["DEFAULT_WEBHOOK_SECRET", "MockConfig"]

#: Used when no ``--webhook-secret`` is given; printed at start so receivers can verify.
DEFAULT_WEBHOOK_SECRET = "whsec_bW9jay1kZXZlbG9wbWVudC1zZWNyZXQtMDAwMA=="

ClockMode = Literal["real", "manual"]
RequestLog = Literal["off", "text", "json"]


@dataclass(frozen=True, kw_only=True)
class MockConfig:
    """Everything that shapes one mock instance.

    Times are in mock seconds (the clock's unit). ``api_keys`` empty means any non-empty key is
    accepted. ``public_url`` is the base of result URLs; when unset, the base of the request that
    created the task is used.

    Webhooks: each attempt (resolving the host included) ends after ``webhook_timeout`` seconds;
    a failed message is retried ``webhook_max_retries`` times, waiting ``webhook_initial_backoff``
    seconds, doubling up to ``webhook_max_backoff``; at most ``webhook_response_cap`` bytes of an
    answer are read. ``webhook_workers`` is how many attempts may be in flight to one receiver
    (scheme, host and port) at once; every receiver has workers of its own, so one that hangs
    never delays the others.

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
    webhook_max_retries: int = 5
    webhook_initial_backoff: float = 1.0
    webhook_max_backoff: float = 300.0
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
        for name in ("webhook_timeout", "webhook_initial_backoff", "webhook_max_backoff"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number of seconds greater than 0")
        if self.webhook_max_backoff < self.webhook_initial_backoff:
            raise ValueError(
                f"webhook_max_backoff ({self.webhook_max_backoff:g} s) must not be less than "
                f"webhook_initial_backoff ({self.webhook_initial_backoff:g} s)"
            )
        if self.webhook_max_retries < 0:
            raise ValueError("webhook_max_retries must not be negative")
        if self.webhook_workers < 1:
            raise ValueError("webhook_workers must be at least 1")
        if self.webhook_response_cap < 1:
            raise ValueError("webhook_response_cap must be at least 1 byte")

    @property
    def effective_webhook_secrets(self) -> tuple[str, ...]:
        """The secrets deliveries are signed with (the development secret when none is set)."""
        return self.webhook_secrets or (DEFAULT_WEBHOOK_SECRET,)
