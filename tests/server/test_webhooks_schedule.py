"""The retry schedule: by default the Standard Webhooks one (at once, 5 s, 5 min, 30 min, 2 h,
5 h, 10 h, 10 h), on the mock clock, so a receiver that is down for a while still gets every
message; configurable, with bad schedules refused clearly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from freepik_mock.contract.receiver import RESET, Reply, WebhookReceiver
from freepik_mock.server import MockConfig
from freepik_mock.server.cli.serve import build_config, serve
from freepik_mock.server.core.config import STANDARD_RETRY_SCHEDULE
from freepik_mock.server.webhooks import RetryPolicy
from tests.server.webhook_support import advance, create, log

#: The instants (mock seconds after the first attempt) of the standard schedule's attempts.
STANDARD_INSTANTS = [0, 5, 305, 2105, 9305, 27305, 63305, 99305]


def instants(message: dict[str, Any]) -> list[float]:
    return [attempt["elapsed_seconds"] for attempt in message["attempts"]]


def test_a_receiver_down_for_three_attempts_gets_the_message_at_the_scheduled_instants(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app().test_client()
    receiver.script(RESET, 503, 500)  # down (connection reset), then answering errors, then up
    task_id = create(client, receiver.url)
    advance(client, 4.9)
    (created, in_progress) = log(client, task_id)
    assert instants(created) == [0]
    assert created["next_attempt_elapsed_seconds"] == 5
    assert in_progress["attempts"] == []  # waits for CREATED: the order is kept
    advance(client, 0.1)
    assert instants(log(client, task_id)[0]) == [0, 5]
    advance(client, 299)
    assert len(receiver.deliveries) == 2  # the third attempt is due at 305 s, not before
    advance(client, 1)
    created = log(client, task_id)[0]
    assert instants(created) == [0, 5, 305]
    assert created["next_attempt_elapsed_seconds"] == 2105
    advance(client, 1800)
    created, in_progress, completed = log(client, task_id)
    assert created["state"] == "delivered"
    assert instants(created) == [0, 5, 305, 2105]
    assert [a["next_attempt_elapsed_seconds"] for a in created["attempts"]] == [5, 305, 2105, None]
    assert [a["status_code"] for a in created["attempts"]] == [None, 503, 500, 200]
    # The later messages went out once CREATED was settled, at that instant.
    assert instants(in_progress) == instants(completed) == [2105]
    ids = [d.headers["webhook-id"] for d in receiver.deliveries]
    assert ids[:4] == [created["webhook_id"]] * 4  # the same webhook-id on every retry
    assert [d.json()["status"] for d in receiver.deliveries[3:]] == [
        "CREATED",
        "IN_PROGRESS",
        "COMPLETED",
    ]


def test_a_receiver_that_never_answers_2xx_gets_every_scheduled_attempt_then_none(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_on_created=False).test_client()
    receiver.default = 500
    task_id = create(client, receiver.url)
    advance(client, 1)  # IN_PROGRESS's first attempt, at 1 s
    advance(client, 2 * 86_400)  # one advance makes every attempt due by then, at its instant
    in_progress = log(client, task_id)[0]
    assert in_progress["state"] == "failed"
    assert instants(in_progress) == [1 + at for at in STANDARD_INSTANTS]
    assert in_progress["next_attempt_at"] is None


def test_a_configured_schedule_is_followed(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_on_created=False, webhook_retry_schedule=(0, 2, 3)).test_client()
    receiver.script(500, 500, 500)
    task_id = create(client, receiver.url)
    advance(client, 100)
    in_progress, completed = log(client, task_id)
    assert in_progress["state"] == "failed"  # three attempts, as scheduled, then none
    assert instants(in_progress) == [1, 3, 6]
    assert completed["state"] == "delivered"
    assert instants(completed) == [6]


def test_retry_after_is_honoured_up_to_the_schedules_longest_wait(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_on_created=False, webhook_retry_schedule=(0, 10, 60)).test_client()
    receiver.script(
        Reply(503, headers={"Retry-After": "30"}), Reply(429, headers={"Retry-After": "999"})
    )
    task_id = create(client, receiver.url)
    advance(client, 1000)
    in_progress = log(client, task_id)[0]
    assert in_progress["state"] == "delivered"
    assert instants(in_progress) == [1, 31, 91]


def test_the_exponential_backoff_is_still_there_for_the_older_options() -> None:
    policy = RetryPolicy.from_config(MockConfig(webhook_max_retries=2, seed=1))
    assert (policy.schedule, policy.max_retries, policy.initial_backoff) == (None, 2, 1.0)
    assert 1.0 <= policy.delay(retry=1, key="msg") <= 1.2
    standard = RetryPolicy.from_config(MockConfig())
    assert standard.schedule == STANDARD_RETRY_SCHEDULE
    assert standard.max_retries == 7
    assert [standard.delay(retry=n, key="msg") for n in range(1, 8)] == list(
        STANDARD_RETRY_SCHEDULE[1:]
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"webhook_retry_schedule": ()}, "at least the first attempt"),
        ({"webhook_retry_schedule": (5.0, 10.0)}, "must start with 0"),
        ({"webhook_retry_schedule": (0.0, -1.0)}, "seconds from 0 to 604800"),
        ({"webhook_retry_schedule": (0.0, float("inf"))}, "seconds from 0 to 604800"),
        ({"webhook_retry_schedule": (0.0,) * 101}, "at most 100 attempts"),
        (
            {"webhook_retry_schedule": (0.0, 5.0), "webhook_max_retries": 3},
            "cannot be combined with webhook_max_retries",
        ),
    ],
)
def test_bad_schedules_are_refused_with_a_clear_message(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        MockConfig(**options)


def config_from(*args: str) -> MockConfig:
    ctx = serve.make_context("serve", list(args))
    return build_config(ctx.params)


def test_serve_takes_the_schedule_from_a_flag_and_from_a_config_file(tmp_path: Path) -> None:
    assert config_from().effective_retry_schedule == STANDARD_RETRY_SCHEDULE
    flag = config_from("--webhook-retry-schedule", "0,1,60")
    assert flag.webhook_retry_schedule == (0.0, 1.0, 60.0)
    settings = tmp_path / "mock.yaml"
    settings.write_text("webhook_retry_schedule: [0, 10, 600]\n", encoding="utf-8")
    assert config_from("--config", str(settings)).webhook_retry_schedule == (0.0, 10.0, 600.0)
    older = config_from("--webhook-retries", "2")
    assert older.effective_retry_schedule is None
    assert older.exponential_backoff == (2, 1.0, 300.0)
