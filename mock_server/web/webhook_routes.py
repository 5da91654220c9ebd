"""The webhook part of the control API, and the wiring of the outbox to the engine.

``GET /_mock/webhooks[?task_id=]`` (the delivery log), ``GET /_mock/webhooks/{id}``,
``POST /_mock/webhooks/{id}/replay`` and ``POST /_mock/webhooks/send`` (an ad-hoc message, like
``stripe trigger``). Replay and send answer once their attempt has been made; a replay goes out at
once, even while an earlier message of its task is still pending (like ``stripe events resend``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, request

from ..core import ControlInputError, MockError, TaskStatus
from ..core.clock import iso_utc
from ..webhooks import Attempt, MessageRecord, Outbox
from .paging import page_view, paging_arguments
from .responses import json_response, read_control_json
from .state import MockState, get_state

__all__ = ["NoResultYet", "message_view", "register", "webhooks"]

webhooks = Blueprint("webhooks", __name__, url_prefix="/_mock/webhooks")

_SEND_FIELDS = ("url", "task_id", "status")
_STATUSES = ", ".join(status.value for status in TaskStatus)


class NoResultYet(MockError):
    """An ad-hoc COMPLETED message for a task that has no result: its URL would not serve."""

    status = 409


def register(app: Flask, state: MockState) -> None:
    """Create the outbox, attach it to the engine and add the routes."""
    outbox = Outbox(config=state.config, clock=state.engine.clock, scheduler=state.engine.scheduler)
    outbox.attach(state.engine)
    state.webhooks = outbox
    app.register_blueprint(webhooks)


def _outbox(state: MockState) -> Outbox:
    if state.webhooks is None:  # pragma: no cover - register always sets it
        raise RuntimeError("webhook_routes.register was not called")
    return state.webhooks


def _iso(state: MockState, at: float | None) -> str | None:
    if at is None:
        return None
    return iso_utc(state.engine.clock.wall_time(at))


def _attempt_view(state: MockState, attempt: Attempt) -> dict[str, Any]:
    return {
        "at": _iso(state, attempt.at),
        "elapsed_seconds": attempt.at,
        "trigger": attempt.trigger,
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "retry_after": attempt.retry_after,
        "next_attempt_at": _iso(state, attempt.next_attempt_at),
        "next_attempt_elapsed_seconds": attempt.next_attempt_at,
        "webhook_timestamp": attempt.webhook_timestamp,
        "headers": dict(attempt.headers),
        "response_body": attempt.response_body,
    }


def message_view(state: MockState, record: MessageRecord) -> dict[str, Any]:
    """One message as the log shows it (times are the mock's; ``body`` is the exact bytes sent)."""
    return {
        "webhook_id": record.webhook_id,
        "task_id": record.task_id,
        "status": record.status,
        "url": record.url,
        "state": record.state.value,
        "origin": record.origin,
        "held": record.held,
        "blocked_reason": record.blocked_reason,
        "created_at": _iso(state, record.created_at),
        "attempts": [_attempt_view(state, attempt) for attempt in record.attempts],
        "next_attempt_at": _iso(state, record.next_attempt_at),
        "next_attempt_elapsed_seconds": record.next_attempt_at,
        "body": record.body.decode("utf-8"),
    }


def _no_result(task_id: str, current: TaskStatus) -> str:
    why = f"task {task_id} is {current.value} and has no result"
    if current is TaskStatus.FAILED:
        return f"{why}, so a COMPLETED message would name a file that never exists"
    return (
        f"{why} yet, so a COMPLETED message would name a file that does not exist: complete it "
        f"first (POST /_mock/tasks/{task_id}/complete) or send another status"
    )


@webhooks.get("")
def list_messages() -> Response:
    """The delivery log, oldest first, with the paging fields: ``?task_id=`` keeps one task's
    messages, ``?api_key=`` those of one key's tasks; ``?limit=`` the newest N, ``?since=`` what
    was logged or changed after an earlier answer's cursor (``web/paging.py``)."""
    state = get_state()
    limit, since = paging_arguments()
    task_ids: frozenset[str] | None = None
    task_id = request.args.get("task_id") or None
    if task_id is not None:
        task_ids = frozenset({task_id})
    api_key = request.args.get("api_key")
    if api_key:
        owned = frozenset(task.task_id for task in state.engine.list_tasks(api_key=api_key))
        task_ids = owned if task_ids is None else task_ids & owned
    page = _outbox(state).page(task_ids=task_ids, since=since, limit=limit)
    return json_response(page_view(page, lambda record: message_view(state, record)))


@webhooks.get("/<webhook_id>")
def show_message(webhook_id: str) -> Response:
    """One message; 404 for an unknown webhook-id."""
    state = get_state()
    return json_response(message_view(state, _outbox(state).get(webhook_id)))


@webhooks.post("/<webhook_id>/replay")
def replay_message(webhook_id: str) -> Response:
    """Send the message again (same webhook-id, new timestamp and signature)."""
    state = get_state()
    return json_response(message_view(state, _outbox(state).replay(webhook_id)))


@webhooks.post("/send")
def send_message() -> Response:
    """A signed ad-hoc message: ``{"url", "task_id"?, "status"?}``; 201 after its attempt.

    For a task of the mock, ``status`` defaults to the task's status now; COMPLETED is refused
    (409) until the task has its result, since the message's ``generated`` URL would not serve
    yet. Without ``task_id``, the message names a new made-up task (COMPLETED by default).
    """
    state = get_state()
    body = read_control_json()
    unknown = sorted(set(body) - set(_SEND_FIELDS))
    if unknown:
        raise ControlInputError(
            f"unknown field(s): {', '.join(unknown)}; expected url, task_id, status"
        )
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ControlInputError("'url' is required: the receiver's URL, as a string")
    # Any absolute URL is taken (the allow-list then blocks what may not be sent to, with the
    # reason in the log); one that no request line can carry is refused here.
    try:
        absolute = url.isascii() and bool(urlsplit(url.strip()).scheme)
    except ValueError:
        # urlsplit refuses some outright ("http://[::1": an unclosed IPv6 bracket).
        absolute = False
    if not absolute:
        raise ControlInputError(
            "'url' must be an absolute URL in ASCII (percent-encode anything else)"
        )
    task_id = body.get("task_id")
    if task_id is not None and (not isinstance(task_id, str) or not task_id):
        raise ControlInputError("'task_id' must be a task id (a string)")
    status = body.get("status")
    if status is not None and (
        not isinstance(status, str) or status not in {s.value for s in TaskStatus}
    ):
        raise ControlInputError(f"'status' must be one of {_STATUSES}")
    outbox = _outbox(state)
    task = state.engine.find_task(task_id) if task_id else None
    if task is not None:
        current = task.status_at(state.engine.clock.now())
        status = status or current.value
        if status == TaskStatus.COMPLETED.value and current is not TaskStatus.COMPLETED:
            raise NoResultYet(_no_result(task.task_id, current))
        result_url = task.result_url
    else:
        status = status or TaskStatus.COMPLETED.value
        task_id = outbox.make_task_id()
        base = (state.config.public_url or request.host_url).rstrip("/")
        result_url = f"{base}/results/{task_id}.mp3"
    generated = [result_url] if status == TaskStatus.COMPLETED.value else []
    record = outbox.send(url=url.strip(), status=status, task_id=task_id, generated=generated)
    return json_response(message_view(state, record), status=201)
