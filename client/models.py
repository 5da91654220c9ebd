"""The client's typed results: tasks, their statuses, invalid parameters and webhook events.

Parsing is lenient where the API is known to vary (the ``data`` envelope is present in API
responses and absent from webhook bodies; ``generated`` is missing from some list items) and strict
where a wrong guess would mislead (a task without an id or with an unknown status is an error).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["InvalidParam", "Task", "TaskStatus", "WebhookEvent"]


class TaskStatus(StrEnum):
    """A task's status, as the API spells it (``TaskStatus.COMPLETED == "COMPLETED"``)."""

    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        """True once the task will not change again (COMPLETED or FAILED)."""
        return self in (TaskStatus.COMPLETED, TaskStatus.FAILED)


def _unwrap_task(payload: Any) -> Any:
    """The task in ``payload``: the content of its ``{"data": ...}`` envelope, or the payload.

    The spec allows extra properties beside ``data``, even a stray ``task_id``, so ``data`` is
    preferred whenever it looks like a task (an object with a ``task_id``). The payload itself is
    the task when it has no ``data``, or when it has a ``task_id`` of its own and its ``data`` is
    not task-shaped (an unwrapped task, as webhooks send it, with an extra ``data`` property).
    """
    if not isinstance(payload, Mapping) or "data" not in payload:
        return payload
    data = payload["data"]
    if (isinstance(data, Mapping) and "task_id" in data) or "task_id" not in payload:
        return data
    return payload


def _unwrap_list(payload: Any) -> Any:
    """The content of a ``{"data": [...]}`` envelope, whatever else the object holds, or the
    payload itself when it is not an object with ``data``."""
    if isinstance(payload, Mapping) and "data" in payload:
        return payload["data"]
    return payload


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """One music-generation task.

    ``generated`` holds the result URLs (MP3 files); it is empty until the task is COMPLETED.
    """

    task_id: str
    status: TaskStatus
    generated: tuple[str, ...] = ()

    @property
    def is_terminal(self) -> bool:
        """True once the task is COMPLETED or FAILED."""
        return self.status.is_terminal

    @property
    def result_url(self) -> str | None:
        """The first result URL, or None while there is none."""
        return self.generated[0] if self.generated else None

    @classmethod
    def from_payload(cls, payload: Any) -> Task:
        """Parse a task from a response body, with or without the ``data`` envelope.

        Raises ``ValueError`` with a readable reason when the payload is not a task.
        """
        item = _unwrap_task(payload)
        if not isinstance(item, Mapping):
            raise ValueError(f"expected a task object, got {type(item).__name__}")
        task_id = item.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise ValueError("the task has no 'task_id' string")
        raw_status = item.get("status")
        if not isinstance(raw_status, str):
            raise ValueError(f"task {task_id} has no 'status' string")
        try:
            status = TaskStatus(raw_status.upper())
        except ValueError:
            known = ", ".join(s.value for s in TaskStatus)
            raise ValueError(
                f"task {task_id} has unknown status {raw_status!r} (known: {known})"
            ) from None
        generated = item.get("generated") or []
        if not isinstance(generated, list) or not all(isinstance(u, str) for u in generated):
            raise ValueError(f"task {task_id} has a 'generated' value that is not a list of URLs")
        return cls(task_id=task_id, status=status, generated=tuple(generated))

    @classmethod
    def list_from_payload(cls, payload: Any) -> list[Task]:
        """Parse a list of tasks, with or without the ``data`` envelope."""
        items = _unwrap_list(payload)
        if not isinstance(items, list):
            raise ValueError(f"expected a list of tasks, got {type(items).__name__}")
        return [cls.from_payload(item) for item in items]

    def to_dict(self) -> dict[str, Any]:
        """The task in the API's (unwrapped) JSON shape."""
        return {
            "task_id": self.task_id,
            "status": self.status.value,
            "generated": list(self.generated),
        }


@dataclass(frozen=True, slots=True)
class InvalidParam:
    """One parameter the API named as invalid in a 400 answer."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEvent:
    """A verified webhook delivery: its id, its signed timestamp (Unix seconds) and the task."""

    webhook_id: str
    timestamp: int
    task: Task
