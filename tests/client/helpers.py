"""Plain helpers for the client tests.

Payloads, a fake clock, a blocking face for the async client, signed webhook headers, MP3
durations, a handle on a live mock, and running the CLI.
"""

from __future__ import annotations

import functools
import inspect
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal
from click.testing import CliRunner, Result

from freepik_mock.client import AsyncMusicClient, MusicAPIError, sign_webhook, verify_webhook
from freepik_mock.client.cli import main as cli_main
from freepik_mock.server.live import LiveServer

API_KEY = "test-key-0001"
OTHER_KEY = "test-key-0002"
BASE_URL = "https://api.test"
TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
RESULT_URL = "https://cdn.test/results/046b6c7f.mp3"
COLLECTION = f"{BASE_URL}/v1/ai/music-generation"
TASK_URL = f"{COLLECTION}/{TASK_ID}"
#: A few bytes that look like the start of an MP3 (frame sync), enough for download tests.
MP3_BYTES = b"\xff\xfb\x90\x64" + bytes(range(256)) * 40
#: The live mock signs its webhooks with this (a raw secret: its UTF-8 bytes are the key).
WEBHOOK_SECRET = "test-webhook-secret"


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


def signed_headers(
    body: bytes | str, secret: str, *, msg_id: str = "msg_test_0001", at: int
) -> dict[str, str]:
    """The three webhook headers of a delivery of ``body`` signed with ``secret`` at ``at``."""
    signature = sign_webhook(body, webhook_id=msg_id, timestamp=at, secret=secret)
    return {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}


def mp3_duration(data: bytes) -> tuple[float, float]:
    """The decoded duration of an MP3 and the duration of one of its frames, in seconds."""
    import miniaudio

    info = miniaudio.mp3_get_info(data)
    # Layer III frames hold 1152 samples at MPEG-1 rates (32 kHz and up), 576 below.
    samples_per_frame = 1152 if info.sample_rate >= 32000 else 576
    return float(info.duration), samples_per_frame / info.sample_rate


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connecting is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveMock:
    """A mock serving on 127.0.0.1 through waitress, and a control-API client for it."""

    server: LiveServer
    control: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.control.post(path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    def fault(self, **rule: Any) -> None:
        self.post("/_mock/faults", rule)

    def scenario(self, **rule: Any) -> None:
        self.post("/_mock/scenarios", rule)

    def journal(self, *, method: str | None = None, path: str | None = None) -> list[Any]:
        params = {name: value for name, value in (("method", method), ("path", path)) if value}
        response = self.control.get("/_mock/requests", params=params)
        response.raise_for_status()
        return list(response.json()["data"])


#: Variables the CLI reads; every run starts without them unless a test sets them.
CLI_ENV = ("FREEPIK_API_KEY", "FREEPIK_API_BASE_URL", "FREEPIK_WEBHOOK_SECRET")


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    input: bytes | str | None = None,
    obj: Any = None,
) -> Result:
    """Run ``freepik-music`` in-process; stdout and stderr are kept apart."""
    environment: dict[str, str | None] = dict.fromkeys(CLI_ENV)
    environment.update(env or {})
    return CliRunner().invoke(cli_main, list(args), env=environment, input=input, obj=obj)


def error_line(result: Result, *, exit_code: int) -> str:
    """The one ``Error:`` line a failed command printed, after checking it failed cleanly.

    Any error but a usage error (exit 2) is all there is on stderr, bar progress lines and retry
    notices; a usage error comes with click's usage hint.
    """
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    if exit_code != 2:
        notices = ("[", "retry ")
        others = [line for line in result.stderr.splitlines() if not line.startswith(notices)]
        assert others == errors, result.stderr
    return errors[0]


@dataclass(frozen=True)
class ReceivedDelivery:
    """A request the receiver got: as saved to a file (request line, headers, blank, body)."""

    raw: bytes
    outcome: str


@dataclass
class WebhookReceiver:
    """Where ``webhook_receiver`` listens, and what it received."""

    url: str
    deliveries: list[ReceivedDelivery] = field(default_factory=list)


class ReceiverHandler(BaseHTTPRequestHandler):
    """An integrator's ``http.server`` handler: verifies each delivery with ``self.headers``."""

    receiver: WebhookReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            event = verify_webhook(body, self.headers, WEBHOOK_SECRET)
        except MusicAPIError as error:
            outcome, status = f"rejected: {error}", 400
        else:
            outcome, status = f"verified: {event.task.task_id} {event.task.status.value}", 204
        head = [self.requestline, *(f"{name}: {value}" for name, value in self.headers.items())]
        raw = "".join(line + "\r\n" for line in head).encode("latin-1") + b"\r\n" + body
        self.receiver.deliveries.append(ReceivedDelivery(raw=raw, outcome=outcome))
        self.send_response(status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""
