"""Webhook dispatch: many tasks with a webhook URL on one local receiver, one clock advance, and
how fast the signed deliveries arrive, with none lost (unique webhook-ids) and every signature
valid (verified after the clock stopped, so checking costs the mock nothing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from freepik_mock.client import WebhookVerificationError, verify_webhook

from .lifecycle import ADVANCE
from .receiver import Receiver
from .servers import HEADERS

__all__ = ["DispatchResult", "measure_dispatch"]

#: Each task changes status twice during the advance: IN_PROGRESS, then COMPLETED.
_PER_TASK = 2


@dataclass(frozen=True)
class DispatchResult:
    """Signed deliveries per second during the advance, and what went missing."""

    per_second: float
    expected: int
    received: int
    lost: int
    bad_signatures: int


def measure_dispatch(url: str, receiver: Receiver, *, tasks: int, secret: str) -> DispatchResult:
    """Create ``tasks`` tasks on the manual-clock mock at ``url``, advance once, count."""
    with httpx.Client(base_url=url, headers=HEADERS, timeout=120.0) as http:
        http.post("/_mock/reset").raise_for_status()
        receiver.clear()
        body = {
            "prompt": "bench: dispatch",
            "music_length_seconds": 10,
            "webhook_url": receiver.url,
        }
        for _ in range(tasks):
            http.post("/v1/ai/music-generation", json=body).raise_for_status()
        # The CREATED messages go out at once, off the request path: let them land first.
        receiver.wait_count(tasks, timeout=60.0)
        created = list(receiver.deliveries)
        receiver.clear()
        start = time.perf_counter()
        http.post("/_mock/clock/advance", json=ADVANCE).raise_for_status()
        # The advance returns once every due attempt was made; the receiver may trail by a hair.
        receiver.wait_count(tasks * _PER_TASK, timeout=60.0)
        elapsed = time.perf_counter() - start
    during = list(receiver.deliveries)
    every = created + during
    ids = {delivery.webhook_id for delivery in every if delivery.webhook_id}
    expected = tasks * (_PER_TASK + 1)
    bad = 0
    for delivery in every:
        try:
            verify_webhook(delivery.body, delivery.headers, secret)
        except WebhookVerificationError:
            bad += 1
    return DispatchResult(
        per_second=len(during) / elapsed,
        expected=expected,
        received=len(ids),
        lost=expected - len(ids),
        bad_signatures=bad,
    )
