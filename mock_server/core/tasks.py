"""A music-generation task and its lifecycle, as data: status is derived from the clock."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["FINAL_STATUSES", "Task", "TaskStatus"]


class TaskStatus(StrEnum):
    """The vendor's status enum, in lifecycle order."""

    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


FINAL_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED})


@dataclass(kw_only=True, slots=True)
class Task:
    """One task. Its three instants (mock seconds) decide its status at any time.

    ``created_at <= in_progress_at <= finished_at``; at ``finished_at`` it takes ``outcome``.
    ``announced`` counts the changes (in ``changes()`` order) already told to listeners.
    Slotted: a mock holds up to ``--max-tasks`` of them, so each one is kept small.
    """

    task_id: str
    api_key: str
    prompt: str
    music_length_seconds: int
    webhook_url: str | None
    #: Where result files are served (``http://host:port``), one string shared by many tasks.
    result_base: str
    created_at: float
    in_progress_at: float
    finished_at: float
    outcome: TaskStatus
    scenario_id: str | None = None
    forced: bool = False
    announced: int = 0

    @property
    def result_url(self) -> str:
        """The URL of the task's MP3 (made on read: a stored URL would cost ~120 bytes a task)."""
        return f"{self.result_base}/results/{self.task_id}.mp3"

    @property
    def fully_announced(self) -> bool:
        """Whether every change, the final one included, has been told to listeners."""
        return self.announced >= 3

    def status_at(self, now: float) -> TaskStatus:
        """The status a reader sees at mock instant ``now``."""
        if now >= self.finished_at:
            return self.outcome
        if now >= self.in_progress_at:
            return TaskStatus.IN_PROGRESS
        return TaskStatus.CREATED

    def changes(self) -> list[tuple[TaskStatus, float]]:
        """Every status the task takes, with the instant it takes it."""
        return [
            (TaskStatus.CREATED, self.created_at),
            (TaskStatus.IN_PROGRESS, self.in_progress_at),
            (self.outcome, self.finished_at),
        ]

    def changes_until(self, now: float) -> list[tuple[TaskStatus, float]]:
        """The changes that have happened by ``now``."""
        # The instants are in order, so the changes reached are a prefix.
        return [(status, at) for status, at in self.changes() if at <= now]

    def generated_at(self, now: float) -> list[str]:
        """``generated`` as the API shows it: the result URL once COMPLETED, else empty."""
        return [self.result_url] if self.status_at(now) is TaskStatus.COMPLETED else []

    def vendor_view(self, now: float) -> dict[str, Any]:
        """The task as the vendor's GET shows it inside ``data``."""
        # The status is read once: a forced finish on another thread between two reads could
        # otherwise show IN_PROGRESS together with a result URL.
        status = self.status_at(now)
        return {
            "task_id": self.task_id,
            "status": status.value,
            "generated": [self.result_url] if status is TaskStatus.COMPLETED else [],
        }
