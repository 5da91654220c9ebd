"""The client's error family, rooted at ``MusicAPIError``.

::

    MusicAPIError
    ├── InvalidArgumentError (also a ValueError)  rejected before any request was sent
    ├── ClientClosedError (also a RuntimeError)   the client was used after ``close()``
    ├── TransportError                            no HTTP response arrived
    │   ├── APIConnectionError                    connection refused, reset, protocol error
    │   └── APITimeoutError                       connect, read, write or pool timeout
    ├── APIStatusError                            the API answered with a non-2xx status
    │   ├── ValidationError        400, with ``invalid_params`` when the API names them
    │   ├── AuthenticationError    401
    │   ├── NotFoundError          404
    │   ├── RateLimitError         429, with ``retry_after`` (seconds) when the API sends it
    │   └── ServerError            5xx
    ├── InvalidResponseError                      a 2xx whose body is not what the API documents
    ├── TaskFailedError                           the task ended FAILED (carries the task)
    ├── WaitTimeoutError                          ``wait`` gave up (carries the last task seen)
    └── WebhookVerificationError                  a delivery failed verification

Every error carries ``request`` and ``response`` (``None`` where there is none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from .models import InvalidParam, Task

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ClientClosedError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "MusicAPIError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "TaskFailedError",
    "TransportError",
    "ValidationError",
    "WaitTimeoutError",
    "WebhookVerificationError",
]


class MusicAPIError(Exception):
    """The root of every error the client raises."""

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.response = response


class InvalidArgumentError(MusicAPIError, ValueError):
    """An argument the API would refuse; raised before any request is sent."""


class ClientClosedError(MusicAPIError, RuntimeError):
    """The client was used after ``close()``/``aclose()`` (or after its ``with`` block).

    Nothing was sent. It is also a ``RuntimeError``, which is what httpx raises in this case.
    """


class TransportError(MusicAPIError):
    """No HTTP response arrived.

    ``request_sent`` is False only when the request provably never left the client (the connection
    could not be opened), so the API cannot have processed it.
    """

    def __init__(
        self, message: str, *, request: httpx.Request | None = None, request_sent: bool = True
    ) -> None:
        super().__init__(message, request=request)
        self.request_sent = request_sent


class APIConnectionError(TransportError):
    """The connection failed: refused, reset, closed early or broken by a protocol error."""


class APITimeoutError(TransportError):
    """The connect, write, read or pool timeout expired."""


class APIStatusError(MusicAPIError):
    """The API answered with a non-2xx status.

    ``body`` is the decoded JSON body (None if it was not JSON); ``retry_after`` is the
    ``Retry-After`` header in seconds (None if absent), sent with 429 and sometimes with 503.
    """

    response: httpx.Response

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request,
        response: httpx.Response,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, request=request, response=response)
        self.status_code = response.status_code
        self.body = body
        self.retry_after = retry_after


class ValidationError(APIStatusError):
    """400: the API refused the request's parameters (``invalid_params`` names them when it can)."""

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request,
        response: httpx.Response,
        body: Any = None,
        retry_after: float | None = None,
        invalid_params: Sequence[InvalidParam] = (),
    ) -> None:
        super().__init__(
            message, request=request, response=response, body=body, retry_after=retry_after
        )
        self.invalid_params: tuple[InvalidParam, ...] = tuple(invalid_params)

    def __str__(self) -> str:
        if not self.invalid_params:
            return self.message
        return self.message + " (" + "; ".join(map(str, self.invalid_params)) + ")"


class AuthenticationError(APIStatusError):
    """401: the API key is missing or not accepted."""


class NotFoundError(APIStatusError):
    """404: no such task for this API key (or no such result file)."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the wait the API asked for, in seconds."""


class ServerError(APIStatusError):
    """5xx: the API failed or is unavailable."""


class InvalidResponseError(MusicAPIError):
    """A successful answer whose body is not the documented shape."""


class TaskFailedError(MusicAPIError):
    """The task ended with status FAILED."""

    def __init__(
        self,
        task: Task,
        *,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(f"task {task.task_id} failed", request=request, response=response)
        self.task = task


class WaitTimeoutError(MusicAPIError):
    """``wait`` gave up after ``timeout`` seconds; ``task`` is the last state seen."""

    def __init__(
        self,
        task: Task,
        *,
        timeout: float,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(
            f"task {task.task_id} was still {task.status.value} after waiting {timeout:g} s",
            request=request,
            response=response,
        )
        self.task = task
        self.timeout = timeout


class WebhookVerificationError(MusicAPIError):
    """A webhook delivery is not authentic, is stale, or is not a task event."""
