"""Runs actions at instants of mock time, on a background thread and on demand.

The background thread serves the real clock (it sleeps until the next action is due) and actions due
"now" on any clock, so that nothing slow runs on a request path. ``run_due`` lets a caller run
everything that is due in its own thread and return when done.

On the manual clock the scheduler *simulates* time: ``now()`` is the instant up to which actions
have run, which is the clock's reading except while ``advance`` catches up. Then the caller (the
engine's ``settle``) holds the background thread back with ``catching_up()`` and moves through the
instants that came due one at a time with ``step()``, running each instant's actions and waiting for
the work they start before going on, so that every action happens at the mock instant it was due,
in order, whether the clock moved in one jump or in many small ones.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .clock import Clock

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)

Action = Callable[[], None]


#: (mock instant, sequence number, action): a plain tuple, so that the heap compares in C (the
#: sequence number is unique, so the action is never compared).
_Entry = tuple[float, int, Action]


class Scheduler:
    """A heap of (mock instant, action), run by one daemon thread and by ``run_due``.

    ``simulated`` is True on the manual clock: actions then run at the instant they were due (see
    ``now``, ``step`` and ``catching_up``); on the real clock they run when real time reaches it.
    """

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self.simulated = clock.mode == "manual"
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._running = 0
        self._catch_ups = 0
        self._instant = clock.now()
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

    def now(self) -> float:
        """The mock instant at which work happens now.

        On the real clock, the clock's reading. On the manual clock, the instant up to which
        actions have run: the clock's reading, except while ``advance`` catches up, when it is
        the instant being caught up (an action and the work it starts happen at that instant).
        """
        return self._instant if self.simulated else self._clock.now()

    def call_at(self, at: float, action: Action) -> None:
        """Run ``action`` once mock time reaches ``at``."""
        with self._cond:
            entry = (at, next(self._seq), action)
            heapq.heappush(self._heap, entry)
            # Only a new earliest entry can change what the background thread waits for; a
            # later one (most of a task's announcements) needs no wake-up.
            if self._heap[0] is entry:
                self._cond.notify_all()

    def call_soon(self, action: Action) -> None:
        """Run ``action`` as soon as possible, off the caller's thread."""
        self.call_at(self._clock.now(), action)

    def clear(self) -> None:
        """Forget every pending action and start simulated time from the clock (used by reset)."""
        with self._cond:
            self._heap.clear()
            self._instant = self._clock.now()
            self._cond.notify_all()

    def wake(self) -> None:
        """Re-read the clock (after it was moved or reset)."""
        with self._cond:
            self._cond.notify_all()

    @contextmanager
    def catching_up(self) -> Iterator[None]:
        """While inside, the background thread leaves due actions to the caller (manual clock).

        On the real clock this changes nothing. On the manual clock the caller runs them with
        ``run_due`` and ``step``, so that each instant's actions run in the order they were
        scheduled, and only once the earlier instants' work is done. If the caller leaves early
        (an exception), simulated time jumps to the clock's reading and the background thread
        runs what is left, late.
        """
        with self._cond:
            self._catch_ups += 1
        try:
            yield
        finally:
            with self._cond:
                self._catch_ups -= 1
                if self.simulated:
                    self._instant = max(self._instant, self._clock.now())
                self._cond.notify_all()

    def step(self) -> bool:
        """Move simulated time to the next instant that has an action due by the clock's reading.

        True if there is one (run its actions with ``run_due``); False when none is left, and
        simulated time is then the clock's reading. Always False on the real clock.
        """
        if not self.simulated:
            return False
        with self._cond:
            target = self._clock.now()
            if self._heap and self._heap[0][0] <= target:
                self._instant = min(max(self._instant, self._heap[0][0]), target)
                return True
            self._instant = target
            return False

    def run_due(self) -> None:
        """Run, in this thread, every action due now, including ones they schedule for now."""
        while True:
            with self._cond:
                entry = self._pop_due()
                if entry is None:
                    return
                self._running += 1
            self._run(entry)

    def has_due(self) -> bool:
        """Whether an action is due now (and not yet started)."""
        with self._cond:
            return self._has_due()

    def wait_idle(self, *, timeout: float = 30.0) -> bool:
        """Wait until no action is running and none is left for the background thread to start.

        While a catch-up is in progress the background thread starts nothing, so this waits only
        for what it is running. False on timeout.
        """
        with self._cond:
            return self._cond.wait_for(
                lambda: self._running == 0 and (self._held() or not self._has_due()),
                timeout=timeout,
            )

    def _held(self) -> bool:
        """Whether the background thread leaves due actions to a catch-up (manual clock only)."""
        return self.simulated and self._catch_ups > 0

    def _frontier(self) -> float:
        return self._instant if self.simulated else self._clock.now()

    def _has_due(self) -> bool:
        return bool(self._heap) and self._heap[0][0] <= self._frontier()

    def _pop_due(self) -> _Entry | None:
        if self._has_due():
            return heapq.heappop(self._heap)
        return None

    def _run(self, entry: _Entry) -> None:
        try:
            entry[2]()
        except Exception:  # an action's failure must not kill the scheduler
            log.exception("scheduled action failed")
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def _next_wait(self) -> float | None:
        """Real seconds until the background thread may have something to run (None: unknown)."""
        if not self._heap or self.simulated:
            return None  # on the manual clock only call_at, clear or a catch-up's end bring work
        return self._clock.real_seconds_until(self._heap[0][0])

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                entry = None if self._held() else self._pop_due()
                if entry is None:
                    delay = self._next_wait()
                    # A bounded wait re-reads the clock even if nobody notifies (speed > 1 drift).
                    self._cond.wait(timeout=0.5 if delay is None else min(delay, 0.5))
                    continue
                self._running += 1
            self._run(entry)
