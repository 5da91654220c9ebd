"""A real webhook receiver on 127.0.0.1: it records deliveries, answers from a script, verifies.

``WebhookReceiver`` is a small threaded HTTP server that records every request and answers from
a script: status codes, ``Reply(...)`` (status, headers, body), or one of ``HANG`` (hold the
request until released or stopped), ``RESET`` (abort the connection with a TCP reset) and
``GARBAGE`` (answer bytes that are not HTTP). Use it as a context manager so that it is always
stopped, and its threads joined, by the test that started it::

    with WebhookReceiver() as receiver:
        receiver.script(500, 200)
        ...  # point a task's webhook_url at receiver.url
        first, second = receiver.wait_for(2)

Given the mock's webhook ``secrets``, it checks each delivery's signature on arrival with the
reference client's ``verify_webhook``; ``Delivery.event`` is then the verified event and
``unverified`` lists the deliveries that failed, with the reason.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from freepik_mock.client import MusicAPIError, WebhookEvent, verify_webhook

__all__ = [
    "GARBAGE",
    "HANG",
    "RESET",
    "Delivery",
    "Reply",
    "WebhookReceiver",
]

HANG = "hang"
RESET = "reset"
GARBAGE = "garbage"


@dataclass(frozen=True)
class Reply:
    """A scripted answer, sent after ``delay`` seconds."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0


Action = int | Reply | str


@dataclass(frozen=True)
class Delivery:
    """One request the receiver got. ``headers`` has lower-case names."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    action: str
    #: The verified event, when the receiver was given secrets and the signature matched.
    event: WebhookEvent | None = None
    #: Why verification failed ("" when it passed or no secrets were given).
    verification_error: str = ""

    def json(self) -> Any:
        """The body, parsed."""
        return json.loads(self.body)

    @property
    def status(self) -> str | None:
        """The task status the delivery announces, or None when the body is not such a message."""
        return _field(self.body, "status")

    @property
    def task_id(self) -> str | None:
        """The task the delivery is about, or None when the body is not such a message."""
        return _field(self.body, "task_id")


def _field(body: bytes, name: str) -> str | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    found = value.get(name) if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so that server_close() joins every handler thread
    block_on_close = True
    receiver: WebhookReceiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``deliveries`` instead."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        receiver = self.server.receiver
        action = receiver._next_action()
        headers = {k.lower(): v for k, v in self.headers.items()}
        event, error = receiver._verify(body, headers)
        receiver._record(
            Delivery(
                method=self.command,
                path=self.path,
                headers=headers,
                body=body,
                action=action if isinstance(action, str) else "reply",
                event=event,
                verification_error=error,
            )
        )
        self.close_connection = True
        if action == HANG:
            receiver._hold()
            return
        if action == RESET:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if action == GARBAGE:
            self.wfile.write(b"this is not HTTP at all\r\n\r\n")
            return
        reply = action if isinstance(action, Reply) else Reply(status=int(action))
        if reply.delay:
            time.sleep(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()


class WebhookReceiver:
    """Records requests on ``http://127.0.0.1:<port>``; answers ``default`` once the script ends.

    With ``secrets`` (the mock's webhook secrets), every delivery's signature is verified.
    """

    def __init__(
        self,
        *,
        default: Action = 200,
        hang_limit: float = 30.0,
        secrets: Iterable[str] = (),
        tolerance: float = 300.0,
    ) -> None:
        self.default = default
        self.hang_limit = hang_limit
        self.secrets = tuple(secrets)
        self.tolerance = tolerance
        self._cond = threading.Condition()
        self._script: deque[Action] = deque()
        self._deliveries: list[Delivery] = []
        self._hanging = 0
        self._released = threading.Event()
        self._stopping = False
        self.connections = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        original_verify = self._server.verify_request

        def count_connection(request: Any, client_address: Any) -> bool:
            with self._cond:
                self.connections += 1
            return original_verify(request, client_address)

        self._server.verify_request = count_connection  # type: ignore[method-assign]
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        self._thread: threading.Thread | None = None

    # -- scripting and reading ------------------------------------------------------------------
    def url_for(self, path: str = "/webhook", *, host: str = "127.0.0.1") -> str:
        """A URL of this receiver with another path or host spelling."""
        return f"http://{host}:{self.port}{path}"

    def script(self, *actions: Action) -> None:
        """Answer the next requests with these actions, in order."""
        with self._cond:
            self._script.extend(actions)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every request so far, in arrival order."""
        with self._cond:
            return list(self._deliveries)

    @property
    def hanging(self) -> int:
        """How many requests are being held right now."""
        with self._cond:
            return self._hanging

    @property
    def unverified(self) -> list[Delivery]:
        """The deliveries whose signature did not verify (always empty without secrets)."""
        return [d for d in self.deliveries if d.verification_error]

    def wait_for(
        self,
        count: int = 1,
        *,
        status: str | None = None,
        task_id: str | None = None,
        timeout: float = 10.0,
    ) -> list[Delivery]:
        """Wait until ``count`` deliveries (of that ``status`` / ``task_id``, when given) arrived.

        Returns every matching delivery so far, in arrival order; raises AssertionError, showing
        what did arrive, when they do not come within ``timeout`` seconds.
        """

        def matching() -> list[Delivery]:
            return [
                d
                for d in self._deliveries
                if (status is None or d.status == status)
                and (task_id is None or d.task_id == task_id)
            ]

        with self._cond:
            if not self._cond.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                wanted = ", ".join(
                    f"{name}={value}"
                    for name, value in (("status", status), ("task_id", task_id))
                    if value is not None
                )
                raise AssertionError(
                    f"expected {count} deliveries{f' with {wanted}' if wanted else ''} within "
                    f"{timeout} s, got {len(matching())}; all so far: "
                    f"{[d.body for d in self._deliveries]}"
                )
            return matching()

    def wait_until(self, predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (checked whenever something happens)."""
        with self._cond:
            if not self._cond.wait_for(predicate, timeout=timeout):
                raise AssertionError("condition not reached")

    def release(self) -> None:
        """Let every request held now (``HANG``) end; later ``HANG`` answers hold again."""
        with self._cond:
            released, self._released = self._released, threading.Event()
        released.set()

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> WebhookReceiver:
        """Start serving (returns self)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="webhook-receiver",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release held requests and join every thread (idempotent)."""
        with self._cond:
            self._stopping = True
        self.release()
        thread, self._thread = self._thread, None
        if thread is not None:
            self._server.shutdown()
            thread.join()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- for the handler ---------------------------------------------------------------------------
    def _verify(self, body: bytes, headers: Mapping[str, str]) -> tuple[WebhookEvent | None, str]:
        if not self.secrets:
            return None, ""
        try:
            return verify_webhook(body, headers, self.secrets, tolerance=self.tolerance), ""
        except MusicAPIError as exc:
            return None, str(exc) or type(exc).__name__

    def _next_action(self) -> Action:
        with self._cond:
            return self._script.popleft() if self._script else self.default

    def _record(self, delivery: Delivery) -> None:
        with self._cond:
            self._deliveries.append(delivery)
            self._cond.notify_all()

    def _hold(self) -> None:
        with self._cond:
            if self._stopping:
                return
            self._hanging += 1
            released = self._released
            self._cond.notify_all()
        released.wait(self.hang_limit)
        with self._cond:
            self._hanging -= 1
            self._cond.notify_all()
