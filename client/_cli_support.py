"""What the CLI needs besides click: error messages for people, reading saved deliveries, and
spotting a mock whose clock is manual."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from ._base import API_KEY_HEADER, DEFAULT_BASE_URL
from ._translate import json_or_none
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

__all__ = [
    "BASE_URL_404_HINT",
    "MANUAL_CLOCK_NOTE",
    "TASK_404_HINT",
    "describe_error",
    "is_vendor_host",
    "mock_clock_is_manual",
    "read_delivery",
]


def describe_error(error: MusicAPIError) -> str:
    """One clear message per error type, with what to do next where there is something to do."""
    if isinstance(error, AuthenticationError):
        return _hint(
            f"authentication failed: {error.message}", "Check --api-key or FREEPIK_API_KEY."
        )
    if isinstance(error, ValidationError):
        return f"the API refused the request: {error}"  # names the invalid params, one line
    if isinstance(error, NotFoundError):
        return _hint(f"not found: {error.message}", *_not_found_hints(error))
    if isinstance(error, RateLimitError):
        wait = f"Retry in {error.retry_after:g} s." if error.retry_after is not None else ""
        return _hint(f"rate limited: {error.message}", wait)
    if isinstance(error, ServerError):
        again = "" if _TRY_AGAIN.search(error.message) else "Try again later."
        return _hint(f"the API failed: {error.message}", again)
    if isinstance(error, APIStatusError):
        return f"unexpected answer: {error.message}"
    if isinstance(error, APITimeoutError):
        return f"the request timed out: {error.message}"
    if isinstance(error, APIConnectionError):
        return _hint(f"cannot reach the API: {error.message}", "Check --base-url and your network.")
    if isinstance(error, TransportError):
        return f"the request failed: {error.message}"
    if isinstance(error, TaskFailedError):
        return f"task {error.task.task_id} FAILED: the API could not generate this track."
    if isinstance(error, WaitTimeoutError):
        return _hint(
            error.message, f"It may still finish: freepik-music status {error.task.task_id}"
        )
    if isinstance(error, WebhookVerificationError):
        return f"webhook verification failed: {error.message}"
    if isinstance(error, InvalidArgumentError):
        return f"invalid argument: {error.message}"
    if isinstance(error, InvalidResponseError):
        return f"the API's answer could not be read: {error.message}"
    return error.message


_TRY_AGAIN = re.compile(r"\btry\s+again\b", re.IGNORECASE)
_TASK_PATH = ("v1", "ai", "music-generation")
TASK_404_HINT = "(Tasks are only visible to the key that made them.)"
BASE_URL_404_HINT = f"Is --base-url the API's root, e.g. {DEFAULT_BASE_URL}?"


def _hint(message: str, *hints: str) -> str:
    """``message`` as a sentence (one final period, not two), then the non-empty ``hints``."""
    message = message.rstrip()
    if not message.endswith((".", "!", "?")):
        message += "."
    return " ".join([message, *(hint for hint in hints if hint)])


def _not_found_hints(error: NotFoundError) -> tuple[str, ...]:
    """What a 404 suggests: a task of another key, or a base URL that is not the API's root.

    Only API requests carry the API key; a 404 of a result file (``download``) is neither.
    """
    request = error.request
    if request is None or API_KEY_HEADER not in request.headers:
        return ()
    segments = request.url.raw_path.split(b"?")[0].decode("ascii", "replace").split("/")
    one_task = (
        request.method == "GET"
        and len(segments) >= 5
        and tuple(segments[-4:-1]) == _TASK_PATH
        and bool(segments[-1])
    )
    if not one_task:
        return (BASE_URL_404_HINT,)
    if segments[:-4] != [""]:  # a path before /v1/ai/...: maybe a base URL with too much
        return (TASK_404_HINT, BASE_URL_404_HINT)
    return (TASK_404_HINT,)


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


MANUAL_CLOCK_NOTE = (
    "note: the mock's clock is manual: the task moves only when you advance it "
    "(POST /_mock/clock/advance)"
)
#: The vendor's domains: the CLI never sends a request for the mock's control API there.
VENDOR_DOMAINS = ("freepik.com", "magnific.com")
#: The probe is a courtesy: it never holds the command up for long.
PROBE_TIMEOUT = httpx.Timeout(2.0)


def is_vendor_host(url: httpx.URL | str) -> bool:
    """Whether ``url`` is the real API (api.freepik.com, api.magnific.com or their domains)."""
    host = httpx.URL(url).host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in VENDOR_DOMAINS)


def mock_clock_is_manual(http: httpx.Client, base_url: str) -> bool:
    """Whether ``GET {base_url}/_mock/clock`` answers JSON with ``"mode": "manual"``.

    Never sent to the vendor; no API key is sent; any failure (not a mock, an error, no
    answer within ``PROBE_TIMEOUT``) is False, silently.
    """
    try:
        if is_vendor_host(base_url):
            return False
        response = http.get(base_url.rstrip("/") + "/_mock/clock", timeout=PROBE_TIMEOUT)
        body = json_or_none(response) if response.is_success else None
    except Exception:  # a courtesy probe must never fail the command
        return False
    return isinstance(body, dict) and body.get("mode") == "manual"
