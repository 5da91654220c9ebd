"""The control API for tests, first part: health, reset, clock, tasks, the specs."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Blueprint, Response, request

from .. import __version__
from ..core import ControlInputError, Task, TaskStatus
from ..core.clock import iso_utc
from ..core.masking import mask_secret
from ..spec import load_control_spec_text, load_extended_spec_text
from .paging import page_view, paging_arguments
from .responses import json_response, read_control_json
from .state import MockState, get_state

__all__ = ["control", "task_control_view"]

control = Blueprint("control", __name__, url_prefix="/_mock")

_YAML = "application/yaml; charset=utf-8"
_STATUS_VALUES = tuple(status.value for status in TaskStatus)


def _iso(state: MockState, at: float) -> str:
    return iso_utc(state.engine.clock.wall_time(at))


def _clock_view(state: MockState) -> dict[str, Any]:
    now = state.engine.clock.now()
    return {"mode": state.engine.clock.mode, "now": _iso(state, now), "elapsed_seconds": now}


def task_control_view(state: MockState, task: Task) -> dict[str, Any]:
    """A task as test authors see it: everything, with the key masked."""
    now = state.engine.clock.now()
    return {
        **task.vendor_view(now),
        "prompt": task.prompt,
        "music_length_seconds": task.music_length_seconds,
        "api_key": mask_secret(task.api_key),
        "webhook_url": task.webhook_url,
        "outcome": task.outcome.value,
        "scenario_id": task.scenario_id,
        "forced": task.forced,
        "result_url": task.result_url,
        "timeline": [
            {
                "status": status.value,
                "at": _iso(state, at),
                "elapsed_seconds": at,
                "reached": at <= now,
            }
            for status, at in task.changes()
        ],
    }


@control.get("/health")
def health() -> Response:
    """Liveness and version."""
    return json_response({"status": "ok", "version": __version__})


@control.post("/reset")
def reset() -> Response:
    """Forget everything the tests did; the clock and the seeded sequences start again."""
    state = get_state()
    state.engine.reset()
    return json_response({"status": "ok", "clock": _clock_view(state)})


@control.get("/clock")
def clock() -> Response:
    """The clock's mode, the mock's now, and mock seconds since start or reset."""
    return json_response(_clock_view(get_state()))


@control.post("/clock/advance")
def advance_clock() -> Response:
    """Move mock time; answers once everything due by then (changes, attempts, retries) happened."""
    body = read_control_json()
    unknown = sorted(set(body) - {"seconds"})
    if unknown:
        raise ControlInputError(f"unknown field(s): {', '.join(unknown)}; expected seconds")
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ControlInputError("'seconds' must be a number >= 0")
    try:
        seconds = float(seconds)
    except OverflowError:
        # An integer of 309+ digits: no float holds it, and no clock could reach it.
        raise ControlInputError("'seconds' is too large: it must be a finite number >= 0") from None
    state = get_state()
    # The outbox waits for attempts on this thread: a watch sees this advance's stalls only.
    watching = state.webhooks.watch_stalls() if state.webhooks is not None else None
    with watching or contextlib.nullcontext() as watch:
        state.engine.advance(seconds)
    if watch is not None and watch.stalled:
        # The clock moved and cannot move back, but the promise of this call is broken.
        return json_response(
            {
                "message": "the clock moved, but webhook attempts made no progress for too "
                "long: not every due attempt was made (see GET /_mock/webhooks)",
                "clock": _clock_view(state),
            },
            status=503,
        )
    return json_response(_clock_view(state))


@control.get("/tasks")
def list_all_tasks() -> Response:
    """Tasks of every key, oldest first, with the paging fields.

    ``?api_key=`` keeps one key's (through its index), ``?status=`` those with that status now,
    ``?q=`` those whose prompt or id holds the text (any case); ``?limit=`` the newest N,
    ``?since=<cursor>`` what was made or changed after an earlier answer (``web/paging.py``).
    """
    state = get_state()
    limit, since = paging_arguments()
    status = request.args.get("status") or None
    if status is not None and status not in _STATUS_VALUES:
        raise ControlInputError(f"'status' must be one of {', '.join(_STATUS_VALUES)}")
    needle = (request.args.get("q") or "").strip().casefold()
    now = state.engine.clock.now()

    def match(task: Task) -> bool:
        if status is not None and task.status_at(now).value != status:
            return False
        return not needle or needle in task.prompt.casefold() or needle in task.task_id

    page = state.engine.tasks.page(
        api_key=request.args.get("api_key") or None,
        since=since,
        limit=limit,
        match=match if status is not None or needle else None,
    )
    return json_response(page_view(page, lambda task: task_control_view(state, task)))


@control.get("/tasks/<task_id>")
def show_task(task_id: str) -> Response:
    """One task, with its timeline."""
    state = get_state()
    return json_response(task_control_view(state, state.engine.find_task(task_id)))


@control.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Response:
    """End the task now with COMPLETED; its webhooks go out at once."""
    return _finish(task_id, TaskStatus.COMPLETED)


@control.post("/tasks/<task_id>/fail")
def fail_task(task_id: str) -> Response:
    """End the task now with FAILED; its webhooks go out at once."""
    return _finish(task_id, TaskStatus.FAILED)


def _finish(task_id: str, outcome: TaskStatus) -> Response:
    state = get_state()
    task = state.engine.finish_now(task_id, outcome=outcome)
    return json_response(task_control_view(state, task))


@control.get("/openapi.yaml")
def openapi_yaml() -> Response:
    """The extended spec: the vendor's plus the GET endpoints, the 404 and links."""
    return Response(load_extended_spec_text(), content_type=_YAML)


@control.get("/control-openapi.yaml")
def control_openapi_yaml() -> Response:
    """This API's own OpenAPI 3.1 document (every ``/_mock`` route)."""
    return Response(load_control_spec_text(), content_type=_YAML)
