"""Worker threads for webhook jobs: a lane per receiver, so that no receiver can starve another.

With one shared pool, a receiver that hangs takes a worker per message for a whole timeout, and
enough such messages take every worker while healthy receivers wait. Here each receiver (scheme,
host, port) has a lane: at most ``per_target`` of its jobs run at once and the rest wait in its
queue, while a job for any other receiver starts at once on a thread of its own. Threads start on
demand and end once their lane has had nothing for them for ``linger`` seconds: a burst of
messages to one receiver reuses its few threads (and their kept-alive connections) instead of
starting one per message, and the number of threads still follows the receivers that have work.
Every job is bounded by the attempt timeout, so a lane always drains.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

__all__ = ["Lanes", "lane_key"]

log = logging.getLogger(__name__)

Job = Callable[[], None]
LaneKey = tuple[str, str, int | None]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def lane_key(url: str) -> LaneKey:
    """The receiver a URL names: (scheme, host, port), as spelled (no lookup)."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme)
        return scheme, (parts.hostname or "").rstrip("."), port
    except ValueError:  # an unparsable URL is blocked at once by the sender: any lane will do
        return "", url, None


class _Lane:
    """One receiver's queue and threads (the ``Lanes`` lock guards it)."""

    def __init__(self, lock: threading.Lock) -> None:
        self.queue: deque[Job] = deque()
        self.threads = 0
        self.idle = 0
        self.busy = 0
        self.wake = threading.Condition(lock)


class Lanes:
    """Runs jobs on threads named ``<name>-<n>``, at most ``per_target`` at once per lane."""

    def __init__(
        self,
        *,
        per_target: int,
        name: str = "freepik-mock-webhook",
        linger: float = 2.0,
        on_drained: Callable[[LaneKey], None] | None = None,
    ) -> None:
        if per_target < 1:
            raise ValueError("per_target must be at least 1")
        self.per_target = per_target
        self.linger = linger
        #: Called (no lock held) when a lane's last thread ends: it had no work for ``linger``.
        self.on_drained = on_drained
        self._name = name
        self._lock = threading.Lock()
        self._lanes: dict[LaneKey, _Lane] = {}
        self._threads: set[threading.Thread] = set()
        self._numbers = itertools.count(1)
        self._closed = False

    def submit(self, key: LaneKey, job: Job) -> bool:
        """Run ``job`` in lane ``key`` (now, or when the lane has room); False once closed."""
        with self._lock:
            if self._closed:
                return False
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = _Lane(self._lock)
            lane.queue.append(job)
            if lane.idle:
                lane.wake.notify()
            if len(lane.queue) > lane.idle and lane.threads < self.per_target:
                lane.threads += 1
                thread = threading.Thread(
                    target=self._serve,
                    args=(key, lane),
                    name=f"{self._name}-{next(self._numbers)}",
                    daemon=True,
                )
                self._threads.add(thread)
                # Started under the lock so that close() never sees a thread it cannot join.
                thread.start()
            return True

    def load(self, key: LaneKey) -> tuple[int, int]:
        """(jobs running, jobs waiting) in lane ``key``."""
        with self._lock:
            lane = self._lanes.get(key)
            return (lane.busy, len(lane.queue)) if lane else (0, 0)

    def close(self) -> None:
        """Drop waiting jobs and join every thread (their jobs must be aborted by the caller)."""
        with self._lock:
            self._closed = True
            for lane in self._lanes.values():
                lane.queue.clear()
                lane.wake.notify_all()
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()

    def _serve(self, key: LaneKey, lane: _Lane) -> None:
        drained = False
        try:
            done = False
            while (job := self._next(key, lane, done=done)) is not None:
                try:
                    job()
                except Exception:  # a job's bug must not take its lane's queue down with it
                    log.exception("webhook job failed")
                done = True
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
                drained = key not in self._lanes
        if drained and self.on_drained is not None:
            try:
                self.on_drained(key)
            except Exception:  # the lane is gone either way
                log.exception("webhook lane clean-up failed")

    def _next(self, key: LaneKey, lane: _Lane, *, done: bool) -> Job | None:
        """The lane's next job (``done``: the thread ended one), waiting up to ``linger`` for
        one; None ends the thread."""
        with self._lock:
            if done:
                lane.busy -= 1
            if not lane.queue and not self._closed:
                lane.idle += 1
                lane.wake.wait_for(lambda: bool(lane.queue) or self._closed, timeout=self.linger)
                lane.idle -= 1
            if lane.queue and not self._closed:
                lane.busy += 1
                return lane.queue.popleft()
            lane.threads -= 1
            if not lane.threads and self._lanes.get(key) is lane:
                del self._lanes[key]
            return None
