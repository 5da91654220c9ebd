"""``freepik-mock webhook``: send ad-hoc messages and read the delivery log of a running mock.

``freepik-mock webhook send --url http://127.0.0.1:9000/hook --status COMPLETED`` asks the mock
(``--mock-url``, default ``http://127.0.0.1:8080``) to sign and send one message, like
``stripe trigger``, and prints what the receiver answered. The exit code is 0 only when the
receiver accepted it (2xx). Whatever goes wrong on the way (no mock at that URL, something else
answering there, an error from the mock) is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from .options import FiniteFloatRange, HttpUrl, NonEmpty

if TYPE_CHECKING:
    import httpx

__all__ = ["webhook"]

_STATUSES = ("CREATED", "IN_PROGRESS", "COMPLETED", "FAILED")
#: What every message of the mock's delivery log has; anything else did not come from the mock.
_RECORD_FIELDS = ("webhook_id", "task_id", "status", "url", "state", "attempts")
_MAX_SHOWN = 200
_NOT_JSON = object()


def _client(mock_url: str, admin_token: str | None, timeout: float) -> httpx.Client:
    import httpx

    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    try:
        return httpx.Client(base_url=mock_url.rstrip("/"), headers=headers, timeout=timeout)
    except (httpx.InvalidURL, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="'--mock-url'") from None


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    import httpx

    try:
        response = client.request(method, path, **kwargs)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise click.ClickException(
            f"cannot reach the mock at {client.base_url}: {exc or type(exc).__name__}"
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = _NOT_JSON
    if response.status_code >= 400:
        raise click.ClickException(_refusal(response, body))
    return body


def _refusal(response: httpx.Response, body: Any) -> str:
    """One line saying what the mock answered, with its message when it sent one."""
    import httpx

    phrase = httpx.codes.get_reason_phrase(response.status_code)
    head = f"the mock answered HTTP {response.status_code} {phrase}".rstrip()
    if body is _NOT_JSON:
        text = _clip(" ".join(response.text.split()))
        return f"{head}{f': {text}' if text else ''} (not JSON: is --mock-url the mock's URL?)"
    message = body.get("message") if isinstance(body, Mapping) else None
    hint = ""
    if response.status_code == 401:
        hint = " (pass --admin-token, or set FREEPIK_MOCK_ADMIN_TOKEN)"
    if isinstance(message, str) and message.strip():
        return f"{head}: {_clip(' '.join(message.split()))}{hint}"
    return f"{head}{hint}"


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _not_the_mock(client: httpx.Client, what: str) -> click.ClickException:
    return click.ClickException(
        f"{client.base_url} answered {what} with something that is not freepik-mock's; "
        "is --mock-url the mock's base URL?"
    )


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


_mock_url = click.option(
    "--mock-url",
    envvar="FREEPIK_MOCK_URL",
    show_envvar=True,
    type=HttpUrl(),
    default="http://127.0.0.1:8080",
    show_default=True,
    help="Base URL of the running mock.",
)
_admin_token = click.option(
    "--admin-token",
    envvar="FREEPIK_MOCK_ADMIN_TOKEN",
    show_envvar=True,
    type=NonEmpty(),
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
    type=click.Choice(_STATUSES, case_sensitive=False),
    metavar="[" + "|".join(_STATUSES) + "]",
    default=None,
    help="Status in the body (any case) [default: the task's status, or COMPLETED without "
    "--task-id].",
)
@click.option("--task-id", default=None, help="A task of the mock to describe (default: a new id).")
@_mock_url
@_admin_token
@_json
@click.option(
    "--timeout",
    type=FiniteFloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds to wait.",
)
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
        if not _is_record(message):
            raise _not_the_mock(client, "POST /_mock/webhooks/send")
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
        data = answer.get("data") if isinstance(answer, Mapping) else None
        if not isinstance(data, list) or not all(_is_record(message) for message in data):
            raise _not_the_mock(client, "GET /_mock/webhooks")
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    for message in data:
        click.echo(_describe(message))
    if not data:
        click.echo("no webhook messages yet")
