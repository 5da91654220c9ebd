"""The control API's first part: health, reset, clock, tasks, forced outcomes, the spec."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from freepik_mock.server import __version__
from freepik_mock.server.web import get_state
from tests.conftest import API_KEY

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def new_task(client: FlaskClient, prompt: str = "fast techno 140bpm") -> str:
    response = client.post(PATH, json={"prompt": prompt, "music_length_seconds": 20}, headers=AUTH)
    task_id: str = response.get_json()["data"]["task_id"]
    return task_id


def vendor_status(client: FlaskClient, task_id: str) -> str:
    status: str = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]["status"]
    return status


def test_health_names_the_version(client: FlaskClient) -> None:
    assert client.get("/_mock/health").get_json() == {"status": "ok", "version": __version__}


def test_clock_reports_mode_now_and_elapsed_and_advances_by_fractions(
    client: FlaskClient,
) -> None:
    before = client.get("/_mock/clock").get_json()
    assert before["mode"] == "manual"
    assert before["elapsed_seconds"] == 0
    answer = client.post("/_mock/clock/advance", json={"seconds": 2.5}).get_json()
    assert answer["elapsed_seconds"] == 2.5
    moved = datetime.fromisoformat(answer["now"]) - datetime.fromisoformat(before["now"])
    assert moved.total_seconds() == pytest.approx(2.5)
    assert client.get("/_mock/clock").get_json() == answer


@pytest.mark.parametrize(
    "body",
    [{"seconds": -1}, {"seconds": "5"}, {"seconds": True}, {}, [], {"seconds": None}, "nope"],
)
def test_bad_advance_input_is_a_400_with_a_message(client: FlaskClient, body: Any) -> None:
    response = client.post("/_mock/clock/advance", json=body)
    assert response.status_code == 400
    assert response.get_json()["message"]
    assert client.get("/_mock/clock").get_json()["elapsed_seconds"] == 0


def test_advance_without_a_body_is_a_400(client: FlaskClient) -> None:
    response = client.post("/_mock/clock/advance", data="{bad", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.get_json()["message"]


def test_reset_forgets_tasks_and_restarts_the_clock(client: FlaskClient) -> None:
    task_id = new_task(client)
    client.post("/_mock/clock/advance", json={"seconds": 3})
    assert client.post("/_mock/reset").status_code == 200
    assert client.get("/_mock/clock").get_json()["elapsed_seconds"] == 0
    assert client.get(f"{PATH}/{task_id}", headers=AUTH).status_code == 404
    assert client.get("/_mock/tasks").get_json()["data"] == []


def test_reset_restarts_seeded_ids(make_app: Any) -> None:
    client = make_app(seed=42).test_client()
    first = new_task(client)
    client.post("/_mock/reset")
    assert new_task(client) == first


def test_tasks_show_everything_with_the_key_masked(client: FlaskClient) -> None:
    task_id = new_task(client, prompt="slow ambient")
    client.post("/_mock/clock/advance", json={"seconds": 1})
    (task,) = client.get("/_mock/tasks").get_json()["data"]
    assert task == client.get(f"/_mock/tasks/{task_id}").get_json()
    assert task["task_id"] == task_id
    assert task["status"] == "IN_PROGRESS"
    assert task["prompt"] == "slow ambient"
    assert task["music_length_seconds"] == 20
    assert API_KEY not in str(task)
    assert task["outcome"] == "COMPLETED"
    assert [(c["status"], c["elapsed_seconds"], c["reached"]) for c in task["timeline"]] == [
        ("CREATED", 0, True),
        ("IN_PROGRESS", 1, True),
        ("COMPLETED", 5, False),
    ]


@pytest.mark.parametrize(("action", "final"), [("complete", "COMPLETED"), ("fail", "FAILED")])
def test_forcing_an_outcome_takes_effect_now(client: FlaskClient, action: str, final: str) -> None:
    task_id = new_task(client)
    response = client.post(f"/_mock/tasks/{task_id}/{action}")
    assert response.status_code == 200
    assert response.get_json()["status"] == final
    assert vendor_status(client, task_id) == final
    again = client.post(f"/_mock/tasks/{task_id}/{action}")
    assert again.status_code == 409
    assert final in again.get_json()["message"]


@pytest.mark.parametrize(
    "route", ["/_mock/tasks/nope", "/_mock/tasks/nope/complete", "/_mock/tasks/nope/fail"]
)
def test_unknown_task_ids_get_404_everywhere(client: FlaskClient, route: str) -> None:
    response = client.post(route) if route.endswith(("complete", "fail")) else client.get(route)
    assert response.status_code == 404
    assert response.get_json() == {"message": "Not found"}


def test_the_extended_spec_is_served(client: FlaskClient) -> None:
    response = client.get("/_mock/openapi.yaml")
    assert response.status_code == 200
    spec = yaml.safe_load(response.get_data(as_text=True))
    paths = spec["paths"]
    assert set(paths["/v1/ai/music-generation"]) >= {"post", "get"}
    assert "get" in paths["/v1/ai/music-generation/{task-id}"]


def test_advance_names_an_unknown_field(client: FlaskClient) -> None:
    response = client.post("/_mock/clock/advance", json={"seconds": 1, "secs": 5})
    assert response.status_code == 400
    assert "secs" in response.get_json()["message"]
    assert client.get("/_mock/clock").get_json()["elapsed_seconds"] == 0


def test_mock_time_stops_at_a_century_with_a_clear_400_and_keeps_answering(
    client: FlaskClient,
) -> None:
    task_id = new_task(client)
    year = 365 * 24 * 3600
    assert client.post("/_mock/clock/advance", json={"seconds": 99 * year}).status_code == 200
    statuses = [
        client.post("/_mock/clock/advance", json={"seconds": 3153600000}).status_code
        for _ in range(80)
    ]
    assert set(statuses) == {400}
    refused = client.post("/_mock/clock/advance", json={"seconds": 2 * year})
    assert "100 years" in refused.get_json()["message"]
    assert client.post("/_mock/clock/advance", json={"seconds": year}).status_code == 200
    clock = client.get("/_mock/clock")
    assert clock.status_code == 200
    assert clock.get_json()["elapsed_seconds"] == 100 * year
    assert client.get("/_mock/tasks").status_code == 200
    assert client.get(f"/_mock/tasks/{task_id}").get_json()["status"] == "COMPLETED"
    assert client.post("/_mock/reset").get_json()["clock"]["elapsed_seconds"] == 0


def test_advance_says_so_when_webhook_attempts_stalled(app: Flask, client: FlaskClient) -> None:
    outbox = get_state(app).webhooks
    assert outbox is not None

    def stalled_outbox() -> bool:
        # What the outbox does when its attempts make no progress for too long.
        outbox.record_stall()
        return False

    get_state(app).engine.add_idle_waiter(stalled_outbox)
    response = client.post("/_mock/clock/advance", json={"seconds": 3})
    assert response.status_code == 503
    body = response.get_json()
    assert "not every due attempt was made" in body["message"]
    assert body["clock"]["elapsed_seconds"] == 3


@pytest.mark.parametrize("seconds", [10**400, -(10**400)])
def test_advancing_by_a_huge_integer_is_refused_not_a_500(
    make_app: Callable[..., Flask], seconds: int
) -> None:
    client = make_app().test_client()
    refused = client.post("/_mock/clock/advance", json={"seconds": seconds})
    assert refused.status_code == 400
    assert "'seconds'" in refused.get_json()["message"]
    assert client.get("/_mock/clock").get_json()["elapsed_seconds"] == 0
