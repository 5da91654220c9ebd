"""The delivery log is bounded by count and by bytes: old finished messages go, pending never."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from freepik_mock.contract.receiver import Reply, WebhookReceiver
from freepik_mock.server.web import get_state
from freepik_mock.server.webhooks import Attempt, DeliveryState, Outbox
from freepik_mock.server.webhooks.messages import Message, MessageLog, message_size
from tests.server.webhook_support import advance, create, log

KIB = 1024
BIG = b"x" * (70 * KIB)  # more than the 64 KiB excerpt the log keeps of an answer


def message(
    number: int, *, answer: str = "", state: DeliveryState = DeliveryState.PENDING
) -> Message:
    logged = Message(
        webhook_id=f"msg_{number}",
        task_id="t",
        status="COMPLETED",
        url="http://127.0.0.1:1/hook",
        body=b"{}",
        origin="task",
        created_at=float(number),
        state=state,
    )
    logged.attempts.append(
        Attempt(
            at=float(number),
            trigger="first",
            webhook_timestamp=0,
            headers={"webhook-id": logged.webhook_id},
            status_code=200,
            error=None,
            duration_ms=1.0,
            response_body=answer,
        )
    )
    return logged


def outbox_of(app: Flask) -> Outbox:
    outbox = get_state(app).webhooks
    assert outbox is not None
    return outbox


def test_finished_messages_are_dropped_oldest_finished_first_past_the_byte_limit() -> None:
    answer = "y" * (64 * KIB)
    size = message_size(message(0, answer=answer))
    assert size > 64 * KIB
    log_ = MessageLog(limit=1000, max_bytes=3 * size)
    messages = [message(number, answer=answer) for number in range(6)]
    for logged in messages:
        log_.add(logged)  # all pending: kept, whatever their size
    assert len(log_) == 6
    assert log_.finished_bytes == 0
    for number in (4, 0, 1, 5, 2):  # they finish in this order
        messages[number].state = DeliveryState.DELIVERED
        log_.update(messages[number])
    # The three that finished last are kept, the pending one too; the first two to finish went.
    kept = [record.webhook_id for record in log_.records()]
    assert kept == ["msg_1", "msg_2", "msg_3", "msg_5"]
    assert log_.finished_bytes == 3 * size
    # Pending again (a replay): no longer counted, so never dropped until it is settled again.
    messages[1].state = DeliveryState.PENDING
    log_.update(messages[1])
    assert log_.finished_bytes == 2 * size


def test_the_count_limit_still_holds_and_keeps_pending_messages() -> None:
    log_ = MessageLog(limit=2, max_bytes=10**9)
    first, second, third = message(1), message(2), message(3, state=DeliveryState.FAILED)
    log_.add(first)
    log_.add(second)
    log_.add(third)  # over the count: the only finished one goes, though it is the newest
    assert [record.webhook_id for record in log_.records()] == ["msg_1", "msg_2"]


def test_large_receiver_answers_keep_the_log_within_its_bytes_and_pending_ones_stay(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(webhook_on_created=False)
    client = app.test_client()
    outbox = outbox_of(app)
    outbox.delivery_log.max_bytes = 400 * KIB  # room for about five 64 KiB answers
    with (
        WebhookReceiver(default=Reply(200, body=BIG)) as chatty,
        WebhookReceiver(default=Reply(500, body=BIG)) as failing,
    ):
        delivered_tasks = [create(client, chatty.url) for _ in range(10)]
        pending_task = create(client, failing.url)
        advance(client, 1)  # every IN_PROGRESS message: 10 delivered, 1 failed and pending
        advance(client, 4)  # the COMPLETED ones of the chatty tasks; the other is still pending
    assert len(chatty.deliveries) == 20
    logged = log(client)
    finished = [m for m in logged if m["state"] == "delivered"]
    assert 0 < len(finished) < 20
    assert outbox.delivery_log.finished_bytes <= 400 * KIB
    # Each kept answer is the 64 KiB excerpt; the newest finished messages are the ones kept.
    assert all(len(m["attempts"][0]["response_body"]) == 64 * KIB for m in finished)
    assert finished[-1]["task_id"] == delivered_tasks[-1]
    assert finished[-1]["status"] == "COMPLETED"
    pending, waiting = log(client, pending_task)  # COMPLETED waits for IN_PROGRESS's retry
    assert pending["state"] == waiting["state"] == "pending"
    assert len(pending["attempts"][0]["response_body"]) == 64 * KIB
