"""``--limit`` on the control CLI's lists, and ``requests --follow`` reading only what is new."""

from __future__ import annotations

import pytest

from freepik_mock.server.live import LiveServer
from tests.server.test_cli_control import VENDOR, control, create, mock, ok, ok_json, poll, run

__all__ = ["mock"]  # the fixture, shared

pytestmark = pytest.mark.live


def test_tasks_limit_lists_the_newest_and_says_how_many_there_are(mock: LiveServer) -> None:
    made = [create(mock, prompt=f"song {n}") for n in range(3)]
    lines = ok(run(mock.url, "tasks", "list", "--limit", "2")).splitlines()
    assert [line.split()[0] for line in lines[:2]] == made[1:]
    assert lines[2] == "(the newest 2 of 3 tasks)"
    assert ok(run(mock.url, "tasks", "--limit", "2")).splitlines() == lines
    answer = ok_json(run(mock.url, "tasks", "list", "--limit", "2", "--json"))
    assert answer == control(mock, "GET", "/tasks", params={"limit": 2})
    # All of them fit: no note.
    assert len(ok(run(mock.url, "tasks", "list", "--limit", "3")).splitlines()) == 3


def test_requests_and_webhook_list_take_a_limit(mock: LiveServer) -> None:
    task_id = create(mock)
    poll(mock, task_id)
    assert ok(run(mock.url, "requests", "--limit", "1")).splitlines() == [
        f"GET {VENDOR}/{task_id} 200 -"
    ]
    assert ok(run(mock.url, "webhook", "list", "--limit", "1")) == "no webhook messages yet\n"


@pytest.mark.parametrize("value", ["0", "1001", "ten"])
def test_a_bad_limit_is_a_usage_error(mock: LiveServer, value: str) -> None:
    for command in (["tasks", "list"], ["requests"], ["webhook", "list"]):
        result = run(mock.url, *command, "--limit", value)
        assert result.exit_code == 2, (command, result.output)
        assert "--limit" in result.stderr
