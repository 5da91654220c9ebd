"""``freepik-mock webhook``: send ad-hoc messages and read the delivery log of a running mock.

``freepik-mock webhook send --url http://127.0.0.1:9000/hook --status COMPLETED`` asks the mock
(``--mock-url``, default ``http://127.0.0.1:8080``) to sign and send one message, like
``stripe trigger``, and prints what the receiver answered. The exit code is 0 only when the
receiver accepted it (2xx).
"""

from __future__ import annotations

import json
from typing import Any

import click
import httpx

__all__ = ["webhook"]

_STATUSES = ("CREATED", "IN_PROGRESS", "COMPLETED", "FAILED")


def _client(mock_url: str, admin_token: str | None, timeout: float) -> httpx.Client:
    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    return httpx.Client(base_url=mock_url.rstrip("/"), headers=headers, timeout=timeout)


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach the mock at {client.base_url}: {exc}") from None
    try:
        body = response.json()
    except ValueError:
        body = {"message": response.text}
    if response.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else None
        raise click.ClickException(f"the mock answered {response.status_code}: {message or body}")
    return body


def _describe_attempt(attempt: dict[str, Any]) -> str:
    outcome = (
        f"HTTP {attempt['status_code']}" if attempt["status_code"] is not None else "no answer"
    )
    if attempt.get("error"):
        outcome += f" ({attempt['error']})"
    return f"{outcome} in {attempt['duration_ms']:.0f} ms"


def _describe(message: dict[str, Any]) -> str:
    head = f"{message['state']}: {message['webhook_id']} {message['status']} -> {message['url']}"
    lines = [head]
    if message.get("blocked_reason"):
        lines.append(f"  blocked: {message['blocked_reason']}")
    for attempt in message["attempts"]:
        lines.append(f"  attempt ({attempt['trigger']}): {_describe_attempt(attempt)}")
    if message.get("next_attempt_at"):
        lines.append(f"  next attempt at {message['next_attempt_at']} (mock time)")
    return "\n".join(lines)


_mock_url = click.option(
    "--mock-url",
    envvar="FREEPIK_MOCK_URL",
    default="http://127.0.0.1:8080",
    show_default=True,
    help="Base URL of the running mock.",
)
_admin_token = click.option(
    "--admin-token",
    envvar="FREEPIK_MOCK_ADMIN_TOKEN",
    default=None,
    help="Bearer token, if the mock was started with --admin-token.",
)
_json = click.option("--json", "as_json", is_flag=True, help="Print the mock's JSON answer.")


@click.group()
def webhook() -> None:
    """Send ad-hoc webhook messages and read the delivery log of a running mock."""


@webhook.command()
@click.option("--url", required=True, help="The receiver's URL (must be an allowed target).")
@click.option(
    "--status",
    type=click.Choice(_STATUSES),
    default=None,
    help="Status in the body [default: the task's status, or COMPLETED without --task-id].",
)
@click.option("--task-id", default=None, help="A task of the mock to describe (default: a new id).")
@_mock_url
@_admin_token
@_json
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait.")
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
    with _client(mock_url, admin_token, timeout) as client:
        message = _call(client, "POST", "/_mock/webhooks/send", json=payload)
    click.echo(json.dumps(message, indent=2) if as_json else _describe(message))
    if message["state"] != "delivered":
        raise SystemExit(1)


@webhook.command(name="list")
@click.option("--task-id", default=None, help="Only this task's messages.")
@_mock_url
@_admin_token
@_json
def list_messages(
    *, task_id: str | None, mock_url: str, admin_token: str | None, as_json: bool
) -> None:
    """Print the delivery log, oldest first."""
    params = {"task_id": task_id} if task_id else {}
    with _client(mock_url, admin_token, 10.0) as client:
        answer = _call(client, "GET", "/_mock/webhooks", params=params)
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    for message in answer["data"]:
        click.echo(_describe(message))
    if not answer["data"]:
        click.echo("no webhook messages yet")
