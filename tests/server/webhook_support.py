"""What the webhook tests share: creating a task that reports somewhere, moving the clock,
reading the delivery log (all through the Flask test client)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

__all__ = ["AUTH", "PATH", "advance", "create", "log"]

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": "webhook-test-key"}


def create(client: FlaskClient, url: str | None, *, prompt: str = "lofi beats") -> str:
    """A new task reporting to ``url`` (none when None); its id."""
    body: dict[str, Any] = {"prompt": prompt, "music_length_seconds": 10}
    if url is not None:
        body["webhook_url"] = url
    response = client.post(PATH, json=body, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    task_id: str = response.get_json()["data"]["task_id"]
    return task_id


def advance(client: FlaskClient, seconds: float) -> None:
    """Move the manual clock (everything due by then has happened when this returns)."""
    assert client.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def log(client: FlaskClient, task_id: str | None = None) -> list[dict[str, Any]]:
    """The delivery log, of one task when ``task_id`` is given."""
    query = {"task_id": task_id} if task_id else {}
    data: list[dict[str, Any]] = client.get("/_mock/webhooks", query_string=query).get_json()[
        "data"
    ]
    return data
