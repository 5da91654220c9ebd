"""Plain helpers for the client tests.

Payloads, a fake clock, and a blocking face for the async client.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal

from client import AsyncMusicClient

API_KEY = "test-key-0001"
OTHER_KEY = "test-key-0002"
BASE_URL = "https://api.test"
TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
RESULT_URL = "https://cdn.test/results/046b6c7f.mp3"
COLLECTION = f"{BASE_URL}/v1/ai/music-generation"
TASK_URL = f"{COLLECTION}/{TASK_ID}"
#: A few bytes that look like the start of an MP3 (frame sync), enough for download tests.
MP3_BYTES = b"\xff\xfb\x90\x64" + bytes(range(256)) * 40


def task_body(
    status: str = "CREATED",
    *,
    task_id: str = TASK_ID,
    generated: list[str] | None = None,
    wrapped: bool = True,
) -> dict[str, Any]:
    """A task as the API sends it (``wrapped``: inside ``{"data": ...}``)."""
    if generated is None:
        generated = [RESULT_URL] if status == "COMPLETED" else []
    task = {"task_id": task_id, "status": status, "generated": generated}
    return {"data": task} if wrapped else task


def task_response(status: str = "CREATED", **options: Any) -> httpx.Response:
    """A 200 answer carrying ``task_body(status, **options)``."""
    return httpx.Response(200, json=task_body(status, **options))


class FakeTime:
    """A monotonic clock that only moves when something sleeps; it records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.on_sleep: list[Callable[[float], object]] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"asked to sleep a negative time: {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds
        for listener in self.on_sleep:
            listener(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


class BlockingAsyncClient:
    """``AsyncMusicClient`` driven from synchronous test code through an anyio portal.

    Coroutine methods run in the portal's event loop and their results (or errors) come back
    unchanged, so one test body exercises both clients.
    """

    def __init__(self, client: AsyncMusicClient, portal: BlockingPortal) -> None:
        self.wrapped = client
        self._portal = portal

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.wrapped, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._portal.call(functools.partial(attribute, *args, **kwargs))

        return call

    def close(self) -> None:
        self._portal.call(self.wrapped.aclose)

    def __enter__(self) -> BlockingAsyncClient:
        self._portal.call(self.wrapped.__aenter__)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def wsgi_handler(app: Any) -> Callable[[httpx.Request], httpx.Response]:
    """A handler for ``httpx.MockTransport`` that answers from a WSGI app, for either client.

    ``httpx.WSGITransport`` is synchronous; this reads its answer fully so that an async client
    can use it too.
    """
    transport = httpx.WSGITransport(app=app)

    def handle(request: httpx.Request) -> httpx.Response:
        response = transport.handle_request(request)
        content = response.read()
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    return handle


def calls_to(handler_calls: list[httpx.Request], method: str, path: str) -> int:
    """How many recorded requests had this method and path."""
    return sum(1 for r in handler_calls if r.method == method and r.url.path == path)
