"""Where tasks live, scoped to the key that created them, and how their ids are made."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator

from .tasks import Task

__all__ = ["TaskIdFactory", "TaskStore"]


class TaskIdFactory:
    """UUID4-shaped ids: random, or a reproducible sequence under a seed (restarted by reset)."""

    def __init__(self, *, seed: int | None) -> None:
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        self._random = random.Random(self._seed) if self._seed is not None else None

    def next_id(self) -> str:
        if self._random is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


class TaskStore:
    """Tasks by id, in creation order. Thread-safe; callers hold no lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}

    def add(self, task: Task) -> None:
        with self._lock:
            self._tasks[task.task_id] = task

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def owned_by(self, api_key: str) -> list[Task]:
        """The key's tasks, oldest first."""
        with self._lock:
            return [task for task in self._tasks.values() if task.api_key == api_key]

    def all(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()

    def __iter__(self) -> Iterator[Task]:
        return iter(self.all())

    def __len__(self) -> int:
        with self._lock:
            return len(self._tasks)
