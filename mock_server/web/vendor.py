"""The vendor surface: the three music-generation endpoints, as the real API answers them."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from ..core import RequestValidationFailed
from .responses import json_response, read_body
from .state import MockState, get_state

__all__ = ["API_KEY_HEADERS", "vendor"]

vendor = Blueprint("vendor", __name__)

#: The spec's header, then the rebranded one that clients in the wild send instead.
API_KEY_HEADERS = ("x-freepik-api-key", "x-magnific-api-key")

_COLLECTION = "/v1/ai/music-generation"


def _authenticated_key(state: MockState) -> str:
    headers = request.headers
    # The first header that has a value (an empty one counts as missing).
    value = headers.get(API_KEY_HEADERS[0]) or headers.get(API_KEY_HEADERS[1])
    return state.engine.authenticate(value)


def _validated_body() -> bytes:
    """The raw body after the spec accepted the whole request (an error in vendor format if not)."""
    state = get_state()
    body = read_body(limit=state.config.max_body_bytes) if request.method == "POST" else b""
    problems = state.validator.validate(
        method=request.method,
        path=request.path,
        query=request.query_string.decode("latin-1"),
        headers=dict(request.headers),
        body=body,
        content_type=request.headers.get("Content-Type"),
    )
    if problems:
        raise RequestValidationFailed(problems)
    return body


def _envelope(data: Any) -> Response:
    return json_response({"data": data})


@vendor.post(_COLLECTION)
def create_task() -> Response:
    """POST /v1/ai/music-generation: 200 with a CREATED task."""
    state = get_state()
    api_key = _authenticated_key(state)
    payload = json.loads(_validated_body())
    task = state.engine.create_task(
        api_key=api_key,
        prompt=payload["prompt"],
        music_length_seconds=int(payload["music_length_seconds"]),
        webhook_url=payload.get("webhook_url"),
        result_base_url=request.host_url,
    )
    return _envelope(task.vendor_view(state.engine.clock.now()))


@vendor.get(_COLLECTION)
def list_tasks() -> Response:
    """GET /v1/ai/music-generation: the key's tasks, oldest first."""
    state = get_state()
    api_key = _authenticated_key(state)
    _validated_body()
    now = state.engine.clock.now()
    return _envelope([task.vendor_view(now) for task in state.engine.list_tasks(api_key=api_key)])


@vendor.get(f"{_COLLECTION}/<path:task_id>")
def get_task(task_id: str) -> Response:
    """GET /v1/ai/music-generation/{task-id}: the task as the clock has it now."""
    state = get_state()
    api_key = _authenticated_key(state)
    _validated_body()
    task = state.engine.get_task(api_key=api_key, task_id=task_id)
    return _envelope(task.vendor_view(state.engine.clock.now()))
