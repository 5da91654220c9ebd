"""Replay and ad-hoc send (``/_mock/webhooks/{id}/replay``, ``/_mock/webhooks/send``).

Signatures are checked with the ``standardwebhooks`` library, independently of the mock's signer.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks import Webhook

from freepik_mock.contract.receiver import Delivery, WebhookReceiver
from freepik_mock.server.web import get_state
from freepik_mock.server.webhooks import Outbox
from tests.server.webhook_support import AUTH, PATH, advance, create, log

WHSEC = "whsec_" + base64.b64encode(b"replay and send test secret").decode()


def verified(delivery: Delivery) -> Any:
    return Webhook(WHSEC).verify(delivery.body, dict(delivery.headers))


def outbox_of(app: Flask) -> Outbox:
    outbox = get_state(app).webhooks
    assert outbox is not None
    return outbox


# -- replay --------------------------------------------------------------------------------------
def test_a_replay_is_the_same_message_with_a_new_timestamp_and_signature(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    app = make_app(webhook_secrets=(WHSEC,))
    wall = {"now": time.time() - 120}  # two real minutes ago: still inside the library's window
    outbox_of(app).sender.wall_time = lambda: wall["now"]
    client = app.test_client()
    task_id = create(client, receiver.url)
    advance(client, 0)
    (message,) = log(client, task_id)
    wall["now"] = time.time()
    answer = client.post(f"/_mock/webhooks/{message['webhook_id']}/replay")
    assert answer.status_code == 200
    replayed = answer.get_json()
    assert replayed["state"] == "delivered"
    assert [a["trigger"] for a in replayed["attempts"]] == ["first", "replay"]
    original, again = receiver.deliveries
    assert again.headers["webhook-id"] == original.headers["webhook-id"] == message["webhook_id"]
    assert again.body == original.body
    assert int(again.headers["webhook-timestamp"]) == int(wall["now"])
    assert int(original.headers["webhook-timestamp"]) == int(wall["now"]) - 120
    assert again.headers["webhook-signature"] != original.headers["webhook-signature"]
    assert (
        verified(original)
        == verified(again)
        == {
            "task_id": task_id,
            "status": "CREATED",
            "generated": [],
        }
    )


def test_a_replay_of_a_message_that_was_given_up_delivers_it(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_on_created=False).test_client()
    receiver.script(410)
    task_id = create(client, receiver.url)
    advance(client, 1)
    (message,) = log(client, task_id)
    assert message["state"] == "failed"
    replayed = client.post(f"/_mock/webhooks/{message['webhook_id']}/replay").get_json()
    assert replayed["state"] == "delivered"
    assert [a["status_code"] for a in replayed["attempts"]] == [410, 200]


def test_a_replay_goes_out_at_once_even_while_an_earlier_message_is_pending(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    # Like `stripe events resend`: the user asked for this message now, so it does not queue
    # behind CREATED (whose retry may be far off on a manual clock); the rest keep their order.
    client = make_app(webhook_initial_backoff=10).test_client()
    receiver.script(500)
    task_id = create(client, receiver.url)
    advance(client, 1)
    created, in_progress = log(client, task_id)
    assert created["state"] == "pending"
    assert in_progress["attempts"] == []  # waiting for CREATED
    answer = client.post(f"/_mock/webhooks/{in_progress['webhook_id']}/replay")
    assert answer.get_json()["state"] == "delivered"
    assert [d.json()["status"] for d in receiver.deliveries] == ["CREATED", "IN_PROGRESS"]
    advance(client, 4)  # COMPLETED is due but still waits for CREATED
    assert len(receiver.deliveries) == 2
    advance(client, 20)  # CREATED's retry; IN_PROGRESS is not sent again; then COMPLETED
    assert [d.json()["status"] for d in receiver.deliveries] == [
        "CREATED",
        "IN_PROGRESS",
        "CREATED",
        "COMPLETED",
    ]
    assert [m["state"] for m in log(client, task_id)] == ["delivered"] * 3


def test_a_replay_of_an_unknown_webhook_id_is_404(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    answer = make_app().test_client().post("/_mock/webhooks/msg_nope/replay")
    assert answer.status_code == 404
    assert answer.get_json() == {"message": "Not found"}
    assert receiver.connections == 0


# -- ad-hoc send ---------------------------------------------------------------------------------
def test_send_for_a_task_sends_its_body_for_the_requested_status_signed(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_secrets=(WHSEC,)).test_client()
    task_id = create(client, None)
    advance(client, 5)
    body = {"url": receiver.url, "task_id": task_id, "status": "IN_PROGRESS"}
    answer = client.post("/_mock/webhooks/send", json=body)
    assert answer.status_code == 201
    sent = answer.get_json()
    assert (sent["state"], sent["origin"], sent["task_id"]) == ("delivered", "ad-hoc", task_id)
    # Without a status: the task's own, with the body a GET shows.
    answer = client.post("/_mock/webhooks/send", json={"url": receiver.url, "task_id": task_id})
    assert answer.status_code == 201
    first, second = receiver.deliveries
    assert verified(first) == {"task_id": task_id, "status": "IN_PROGRESS", "generated": []}
    task = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]
    assert task["status"] == "COMPLETED"
    assert verified(second) == task
    assert first.headers["webhook-id"] != second.headers["webhook-id"]


@pytest.mark.parametrize(
    ("seconds", "current", "message"),
    [
        (0, "CREATED", "complete it first (POST /_mock/tasks/{task_id}/complete)"),
        (2, "IN_PROGRESS", "has no result yet"),
    ],
)
def test_send_completed_for_a_task_without_its_result_yet_is_refused(
    make_app: Callable[..., Flask],
    receiver: WebhookReceiver,
    seconds: float,
    current: str,
    message: str,
) -> None:
    client = make_app().test_client()
    task_id = create(client, None)
    advance(client, seconds)
    body = {"url": receiver.url, "task_id": task_id, "status": "COMPLETED"}
    answer = client.post("/_mock/webhooks/send", json=body)
    assert answer.status_code == 409
    text = answer.get_json()["message"]
    assert f"task {task_id} is {current}" in text
    assert message.format(task_id=task_id) in text
    assert receiver.connections == 0
    assert log(client) == []


def test_send_completed_for_a_failed_task_is_refused(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app().test_client()
    task_id = create(client, None)
    assert client.post(f"/_mock/tasks/{task_id}/fail").status_code == 200
    body = {"url": receiver.url, "task_id": task_id, "status": "COMPLETED"}
    answer = client.post("/_mock/webhooks/send", json=body)
    assert answer.status_code == 409
    assert "is FAILED and has no result" in answer.get_json()["message"]
    assert receiver.connections == 0


def test_send_without_a_task_names_a_made_up_one_repeatably_under_a_seed(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    def send(client: FlaskClient, **extra: str) -> dict[str, Any]:
        answer = client.post("/_mock/webhooks/send", json={"url": receiver.url, **extra})
        assert answer.status_code == 201
        sent: dict[str, Any] = answer.get_json()
        return sent

    client = make_app(seed=5, webhook_secrets=(WHSEC,)).test_client()
    sent = send(client)
    made_up = sent["task_id"]
    assert client.get(f"/_mock/tasks/{made_up}").status_code == 404  # no task was created
    failed = send(client, status="FAILED")
    completed, failed_delivery = receiver.deliveries
    assert verified(completed) == {
        "task_id": made_up,
        "status": "COMPLETED",
        "generated": [f"http://localhost/results/{made_up}.mp3"],
    }
    assert verified(failed_delivery) == {
        "task_id": failed["task_id"],
        "status": "FAILED",
        "generated": [],
    }
    assert failed["task_id"] != made_up
    again = send(make_app(seed=5).test_client())
    assert (again["task_id"], again["webhook_id"]) == (made_up, sent["webhook_id"])


def test_send_to_a_target_that_is_not_allowed_is_blocked_and_never_contacted(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_allow=("127.0.0.1",)).test_client()
    url = receiver.url_for(host="127.0.0.2")
    answer = client.post("/_mock/webhooks/send", json={"url": url})
    assert answer.status_code == 201
    sent = answer.get_json()
    assert sent["state"] == "blocked"
    assert "127.0.0.2" in sent["blocked_reason"]
    assert sent["attempts"] == []
    assert receiver.connections == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "'url' is required"),
        ({"url": 5}, "'url' is required"),
        ({"url": "  "}, "'url' is required"),
        ({"url": "http://127.0.0.1/h\u00e9"}, "'url' must be an absolute URL in ASCII"),
        ({"url": "http://127.0.0.1/\ud800"}, "'url' must be an absolute URL in ASCII"),
        ({"url": "/relative/hook"}, "'url' must be an absolute URL"),
        ({"url": "{url}", "status": "DONE"}, "'status' must be one of CREATED, IN_PROGRESS"),
        ({"url": "{url}", "status": 3}, "'status' must be one of"),
        ({"url": "{url}", "task_id": 7}, "'task_id' must be a task id"),
        ({"url": "{url}", "task_id": ""}, "'task_id' must be a task id"),
        ({"url": "{url}", "event": "x"}, "unknown field(s): event; expected url, task_id, status"),
        ([1], "the body must be a JSON object"),
        ("not json", "the body is not valid JSON"),
    ],
)
def test_send_with_bad_input_is_a_400_that_says_what_is_wrong(
    make_app: Callable[..., Flask], receiver: WebhookReceiver, body: Any, message: str
) -> None:
    client = make_app().test_client()
    if isinstance(body, dict):
        body = {k: v.format(url=receiver.url) if isinstance(v, str) else v for k, v in body.items()}
        answer = client.post("/_mock/webhooks/send", json=body)
    elif isinstance(body, str):
        answer = client.post(
            "/_mock/webhooks/send", data=body, headers={"Content-Type": "application/json"}
        )
    else:
        answer = client.post("/_mock/webhooks/send", json=body)
    assert answer.status_code == 400
    assert message in answer.get_json()["message"]
    assert receiver.connections == 0


def test_send_for_an_unknown_task_is_404(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    body = {"url": receiver.url, "task_id": "00000000-0000-4000-8000-000000000000"}
    answer = make_app().test_client().post("/_mock/webhooks/send", json=body)
    assert answer.status_code == 404
    assert answer.get_json() == {"message": "Not found"}
    assert receiver.connections == 0


@pytest.mark.parametrize("status", [[], {}, 3, True])
def test_an_ad_hoc_send_with_a_status_that_is_not_a_string_is_refused(
    make_app: Callable[..., Flask], status: Any
) -> None:
    client = make_app().test_client()
    refused = client.post(
        "/_mock/webhooks/send", json={"url": "http://127.0.0.1:9/x", "status": status}
    )
    assert refused.status_code == 400
    assert "'status' must be one of" in refused.get_json()["message"]
    assert client.get("/_mock/webhooks").get_json()["data"] == []
