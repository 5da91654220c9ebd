"""The one boundary where httpx's exceptions and non-2xx responses become the client's errors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from ._retry import parse_retry_after
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    MusicAPIError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from .models import InvalidParam

__all__ = [
    "HTTPX_ERRORS",
    "error_for_response",
    "json_or_none",
    "load_json",
    "map_httpx_errors",
]

#: Everything httpx raises: its ``HTTPError`` tree plus the exceptions that live outside it.
HTTPX_ERRORS: tuple[type[Exception], ...] = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.CookieConflict,
    httpx.StreamError,
)

# Failures that happen before a single byte of the request is written.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@contextmanager
def map_httpx_errors(request: httpx.Request) -> Iterator[None]:
    """Re-raise any httpx exception from the block as the matching ``MusicAPIError``."""
    try:
        yield
    except HTTPX_ERRORS as exc:
        raise translate_httpx_error(exc, request) from exc


def translate_httpx_error(exc: Exception, request: httpx.Request) -> MusicAPIError:
    """The client error for one httpx exception raised while handling ``request``."""
    target = f"{request.method} {request.url}"
    sent = not isinstance(exc, _NOT_SENT)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"timed out ({type(exc).__name__}) on {target}: {detail}",
            request=request,
            request_sent=sent,
        )
    if isinstance(exc, httpx.NetworkError | httpx.ProtocolError | httpx.ProxyError):
        verb = "could not connect" if not sent else "connection failed"
        return APIConnectionError(
            f"{verb} on {target}: {detail}", request=request, request_sent=sent
        )
    if isinstance(exc, httpx.HTTPStatusError):
        return error_for_response(exc.response)
    return TransportError(f"{type(exc).__name__} on {target}: {detail}", request=request)


def load_json(data: bytes | str) -> Any:
    """Parse JSON text; anything that is not JSON raises ``ValueError``, and nothing else.

    ``json.loads`` recurses once per level of nesting, so a body such as ``b"[" * 100_000``
    raises ``RecursionError``, which is not a ``ValueError``: a broken or hostile body would
    escape every ``except ValueError`` and with it the client's error family. It becomes a
    ``ValueError`` here.
    """
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to parse") from None


def json_or_none(response: httpx.Response) -> Any:
    """The response body as JSON, or None when it is empty, unread or not JSON."""
    try:
        return load_json(response.content)
    except (ValueError, httpx.ResponseNotRead):
        return None


def _field(body: Any, name: str) -> Any:
    """An error body's field: flat as the vendor sends it, or under ``problem`` as its spec says."""
    if not isinstance(body, Mapping):
        return None
    if name in body:
        return body[name]
    problem = body.get("problem")
    return problem.get(name) if isinstance(problem, Mapping) else None


def _invalid_params(body: Any) -> list[InvalidParam]:
    items = _field(body, "invalid_params")
    if not isinstance(items, list):
        return []
    return [
        InvalidParam(str(item.get("name", "")), str(item.get("reason", "")))
        for item in items
        if isinstance(item, Mapping)
    ]


def error_for_response(response: httpx.Response) -> APIStatusError:
    """The client error for a non-2xx ``response`` (which must have been read)."""
    body = json_or_none(response)
    status = response.status_code
    detail = _field(body, "message")
    if not isinstance(detail, str) or not detail:
        detail = response.reason_phrase or "no message"
    message = f"HTTP {status} from {response.request.method} {response.request.url.path}: {detail}"
    common: dict[str, Any] = {
        "request": response.request,
        "response": response,
        "body": body,
        "retry_after": parse_retry_after(response.headers),
    }
    if status == 400:
        return ValidationError(message, invalid_params=_invalid_params(body), **common)
    if status == 401:
        return AuthenticationError(message, **common)
    if status == 404:
        return NotFoundError(message, **common)
    if status == 429:
        return RateLimitError(message, **common)
    if status >= 500:
        return ServerError(message, **common)
    return APIStatusError(message, **common)
