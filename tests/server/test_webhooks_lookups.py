"""Shared host lookups: every attempt waiting on one failing lookup gets an error of its own."""

from __future__ import annotations

import threading
import time

from freepik_mock.server.webhooks.delivery import Cancellation
from freepik_mock.server.webhooks.lookups import Lookups
from freepik_mock.server.webhooks.targets import TargetUnresolved


def test_waiters_of_one_failing_lookup_each_raise_their_own_exception() -> None:
    release = threading.Event()
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        release.wait(10)
        raise TargetUnresolved(f"{host} does not resolve")

    lookups = Lookups()
    errors: list[BaseException] = []
    arrived = threading.Barrier(3)

    def attempt() -> None:
        arrived.wait(10)
        try:
            lookups.resolve(
                resolver, "nowhere.invalid", 80,
                started=time.monotonic(), timeout=10, cancellation=Cancellation(),
            )  # fmt: skip
        except TargetUnresolved as exc:
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    arrived.wait(10)
    # Release the resolver only once both attempts wait on its one lookup.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with lookups._lock:
            waiting = [len(lookup.waiters) for lookup in lookups._pending.values()]
        if waiting == [2]:
            break
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    lookups.close()
    assert calls == ["nowhere.invalid"]  # one lookup, shared
    assert len(errors) == 2
    assert errors[0] is not errors[1]
    assert [str(e) for e in errors] == ["nowhere.invalid does not resolve"] * 2
