"""Webhook messages and their attempts, as the outbox keeps them and the log shows them."""

from __future__ import annotations

import json
import random
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..core import Task, TaskStatus

__all__ = [
    "Attempt",
    "DeliveryState",
    "IdFactory",
    "Message",
    "MessageRecord",
    "message_body",
    "task_message_body",
]


class DeliveryState(StrEnum):
    """Where a message stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    BLOCKED = "blocked"


def message_body(*, task_id: str, status: str, generated: list[str]) -> bytes:
    """The vendor's body: the GET's task without the ``data`` wrapper, as compact JSON."""
    payload = {"task_id": task_id, "status": status, "generated": generated}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def task_message_body(task: Task, status: TaskStatus) -> bytes:
    """The body for ``task`` taking ``status`` (``generated`` is set only for COMPLETED)."""
    generated = [task.result_url] if status is TaskStatus.COMPLETED else []
    return message_body(task_id=task.task_id, status=status.value, generated=generated)


class IdFactory:
    """Message ids ``msg_<32 hex>`` (and ad-hoc task ids): a repeatable sequence under a seed."""

    def __init__(self, *, seed: int | None) -> None:
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        """Start the sequence again."""
        self._random = random.Random(f"webhooks:{self._seed}") if self._seed is not None else None

    def _bits(self) -> int:
        return self._random.getrandbits(128) if self._random else secrets.randbits(128)

    def message_id(self) -> str:
        """A new webhook-id."""
        return f"msg_{self._bits():032x}"

    def task_id(self) -> str:
        """A task id (UUID) for an ad-hoc message that names no task."""
        return str(uuid.UUID(int=self._bits(), version=4))


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """One try: when (mock instant), what was sent, what came back.

    ``trigger`` is ``first``, ``retry``, ``replay`` or ``duplicate`` (the chaos switch).
    """

    at: float
    trigger: str
    webhook_timestamp: int | None
    headers: Mapping[str, str]
    status_code: int | None
    error: str | None
    duration_ms: float
    response_body: str = ""
    retry_after: float | None = None


@dataclass(kw_only=True)
class Message:
    """A message and its delivery bookkeeping; only the outbox touches it, under its lock."""

    webhook_id: str
    task_id: str
    status: str
    url: str
    body: bytes
    origin: str  # "task" or "ad-hoc"
    created_at: float
    state: DeliveryState = DeliveryState.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: float | None = None
    blocked_reason: str | None = None
    retries: int = 0
    token: int = 0
    in_flight: bool = False
    rerun: bool = False
    held: bool = False
    jobs_done: int = 0

    def record(self) -> MessageRecord:
        """An immutable copy for readers."""
        return MessageRecord(
            webhook_id=self.webhook_id,
            task_id=self.task_id,
            status=self.status,
            url=self.url,
            body=self.body,
            origin=self.origin,
            created_at=self.created_at,
            state=self.state,
            attempts=tuple(self.attempts),
            next_attempt_at=self.next_attempt_at,
            blocked_reason=self.blocked_reason,
            held=self.held,
        )


@dataclass(frozen=True, kw_only=True)
class MessageRecord:
    """What the delivery log shows of one message."""

    webhook_id: str
    task_id: str
    status: str
    url: str
    body: bytes
    origin: str
    created_at: float
    state: DeliveryState
    attempts: tuple[Attempt, ...]
    next_attempt_at: float | None
    blocked_reason: str | None
    held: bool
