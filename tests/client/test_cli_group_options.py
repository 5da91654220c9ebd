"""The connection options before the command (``freepik-music --base-url URL list``) as well as
after it; after it wins, and either wins over the environment."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from freepik_mock.client import MusicClient
from tests.client.helpers import API_KEY, LiveMock, closed_port, error_line, run_cli, signed_headers

pytestmark = pytest.mark.live


def refused() -> str:
    return f"http://127.0.0.1:{closed_port()}"


def guard() -> dict[str, str]:
    """An environment whose base URL refuses connections: were an option given before the
    command ignored, the run would fail there rather than reach the real API."""
    return {"FREEPIK_API_BASE_URL": refused()}


def mock_args(mock: LiveMock) -> tuple[str, ...]:
    return ("--base-url", mock.url, "--api-key", API_KEY)


def test_options_before_the_command_are_used(live_mock: LiveMock) -> None:
    result = run_cli(*mock_args(live_mock), "--json", "list", env=guard())
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    assert len(live_mock.journal(method="GET")) == 1


@pytest.mark.parametrize("command", [("status", "x"), ("generate", "x")])
def test_every_api_command_takes_them(
    live_mock: LiveMock, command: tuple[str, ...], tmp_path: Path
) -> None:
    extra = ("-o", str(tmp_path / "t.mp3"), "--poll-interval", "0.05")
    args = command + (extra if command[0] == "generate" else ())
    result = run_cli(*mock_args(live_mock), *args, env=guard())
    assert "No such option" not in result.output
    [first, *_] = live_mock.journal()  # it reached the mock given before the command
    assert first["method"] == ("POST" if command[0] == "generate" else "GET")


def test_the_value_after_the_command_wins(live_mock: LiveMock) -> None:
    elsewhere = ("--base-url", refused(), "--api-key", "wrong")
    result = run_cli(*elsewhere, "list", "--json", *mock_args(live_mock))
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    assert len(live_mock.journal()) == 1
    result = run_cli(*mock_args(live_mock), "list", *elsewhere, "--max-retries", "0")
    line = error_line(result, exit_code=6)
    assert line.startswith("Error: cannot reach the API: could not connect")
    assert len(live_mock.journal()) == 1


def test_the_value_before_the_command_wins_over_the_environment(live_mock: LiveMock) -> None:
    env = {"FREEPIK_API_BASE_URL": refused(), "FREEPIK_API_KEY": "wrong"}
    result = run_cli("--base-url", live_mock.url, "--api-key", API_KEY, "list", "--json", env=env)
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_the_environment_still_fills_what_is_not_given(live_mock: LiveMock) -> None:
    env = {"FREEPIK_API_KEY": API_KEY}
    result = run_cli("--base-url", live_mock.url, "list", "--json", env=env)
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_timeout_and_retries_before_the_command_reach_the_client(live_mock: LiveMock) -> None:
    made: list[dict[str, Any]] = []

    def factory(**options: Any) -> MusicClient:
        made.append(options)
        return MusicClient(**options)

    connection = ("--base-url", live_mock.url, "--api-key", API_KEY)
    before = ("--timeout", "2.5", "--max-retries", "0")
    assert run_cli(*before, *connection, "list", obj=factory, env=guard()).exit_code == 0
    again = run_cli(*before, *connection, "list", "--max-retries", "2", obj=factory, env=guard())
    assert again.exit_code == 0
    [given, overridden] = made
    assert (given["max_retries"], given["timeout"].read) == (0, 2.5)
    assert (overridden["max_retries"], overridden["timeout"].read) == (2, 2.5)


def test_bad_values_before_the_command_are_usage_errors(live_mock: LiveMock) -> None:
    line = error_line(run_cli("--timeout", "0", "list", "--base-url", live_mock.url), exit_code=2)
    assert "Invalid value for '--timeout'" in line
    assert live_mock.journal() == []


def test_json_before_verify_webhook(tmp_path: Path) -> None:
    body = b'{"task_id":"t1","status":"COMPLETED","generated":[]}'
    headers = signed_headers(body, "s3cret", at=int(time.time()))
    delivery = tmp_path / "delivery.json"
    delivery.write_text(json.dumps({"headers": headers, "body": body.decode()}))
    result = run_cli("--json", "verify-webhook", str(delivery), "--secret", "s3cret")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["task"]["task_id"] == "t1"


def test_connection_options_do_not_apply_to_verify_webhook(tmp_path: Path) -> None:
    delivery = tmp_path / "delivery.json"
    delivery.write_text("{}")
    result = run_cli(
        "--base-url", "http://127.0.0.1:1", "verify-webhook", str(delivery), "--secret", "s"
    )
    line = error_line(result, exit_code=2)
    assert line == "Error: --base-url does not apply to 'verify-webhook'"


def test_the_group_help_lists_them() -> None:
    result = run_cli("--help")
    for option in ("--base-url", "--api-key", "--timeout", "--max-retries", "--json"):
        assert option in result.stdout
