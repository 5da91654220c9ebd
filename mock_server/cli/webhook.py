"""``freepik-mock webhook``: send ad-hoc messages, replay them, read the delivery log of a mock.

``freepik-mock webhook send --url http://127.0.0.1:9000/hook --status COMPLETED`` asks the mock
(``--mock-url``, default ``http://127.0.0.1:8080``) to sign and send one message, like
``stripe trigger``, and prints what the receiver answered; ``webhook replay ID`` sends a message
of the log again (like ``stripe events resend``). Both exit 0 only when the receiver accepted it
(2xx), 1 when it did not. Whatever goes wrong on the way is one line on stderr and the exit code
of its kind (see ``control_http.EXIT_CODES``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from .control_http import (
    ControlGroup,
    MockConnection,
    connection_options,
    echo_answer,
    path_segment,
)
from .options import FiniteFloatRange

__all__ = ["webhook"]

_STATUSES = ("CREATED", "IN_PROGRESS", "COMPLETED", "FAILED")
#: What every message of the mock's delivery log has; anything else did not come from the mock.
_RECORD_FIELDS = ("webhook_id", "task_id", "status", "url", "state", "attempts")


def _is_record(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and all(name in value for name in _RECORD_FIELDS)
        and isinstance(value["attempts"], list)
        and all(isinstance(attempt, Mapping) for attempt in value["attempts"])
    )


def _describe_attempt(attempt: Mapping[str, Any]) -> str:
    code = attempt.get("status_code")
    outcome = f"HTTP {code}" if code is not None else "no answer"
    if attempt.get("error"):
        outcome += f" ({attempt['error']})"
    duration = attempt.get("duration_ms")
    if isinstance(duration, int | float):
        outcome += f" in {duration:.0f} ms"
    return outcome


def _describe(message: Mapping[str, Any]) -> str:
    head = f"{message['state']}: {message['webhook_id']} {message['status']} -> {message['url']}"
    lines = [head]
    if message.get("blocked_reason"):
        lines.append(f"  blocked: {message['blocked_reason']}")
    for attempt in message["attempts"]:
        lines.append(f"  attempt ({attempt.get('trigger', '?')}): {_describe_attempt(attempt)}")
    if message.get("next_attempt_at"):
        lines.append(f"  next attempt at {message['next_attempt_at']} (mock time)")
    return "\n".join(lines)


_timeout = click.option(
    "--timeout",
    type=FiniteFloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds to wait.",
)


def _attempt(
    path: str, *, payload: dict[str, str] | None, connection: dict[str, Any], timeout: float
) -> None:
    """POST ``path`` (send or replay), print the message; exit 1 unless it was delivered."""
    with MockConnection(**connection, timeout=timeout) as mock:
        message = mock.call("POST", path, json=payload)
        if not _is_record(message):
            raise mock.not_the_mock(f"POST /_mock{path}")
    echo_answer(message, as_json=connection["as_json"], human=lambda: _describe(message))
    if message["state"] != "delivered":
        raise SystemExit(1)


@click.group(cls=ControlGroup)
def webhook() -> None:
    """Send ad-hoc webhook messages and read the delivery log of a running mock."""


@webhook.command()
@click.option("--url", required=True, help="The receiver's URL (must be an allowed target).")
@click.option(
    "--status",
    type=click.Choice(_STATUSES, case_sensitive=False),
    metavar="[" + "|".join(_STATUSES) + "]",
    default=None,
    help="Status in the body (any case) [default: the task's status, or COMPLETED without "
    "--task-id].",
)
@click.option("--task-id", default=None, help="A task of the mock to describe (default: a new id).")
@connection_options
@_timeout
def send(
    *,
    url: str,
    status: str | None,
    task_id: str | None,
    mock_url: str,
    admin_token: str | None,
    as_json: bool,
    timeout: float,
) -> None:
    """Sign and send one message to URL now; exit 0 if the receiver accepted it (2xx)."""
    payload: dict[str, str] = {"url": url}
    if status:
        payload["status"] = status.upper()
    if task_id:
        payload["task_id"] = task_id
    connection = {"mock_url": mock_url, "admin_token": admin_token, "as_json": as_json}
    _attempt("/webhooks/send", payload=payload, connection=connection, timeout=timeout)


@webhook.command()
@click.argument("webhook_id", metavar="ID")
@connection_options
@_timeout
def replay(
    *, webhook_id: str, mock_url: str, admin_token: str | None, as_json: bool, timeout: float
) -> None:
    """Send message ID of the log again (same webhook-id, new timestamp and signature)."""
    connection = {"mock_url": mock_url, "admin_token": admin_token, "as_json": as_json}
    path = f"/webhooks/{path_segment(webhook_id)}/replay"
    _attempt(path, payload=None, connection=connection, timeout=timeout)


@webhook.command(name="list")
@click.option("--task-id", default=None, help="Only this task's messages.")
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=None, help="Only the newest N (1 to 1000)."
)
@connection_options
def list_messages(
    *,
    task_id: str | None,
    limit: int | None,
    mock_url: str,
    admin_token: str | None,
    as_json: bool,
) -> None:
    """Print the delivery log, oldest first; --limit N: the newest N."""
    params: dict[str, Any] = {"task_id": task_id} if task_id else {}
    if limit is not None:
        params["limit"] = limit
    with MockConnection(mock_url=mock_url, admin_token=admin_token, as_json=as_json) as mock:
        answer = mock.call("GET", "/webhooks", params=params)
        data = answer.get("data") if isinstance(answer, Mapping) else None
        if not isinstance(data, list) or not all(_is_record(message) for message in data):
            raise mock.not_the_mock("GET /_mock/webhooks")
    echo_answer(
        answer,
        as_json=as_json,
        human=lambda: "\n".join(map(_describe, data)) or "no webhook messages yet",
    )
