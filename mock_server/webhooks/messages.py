"""Webhook messages and their attempts, as the outbox keeps them and the log shows them."""

from __future__ import annotations

import json
import random
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..core import NotFound, Task, TaskStatus
from ..core.paging import Page, first_changes, since_start

__all__ = [
    "Attempt",
    "DeliveryState",
    "IdFactory",
    "Message",
    "MessageLog",
    "MessageRecord",
    "message_body",
    "message_size",
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
    """Message ids ``msg_<32 hex>`` and ad-hoc task ids: repeatable sequences under a seed.

    Reset starts the task id sequence again (like the engine's task ids), but never the message
    ids: receivers drop a webhook-id they have seen (the Standard Webhooks advice), so an id must
    not come back for another message after a reset. Under a seed, the message ids after the
    n-th reset are their own sequence, derived from the seed and n, so runs still repeat exactly.
    """

    def __init__(self, *, seed: int | None) -> None:
        self._seed = seed
        self._generation = 0
        self._messages = self._random("messages")
        self._tasks = self._random("tasks")

    def reset(self) -> None:
        """Start the task id sequence again and the message ids on a sequence of their own."""
        self._generation += 1
        self._messages = self._random("messages")
        self._tasks = self._random("tasks")

    def _random(self, kind: str) -> random.Random | None:
        if self._seed is None:
            return None
        generation = self._generation if kind == "messages" else 0
        return random.Random(f"webhooks:{kind}:{self._seed}:{generation}")

    @staticmethod
    def _bits(source: random.Random | None) -> int:
        return source.getrandbits(128) if source else secrets.randbits(128)

    def message_id(self) -> str:
        """A new webhook-id."""
        return f"msg_{self._bits(self._messages):032x}"

    def task_id(self) -> str:
        """A task id (UUID) for an ad-hoc message that names no task."""
        return str(uuid.UUID(int=self._bits(self._tasks), version=4))


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """One try: when (mock instant), what was sent, what came back, and what came of it.

    ``trigger`` is ``first``, ``retry``, ``replay`` or ``duplicate`` (the chaos switch).
    ``next_attempt_at`` is the mock instant the retry after this attempt was scheduled for
    (None when it was not retried: delivered, given up, blocked, or the duplicate of a success).
    It stays as scheduled even if a replay or reset later made that retry void.
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
    next_attempt_at: float | None = None


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


#: What the log counts for a message and for each attempt besides their bodies and headers.
_MESSAGE_OVERHEAD = 512
_ATTEMPT_OVERHEAD = 256


def message_size(message: Message) -> int:
    """About how many bytes ``message`` holds: its body, and each attempt's headers and the
    excerpt of the answer (up to ``webhook_response_cap``), plus a fixed overhead for each."""
    size = _MESSAGE_OVERHEAD + len(message.body) + len(message.url)
    for attempt in message.attempts:
        size += _ATTEMPT_OVERHEAD + len(attempt.response_body.encode("utf-8", errors="replace"))
        size += sum(len(name) + len(value) for name, value in attempt.headers.items())
    return size


class MessageLog:
    """The delivery log: messages by webhook-id, oldest first, bounded by count and by bytes.

    Pending messages are always kept. Finished ones (delivered, failed, blocked) are dropped,
    the one that finished first going first, while there are more than ``limit`` messages in
    all or the finished ones hold more than ``max_bytes`` (see ``message_size``). It takes no
    lock of its own: the outbox's lock guards it, and the outbox calls ``update`` whenever a
    message's state or attempts change.
    """

    def __init__(self, *, limit: int, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self._messages: dict[str, Message] = {}
        # Finished messages in the order they finished, with the size counted for each.
        self._finished: dict[str, int] = {}
        self.finished_bytes = 0
        # The change counter (see core/paging.py) and each message's last change, in change
        # order: a "since" read walks back from the newest change only as far as its cursor.
        self._sequence = 0
        self._changes: dict[str, int] = {}
        self._cleared_at = 0

    def add(self, message: Message) -> None:
        """Log a new message, trimming old finished ones past the limits."""
        self._messages[message.webhook_id] = message
        self.update(message)

    def update(self, message: Message) -> None:
        """Count ``message`` as it is now (finished or pending again), then trim."""
        webhook_id = message.webhook_id
        if webhook_id in self._messages:
            self._sequence += 1
            self._changes.pop(webhook_id, None)  # re-inserted: the dict stays in change order
            self._changes[webhook_id] = self._sequence
        self.finished_bytes -= self._finished.pop(webhook_id, 0)
        if message.state is not DeliveryState.PENDING and webhook_id in self._messages:
            size = message_size(message)
            self._finished[webhook_id] = size
            self.finished_bytes += size
        self.trim()

    def trim(self) -> None:
        """Drop the oldest finished messages while either limit is exceeded."""
        while self._finished and (
            len(self._messages) > self.limit or self.finished_bytes > self.max_bytes
        ):
            webhook_id = next(iter(self._finished))
            self.finished_bytes -= self._finished.pop(webhook_id)
            del self._messages[webhook_id]
            self._changes.pop(webhook_id, None)

    def __len__(self) -> int:
        return len(self._messages)

    def find(self, webhook_id: str) -> Message:
        """The message with that webhook-id; ``NotFound`` when there is none."""
        message = self._messages.get(webhook_id)
        if message is None:
            raise NotFound()
        return message

    def records(self, *, task_id: str | None = None) -> list[MessageRecord]:
        """Copies of the messages, oldest first, optionally of one task only."""
        return [
            message.record()
            for message in self._messages.values()
            if task_id is None or message.task_id == task_id
        ]

    def page(
        self,
        *,
        task_ids: frozenset[str] | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> Page[MessageRecord]:
        """The newest ``limit`` messages (all without it), oldest first, of ``task_ids`` only
        when given; with ``since``, the first ``limit`` changed after that cursor, in change
        order. Reads newest first only as far as it needs (``since``, or ``limit`` matches)."""
        total = len(self._messages)
        more = False
        since, restarted = since_start(since, sequence=self._sequence, cleared_at=self._cleared_at)
        if since is None:
            taken: list[Message] = []
            for message in reversed(self._messages.values()):
                if task_ids is not None and message.task_id not in task_ids:
                    continue
                if limit is not None and len(taken) >= limit:
                    more = True
                    break
                taken.append(message)
            taken.reverse()
            items = [message.record() for message in taken]
            return Page(items=items, total=total, cursor=self._sequence, has_more=more)
        changed: list[tuple[str, int]] = []
        for webhook_id, sequence in reversed(self._changes.items()):
            if sequence <= since:
                break
            changed.append((webhook_id, sequence))
        in_order = ((self._messages[webhook_id], n) for webhook_id, n in reversed(changed))
        kept, cursor, more = first_changes(
            ((m, n) for m, n in in_order if task_ids is None or m.task_id in task_ids),
            limit=limit,
            sequence=self._sequence,
        )
        items = [message.record() for message in kept]
        return Page(items=items, total=total, cursor=cursor, has_more=more, restarted=restarted)

    def clear(self) -> None:
        """Forget every message."""
        self._messages.clear()
        self._finished.clear()
        self._changes.clear()  # the counter goes on: an old cursor must not match new messages
        # The clear is a change: a cursor from before it differs from one read just after.
        self._sequence += 1
        self._cleared_at = self._sequence
        self.finished_bytes = 0
