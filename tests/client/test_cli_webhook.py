"""``freepik-music verify-webhook`` on saved deliveries: raw HTTP requests and JSON files."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.client.helpers import (
    WEBHOOK_SECRET,
    LiveMock,
    WebhookReceiver,
    error_line,
    run_cli,
    signed_headers,
)

SECRET = "cli-secret"
BODY = b'{"task_id":"t1","status":"COMPLETED","generated":["https://x.test/t1.mp3"]}'


def http_delivery(headers: dict[str, str], body: bytes = BODY, *, extra: bytes = b"") -> bytes:
    """A delivery as the receiver saw it: request line, headers, blank line, raw body."""
    lines = [b"POST /hook HTTP/1.1", b"Host: 127.0.0.1:9000"]
    lines += [f"{name}: {value}".encode() for name, value in headers.items()]
    return b"\r\n".join(lines) + b"\r\n" + extra + b"\r\n" + body


def saved(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / "delivery.http"
    path.write_bytes(content)
    return str(path)


def fresh(body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    return signed_headers(body, secret, at=int(time.time()))


def test_a_raw_http_delivery_is_verified(tmp_path: Path) -> None:
    file = saved(tmp_path, http_delivery(fresh()))
    result = run_cli("verify-webhook", file, "--secret", SECRET)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Verified: webhook msg_test_0001, task t1 is COMPLETED\n"


def test_a_non_ascii_unrelated_header_does_not_matter(tmp_path: Path) -> None:
    file = saved(tmp_path, http_delivery(fresh(), extra=b"X-Other: \xe9\xff\r\n"))
    result = run_cli("verify-webhook", file, "--secret", SECRET)
    assert result.exit_code == 0, result.output


def test_a_json_delivery_is_verified_with_json_output(tmp_path: Path) -> None:
    headers = [[name, value] for name, value in fresh().items()]
    file = saved(tmp_path, json.dumps({"headers": headers, "body": BODY.decode()}).encode())
    result = run_cli("verify-webhook", file, "--secret", SECRET, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["webhook_id"] == "msg_test_0001"
    assert shown["task"] == json.loads(BODY)


def test_stdin_and_the_secret_from_the_environment() -> None:
    delivery = json.dumps({"headers": fresh(), "body": BODY.decode()})
    # The variable may hold several secrets, during a rotation.
    env = {"FREEPIK_WEBHOOK_SECRET": f"an-old-secret {SECRET}"}
    result = run_cli("verify-webhook", "-", input=delivery, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Verified: ")


def test_a_delivery_the_mock_made_is_verified(
    live_mock: LiveMock, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    sent = live_mock.post("/_mock/webhooks/send", {"url": webhook_receiver.url})
    [delivery] = webhook_receiver.deliveries
    file = saved(tmp_path, delivery.raw)
    result = run_cli("verify-webhook", file, "--secret", WEBHOOK_SECRET)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Verified: webhook {sent['webhook_id']}, task {sent['task_id']} is COMPLETED\n"
    )
    assert "webhook verification failed: no signature matches" in error_line(
        run_cli("verify-webhook", file, "--secret", "not-the-mocks-secret"), exit_code=1
    )


# Built when the test runs, so that fresh timestamps are still fresh.
BAD_DELIVERIES: dict[str, tuple[Callable[[], bytes], str]] = {
    "wrong-secret": (lambda: http_delivery(fresh(secret="other")), "no signature matches"),
    "altered-body": (
        lambda: http_delivery(fresh(), BODY.replace(b"t1", b"t2")),
        "no signature matches",
    ),
    "forged": (
        lambda: http_delivery({**fresh(), "webhook-signature": "v1,AAAA"}),
        "no signature matches",
    ),
    "unsigned": (
        lambda: http_delivery({"webhook-id": "m", "webhook-timestamp": "1"}),
        "webhook-signature header is missing",
    ),
    "stale": (lambda: http_delivery(signed_headers(BODY, SECRET, at=1)), "too old"),
    "no-body": (lambda: b"webhook-id: x\r\nwebhook-timestamp: 1", "neither JSON"),
    "bad-line": (lambda: b"POST /hook HTTP/1.1\r\nno colon\r\n\r\n{}", "bad header line"),
    "bad-pairs": (lambda: b'{"headers": [["a"]], "body": "{}"}', "[name, value] pairs"),
    "parsed-body": (lambda: b'{"headers": {}, "body": {"a": 1}}', "raw body as a string"),
}


@pytest.mark.parametrize("case", BAD_DELIVERIES)
def test_a_bad_delivery_is_one_clear_line(tmp_path: Path, case: str) -> None:
    make, reason = BAD_DELIVERIES[case]
    result = run_cli("verify-webhook", saved(tmp_path, make()), "--secret", SECRET)
    line = error_line(result, exit_code=1)
    assert line.startswith("Error: webhook verification failed: ")
    assert reason in line


def test_the_reported_non_ascii_delivery_is_one_clear_line(tmp_path: Path) -> None:
    content = b"webhook-id: \xe9\r\nwebhook-timestamp: 1\r\nwebhook-signature: v1,AAAA\r\n\r\n{}"
    result = run_cli("verify-webhook", saved(tmp_path, content), "--secret", "abc")
    line = error_line(result, exit_code=1)
    assert line.startswith("Error: webhook verification failed: the delivery is too old")


def test_an_old_delivery_passes_with_ignore_timestamp_or_a_wide_tolerance(tmp_path: Path) -> None:
    at = int(time.time()) - 3600
    file = saved(tmp_path, http_delivery(signed_headers(BODY, SECRET, at=at)))
    result = run_cli("verify-webhook", file, "--secret", SECRET)
    assert "too old" in error_line(result, exit_code=1)
    assert run_cli("verify-webhook", file, "--secret", SECRET, "--ignore-timestamp").exit_code == 0
    assert run_cli("verify-webhook", file, "--secret", SECRET, "--tolerance", "7200").exit_code == 0


def test_a_missing_secret_is_a_usage_error(tmp_path: Path) -> None:
    file = saved(tmp_path, http_delivery(fresh()))
    assert "--secret" in error_line(run_cli("verify-webhook", file), exit_code=2)
