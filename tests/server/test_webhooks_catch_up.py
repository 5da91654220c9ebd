"""On the manual clock, ``advance`` simulates time exactly: one big jump equals many small steps.

Every status change, attempt and retry due by the clock's new reading happens at the mock instant
it was due, in order; a retry is due its backoff (or ``Retry-After``) after the instant its attempt
was due, not after the clock's reading when ``advance`` made it. Nothing here waits on real time:
``advance`` returns only after the work it simulates is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from freepik_mock.contract.receiver import Reply, WebhookReceiver
from freepik_mock.server.core import (
    ManualClock,
    MockConfig,
    MockEngine,
    RealClock,
    Task,
    TaskStatus,
)
from freepik_mock.server.core.scheduler import Scheduler
from freepik_mock.server.web import get_state
from freepik_mock.server.webhooks import Outbox
from tests.server.webhook_support import advance, create, log

#: These tests follow retries made by the exponential backoff (1 s, 2 s, 4 s, ... with jitter):
#: short waits, many of them in one advance.
BACKOFF = {"webhook_max_retries": 5}

LIFECYCLE = ["CREATED", "IN_PROGRESS", "COMPLETED"]


def instants(message: dict[str, Any]) -> list[float]:
    return [attempt["elapsed_seconds"] for attempt in message["attempts"]]


def outbox_of(app: Flask) -> Outbox:
    outbox = get_state(app).webhooks
    assert outbox is not None
    return outbox


def expected_instants(
    outbox: Outbox, webhook_id: str, *, first: float, attempts: int
) -> list[float]:
    """Where ``attempts`` attempts of a message that keeps failing fall, from ``first`` on."""
    at = [first]
    for retry in range(1, attempts):
        at.append(at[-1] + outbox.retry.delay(retry=retry, key=webhook_id))
    return at


# -- the user's report -----------------------------------------------------------------------
def test_one_big_advance_makes_every_retry_of_every_message_in_order(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(**BACKOFF, seed=1)
    client = app.test_client()
    with WebhookReceiver(default=500) as receiver:
        task_id = create(client, receiver.url)
        advance(client, 1000)
        messages = log(client, task_id)
        assert [m["status"] for m in messages] == LIFECYCLE
        assert [m["state"] for m in messages] == ["failed"] * 3
        assert [len(m["attempts"]) for m in messages] == [6, 6, 6]  # 1 + the default 5 retries
        for message in messages:
            assert [a["trigger"] for a in message["attempts"]] == ["first"] + ["retry"] * 5
            assert [a["status_code"] for a in message["attempts"]] == [500] * 6
            assert message["next_attempt_at"] is None
        # Each message goes out at the simulated instant the one before it was given up.
        created, in_progress, completed = messages
        outbox = outbox_of(app)
        assert instants(created) == pytest.approx(
            expected_instants(outbox, created["webhook_id"], first=0.0, attempts=6)
        )
        assert instants(in_progress) == pytest.approx(
            expected_instants(
                outbox, in_progress["webhook_id"], first=instants(created)[-1], attempts=6
            )
        )
        assert instants(completed) == pytest.approx(
            expected_instants(
                outbox, completed["webhook_id"], first=instants(in_progress)[-1], attempts=6
            )
        )
        assert instants(completed)[-1] < 1000
        # The receiver got them in that order: no message overtook an earlier one of its task.
        assert [d.status for d in receiver.deliveries] == [s for s in LIFECYCLE for _ in range(6)]


def log_summary(app: Flask) -> list[tuple[Any, ...]]:
    """What must not depend on how the clock was moved: everything but real-time details."""
    client = app.test_client()
    created = {r.webhook_id: r.created_at for r in outbox_of(app).messages()}
    return [
        (
            m["webhook_id"],
            m["task_id"],
            m["status"],
            m["state"],
            created[m["webhook_id"]],
            m["next_attempt_elapsed_seconds"],
            [
                (
                    a["elapsed_seconds"],
                    a["trigger"],
                    a["status_code"],
                    a["next_attempt_elapsed_seconds"],
                )
                for a in m["attempts"]
            ],
        )
        for m in log(client)
    ]


def run_in_steps(make_app: Callable[..., Flask], *, steps: int, seconds: float) -> list[Any]:
    """Two tasks, each to a receiver that fails, then succeeds now and then; the clock to 1000 s.

    A receiver per task: its answers then follow that task's attempts, whose order is fixed.
    """
    scenarios = ({"match": {"prompt_contains": "slow"}, "processing_seconds": 40},)
    app = make_app(**BACKOFF, seed=42, scenarios=scenarios)
    client = app.test_client()
    with WebhookReceiver(default=500) as fast, WebhookReceiver(default=500) as slow:
        fast.script(500, 200, 500, 500, 200)
        slow.script(500, 500, 500, 200, 500, 200)
        create(client, fast.url, prompt="fast")
        create(client, slow.url, prompt="slow")
        for _ in range(steps):
            advance(client, seconds)
        assert client.get("/_mock/clock").get_json()["elapsed_seconds"] == pytest.approx(1000)
        return log_summary(app)


def test_one_advance_of_1000_equals_ten_of_100_and_a_hundred_of_10(
    make_app: Callable[..., Flask],
) -> None:
    once = run_in_steps(make_app, steps=1, seconds=1000)
    assert run_in_steps(make_app, steps=10, seconds=100) == once
    assert run_in_steps(make_app, steps=100, seconds=10) == once
    assert len(once) == 6
    assert all(state in {"delivered", "failed"} for *_, state, _, _, _ in once)
    assert sum(len(attempts) for *_, attempts in once) > 6  # retries were part of it


def test_a_message_answered_500_500_200_is_delivered_by_one_advance_at_the_right_instants(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    app = make_app(**BACKOFF, seed=9)
    client = app.test_client()
    receiver.script(500, 500, 200)  # then 200 for everything
    task_id = create(client, receiver.url)
    advance(client, 1000)
    created, in_progress, completed = log(client, task_id)
    assert created["state"] == "delivered"
    assert [a["status_code"] for a in created["attempts"]] == [500, 500, 200]
    expected = expected_instants(outbox_of(app), created["webhook_id"], first=0.0, attempts=3)
    assert instants(created) == pytest.approx(expected)
    assert [a["next_attempt_elapsed_seconds"] for a in created["attempts"]] == pytest.approx(
        [*expected[1:], None]
    )
    # IN_PROGRESS came due at 1 s but waited for CREATED; COMPLETED went out at its own 5 s.
    assert 1 < expected[-1] < 5
    assert instants(in_progress) == pytest.approx([expected[-1]])
    assert instants(completed) == [5.0]
    assert [m["state"] for m in (in_progress, completed)] == ["delivered", "delivered"]
    assert [d.status for d in receiver.deliveries] == ["CREATED"] * 3 + LIFECYCLE[1:]


def test_retry_after_counts_in_mock_seconds_from_the_instant_the_attempt_was_due(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(**BACKOFF, webhook_on_created=False).test_client()
    receiver.script(
        Reply(503, headers={"Retry-After": "30"}),  # IN_PROGRESS, due at 1 s
        200,  # its retry
        500,  # COMPLETED, which waited for it
        Reply(429, headers={"Retry-After": "7"}),  # its first retry
    )  # then 200
    task_id = create(client, receiver.url)
    advance(client, 1000)
    in_progress, completed = log(client, task_id)
    assert [a["status_code"] for a in in_progress["attempts"]] == [503, 200]
    assert instants(in_progress) == [1.0, 31.0]  # due at 1 s, then 30 s after that
    assert in_progress["attempts"][0]["next_attempt_elapsed_seconds"] == 31.0
    # COMPLETED (due at 5 s) waited for IN_PROGRESS; its second retry came 7 s after its first.
    assert [a["status_code"] for a in completed["attempts"]] == [500, 429, 200]
    first, second, third = instants(completed)
    assert first == 31.0
    assert 1.0 <= second - first <= 1.2  # the first backoff, with its jitter
    assert third == pytest.approx(second + 7)
    assert [m["state"] for m in (in_progress, completed)] == ["delivered", "delivered"]


def test_each_task_keeps_its_order_and_the_receiver_hears_attempts_in_simulated_time(
    make_app: Callable[..., Flask],
) -> None:
    scenarios = ({"match": {"prompt_contains": "long"}, "processing_seconds": 20},)
    client = make_app(**BACKOFF, seed=3, scenarios=scenarios).test_client()
    with WebhookReceiver(default=500) as receiver:
        receiver.script(500, 500, 200, 500, 200)
        first = create(client, receiver.url, prompt="short")
        advance(client, 0.5)
        second = create(client, receiver.url, prompt="long")
        advance(client, 1000)
        messages = log(client)
        # Which instant each delivery the receiver got was made at, in the order it got them.
        made: dict[str, list[float]] = {m["webhook_id"]: instants(m) for m in messages}
        arrived = [made[d.headers["webhook-id"]].pop(0) for d in receiver.deliveries]
        assert not any(made.values())  # every logged attempt reached the receiver
        assert arrived == sorted(arrived)
        for task_id in (first, second):
            mine = [str(d.status) for d in receiver.deliveries if d.task_id == task_id]
            assert mine == sorted(mine, key=LIFECYCLE.index)
            assert len(set(mine)) == 3
            timeline = client.get(f"/_mock/tasks/{task_id}").get_json()["timeline"]
            changed = {change["status"]: change["elapsed_seconds"] for change in timeline}
            settled = 0.0
            for message in log(client, task_id):
                # Not before its status change, nor before the earlier message was settled...
                begun = instants(message)[0]
                assert begun == max(changed[message["status"]], settled)  # ...and not later
                settled = instants(message)[-1]


def test_forced_changes_replays_and_sends_happen_at_the_clocks_reading(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    app = make_app(seed=4)
    client = app.test_client()
    advance(client, 1000)
    task_id = create(client, receiver.url)
    assert client.post(f"/_mock/tasks/{task_id}/complete").status_code == 200
    advance(client, 0)  # waits for the attempts that went out without the clock moving
    messages = log(client, task_id)
    assert [m["state"] for m in messages] == ["delivered"] * 3
    assert [instants(m) for m in messages] == [[1000.0]] * 3
    advance(client, 50)
    replayed = client.post(f"/_mock/webhooks/{messages[0]['webhook_id']}/replay").get_json()
    assert instants(replayed) == [1000.0, 1050.0]
    receiver.script(500)
    sent = client.post("/_mock/webhooks/send", json={"url": receiver.url}).get_json()
    assert sent["state"] == "pending"
    assert instants(sent) == [1050.0]
    retry_at = sent["next_attempt_elapsed_seconds"]
    assert retry_at == pytest.approx(
        1050 + outbox_of(app).retry.delay(retry=1, key=sent["webhook_id"])
    )
    advance(client, 100)
    (again,) = [m for m in log(client) if m["webhook_id"] == sent["webhook_id"]]
    assert again["state"] == "delivered"
    assert instants(again) == [1050.0, retry_at]


# -- the core: announcements and the scheduler -------------------------------------------------
def test_listeners_hear_each_change_at_its_own_instant_in_one_big_jump() -> None:
    engine = MockEngine(config=MockConfig(clock="manual"))
    heard: list[tuple[TaskStatus, float]] = []

    class Recorder:
        def on_status_change(self, task: Task, status: TaskStatus) -> None:
            heard.append((status, engine.scheduler.now()))

    try:
        engine.add_listener(Recorder())
        engine.create_task(
            api_key="k",
            prompt="x",
            music_length_seconds=10,
            webhook_url=None,
            result_base_url="http://mock.test/",
        )
        engine.advance(1000)
        assert heard == [
            (TaskStatus.CREATED, 0.0),
            (TaskStatus.IN_PROGRESS, 1.0),
            (TaskStatus.COMPLETED, 5.0),
        ]
        assert engine.scheduler.now() == engine.clock.now() == 1000
    finally:
        engine.close()


def test_the_scheduler_steps_through_the_instants_that_came_due_in_order() -> None:
    clock = ManualClock()
    scheduler = Scheduler(clock=clock)  # never started: no thread, everything runs here
    ran: list[tuple[str, float]] = []

    def record(name: str) -> Callable[[], None]:
        return lambda: ran.append((name, scheduler.now()))

    def chain() -> None:
        ran.append(("chain", scheduler.now()))
        scheduler.call_at(scheduler.now() + 1.5, record("chained"))

    scheduler.call_at(3, record("three"))
    scheduler.call_at(1, chain)
    scheduler.call_at(20, record("later"))
    clock.advance(10)
    with scheduler.catching_up():
        scheduler.run_due()
        assert ran == []  # nothing was due at the instant before the jump
        while scheduler.step():
            scheduler.run_due()
    assert ran == [("chain", 1.0), ("chained", 2.5), ("three", 3.0)]
    assert scheduler.now() == 10
    assert scheduler.has_due() is False
    real = Scheduler(clock=RealClock())
    assert not real.simulated
    assert real.step() is False  # the real clock is never simulated
