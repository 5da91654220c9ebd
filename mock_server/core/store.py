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
from collections.abc import Callable, Iterable, Iterator

from .errors import TaskStoreFull
from .paging import Page, first_changes, since_start
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
        # The change counter (see core/paging.py) and each task's last change, in change order:
        # a "since" read walks back from the newest change only as far as its cursor.
        self._sequence = 0
        self._changes: dict[str, int] = {}
        self._cleared_at = 0

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
            self._note_change(task.task_id)

    def touch(self, task: Task) -> None:
        """Count a change of ``task`` (a status it reached), for readers polling ``since``."""
        with self._lock:
            if self._tasks.get(task.task_id) is task:
                self._note_change(task.task_id)

    def _note_change(self, task_id: str) -> None:
        self._sequence += 1
        self._changes.pop(task_id, None)  # re-inserted: the dict stays in change order
        self._changes[task_id] = self._sequence

    def page(
        self,
        *,
        api_key: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        match: Callable[[Task], bool] | None = None,
    ) -> Page[Task]:
        """The newest ``limit`` tasks (all without it) that ``match``, oldest first; or, with
        ``since``, the tasks changed after that cursor, in change order (the first ``limit``).

        Costs the tasks it reads: newest first until ``limit`` matched (a filter reads a copy of
        the references, outside the lock), or the changes after ``since``. ``total`` counts the
        key's tasks (every task without a key) whatever ``match`` keeps.
        """
        if since is None:
            return self._newest(api_key=api_key, limit=limit, match=match)
        with self._lock:
            pool = self._by_key.get(api_key, {}) if api_key is not None else self._tasks
            since, restarted = since_start(
                since, sequence=self._sequence, cleared_at=self._cleared_at
            )
            start = since or 0
            oldest = next(iter(self._changes.values()), start)
            changed: Iterable[tuple[str, int]]
            if limit is not None and start - oldest < self._sequence - start:
                # Nearer the oldest change (a reader starting from 0): read forward, so that
                # only the changes before the cursor and the ``limit`` after it are read.
                changed = ((t, n) for t, n in self._changes.items() if n > start)
            else:
                newer: list[tuple[str, int]] = []
                for task_id, sequence in reversed(self._changes.items()):
                    if sequence <= start:
                        break
                    newer.append((task_id, sequence))
                changed = reversed(newer)
            tasks = ((pool.get(task_id), n) for task_id, n in changed)
            items, cursor, more = first_changes(
                ((t, n) for t, n in tasks if t is not None and (match is None or match(t))),
                limit=limit,
                sequence=self._sequence,
            )
            return Page(
                items=items, total=len(pool), cursor=cursor, has_more=more, restarted=restarted
            )

    def _newest(
        self, *, api_key: str | None, limit: int | None, match: Callable[[Task], bool] | None
    ) -> Page[Task]:
        with self._lock:
            pool = self._by_key.get(api_key, {}) if api_key is not None else self._tasks
            total, cursor = len(pool), self._sequence
            if match is None:
                items, more = _take(reversed(pool.values()), match=None, limit=limit)
                items.reverse()
                return Page(items=items, total=total, cursor=cursor, has_more=more)
            # A filter may read far back: the references are copied under the lock (fast, in C)
            # and read outside it, so that creates do not wait for the filter.
            snapshot = list(pool.values())
        items, more = _take(reversed(snapshot), match=match, limit=limit)
        items.reverse()
        return Page(items=items, total=total, cursor=cursor, has_more=more)

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
            self._changes.clear()  # the counter goes on: an old cursor must not match new tasks
            # The clear is a change: a cursor from before it differs from one read just after.
            self._sequence += 1
            self._cleared_at = self._sequence
            self.evicted = 0

    def _evict_oldest_finished(self) -> bool:
        while self._finished:
            task = self._finished.popleft()
            if self._tasks.get(task.task_id) is not task:
                continue  # forgotten already (cannot happen today: only reset forgets)
            del self._tasks[task.task_id]
            self._changes.pop(task.task_id, None)
            owned = self._by_key[task.api_key]
            del owned[task.task_id]
            if not owned:
                del self._by_key[task.api_key]
            self.evicted += 1
            return True
        return False

    @property
    def sequence(self) -> int:
        """The number of the last change (the cursor of a read made now)."""
        return self._sequence

    def __iter__(self) -> Iterator[Task]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._tasks)


def _take(
    tasks: Iterable[Task], *, match: Callable[[Task], bool] | None, limit: int | None
) -> tuple[list[Task], bool]:
    """The first ``limit`` tasks that ``match``, and whether another one matched after them."""
    taken: list[Task] = []
    for task in tasks:
        if match is not None and not match(task):
            continue
        if limit is not None and len(taken) >= limit:
            return taken, True
        taken.append(task)
    return taken, False
