"""`freepik-mock webhook send/list` against a live mock and a real receiver, and what goes wrong."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from freepik_mock.client import TaskStatus, verify_webhook
from freepik_mock.contract.receiver import Reply, WebhookReceiver
from freepik_mock.server import MockConfig
from freepik_mock.server.cli import main
from freepik_mock.server.live import LiveServer

SECRETS = MockConfig().effective_webhook_secrets
JSON_HEADERS = {"Content-Type": "application/json"}

pytestmark = pytest.mark.live


@pytest.fixture
def mock() -> Iterator[LiveServer]:
    with LiveServer(config=MockConfig(clock="manual")) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(secrets=SECRETS) as started:
        yield started


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["webhook", *args])


def assert_one_line_error(result: Result, *, code: int, says: str) -> None:
    """Refused the way click reports errors: no traceback, one ``Error:`` line saying why."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    assert says in errors[0]
    assert "Traceback" not in result.output


# -- against the mock ------------------------------------------------------------------------------
def test_send_delivers_a_signed_completed_message_that_verifies(
    mock: LiveServer, receiver: WebhookReceiver
) -> None:
    result = run("send", "--url", receiver.url, "--status", "COMPLETED", "--mock-url", mock.url)
    assert result.exit_code == 0, result.output
    (delivery,) = receiver.wait_for(1)
    event = verify_webhook(delivery.body, delivery.headers, SECRETS)
    assert event.task.status is TaskStatus.COMPLETED
    assert event.task.generated[0].startswith(f"{mock.url}/results/")
    assert receiver.unverified == []
    assert result.output.startswith(f"delivered: {event.webhook_id} COMPLETED -> {receiver.url}")
    assert "HTTP 200" in result.output


def test_list_shows_what_was_sent(mock: LiveServer, receiver: WebhookReceiver) -> None:
    assert run("list", "--mock-url", mock.url).output.strip() == "no webhook messages yet"
    run("send", "--url", receiver.url, "--status", "FAILED", "--mock-url", mock.url)
    listed = run("list", "--mock-url", mock.url)
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("delivered: ")
    assert f"FAILED -> {receiver.url}" in listed.output


def test_send_exits_1_when_the_receiver_refuses(
    mock: LiveServer, receiver: WebhookReceiver
) -> None:
    receiver.script(500)
    result = run("send", "--url", receiver.url, "--mock-url", mock.url)
    assert result.exit_code == 1
    assert "HTTP 500" in result.output
    assert "Traceback" not in result.output


def test_the_mocks_own_refusal_is_one_line(mock: LiveServer, receiver: WebhookReceiver) -> None:
    result = run("send", "--url", receiver.url, "--task-id", "no-such-task", "--mock-url", mock.url)
    assert_one_line_error(result, code=5, says="the mock answered HTTP 404 Not Found: Not found")


def test_a_missing_admin_token_is_reported() -> None:
    with LiveServer(config=MockConfig(clock="manual", admin_token="tok")) as guarded:
        refused = run("list", "--mock-url", guarded.url)
        accepted = run("list", "--mock-url", guarded.url, "--admin-token", "tok")
    assert_one_line_error(
        refused, code=4, says="HTTP 401 Unauthorized: Missing admin token (pass --admin-token"
    )
    assert accepted.exit_code == 0, accepted.output


# -- when --mock-url is not the mock -------------------------------------------------------------
@pytest.mark.parametrize("url", ["http://[::1", "not a url", "127.0.0.1:8080", "http://h:99999"])
@pytest.mark.parametrize("command", ["send", "list"])
def test_a_malformed_mock_url_is_a_usage_error(command: str, url: str) -> None:
    args = ["--url", "http://127.0.0.1:9/hook"] if command == "send" else []
    result = run(command, *args, "--mock-url", url)
    assert_one_line_error(result, code=2, says="'--mock-url'")


@pytest.mark.parametrize("command", ["send", "list"])
def test_nothing_listening_is_reported(command: str) -> None:
    with socket.socket() as bound:  # bound but not listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}"
        args = ["--url", "http://127.0.0.1:9/hook"] if command == "send" else []
        result = run(command, *args, "--mock-url", url)
    assert_one_line_error(result, code=6, says=f"cannot reach the mock at {url}")


ELSEWHERE = [
    Reply(200, JSON_HEADERS, b'{"ok": true}'),
    Reply(200, JSON_HEADERS, b'{"data": [{"id": 1}]}'),
    Reply(200, JSON_HEADERS, b'{"state": "delivered"}'),
    Reply(200, JSON_HEADERS, b"null"),
    Reply(200, {}, b"<html>hello</html>"),
]


@pytest.mark.parametrize("answer", ELSEWHERE)
@pytest.mark.parametrize("command", ["send", "list"])
def test_another_server_at_mock_url_is_reported(command: str, answer: Reply) -> None:
    with WebhookReceiver(default=answer) as elsewhere:
        args = ["--url", "http://127.0.0.1:9/hook"] if command == "send" else []
        result = run(command, *args, "--mock-url", elsewhere.url_for("/"))
    assert_one_line_error(result, code=1, says="is not freepik-mock's")


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (Reply(500, JSON_HEADERS, b"null"), "the mock answered HTTP 500 Internal Server Error"),
        (Reply(503, JSON_HEADERS, b'{"message": 7}'), "HTTP 503 Service Unavailable"),
        (Reply(502, {}, b"<h1>Bad\ngateway</h1>"), "HTTP 502 Bad Gateway: <h1>Bad gateway</h1>"),
    ],
)
def test_an_error_answer_without_a_message_is_still_one_clear_line(
    answer: Reply, says: str
) -> None:
    with WebhookReceiver(default=answer) as elsewhere:
        result = run("list", "--mock-url", elsewhere.url_for("/"))
    assert_one_line_error(result, code=1, says=says)
    assert "None" not in result.output
