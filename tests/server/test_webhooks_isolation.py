"""A stuck receiver or a stuck host lookup holds up only itself, and never outlives its deadline.

Every wait here is on an event (a receiver holding requests, a resolver being called); the
timeouts passed to those waits only turn a hang into a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence

import pytest
from flask import Flask

from freepik_mock.contract.receiver import HANG, WebhookReceiver
from freepik_mock.server.web import close_app, get_state
from freepik_mock.server.webhooks import Outbox, TargetPolicy
from freepik_mock.server.webhooks.lanes import Lanes, lane_key
from freepik_mock.server.webhooks.progress import JobCounter
from tests.server.webhook_support import create

WAIT = 10.0  # only turns a hang into a failure


def outbox_of(app: Flask) -> Outbox:
    outbox = get_state(app).webhooks
    assert outbox is not None
    return outbox


# -- one receiver cannot starve the others -------------------------------------------------------
@pytest.mark.parametrize("workers", [8, 2])
def test_a_hanging_receiver_holds_only_its_own_workers_while_others_are_served(
    make_app: Callable[..., Flask], workers: int
) -> None:
    app = make_app(webhook_workers=workers, webhook_timeout=60)
    client = app.test_client()
    with WebhookReceiver(default=HANG) as stuck, WebhookReceiver() as healthy:
        for _ in range(workers + 1):
            create(client, stuck.url)
        stuck.wait_until(lambda: stuck.hanging == workers)
        healthy_id = create(client, healthy.url)
        # It arrives while every request to the stuck receiver is still held open...
        assert healthy.wait_for(1, timeout=WAIT)[0].json()["task_id"] == healthy_id
        assert stuck.hanging == workers
        # ...and the stuck receiver's extra message waits for a worker of its own lane.
        assert outbox_of(app).lanes.load(lane_key(stuck.url)) == (workers, 1)
        assert len(stuck.deliveries) == workers


def test_lanes_cap_each_receiver_and_start_other_receivers_at_once() -> None:
    lanes = Lanes(per_target=2, name="test-lanes")
    stuck, other = lane_key("http://127.0.0.1:9001/a"), lane_key("http://127.0.0.1:9002/a")
    release = threading.Event()
    started = [threading.Event() for _ in range(3)]
    other_ran = threading.Event()

    def hold(number: int) -> Callable[[], None]:
        def job() -> None:
            started[number].set()
            release.wait(WAIT)

        return job

    try:
        for number in range(3):
            assert lanes.submit(stuck, hold(number))
        assert started[0].wait(WAIT)
        assert started[1].wait(WAIT)
        assert lanes.load(stuck) == (2, 1)
        assert lanes.submit(other, other_ran.set)
        assert other_ran.wait(WAIT)
        assert not started[2].is_set()  # still queued: its lane's two workers are held
        release.set()
        assert started[2].wait(WAIT)
    finally:
        release.set()
        lanes.close()
    assert lanes.load(stuck) == (0, 0)
    assert not lanes.submit(other, other_ran.set)
    assert not [t for t in threading.enumerate() if t.name.startswith("test-lanes")]


def test_a_lane_is_the_scheme_host_and_port_as_written() -> None:
    assert (
        lane_key("HTTP://127.0.0.1/a")
        == lane_key("http://127.0.0.1:80/b?c")
        == (
            "http",
            "127.0.0.1",
            80,
        )
    )
    assert lane_key("https://h.test/") == ("https", "h.test", 443)
    assert lane_key("http://127.0.0.1:8001/") != lane_key("http://127.0.0.1:8002/")
    assert lane_key("http://[::1]:99999/") == ("", "http://[::1]:99999/", None)


# -- host lookups are part of the attempt's deadline ---------------------------------------------
class StuckResolver:
    """Hangs on ``slow.test`` until released (or ``limit`` s); other names are 127.0.0.1."""

    def __init__(self, *, limit: float = 20.0) -> None:
        self.limit = limit
        self.release = threading.Event()
        self.entered = threading.Event()
        self.returned = threading.Event()

    def __call__(self, host: str, port: int) -> Sequence[str]:
        if host != "slow.test" or self.release.is_set():
            return ["127.0.0.1"]
        self.entered.set()
        try:
            self.release.wait(self.limit)
            return ["127.0.0.1"]
        finally:
            self.returned.set()


@pytest.fixture
def resolver() -> Iterator[StuckResolver]:
    stuck = StuckResolver()
    yield stuck
    stuck.release.set()
    if stuck.entered.is_set():
        assert stuck.returned.wait(WAIT)
    for thread in threading.enumerate():
        if thread.name.startswith("freepik-mock-lookup"):
            thread.join(WAIT)


def test_a_host_lookup_that_hangs_is_a_timed_out_attempt_and_is_retried(
    make_app: Callable[..., Flask], resolver: StuckResolver, receiver: WebhookReceiver
) -> None:
    app = make_app(webhook_timeout=0.3, webhook_on_created=False)
    outbox_of(app).sender.targets = TargetPolicy(resolver=resolver)
    client = app.test_client()
    task_id = create(client, receiver.url_for(host="slow.test"))
    client.post("/_mock/clock/advance", json={"seconds": 1})
    (message,) = client.get("/_mock/webhooks", query_string={"task_id": task_id}).get_json()["data"]
    assert message["state"] == "pending"
    (attempt,) = message["attempts"]
    assert attempt["error"] == "timed out resolving slow.test after 0.3 s"
    assert attempt["next_attempt_at"] == message["next_attempt_at"] is not None
    assert resolver.entered.is_set()
    assert not resolver.returned.is_set()  # the lookup still hangs; the attempt did not wait
    assert receiver.connections == 0
    resolver.release.set()
    client.post("/_mock/clock/advance", json={"seconds": 10})
    messages = client.get("/_mock/webhooks", query_string={"task_id": task_id}).get_json()["data"]
    assert [m["state"] for m in messages] == ["delivered", "delivered"]
    assert messages[0]["attempts"][1]["status_code"] == 200


def test_closing_does_not_wait_for_a_host_lookup_that_hangs(
    make_app: Callable[..., Flask], resolver: StuckResolver, receiver: WebhookReceiver
) -> None:
    before = set(threading.enumerate())  # other tests' servers may share this process
    app = make_app(webhook_timeout=60)
    outbox_of(app).sender.targets = TargetPolicy(resolver=resolver)
    create(app.test_client(), receiver.url_for(host="slow.test"))
    assert resolver.entered.wait(WAIT)
    close_app(app)
    assert not resolver.returned.is_set()  # close returned while the lookup still hangs
    started = set(threading.enumerate()) - before
    assert not [t for t in started if t.name.startswith("freepik-mock-webhook")]
    assert receiver.connections == 0


# -- waiting for jobs: as long as they progress --------------------------------------------------
def test_a_wait_for_jobs_lasts_while_they_finish_and_gives_up_only_on_a_stall() -> None:
    cond = threading.Condition()
    jobs = JobCounter(cond, stall_timeout=WAIT)
    with cond:
        for _ in range(3):
            jobs.start()
    finished = threading.Event()

    def finish_all() -> None:
        for _ in range(3):
            with cond:
                jobs.finish()
        finished.set()

    finisher = threading.Thread(target=finish_all)
    with cond:
        finisher.start()
        assert jobs.wait(lambda: jobs.busy == 0)
    finisher.join()
    assert finished.is_set()
    stalled = JobCounter(cond, stall_timeout=0.05)
    with cond:
        stalled.start()  # never finishes: nothing can wake the wait but its stall limit
        assert not stalled.wait(lambda: stalled.busy == 0)
        assert stalled.wait(lambda: True)
