"""Counting webhook jobs, and waiting for them for as long as they make progress.

A fixed wait limit cannot be right: a queue behind a receiver that hangs drains one timeout at a
time, so a long one legitimately takes many timeouts. Every job ends by its attempts' deadlines,
though, so a wait in which *no* job finished for ``stall_timeout`` has met a bug, not a slow
receiver: only then does a wait give up.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["JobCounter", "StallWatch", "StallWatches"]


class JobCounter:
    """Jobs queued or running, guarded by the owner's ``cond`` (held for every call)."""

    def __init__(self, cond: threading.Condition, *, stall_timeout: float) -> None:
        self.cond = cond
        self.stall_timeout = stall_timeout
        self.busy = 0
        self.finished = 0

    def start(self) -> None:
        """A job was queued."""
        self.busy += 1

    def finish(self) -> None:
        """A job ended (whatever its outcome); wakes the waiters."""
        self.busy -= 1
        self.finished += 1
        self.cond.notify_all()

    def wait(self, predicate: Callable[[], bool]) -> bool:
        """Wait for ``predicate`` while jobs keep finishing; False when they stalled first."""
        while not predicate():
            seen = self.finished

            def woken(seen: int = seen) -> bool:
                return predicate() or self.finished != seen

            if not self.cond.wait_for(woken, timeout=self.stall_timeout):
                return False
        return True


@dataclass
class StallWatch:
    """Whether a wait for jobs gave up (stalled) on this watch's thread while it was open."""

    stalled: bool = False


class StallWatches:
    """Per-thread watches of stalled waits, so that a caller learns of its own stalls only.

    ``advance`` waits for the outbox on the caller's thread; a counter read before and after
    would also count the stall of a concurrent ``advance`` (or any other waiter) in between.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, list[StallWatch]] = {}

    @contextlib.contextmanager
    def watch(self) -> Iterator[StallWatch]:
        """Open a watch on this thread for the ``with`` block."""
        watch = StallWatch()
        thread = threading.get_ident()
        with self._lock:
            self._open.setdefault(thread, []).append(watch)
        try:
            yield watch
        finally:
            with self._lock:
                watches = self._open[thread]
                watches.remove(watch)
                if not watches:
                    del self._open[thread]

    def record(self) -> None:
        """A wait on this thread gave up: mark this thread's open watches."""
        with self._lock:
            for watch in self._open.get(threading.get_ident(), ()):
                watch.stalled = True
