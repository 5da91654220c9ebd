"""Where tasks live, scoped to the key that created them, and how their ids are made.

Every operation on the create, get and list paths costs the same however many tasks are stored:
tasks sit in a dict by id, and in one dict per key (so a list is proportional to the key's own
tasks). The store is bounded (``max_tasks``): when a new task would exceed it, the task that
finished longest ago goes (finished: its final status reached and told to every listener, so
nothing is still due for it; with the default timing that is the oldest task). When every
stored task is still running the new one is refused (``TaskStoreFull``, a 429) rather than a
running task forgotten, whose webhooks would then never go out.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import uuid
from collections import deque
from collections.abc import Iterator

from .errors import TaskStoreFull
from .tasks import Task

__all__ = ["DEFAULT_MAX_TASKS", "TaskIdFactory", "TaskStore"]

#: How many tasks a mock keeps by default (``--max-tasks``): about 80 MB of them.
DEFAULT_MAX_TASKS = 100_000

#: Random bytes are read from the system this many ids at a time: one ``getrandom`` call per id
#: costs more than the rest of a create on a busy machine.
_IDS_PER_READ = 256


class TaskIdFactory:
    """UUID4-shaped ids: random, or a reproducible sequence under a seed (restarted by reset)."""

    def __init__(self, *, seed: int | None) -> None:
        self._seed = seed
        self._pool = b""
        self.reset()

    def reset(self) -> None:
        self._random = random.Random(self._seed) if self._seed is not None else None

    def next_id(self) -> str:
        if self._random is None:
            if not self._pool:
                self._pool = os.urandom(16 * _IDS_PER_READ)
            raw, self._pool = self._pool[:16], self._pool[16:]
            return str(uuid.UUID(bytes=raw, version=4))
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


class TaskStore:
    """Tasks by id, in creation order, indexed by key; at most ``max_tasks``. Thread-safe."""

    def __init__(self, *, max_tasks: int = DEFAULT_MAX_TASKS) -> None:
        if max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")
        self.max_tasks = max_tasks
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}
        self._by_key: dict[str, dict[str, Task]] = {}
        # Finished tasks, in the order they finished (one reference each: 8 bytes).
        self._finished: deque[Task] = deque()
        #: How many tasks were forgotten to make room (since start or reset).
        self.evicted = 0

    def add(self, task: Task) -> None:
        """Store ``task``; the task that finished first goes if the store is full.

        ``TaskStoreFull`` if it is full of running tasks.
        """
        # One string per key, shared by the key's tasks (a key header is a new string each time).
        task.api_key = sys.intern(task.api_key)
        with self._lock:
            while len(self._tasks) >= self.max_tasks:
                if not self._evict_oldest_finished():
                    raise TaskStoreFull(self.max_tasks)
            self._tasks[task.task_id] = task
            self._by_key.setdefault(task.api_key, {})[task.task_id] = task

    def mark_finished(self, task: Task) -> None:
        """``task`` needs nothing more: it may be forgotten when room is needed."""
        with self._lock:
            if self._tasks.get(task.task_id) is task:
                self._finished.append(task)

    def get(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)  # one dict read is atomic: no lock needed

    def owned_by(self, api_key: str) -> list[Task]:
        """The key's tasks, oldest first."""
        with self._lock:
            owned = self._by_key.get(api_key)
            return list(owned.values()) if owned else []

    def all(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._by_key.clear()
            self._finished.clear()
            self.evicted = 0

    def _evict_oldest_finished(self) -> bool:
        while self._finished:
            task = self._finished.popleft()
            if self._tasks.get(task.task_id) is not task:
                continue  # forgotten already (cannot happen today: only reset forgets)
            del self._tasks[task.task_id]
            owned = self._by_key[task.api_key]
            del owned[task.task_id]
            if not owned:
                del self._by_key[task.api_key]
            self.evicted += 1
            return True
        return False

    def __iter__(self) -> Iterator[Task]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._tasks)
