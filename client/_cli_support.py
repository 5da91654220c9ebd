"""What the CLI needs besides click: error messages for people, and reading saved deliveries."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InvalidArgumentError,
    InvalidResponseError,
    MusicAPIError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TaskFailedError,
    TransportError,
    ValidationError,
    WaitTimeoutError,
    WebhookVerificationError,
)

__all__ = ["describe_error", "read_delivery"]


def describe_error(error: MusicAPIError) -> str:
    """One clear message per error type, with what to do next where there is something to do."""
    if isinstance(error, AuthenticationError):
        return f"authentication failed: {error.message}. Check --api-key or FREEPIK_API_KEY."
    if isinstance(error, ValidationError):
        return f"the API refused the request: {error}"  # names the invalid params, one line
    if isinstance(error, NotFoundError):
        return f"not found: {error.message}. (Tasks are only visible to the key that made them.)"
    if isinstance(error, RateLimitError):
        wait = f" Retry in {error.retry_after:g} s." if error.retry_after is not None else ""
        return f"rate limited: {error.message}.{wait}"
    if isinstance(error, ServerError):
        return f"the API failed: {error.message}. Try again later."
    if isinstance(error, APIStatusError):
        return f"unexpected answer: {error.message}"
    if isinstance(error, APITimeoutError):
        return f"the request timed out: {error.message}"
    if isinstance(error, APIConnectionError):
        return f"cannot reach the API: {error.message}. Check --base-url and your network."
    if isinstance(error, TransportError):
        return f"the request failed: {error.message}"
    if isinstance(error, TaskFailedError):
        return f"task {error.task.task_id} FAILED: the API could not generate this track."
    if isinstance(error, WaitTimeoutError):
        return f"{error.message}. It may still finish: freepik-music status {error.task.task_id}"
    if isinstance(error, WebhookVerificationError):
        return f"webhook verification failed: {error.message}"
    if isinstance(error, InvalidArgumentError):
        return f"invalid argument: {error.message}"
    if isinstance(error, InvalidResponseError):
        return f"the API's answer could not be read: {error.message}"
    return error.message


_HEAD_END = re.compile(rb"\r?\n\r?\n")
_REQUEST_LINE = re.compile(rb"^[A-Z]+ \S+ HTTP/\d(\.\d)?$")


def read_delivery(data: bytes) -> tuple[bytes, list[tuple[str, str]]]:
    """The raw body and headers of a saved delivery.

    Two formats: JSON ``{"headers": {...} or [[name, value], ...], "body": "<raw body>"}``, or
    the HTTP request as received (optional request line, headers, a blank line, the body).
    """
    saved = _json_delivery(data)
    if saved is not None:
        return saved
    match = _HEAD_END.search(data)
    if match is None:
        raise WebhookVerificationError(
            "the delivery file has neither JSON {headers, body} nor headers and a blank line"
        )
    head, body = data[: match.start()], data[match.end() :]
    headers = []
    for number, line in enumerate(head.splitlines()):
        if number == 0 and _REQUEST_LINE.match(line.strip()):
            continue
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name.strip():
            raise WebhookVerificationError(f"the delivery file has a bad header line: {line!r}")
        headers.append((name.strip(), value.strip()))
    return body, headers


def _json_delivery(data: bytes) -> tuple[bytes, list[tuple[str, str]]] | None:
    try:
        saved: Any = json.loads(data)
    except ValueError:
        return None
    if not (isinstance(saved, dict) and "headers" in saved and "body" in saved):
        return None
    body, raw_headers = saved["body"], saved["headers"]
    if not isinstance(body, str):
        raise WebhookVerificationError(
            'the saved "body" must be the raw body as a string (re-encoded JSON cannot verify)'
        )
    pairs = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
    try:
        headers = [(str(name), str(value)) for name, value in pairs]
    except (TypeError, ValueError):
        raise WebhookVerificationError(
            'the saved "headers" must be an object or a list of [name, value] pairs'
        ) from None
    return body.encode("utf-8"), headers
