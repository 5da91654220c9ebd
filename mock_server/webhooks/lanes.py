"""Worker threads for webhook jobs: a lane per receiver, so that no receiver can starve another.

With one shared pool, a receiver that hangs takes a worker per message for a whole timeout, and
enough such messages take every worker while healthy receivers wait. Here each receiver (scheme,
host, port) has a lane: at most ``per_target`` of its jobs run at once and the rest wait in its
queue, while a job for any other receiver starts at once on a thread of its own. Threads start on
demand and end when their lane has nothing left, so their number follows the receivers that have
work in flight; every job is bounded by the attempt timeout, so a lane always drains.
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


class Lanes:
    """Runs jobs on threads named ``<name>-<n>``, at most ``per_target`` at once per lane."""

    def __init__(self, *, per_target: int, name: str = "freepik-mock-webhook") -> None:
        if per_target < 1:
            raise ValueError("per_target must be at least 1")
        self.per_target = per_target
        self._name = name
        self._lock = threading.Lock()
        self._running: dict[LaneKey, int] = {}
        self._queues: dict[LaneKey, deque[Job]] = {}
        self._threads: set[threading.Thread] = set()
        self._numbers = itertools.count(1)
        self._closed = False

    def submit(self, key: LaneKey, job: Job) -> bool:
        """Run ``job`` in lane ``key`` (now, or when the lane has room); False once closed."""
        with self._lock:
            if self._closed:
                return False
            if self._running.get(key, 0) >= self.per_target:
                self._queues.setdefault(key, deque()).append(job)
                return True
            self._running[key] = self._running.get(key, 0) + 1
            thread = threading.Thread(
                target=self._serve,
                args=(key, job),
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
            return self._running.get(key, 0), len(self._queues.get(key, ()))

    def close(self) -> None:
        """Drop waiting jobs and join every thread (their jobs must be aborted by the caller)."""
        with self._lock:
            self._closed = True
            self._queues.clear()
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()

    def _serve(self, key: LaneKey, job: Job | None) -> None:
        try:
            while job is not None:
                try:
                    job()
                except Exception:  # a job's bug must not take its lane's queue down with it
                    log.exception("webhook job failed")
                job = self._next(key)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _next(self, key: LaneKey) -> Job | None:
        with self._lock:
            queue = self._queues.get(key)
            if queue and not self._closed:
                job = queue.popleft()
                if not queue:
                    del self._queues[key]
                return job
            remaining = self._running[key] - 1
            if remaining:
                self._running[key] = remaining
            else:
                del self._running[key]
            return None
