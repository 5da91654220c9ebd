"""Whether an ``advance`` stalled on a hung receiver is reported to that advance only."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from freepik_mock.server.web import get_state
from freepik_mock.server.webhooks import Outbox
from freepik_mock.server.webhooks.progress import StallWatches

WAIT = 30.0


def outbox_of(app: Flask) -> Outbox:
    outbox = get_state(app).webhooks
    assert outbox is not None
    return outbox


def test_a_stall_elsewhere_during_an_advance_does_not_make_that_advance_a_503(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    outbox = outbox_of(app)
    inside, stalled_elsewhere = threading.Event(), threading.Event()
    advancing: list[int] = []

    def slow_waiter() -> bool:
        # Holds the advance open until a wait on another thread has given up.
        if threading.get_ident() in advancing:
            inside.set()
            assert stalled_elsewhere.wait(WAIT)
        return False

    get_state(app).engine.add_idle_waiter(slow_waiter)
    answers: list[int] = []

    def advance() -> None:
        advancing.append(threading.get_ident())
        client = app.test_client()
        answers.append(client.post("/_mock/clock/advance", json={"seconds": 1}).status_code)

    mover = threading.Thread(target=advance)
    mover.start()
    try:
        assert inside.wait(WAIT)
        before = outbox.stalls
        outbox.record_stall()  # what a concurrent advance's wait for a hung receiver does
        assert outbox.stalls == before + 1
    finally:
        stalled_elsewhere.set()
        mover.join(WAIT)
    assert answers == [200]


def test_a_stall_on_the_advancing_thread_is_reported_by_its_watch_only() -> None:
    watches = StallWatches()
    with watches.watch() as outer:
        other = threading.Thread(target=watches.record)  # another thread's stall
        other.start()
        other.join(WAIT)
        assert not outer.stalled
        with watches.watch() as inner:
            watches.record()
        assert inner.stalled
        assert outer.stalled  # a stall inside a nested watch is inside the outer one too
    with watches.watch() as later:
        pass
    assert not later.stalled
