"""Host lookups bounded by an attempt's deadline, and abortable by its cancellation.

``getaddrinfo`` takes no timeout and cannot be interrupted, so each lookup runs on a helper
thread and the attempt stops waiting for it at its deadline (a failed attempt, retried like a
connection error) or when it is cancelled (reset, close). The helper ends on its own once the
resolver answers; nobody waits for it. Concurrent lookups of one host share one helper, so a
resolver that hangs costs a thread per host rather than one per attempt.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Sequence

from .cancellation import Cancellation
from .targets import Resolver, TargetUnresolved

__all__ = ["Lookups"]


class _Lookup:
    """One resolver call in progress; its waiters are woken when it ends."""

    def __init__(self) -> None:
        self.done = False
        self.answers: Sequence[str] = ()
        self.error: Exception | None = None
        self.waiters: list[threading.Event] = []


class Lookups:
    """Runs resolver calls on helper threads (named ``freepik-mock-lookup-<n>``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[Resolver, str, int], _Lookup] = {}
        self._threads: dict[threading.Thread, _Lookup] = {}
        self._numbers = itertools.count(1)

    def resolve(
        self,
        resolver: Resolver,
        host: str,
        port: int,
        *,
        started: float,
        timeout: float,
        cancellation: Cancellation,
    ) -> Sequence[str]:
        """``resolver(host, port)``, given up ``timeout`` s after ``started`` (monotonic).

        Raises what the resolver raised, or ``TargetUnresolved`` when the time ran out or the
        attempt was cancelled first.
        """
        key = (resolver, host, port)
        woken = threading.Event()
        with self._lock:
            lookup = self._pending.get(key)
            if lookup is None:
                lookup = _Lookup()
                self._pending[key] = lookup
                thread = threading.Thread(
                    target=self._run,
                    args=(key, lookup),
                    name=f"freepik-mock-lookup-{next(self._numbers)}",
                    daemon=True,
                )
                self._threads = {t: known for t, known in self._threads.items() if t.is_alive()}
                self._threads[thread] = lookup
                thread.start()
            lookup.waiters.append(woken)
        cancellation.wake_on_cancel(woken)
        woken.wait(max(0.0, started + timeout - time.monotonic()))
        with self._lock:
            done, answers, error = lookup.done, lookup.answers, lookup.error
        if done:
            if error is not None:
                # Each waiter raises its own copy: one exception object raised in several
                # threads would collect all their tracebacks in one, and race on it.
                raise copy.copy(error).with_traceback(None) from error.__cause__
            return answers
        if cancellation.cancelled:
            raise TargetUnresolved(f"cancelled while resolving {host}")
        raise TargetUnresolved(f"timed out resolving {host} after {timeout:g} s")

    def close(self) -> None:
        """Join the helpers whose resolver has answered; leave the ones still stuck in it."""
        with self._lock:
            ending = [thread for thread, lookup in self._threads.items() if lookup.done]
            self._threads = {t: known for t, known in self._threads.items() if not known.done}
        for thread in ending:
            thread.join()

    def _run(self, key: tuple[Resolver, str, int], lookup: _Lookup) -> None:
        resolver, host, port = key
        answers: Sequence[str] = ()
        error: Exception | None = None
        try:
            answers = tuple(resolver(host, port))
        except Exception as exc:  # handed to the waiting attempts, which report it
            error = exc
        finally:
            with self._lock:
                lookup.done, lookup.answers, lookup.error = True, answers, error
                if self._pending.get(key) is lookup:
                    del self._pending[key]
                waiters = list(lookup.waiters)
            for woken in waiters:
                woken.set()
