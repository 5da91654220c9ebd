"""Runs actions at instants of mock time, on a background thread and on demand.

The background thread serves the real clock (it sleeps until the next action is due) and actions due
"now" on any clock, so that nothing slow runs on a request path. ``run_due`` lets a caller (the
manual clock's ``advance``) run everything that is due in its own thread and return when done.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .clock import Clock

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)

Action = Callable[[], None]


@dataclass(order=True)
class _Entry:
    at: float
    seq: int
    action: Action = field(compare=False)


class Scheduler:
    """A heap of (mock instant, action), run by one daemon thread and by ``run_due``."""

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._running = 0
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(
                target=self._loop, name="freepik-mock-scheduler", daemon=True
            )
            self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop the background thread and wait for it; pending actions are dropped."""
        with self._cond:
            self._stopping = True
            self._heap.clear()
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def call_at(self, at: float, action: Action) -> None:
        """Run ``action`` once mock time reaches ``at``."""
        with self._cond:
            heapq.heappush(self._heap, _Entry(at, next(self._seq), action))
            self._cond.notify_all()

    def call_soon(self, action: Action) -> None:
        """Run ``action`` as soon as possible, off the caller's thread."""
        self.call_at(self._clock.now(), action)

    def clear(self) -> None:
        """Forget every pending action (used by reset)."""
        with self._cond:
            self._heap.clear()

    def wake(self) -> None:
        """Re-read the clock (after it was moved or reset)."""
        with self._cond:
            self._cond.notify_all()

    def run_due(self) -> None:
        """Run, in this thread, every action due now, including ones they schedule for now."""
        while True:
            with self._cond:
                entry = self._pop_due()
                if entry is None:
                    return
                self._running += 1
            self._run(entry)

    def wait_idle(self, *, timeout: float = 30.0) -> bool:
        """Wait until no action is running and none is due. False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._running == 0 and not self._has_due(), timeout=timeout
            )

    def _has_due(self) -> bool:
        return bool(self._heap) and self._heap[0].at <= self._clock.now()

    def _pop_due(self) -> _Entry | None:
        if self._has_due():
            return heapq.heappop(self._heap)
        return None

    def _run(self, entry: _Entry) -> None:
        try:
            entry.action()
        except Exception:  # an action's failure must not kill the scheduler
            log.exception("scheduled action failed")
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                entry = self._pop_due()
                if entry is None:
                    delay = (
                        None if not self._heap else self._clock.real_seconds_until(self._heap[0].at)
                    )
                    # A bounded wait re-reads the clock even if nobody notifies (speed > 1 drift).
                    self._cond.wait(timeout=0.5 if delay is None else min(delay, 0.5))
                    continue
                self._running += 1
            self._run(entry)
