"""Webhook delivery against a real receiver on 127.0.0.1: messages, order, retries, robustness."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from freepik_mock.contract.receiver import GARBAGE, HANG, RESET, Reply, WebhookReceiver
from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer
from freepik_mock.server.web import close_app, get_state
from freepik_mock.server.webhooks import TargetPolicy
from tests.server.webhook_support import AUTH, PATH, advance, create, log


def statuses(receiver: WebhookReceiver) -> list[str]:
    return [delivery.json()["status"] for delivery in receiver.deliveries]


def vendor_view(client: FlaskClient, task_id: str) -> dict[str, Any]:
    data: dict[str, Any] = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]
    return data


# -- the messages of a task ---------------------------------------------------------------------
def test_a_completed_task_sends_each_status_once_in_order_as_the_get_shows_it(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app().test_client()
    task_id = create(client, receiver.url)
    advance(client, 0)
    assert statuses(receiver) == ["CREATED"]
    assert receiver.deliveries[0].json() == vendor_view(client, task_id)
    advance(client, 1)
    assert statuses(receiver) == ["CREATED", "IN_PROGRESS"]
    assert receiver.deliveries[1].json() == vendor_view(client, task_id)
    advance(client, 4)
    deliveries = receiver.deliveries
    assert statuses(receiver) == ["CREATED", "IN_PROGRESS", "COMPLETED"]
    completed = vendor_view(client, task_id)
    assert deliveries[2].json() == completed
    assert completed["generated"][0].endswith(f"{task_id}.mp3")
    assert deliveries[2].body == json.dumps(completed, separators=(",", ":")).encode()
    for delivery in deliveries:
        assert delivery.method == "POST"
        assert delivery.path == "/webhook"
        assert delivery.headers["content-type"] == "application/json"
    assert len({d.headers["webhook-id"] for d in deliveries}) == 3
    advance(client, 100)
    assert len(receiver.deliveries) == 3


def test_a_failed_task_sends_created_in_progress_then_failed(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    app = make_app(scenarios=({"match": {"prompt_contains": "doom"}, "outcome": "FAILED"},))
    client = app.test_client()
    task_id = create(client, receiver.url, prompt="doom metal")
    advance(client, 5)
    assert [d.json() for d in receiver.deliveries] == [
        {"task_id": task_id, "status": status, "generated": []}
        for status in ("CREATED", "IN_PROGRESS", "FAILED")
    ]
    assert [m["state"] for m in log(client, task_id)] == ["delivered"] * 3


def test_no_webhook_on_created_leaves_out_the_created_message(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_on_created=False).test_client()
    create(client, receiver.url)
    advance(client, 5)
    assert statuses(receiver) == ["IN_PROGRESS", "COMPLETED"]


def test_a_task_without_webhook_url_sends_nothing(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app().test_client()
    client.post(PATH, json={"prompt": "quiet", "music_length_seconds": 10}, headers=AUTH)
    advance(client, 5)
    assert receiver.deliveries == []
    assert log(client) == []


def test_created_and_forced_changes_go_out_without_moving_the_clock(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app().test_client()
    task_id = create(client, receiver.url)
    receiver.wait_for(1)
    assert client.post(f"/_mock/tasks/{task_id}/complete").status_code == 200
    assert [d.json()["status"] for d in receiver.wait_for(3)] == [
        "CREATED",
        "IN_PROGRESS",
        "COMPLETED",
    ]
    assert client.get("/_mock/clock").get_json()["elapsed_seconds"] == 0


def test_advance_returns_only_after_every_due_attempt_was_made(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app().test_client()
    receiver.script(*[Reply(200, delay=0.2)] * 3)
    task_id = create(client, receiver.url)
    advance(client, 5)
    # No waiting here: the answers took 0.2 s each, and advance waited for all of them.
    assert statuses(receiver) == ["CREATED", "IN_PROGRESS", "COMPLETED"]
    assert [m["state"] for m in log(client, task_id)] == ["delivered"] * 3
    assert all(m["attempts"][0]["status_code"] == 200 for m in log(client, task_id))


# -- retries -----------------------------------------------------------------------------------
def test_a_failing_receiver_gets_retries_with_the_same_webhook_id_and_order_is_kept(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(seed=7, webhook_initial_backoff=1.0).test_client()
    receiver.script(500, 500, 200)
    task_id = create(client, receiver.url)
    advance(client, 0)
    created = log(client, task_id)[0]
    assert created["state"] == "pending"
    assert 1.0 <= created["next_attempt_elapsed_seconds"] <= 1.2
    advance(client, 1.2)  # the first retry fails; IN_PROGRESS is due but must wait
    assert statuses(receiver) == ["CREATED", "CREATED"]
    created = log(client, task_id)[0]
    first_retry = created["attempts"][1]
    # Made at the instant it was due (not at the clock's 1.2 s), and backed off from there.
    assert first_retry["elapsed_seconds"] == created["attempts"][0]["next_attempt_elapsed_seconds"]
    waited = created["next_attempt_elapsed_seconds"] - first_retry["elapsed_seconds"]
    assert 2.0 <= waited <= 2.4
    advance(client, 2.4)
    assert statuses(receiver) == ["CREATED", "CREATED", "CREATED", "IN_PROGRESS"]
    ids = [d.headers["webhook-id"] for d in receiver.deliveries]
    assert ids[0] == ids[1] == ids[2] != ids[3]
    created = log(client, task_id)[0]
    assert created["state"] == "delivered"
    assert [a["status_code"] for a in created["attempts"]] == [500, 500, 200]
    assert [a["trigger"] for a in created["attempts"]] == ["first", "retry", "retry"]
    assert created["next_attempt_at"] is None


def test_every_attempt_shows_when_the_retry_after_it_was_scheduled(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(seed=3, webhook_max_retries=5, webhook_on_created=False).test_client()
    receiver.script(500, Reply(503, headers={"Retry-After": "30"}), 200)
    task_id = create(client, receiver.url)
    advance(client, 1)
    message = log(client, task_id)[0]
    (first,) = message["attempts"]
    # 1 s backoff, plus up to 20 % jitter, after the attempt (the message shows the same).
    assert 1.0 <= first["next_attempt_elapsed_seconds"] - first["elapsed_seconds"] <= 1.2
    assert first["next_attempt_at"] == message["next_attempt_at"]
    advance(client, 1.2)
    message = log(client, task_id)[0]
    second = message["attempts"][1]
    assert second["next_attempt_elapsed_seconds"] == second["elapsed_seconds"] + 30  # Retry-After
    assert second["next_attempt_at"] == message["next_attempt_at"]
    advance(client, 30)
    message = log(client, task_id)[0]
    assert message["state"] == "delivered"
    assert message["next_attempt_at"] is None
    attempts = message["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    # Earlier attempts keep the retry they led to; the one that delivered has none.
    assert attempts[:2] == [first, second]
    assert attempts[2]["next_attempt_at"] is None
    assert attempts[2]["next_attempt_elapsed_seconds"] is None


def test_an_attempt_that_ends_a_message_has_no_next_attempt(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_max_retries=1, webhook_on_created=False).test_client()
    receiver.script(410, 500, 500)
    task_id = create(client, receiver.url)
    advance(client, 1000)
    advance(client, 1000)
    in_progress, completed = log(client, task_id)
    assert in_progress["state"] == "failed"
    assert [a["next_attempt_at"] for a in in_progress["attempts"]] == [None]  # 410: given up
    assert completed["state"] == "failed"
    retried, last = completed["attempts"]
    assert retried["next_attempt_at"] is not None
    assert last["next_attempt_at"] is None  # the retries ran out


def test_retries_give_up_after_the_configured_number(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_max_retries=2, webhook_on_created=False).test_client()
    receiver.default = 503
    task_id = create(client, receiver.url)
    advance(client, 1000)  # one advance makes every attempt and retry due by then
    messages = log(client, task_id)
    assert [m["state"] for m in messages] == ["failed", "failed"]
    assert [len(m["attempts"]) for m in messages] == [3, 3]
    assert len(receiver.deliveries) == 6


def test_410_stops_the_retries_of_that_message(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app().test_client()
    receiver.script(410)
    task_id = create(client, receiver.url)
    advance(client, 1000)
    created, in_progress, completed = log(client, task_id)
    assert created["state"] == "failed"
    assert [a["status_code"] for a in created["attempts"]] == [410]
    assert created["next_attempt_at"] is None
    assert in_progress["state"] == completed["state"] == "delivered"
    assert statuses(receiver) == ["CREATED", "IN_PROGRESS", "COMPLETED"]


def test_retry_after_sets_the_next_attempt(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_on_created=False).test_client()
    receiver.script(Reply(503, headers={"Retry-After": "30"}))
    task_id = create(client, receiver.url)
    advance(client, 1)
    message = log(client, task_id)[0]
    assert message["attempts"][0]["retry_after"] == 30
    assert message["next_attempt_elapsed_seconds"] == 31
    advance(client, 29.5)
    assert len(receiver.deliveries) == 1
    advance(client, 0.5)
    assert statuses(receiver)[:2] == ["IN_PROGRESS", "IN_PROGRESS"]


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (RESET, "connection"),
        (GARBAGE, "invalid HTTP answer"),
        (Reply(302, headers={"Location": "/elsewhere"}), "redirects are not followed"),
    ],
)
def test_resets_garbage_and_redirects_are_failed_attempts_then_retried(
    make_app: Callable[..., Flask], receiver: WebhookReceiver, action: Any, error: str
) -> None:
    client = make_app(webhook_on_created=False).test_client()
    receiver.script(action)
    task_id = create(client, receiver.url)
    advance(client, 1)
    attempt = log(client, task_id)[0]["attempts"][0]
    assert error in attempt["error"]
    advance(client, 5)  # the default schedule's first retry
    assert log(client, task_id)[0]["state"] == "delivered"
    # No redirect followed: IN_PROGRESS twice (its retry), then COMPLETED (due at 5 s as well).
    assert [(d.path, d.json()["status"]) for d in receiver.deliveries] == [
        ("/webhook", "IN_PROGRESS"),
        ("/webhook", "IN_PROGRESS"),
        ("/webhook", "COMPLETED"),
    ]


def test_a_hanging_receiver_times_out_and_is_retried(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_timeout=0.3, webhook_on_created=False).test_client()
    receiver.script(HANG)
    task_id = create(client, receiver.url)
    advance(client, 1)
    message = log(client, task_id)[0]
    assert message["state"] == "pending"
    assert message["attempts"][0]["error"] == "timed out after 0.3 s"
    assert message["next_attempt_elapsed_seconds"] == message["attempts"][0]["elapsed_seconds"] + 5
    advance(client, 5)
    assert log(client, task_id)[0]["state"] == "delivered"


def test_only_a_capped_part_of_the_answer_is_read(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_response_cap=1024, webhook_on_created=False).test_client()
    receiver.script(Reply(200, body=b"x" * 2_000_000))
    task_id = create(client, receiver.url)
    advance(client, 1)
    attempt = log(client, task_id)[0]["attempts"][0]
    assert attempt["status_code"] == 200
    assert attempt["response_body"] == "x" * 1024


def test_a_hanging_receiver_delays_neither_the_api_nor_other_receivers() -> None:
    config = MockConfig(clock="manual", webhook_timeout=60)
    with (
        WebhookReceiver() as stuck,
        WebhookReceiver() as healthy,
        LiveServer(config=config) as server,
        httpx.Client(base_url=server.url, headers=AUTH) as http,
    ):
        stuck.script(HANG)
        body = {"prompt": "x", "music_length_seconds": 10, "webhook_url": stuck.url}
        stuck_id = http.post(PATH, json=body).json()["data"]["task_id"]
        stuck.wait_until(lambda: stuck.hanging == 1)
        # While that attempt is held open, the API answers and other receivers get theirs.
        assert http.get(f"{PATH}/{stuck_id}").json()["data"]["status"] == "CREATED"
        body["webhook_url"] = healthy.url
        healthy_id = http.post(PATH, json=body).json()["data"]["task_id"]
        assert healthy.wait_for(1)[0].json()["task_id"] == healthy_id
        held = http.get("/_mock/webhooks", params={"task_id": stuck_id}).json()["data"][0]
        assert held["state"] == "pending"
        assert held["attempts"] == []
        assert stuck.hanging == 1


# -- chaos, reset, shutdown, names ---------------------------------------------------------------
def deliver_one_task(client: FlaskClient, receiver: WebhookReceiver) -> list[str]:
    """Run one task to the end; the webhook-ids its receiver got, in order."""
    already = len(receiver.deliveries)
    create(client, receiver.url)
    advance(client, 5)
    return [d.headers["webhook-id"] for d in receiver.deliveries[already:]]


def test_webhook_ids_repeat_under_a_seed_but_never_come_back_after_a_reset(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    first = make_app(seed=11).test_client()
    before = deliver_one_task(first, receiver)
    assert first.post("/_mock/reset").status_code == 200
    after = deliver_one_task(first, receiver)
    assert len(before) == len(after) == 3
    # A receiver that drops webhook-ids it has seen must not drop the new run's messages.
    assert set(before).isdisjoint(after)
    # The same seed and history give the same ids, before and after a reset.
    second = make_app(seed=11).test_client()
    assert deliver_one_task(second, receiver) == before
    assert second.post("/_mock/reset").status_code == 200
    assert deliver_one_task(second, receiver) == after
    assert deliver_one_task(make_app(seed=12).test_client(), receiver) != before


def test_ad_hoc_task_ids_restart_with_the_seed_on_reset_like_task_ids(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(seed=11).test_client()

    def send() -> tuple[str, str]:
        message = client.post("/_mock/webhooks/send", json={"url": receiver.url}).get_json()
        return message["task_id"], message["webhook_id"]

    task_before, id_before = send()
    assert client.post("/_mock/reset").status_code == 200
    task_after, id_after = send()
    assert task_after == task_before
    assert id_after != id_before


def test_chaos_duplicate_sends_every_message_twice_with_the_same_id(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(chaos_duplicate=True).test_client()
    task_id = create(client, receiver.url)
    advance(client, 5)
    assert statuses(receiver) == [s for s in ("CREATED", "IN_PROGRESS", "COMPLETED") for _ in "12"]
    ids = [d.headers["webhook-id"] for d in receiver.deliveries]
    assert ids[0::2] == ids[1::2]
    assert [a["trigger"] for a in log(client, task_id)[0]["attempts"]] == ["first", "duplicate"]


def test_chaos_out_of_order_delivers_the_final_status_first(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(chaos_out_of_order=True).test_client()
    task_id = create(client, receiver.url)
    advance(client, 1)
    assert receiver.deliveries == []
    assert [m["held"] for m in log(client, task_id)] == [True, True]
    advance(client, 4)
    assert statuses(receiver) == ["COMPLETED", "IN_PROGRESS", "CREATED"]


def test_reset_forgets_pending_deliveries(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app().test_client()
    receiver.script(500)
    create(client, receiver.url)
    advance(client, 0)
    assert log(client)[0]["state"] == "pending"
    assert client.post("/_mock/reset").status_code == 200
    assert log(client) == []
    advance(client, 1000)
    assert len(receiver.deliveries) == 1


def test_closing_the_app_stops_every_delivery_thread_even_mid_attempt(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    before = set(threading.enumerate())  # other tests' servers may share this process
    app = make_app(webhook_timeout=60)
    receiver.script(HANG)
    create(app.test_client(), receiver.url)
    receiver.wait_until(lambda: receiver.hanging == 1)
    close_app(app)
    assert not [
        thread.name
        for thread in set(threading.enumerate()) - before
        if thread.name.startswith("freepik-mock")
    ]


def test_a_name_is_resolved_once_and_the_checked_address_is_used_with_the_original_host(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    app = make_app(webhook_on_created=False)
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if host == "receiver.test" else []

    outbox = get_state(app).webhooks
    assert outbox is not None
    outbox.sender.targets = TargetPolicy(resolver=resolver)
    client = app.test_client()
    create(client, receiver.url_for("/hook?x=1", host="receiver.test"))
    advance(client, 1)
    (delivery,) = receiver.deliveries
    assert delivery.headers["host"] == f"receiver.test:{receiver.port}"
    assert delivery.path == "/hook?x=1"
    assert lookups == ["receiver.test"]
