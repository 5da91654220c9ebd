"""``MusicClient``: the blocking client (the I/O path over ``BaseMusicClient``)."""

from __future__ import annotations

import builtins
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import overload

import httpx

from ._base import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    DOWNLOAD_CHUNK_SIZE,
    BaseMusicClient,
    ProgressCallback,
    Writable,
)
from ._retry import RetryEvent, RetryPolicy
from ._translate import error_for_response, map_httpx_errors
from .errors import MusicAPIError, WaitTimeoutError
from .models import Task

__all__ = ["MusicClient"]


class MusicClient(BaseMusicClient):
    """A blocking client for the Freepik music-generation API (and its mock).

    ``api_key`` and ``base_url`` default to ``FREEPIK_API_KEY`` and ``FREEPIK_API_BASE_URL``
    (then ``https://api.freepik.com``). ``transport`` is handed to httpx: pass
    ``httpx.WSGITransport(app=...)`` to talk to an in-process mock, or ``httpx.MockTransport``.
    ``sleep`` and ``clock`` are the waits and the monotonic time used by retries and ``wait``;
    tests replace them so that nothing really sleeps. ``wait_timeout``, ``poll_interval`` and
    ``max_poll_interval`` are the defaults of ``wait`` and ``generate`` (a call's own arguments
    win): against a fast mock, ``poll_interval=0.05`` keeps ``generate`` from waiting 2 s before
    its first poll. ``on_retry``, keyword-only like every option, is called with a
    ``RetryEvent`` (the error, retry n of ``max_retries``, the wait) just before each wait to
    retry a request; the CLI prints a line with it. An exception it raises ends the call.
    Use it as a context manager, or call ``close()``::

        with MusicClient(api_key="...") as client:
            task = client.generate("Calm lo-fi piano", 30)
            client.download(task, "track.mp3")
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_retry: Callable[[RetryEvent], object] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            max_retries=max_retries,
            retry_policy=retry_policy,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            clock=clock,
            on_retry=on_retry,
        )
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool (the context manager does this on exit)."""
        self._http.close()

    def __enter__(self) -> MusicClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _send(
        self,
        request: httpx.Request,
        *,
        idempotent: bool,
        stream: bool = False,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        """Send with retries; a 2xx response comes back, anything else is raised as our error."""
        retry_number = 0
        while True:
            # Checked on every attempt: the client may be closed while a retry waits.
            if self._http.is_closed:
                raise self._closed(request)
            try:
                with map_httpx_errors(request):
                    response = self._http.send(
                        request, stream=stream, follow_redirects=follow_redirects
                    )
                    if response.is_success:
                        return response
                    if stream:
                        try:
                            response.read()
                        finally:
                            response.close()
                error: MusicAPIError = error_for_response(response)
            except MusicAPIError as exc:
                error = exc
            delay = self._retry_delay(
                error, request, retry_number=retry_number, idempotent=idempotent
            )
            if delay is None:
                raise error
            retry_number += 1
            self._sleep(delay)

    def create(
        self, prompt: str, music_length_seconds: int, *, webhook_url: str | None = None
    ) -> Task:
        """Start generating a track of ``music_length_seconds`` (10-240) from ``prompt``.

        Retried only when the API provably did not process the request (429, 503, connection
        not opened), so a retry never creates a second task.
        """
        request = self._build_create_request(prompt, music_length_seconds, webhook_url)
        return self._parse_task(self._send(request, idempotent=False))

    def get(self, task_id: Task | str) -> Task:
        """The task's current status and results."""
        request = self._build_get_request(task_id)
        return self._parse_task(self._send(request, idempotent=True))

    def list(self) -> builtins.list[Task]:
        """Every task of this API key."""
        request = self._build_list_request()
        return self._parse_task_list(self._send(request, idempotent=True))

    def wait(
        self,
        task_id: Task | str,
        *,
        timeout: float | None = None,
        poll_interval: float | None = None,
        max_poll_interval: float | None = None,
        raise_on_failure: bool = True,
        on_update: ProgressCallback | None = None,
    ) -> Task:
        """Poll until the task is COMPLETED or FAILED and return it.

        The first wait is ``poll_interval``; each next one is half as long again, up to
        ``max_poll_interval``. ``on_update`` sees the task after every poll. Raises
        ``TaskFailedError`` when the task FAILED (unless ``raise_on_failure=False``) and
        ``WaitTimeoutError`` after ``timeout`` seconds. ``timeout``, ``poll_interval`` and
        ``max_poll_interval`` left out (None) are the client's ``wait_timeout``,
        ``poll_interval`` and ``max_poll_interval``.
        """
        request = self._build_get_request(task_id)
        schedule = self._poll_schedule(
            timeout=timeout, poll_interval=poll_interval, max_poll_interval=max_poll_interval
        )
        while True:
            response = self._send(request, idempotent=True)
            task = self._parse_task(response)
            if on_update is not None:
                on_update(task)
            if task.is_terminal:
                return self._finish_wait(
                    task, raise_on_failure=raise_on_failure, request=request, response=response
                )
            delay = schedule.next_delay()
            if delay is None:
                raise WaitTimeoutError(
                    task, timeout=schedule.timeout, request=request, response=response
                )
            self._sleep(delay)

    def generate(
        self,
        prompt: str,
        music_length_seconds: int,
        *,
        webhook_url: str | None = None,
        timeout: float | None = None,
        poll_interval: float | None = None,
        max_poll_interval: float | None = None,
        on_update: ProgressCallback | None = None,
    ) -> Task:
        """``create`` then ``wait``; returns the COMPLETED task (raises as ``wait`` does).

        The waiting options left out (None) are the client's defaults, as for ``wait``.
        """
        self._wait_options(
            timeout=timeout, poll_interval=poll_interval, max_poll_interval=max_poll_interval
        )
        task = self.create(prompt, music_length_seconds, webhook_url=webhook_url)
        if on_update is not None:
            on_update(task)
        return self.wait(
            task,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            on_update=on_update,
        )

    @overload
    def download(self, task: Task | str, destination: str | os.PathLike[str]) -> Path: ...

    @overload
    def download(self, task: Task | str, destination: Writable) -> int: ...

    def download(
        self, task: Task | str, destination: str | os.PathLike[str] | Writable
    ) -> Path | int:
        """Stream the task's MP3 (or the URL given) to a path or a binary file object.

        The API key is not sent: result URLs are public and may live on another host. A path is
        written through a ``.part`` file renamed at the end, so it never holds half a track; the
        path is returned. For a file object the number of bytes written is returned.
        """
        request = self._build_download_request(task)
        response = self._send(request, idempotent=True, stream=True, follow_redirects=True)
        try:
            with map_httpx_errors(request):
                if isinstance(destination, str | os.PathLike):
                    return self._write_path(response, Path(destination))
                return self._write_file(response, destination)
        finally:
            response.close()

    @staticmethod
    def _write_file(response: httpx.Response, file: Writable) -> int:
        written = 0
        for chunk in response.iter_bytes(DOWNLOAD_CHUNK_SIZE):
            file.write(chunk)
            written += len(chunk)
        return written

    def _write_path(self, response: httpx.Response, path: Path) -> Path:
        partial = path.with_name(path.name + ".part")
        try:
            with partial.open("wb") as file:
                self._write_file(response, file)
            partial.replace(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return path
