"""Paging on the control API's lists: ``?limit=`` (the newest N) and ``?since=`` (what changed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from freepik_mock.contract.receiver import WebhookReceiver
from tests.conftest import API_KEY, OTHER_KEY
from tests.server.webhook_support import advance, create

PATH = "/v1/ai/music-generation"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def new_task(client: FlaskClient, prompt: str, *, key: str = API_KEY) -> str:
    body = {"prompt": prompt, "music_length_seconds": 10}
    response = client.post(PATH, json=body, headers={"x-freepik-api-key": key})
    assert response.status_code == 200, response.get_json()
    task_id: str = response.get_json()["data"]["task_id"]
    return task_id


def read(client: FlaskClient, path: str, **query: Any) -> Any:
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(answer: Any, field: str = "task_id") -> list[str]:
    return [item[field] for item in answer["data"]]


# -- tasks -------------------------------------------------------------------------------------
def test_without_paging_every_task_comes_oldest_first_with_the_paging_fields(
    client: FlaskClient,
) -> None:
    made = [new_task(client, f"song {n}") for n in range(3)]
    answer = read(client, "/_mock/tasks")
    assert ids(answer) == made
    assert answer["total"] == 3
    assert answer["has_more"] is False
    assert isinstance(answer["cursor"], int)


def test_limit_keeps_the_newest_tasks_and_says_there_are_more(client: FlaskClient) -> None:
    made = [new_task(client, f"song {n}") for n in range(5)]
    answer = read(client, "/_mock/tasks", limit=2)
    assert ids(answer) == made[3:]
    assert answer["total"] == 5
    assert answer["has_more"] is True
    assert read(client, "/_mock/tasks", limit=5)["has_more"] is False


def test_since_answers_only_the_tasks_made_or_changed_after_the_cursor(
    client: FlaskClient,
) -> None:
    old = new_task(client, "old song")
    cursor = read(client, "/_mock/tasks")["cursor"]
    nothing = read(client, "/_mock/tasks", since=cursor)
    assert nothing["data"] == []
    assert nothing["cursor"] == cursor
    assert nothing["total"] == 1

    fresh = new_task(client, "fresh song")
    answer = read(client, "/_mock/tasks", since=cursor)
    assert ids(answer) == [fresh]
    assert answer["cursor"] > cursor

    # The old task reaches IN_PROGRESS (after 1 s), the fresh one too: both changed, in order.
    advance(client, 1)
    changed = read(client, "/_mock/tasks", since=answer["cursor"])
    assert ids(changed) == [old, fresh]
    assert [task["status"] for task in changed["data"]] == ["IN_PROGRESS", "IN_PROGRESS"]
    assert read(client, "/_mock/tasks", since=changed["cursor"])["data"] == []


def test_since_with_limit_goes_on_where_the_last_answer_stopped(client: FlaskClient) -> None:
    cursor = read(client, "/_mock/tasks")["cursor"]
    made = [new_task(client, f"song {n}") for n in range(5)]
    seen: list[str] = []
    pages = 0
    while True:
        answer = read(client, "/_mock/tasks", since=cursor, limit=2)
        seen += ids(answer)
        cursor = answer["cursor"]
        pages += 1
        if not answer["has_more"]:
            break
    assert seen == made
    assert pages == 3
    assert read(client, "/_mock/tasks", since=cursor)["data"] == []


def test_status_text_and_key_filters_are_applied_by_the_server(client: FlaskClient) -> None:
    first = new_task(client, "Calm PIANO at dawn")
    advance(client, 10)  # the first one is COMPLETED
    second = new_task(client, "techno piano")
    third = new_task(client, "drum solo", key=OTHER_KEY)

    running = read(client, "/_mock/tasks", status="CREATED")
    assert ids(running) == [second, third]
    assert running["total"] == 3  # what the list holds, whatever the filters keep
    assert ids(read(client, "/_mock/tasks", q="piano")) == [first, second]
    assert ids(read(client, "/_mock/tasks", q="piano", limit=1)) == [second]
    assert ids(read(client, "/_mock/tasks", q=third[:8])) == [third]
    assert ids(read(client, "/_mock/tasks", status="COMPLETED", q="piano")) == [first]

    mine = read(client, "/_mock/tasks", api_key=OTHER_KEY)
    assert ids(mine) == [third]
    assert mine["total"] == 1


def test_a_cursor_from_before_a_reset_says_the_list_restarted(client: FlaskClient) -> None:
    new_task(client, "before the reset")
    cursor = read(client, "/_mock/tasks")["cursor"]
    assert read(client, "/_mock/tasks", since=cursor)["restarted"] is False
    assert client.post("/_mock/reset").status_code == 200
    after = new_task(client, "after the reset")
    answer = read(client, "/_mock/tasks", since=cursor)
    assert ids(answer) == [after]
    assert answer["total"] == 1
    assert answer["restarted"] is True
    # The counter went on: the new cursor is past the old one, and nothing restarts after it.
    assert answer["cursor"] > cursor
    assert read(client, "/_mock/tasks", since=answer["cursor"])["restarted"] is False


def test_a_cursor_from_another_run_reads_everything_from_the_start(client: FlaskClient) -> None:
    made = new_task(client, "a song")
    answer = read(client, "/_mock/tasks", since=10**9)
    assert ids(answer) == [made]
    assert answer["restarted"] is True
    entries = read(client, "/_mock/requests", since=10**9)
    assert len(entries["data"]) == 1
    assert entries["restarted"] is True


def test_clearing_the_journal_restarts_its_cursor(client: FlaskClient) -> None:
    new_task(client, "a song")
    cursor = read(client, "/_mock/requests")["cursor"]
    assert client.delete("/_mock/requests").status_code == 204
    answer = read(client, "/_mock/requests", since=cursor)
    assert answer["restarted"] is True
    assert answer["data"] == []


def test_a_task_forgotten_to_make_room_leaves_the_changes(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(api_keys=(API_KEY,), max_tasks=2).test_client()
    cursor = read(client, "/_mock/tasks")["cursor"]
    first = new_task(client, "one")
    advance(client, 10)
    second = new_task(client, "two")
    third = new_task(client, "three")  # the first (finished) one goes
    answer = read(client, "/_mock/tasks", since=cursor)
    assert first not in ids(answer)
    assert ids(answer) == [second, third]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "'limit' must be a whole number from 1 to 1000"),
        ("limit=1001", "'limit' must be a whole number from 1 to 1000"),
        ("limit=ten", "'limit' must be a whole number from 1 to 1000"),
        ("limit=-1", "'limit' must be a whole number from 1 to 1000"),
        ("limit=1.5", "'limit' must be a whole number from 1 to 1000"),
        ("limit=1&limit=2", "'limit' may be given once"),
        ("since=yesterday", "'since' must be the 'cursor' of an earlier answer"),
        ("since=" + "9" * 40, "'since' must be the 'cursor' of an earlier answer"),
        ("status=DONE", "'status' must be one of CREATED, IN_PROGRESS, COMPLETED, FAILED"),
    ],
)
def test_bad_paging_values_are_a_400_saying_what_is_wrong(
    client: FlaskClient, query: str, message: str
) -> None:
    for path in ("/_mock/tasks", "/_mock/webhooks", "/_mock/requests"):
        if query.startswith("status") and path != "/_mock/tasks":
            continue
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert response.get_json()["message"].startswith(message), response.get_json()


# -- the delivery log --------------------------------------------------------------------------
def test_the_delivery_log_pages_and_tells_what_changed(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(webhook_on_created=False).test_client()
    receiver.script(500)  # the first attempt fails: the message stays pending, to be retried
    first = create(client, receiver.url, prompt="one")
    second = create(client, receiver.url, prompt="two")
    advance(client, 1)  # IN_PROGRESS for both: one message each
    everything = read(client, "/_mock/webhooks")
    assert [m["task_id"] for m in everything["data"]] == [first, second]
    assert everything["total"] == 2

    newest = read(client, "/_mock/webhooks", limit=1)
    assert [m["task_id"] for m in newest["data"]] == [second]
    assert newest["has_more"] is True
    assert read(client, "/_mock/webhooks", since=everything["cursor"])["data"] == []

    # A replay changes the first message only: it alone is in the next poll, with its attempts.
    webhook_id = everything["data"][0]["webhook_id"]
    assert client.post(f"/_mock/webhooks/{webhook_id}/replay").status_code == 200
    changed = read(client, "/_mock/webhooks", since=everything["cursor"])
    assert ids(changed, "webhook_id") == [webhook_id]
    assert [a["trigger"] for a in changed["data"][0]["attempts"]] == ["first", "replay"]
    assert read(client, "/_mock/webhooks", since=changed["cursor"], task_id=second)["data"] == []


# -- the journal -------------------------------------------------------------------------------
def test_the_journal_pages_and_tells_what_came_since(client: FlaskClient) -> None:
    made = [new_task(client, f"song {n}") for n in range(3)]
    everything = read(client, "/_mock/requests", method="POST")
    assert len(everything["data"]) == 3
    assert everything["total"] == 3

    newest = read(client, "/_mock/requests", limit=1)
    assert newest["data"][0]["answer_body"]["data"]["task_id"] == made[-1]
    assert newest["has_more"] is True

    client.get(f"{PATH}/{made[0]}", headers={"x-freepik-api-key": API_KEY})
    since = read(client, "/_mock/requests", since=everything["cursor"])
    assert [(e["method"], e["path"]) for e in since["data"]] == [("GET", f"{PATH}/{made[0]}")]
    assert read(client, "/_mock/requests", since=since["cursor"])["data"] == []
    filtered = read(client, "/_mock/requests", since=everything["cursor"], method="POST")
    assert filtered["data"] == []
    assert filtered["cursor"] == since["cursor"]
