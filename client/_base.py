"""What ``MusicClient`` and ``AsyncMusicClient`` share, none of it I/O.

Configuration, argument checks, request building, response parsing and the retry and polling
decisions live here; the two clients add only sending requests and sleeping, with mirrored names
(the design of httpx's own ``Client`` and ``AsyncClient``).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from ._polling import PollSchedule, check_seconds
from ._retry import RetryEvent, RetryPolicy
from ._translate import load_json
from .errors import (
    ClientClosedError,
    InvalidArgumentError,
    InvalidResponseError,
    MusicAPIError,
    TaskFailedError,
)
from .models import Task, TaskStatus

__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_POLL_INTERVAL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "MAX_MUSIC_LENGTH",
    "MAX_PROMPT_LENGTH",
    "MIN_MUSIC_LENGTH",
    "VERSION",
    "BaseMusicClient",
    "PollSchedule",
    "ProgressCallback",
    "Writable",
]

VERSION = "0.1.0"
DEFAULT_BASE_URL = "https://api.freepik.com"
API_KEY_HEADER = "x-freepik-api-key"
ENV_API_KEY = "FREEPIK_API_KEY"
ENV_BASE_URL = "FREEPIK_API_BASE_URL"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_RETRIES = 3
DEFAULT_WAIT_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_POLL_INTERVAL = 10.0
MIN_MUSIC_LENGTH = 10
MAX_MUSIC_LENGTH = 240
MAX_PROMPT_LENGTH = 2500
DOWNLOAD_CHUNK_SIZE = 64 * 1024

_COLLECTION = "v1/ai/music-generation"

#: Called with the task after every poll of ``wait`` (the CLI prints status changes with it).
ProgressCallback = Callable[[Task], object]


class Writable(Protocol):
    """A binary file object ``download`` can write to (``open(..., "wb")``, ``io.BytesIO``)."""

    def write(self, data: bytes, /) -> object: ...


def _resolve_api_key(api_key: str | None) -> str:
    value = os.environ.get(ENV_API_KEY) if api_key is None else api_key
    if value is None:
        raise InvalidArgumentError(f"no API key: pass api_key= or set {ENV_API_KEY}")
    if not isinstance(value, str):
        raise InvalidArgumentError(f"api_key must be a string, not {type(value).__name__}")
    value = value.strip()
    if not value:
        raise InvalidArgumentError("the API key is empty")
    if not (value.isascii() and value.isprintable()):
        raise InvalidArgumentError("the API key must be printable ASCII")
    return value


def _resolve_base_url(base_url: str | None) -> httpx.URL:
    value = base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError) as exc:
        raise InvalidArgumentError(f"invalid base URL {value!r}: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidArgumentError(f"the base URL must be an http(s) URL with a host: {value!r}")
    # A trailing slash makes relative joins keep a path prefix ("http://host/prefix/").
    return url.copy_with(path=url.path.rstrip("/") + "/", query=None, fragment=None)


def check_create_arguments(prompt: Any, music_length_seconds: Any, webhook_url: Any) -> None:
    """Reject what the API would refuse with a 400, before anything is sent."""
    if not isinstance(prompt, str):
        raise InvalidArgumentError(f"prompt must be a string, not {type(prompt).__name__}")
    if len(prompt) > MAX_PROMPT_LENGTH:
        raise InvalidArgumentError(
            f"prompt is {len(prompt)} characters long; the maximum is {MAX_PROMPT_LENGTH}"
        )
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError("prompt is not valid Unicode text") from None
    if isinstance(music_length_seconds, bool) or not isinstance(music_length_seconds, int):
        raise InvalidArgumentError(
            f"music_length_seconds must be a whole number of seconds, not {music_length_seconds!r}"
        )
    if not MIN_MUSIC_LENGTH <= music_length_seconds <= MAX_MUSIC_LENGTH:
        raise InvalidArgumentError(
            f"music_length_seconds must be between {MIN_MUSIC_LENGTH} and {MAX_MUSIC_LENGTH}, "
            f"not {music_length_seconds}"
        )
    if webhook_url is not None:
        _check_http_url(webhook_url, what="webhook_url")


def _check_http_url(value: Any, *, what: str) -> httpx.URL:
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be a string, not {type(value).__name__}")
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise InvalidArgumentError(f"{what} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidArgumentError(f"{what} must be an absolute http(s) URL, not {value!r}")
    return url


#: Task ids that are URL dot segments. ``quote`` leaves dots alone and URL resolution (httpx's
#: join, RFC 3986 section 5.2.4) removes these segments, so ``get("..")`` would GET
#: ``/v1/ai/``. They are refused rather than sent as ``%2E``: RFC 3986 makes an encoded
#: unreserved character equivalent to the character itself, so servers and proxies may
#: decode ``%2E`` and normalise the path all the same, and no real task id is one of these
#: (the API's ids are UUIDs).
_DOT_SEGMENTS = frozenset({".", ".."})


def task_id_of(task: Task | str) -> str:
    """The id of a task given as a ``Task`` or as its id, checked to be usable in a URL path.

    Raises ``InvalidArgumentError`` for an empty id and for ``"."`` and ``".."``, which would
    address another resource than the task (see ``_DOT_SEGMENTS``).
    """
    task_id = task.task_id if isinstance(task, Task) else task
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidArgumentError(f"task_id must be a non-empty string, not {task_id!r}")
    task_id = task_id.strip()
    if task_id in _DOT_SEGMENTS:
        raise InvalidArgumentError(
            f"task_id {task_id!r} is a URL dot segment, not a task id: it would address "
            "another resource than the task"
        )
    return task_id


class BaseMusicClient:
    """Configuration and every decision both clients share; it never sends or sleeps."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        wait_timeout: float,
        poll_interval: float,
        max_poll_interval: float,
        clock: Callable[[], float],
        on_retry: Callable[[RetryEvent], object] | None,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidArgumentError(f"max_retries must be an integer >= 0, not {max_retries!r}")
        check_seconds("wait_timeout", wait_timeout)
        check_seconds("poll_interval", poll_interval)
        check_seconds("max_poll_interval", max_poll_interval)
        self._api_key = _resolve_api_key(api_key)
        self._base_url = _resolve_base_url(base_url)
        self.max_retries = max_retries
        self.retry_policy = retry_policy or RetryPolicy()
        #: Called with a ``RetryEvent`` before each wait to retry (None: retries are silent).
        self.on_retry = on_retry
        #: The defaults of ``wait`` and ``generate`` when a call does not pass its own.
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self._clock = clock
        self._random = random.Random()
        self._user_agent = f"freepik-music-client/{VERSION} python-httpx/{httpx.__version__}"

    @property
    def base_url(self) -> str:
        """The API's base URL, without the trailing slash."""
        return str(self._base_url).rstrip("/")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    # Requests --------------------------------------------------------------------------------

    def _api_request(self, method: str, path: str, *, json: Any = None) -> httpx.Request:
        headers = {
            API_KEY_HEADER: self._api_key,
            "Accept": "application/json",
            "User-Agent": self._user_agent,
        }
        return httpx.Request(method, self._base_url.join(path), headers=headers, json=json)

    def _build_create_request(
        self, prompt: str, music_length_seconds: int, webhook_url: str | None
    ) -> httpx.Request:
        check_create_arguments(prompt, music_length_seconds, webhook_url)
        body: dict[str, Any] = {"prompt": prompt, "music_length_seconds": music_length_seconds}
        if webhook_url is not None:
            body["webhook_url"] = webhook_url
        return self._api_request("POST", _COLLECTION, json=body)

    def _build_get_request(self, task: Task | str) -> httpx.Request:
        return self._api_request("GET", f"{_COLLECTION}/{quote(task_id_of(task), safe='')}")

    def _build_list_request(self) -> httpx.Request:
        return self._api_request("GET", _COLLECTION)

    def _build_download_request(self, task: Task | str) -> httpx.Request:
        """A GET of the result file; the API key is deliberately not sent to the file's host."""
        if isinstance(task, Task):
            if task.result_url is None:
                raise InvalidArgumentError(
                    f"task {task.task_id} has no result to download (status {task.status.value})"
                )
            url = task.result_url
        else:
            url = task
        target = _check_http_url(url, what="the result URL")
        headers = {"Accept": "audio/mpeg, */*", "User-Agent": self._user_agent}
        return httpx.Request("GET", target, headers=headers)

    # Responses -------------------------------------------------------------------------------

    def _json(self, response: httpx.Response) -> Any:
        """The body of a 2xx ``response`` as JSON; a body that is not JSON (including one
        nested too deeply to parse) is an ``InvalidResponseError`` that says why."""
        try:
            body = load_json(response.content)
        except ValueError as exc:
            reason = f": {exc}"
        else:
            if body is not None:
                return body
            reason = ""
        raise InvalidResponseError(
            f"expected JSON from {response.request.method} {response.request.url.path}, got "
            f"{response.headers.get('content-type', 'no content type')!s} "
            f"({len(response.content)} bytes){reason}",
            request=response.request,
            response=response,
        )

    def _parse_task(self, response: httpx.Response) -> Task:
        try:
            return Task.from_payload(self._json(response))
        except ValueError as exc:
            raise self._invalid(response, exc) from None

    def _parse_task_list(self, response: httpx.Response) -> list[Task]:
        try:
            return Task.list_from_payload(self._json(response))
        except ValueError as exc:
            raise self._invalid(response, exc) from None

    @staticmethod
    def _invalid(response: httpx.Response, exc: ValueError) -> InvalidResponseError:
        return InvalidResponseError(
            f"unexpected answer to {response.request.method} {response.request.url.path}: {exc}",
            request=response.request,
            response=response,
        )

    def _closed(self, request: httpx.Request) -> ClientClosedError:
        return ClientClosedError(
            f"this {type(self).__name__} is closed: create a new one to send "
            f"{request.method} {request.url.path}",
            request=request,
        )

    # Decisions -------------------------------------------------------------------------------

    def _retry_delay(
        self, error: MusicAPIError, request: httpx.Request, *, retry_number: int, idempotent: bool
    ) -> float | None:
        """Seconds to wait before retry ``retry_number`` (0-based), or None to raise ``error``.

        When there is a wait, ``on_retry`` hears of it first.
        """
        if retry_number >= self.max_retries:
            return None
        delay = self.retry_policy.delay_for(
            error,
            retry_number=retry_number,
            idempotent=idempotent,
            random_fraction=self._random.random(),
        )
        if delay is not None and self.on_retry is not None:
            self.on_retry(
                RetryEvent(
                    error=error,
                    retry=retry_number + 1,
                    max_retries=self.max_retries,
                    delay=delay,
                    request=request,
                )
            )
        return delay

    def _wait_options(
        self,
        *,
        timeout: float | None,
        poll_interval: float | None,
        max_poll_interval: float | None,
    ) -> tuple[float, float, float]:
        """A wait's timeout, poll interval and cap, checked: each None is the client's default.

        ``generate`` calls it before ``create``, so that a bad option spends no task.
        """
        resolved = (
            self.wait_timeout if timeout is None else timeout,
            self.poll_interval if poll_interval is None else poll_interval,
            self.max_poll_interval if max_poll_interval is None else max_poll_interval,
        )
        for name, value in zip(
            ("timeout", "poll_interval", "max_poll_interval"), resolved, strict=True
        ):
            check_seconds(name, value)
        return resolved

    def _poll_schedule(
        self,
        *,
        timeout: float | None,
        poll_interval: float | None,
        max_poll_interval: float | None,
    ) -> PollSchedule:
        """The schedule of one ``wait`` (see ``_wait_options``)."""
        timeout, poll_interval, max_poll_interval = self._wait_options(
            timeout=timeout, poll_interval=poll_interval, max_poll_interval=max_poll_interval
        )
        return PollSchedule(
            clock=self._clock,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
        )

    @staticmethod
    def _finish_wait(
        task: Task, *, raise_on_failure: bool, request: httpx.Request, response: httpx.Response
    ) -> Task:
        if raise_on_failure and task.status is TaskStatus.FAILED:
            raise TaskFailedError(task, request=request, response=response)
        return task
