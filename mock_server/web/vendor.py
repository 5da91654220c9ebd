"""The vendor surface: the three music-generation endpoints, as the real API answers them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

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


def _validated_body(state: MockState) -> bytes:
    """The raw body after the spec accepted the whole request (an error in vendor format if not)."""
    method = request.method
    body = read_body(limit=state.config.max_body_bytes) if method == "POST" else b""
    headers = request.headers
    problems = state.validator.validate(
        method=method,
        path=request.path,
        # The environ's own string (latin-1 by WSGI): what ``query_string.decode`` gave back.
        query=request.environ.get("QUERY_STRING", ""),
        # Werkzeug's headers read the environ on demand; the validator only iterates their
        # items, which they give as a dict would: no copy to make for it.
        headers=cast("Mapping[str, str]", headers),
        body=body,
        content_type=headers.get("Content-Type"),
    )
    if problems:
        raise RequestValidationFailed(problems)
    return body


def _host_url() -> str:
    """``request.host_url``, without werkzeug's IRI decoding where it cannot change the text.

    The host passed ``HostCheck`` (ASCII letters, digits, dots, dashes, colons, brackets, an
    IPv6 zone's ``%25``): only a punycode label (``xn--``) or a percent escape would decode, so
    only such a host takes werkzeug's way (which also lower-cases the name, as here).
    """
    host = request.host.lower()
    if not host.isascii() or "%" in host or "xn--" in host:
        return request.host_url
    return f"{request.scheme}://{host}/"


def _envelope(data: Any) -> Response:
    return json_response({"data": data})


@vendor.post(_COLLECTION)
def create_task() -> Response:
    """POST /v1/ai/music-generation: 200 with a CREATED task."""
    state = get_state()
    api_key = _authenticated_key(state)
    payload = json.loads(_validated_body(state))
    task = state.engine.create_task(
        api_key=api_key,
        prompt=payload["prompt"],
        music_length_seconds=int(payload["music_length_seconds"]),
        webhook_url=payload.get("webhook_url"),
        # --public-url wins; only without it is the request's own host worth working out.
        result_base_url=state.config.public_url or _host_url(),
    )
    return _envelope(task.vendor_view(state.engine.clock.now()))


@vendor.get(_COLLECTION)
def list_tasks() -> Response:
    """GET /v1/ai/music-generation: the key's tasks, oldest first."""
    state = get_state()
    api_key = _authenticated_key(state)
    _validated_body(state)
    now = state.engine.clock.now()
    return _envelope([task.vendor_view(now) for task in state.engine.list_tasks(api_key=api_key)])


@vendor.get(f"{_COLLECTION}/<path:task_id>")
def get_task(task_id: str) -> Response:
    """GET /v1/ai/music-generation/{task-id}: the task as the clock has it now."""
    state = get_state()
    api_key = _authenticated_key(state)
    _validated_body(state)
    task = state.engine.get_task(api_key=api_key, task_id=task_id)
    return _envelope(task.vendor_view(state.engine.clock.now()))
