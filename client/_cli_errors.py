"""How ``freepik-music`` fails: an exit code and a kind per class of error, one line on stderr
(a JSON object with ``--json``), and the retry notices it prints while it still tries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from .._cli_errors import JsonUsageErrors, OneLineError
from ._cli_support import describe_error
from ._retry import RetryEvent
from .errors import (
    APIStatusError,
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
    "EXIT_CODES",
    "EXIT_CODES_HELP",
    "CliError",
    "JsonAwareGroup",
    "cli_error",
    "retry_notice",
]

#: The exit code of each kind of failure; the scheme of the ``freepik-mock`` control CLI, plus
#: the kinds only the API has (rate limits, failed tasks, waits that time out).
EXIT_CODES: Mapping[str, int] = {
    "server": 1,  # the API failed (5xx)
    "api_error": 1,  # another non-2xx answer (409, 422, ...)
    "invalid_response": 1,  # a 2xx the client cannot read
    "webhook": 1,  # verify-webhook: the delivery did not verify
    "io": 1,  # a file could not be read or written
    "error": 1,  # anything else
    "usage": 2,  # a bad flag, argument or --base-url; no API key
    "validation": 3,  # the API refused the request (400)
    "auth": 4,  # the API key is missing or refused (401/403)
    "not_found": 5,  # no such task for this key, or a wrong --base-url (404)
    "network": 6,  # no answer: connection refused or reset, DNS, timeout
    "rate_limited": 7,  # too many requests (429), after the retries
    "task_failed": 8,  # generate: the task ended FAILED
    "timeout": 9,  # generate: --wait-timeout passed before the track was ready
}

#: The table in ``freepik-music --help`` (the README has the same).
EXIT_CODES_HELP = """\b
Exit codes:
  0  done
  1  the API failed (5xx) or another error
  2  usage error (bad option or argument, no API key)
  3  the API refused the request (400)
  4  authentication failed (401/403)
  5  not found (404)
  6  the API cannot be reached (connection, timeout)
  7  rate limited (429)
  8  the task failed
  9  the wait for the task timed out (it may still finish)"""


class CliError(OneLineError):
    """A failure of a command: one line on stderr and the exit code of its ``kind``.

    ``fields`` go into the JSON object (with ``--json``) after ``error`` and ``kind``.
    """

    exit_codes = EXIT_CODES


def _kind(error: MusicAPIError) -> str:
    kinds: list[tuple[type[MusicAPIError], str]] = [
        (ValidationError, "validation"),
        (AuthenticationError, "auth"),
        (NotFoundError, "not_found"),
        (RateLimitError, "rate_limited"),
        (ServerError, "server"),
        (TransportError, "network"),
        (TaskFailedError, "task_failed"),
        (WaitTimeoutError, "timeout"),
        (InvalidArgumentError, "usage"),
        (InvalidResponseError, "invalid_response"),
        (WebhookVerificationError, "webhook"),
    ]
    for cls, kind in kinds:
        if isinstance(error, cls):
            return kind
    if isinstance(error, APIStatusError):
        return "auth" if error.status_code == 403 else "api_error"
    return "error"


def _fields(error: MusicAPIError) -> dict[str, Any]:
    """What a script may want besides the message: the status, the invalid params, the task."""
    fields: dict[str, Any] = {}
    if isinstance(error, APIStatusError):
        fields["status"] = error.status_code
        if error.retry_after is not None:
            fields["retry_after"] = error.retry_after
    if isinstance(error, ValidationError) and error.invalid_params:
        fields["invalid_params"] = [
            {"name": param.name, "reason": param.reason} for param in error.invalid_params
        ]
    if isinstance(error, TaskFailedError | WaitTimeoutError):
        fields["task_id"] = error.task.task_id
        fields["task_status"] = error.task.status.value
    if isinstance(error, WaitTimeoutError):
        fields["wait_timeout"] = error.timeout
    return fields


def cli_error(error: BaseException, *, as_json: bool) -> CliError:
    """The ``CliError`` for anything a command raised: the client's errors, files, the rest."""
    if isinstance(error, MusicAPIError):
        return CliError(
            describe_error(error), kind=_kind(error), as_json=as_json, fields=_fields(error)
        )
    if isinstance(error, OSError):
        where = f" {error.filename}" if error.filename else ""
        return CliError(f"cannot use{where}: {error.strerror or error}", kind="io", as_json=as_json)
    return CliError(
        f"unexpected {type(error).__name__}: {error}",
        kind="error",
        as_json=as_json,
        fields={"exception": type(error).__name__},
    )


def retry_notice(event: RetryEvent, *, as_json: bool) -> str:
    """The line printed before a retry: what failed, retry n of m and the wait."""
    message = " ".join(str(event.error).split())
    if as_json:
        notice = {
            "retry": event.retry,
            "of": event.max_retries,
            "error": message,
            "wait_seconds": round(event.delay, 3),
        }
        return json.dumps(notice)
    return f"retry {event.retry} of {event.max_retries} in {event.delay:.1f} s: {message}"


class JsonAwareGroup(JsonUsageErrors, click.Group):
    """A group whose usage errors, and its commands', are one JSON line when ``--json`` is given.

    Without ``--json`` a usage error is click's, with its ``Usage:`` hint; either way it exits 2.
    """

    usage_error = CliError
