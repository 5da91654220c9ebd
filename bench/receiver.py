"""A fast local webhook receiver: a threaded HTTP/1.1 server that keeps every delivery.

It answers 204 at once and records the raw body and the ``webhook-*`` headers, so the benchmark
can count unique webhook-ids (nothing lost) and verify the signatures after the clock stops.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

__all__ = ["Delivery", "Receiver"]


@dataclass(frozen=True)
class Delivery:
    """One received request."""

    webhook_id: str
    task_id: str
    status: str
    body: bytes
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the mock's outbox reuses its connections
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            payload = json.loads(body)
            task_id, status = str(payload.get("task_id")), str(payload.get("status"))
        except (ValueError, AttributeError):
            task_id, status = "", ""
        self.server.receiver.record(
            Delivery(headers.get("webhook-id", ""), task_id, status, body, headers)
        )

    def log_message(self, format: str, *args: object) -> None:
        """Silent: thousands of deliveries would drown the table."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet about a sender closing its keep-alive connection; loud about anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class Receiver:
    """``with Receiver() as receiver: ... receiver.url``; stopped (and joined) on exit."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.deliveries: list[Delivery] = []
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        # A short poll: leaving the block (shutdown) waits for at most one poll interval.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def record(self, delivery: Delivery) -> None:
        """Keep one delivery and wake whoever waits."""
        with self._lock:
            self.deliveries.append(delivery)
            self._lock.notify_all()

    def clear(self) -> None:
        """Forget what was received."""
        with self._lock:
            self.deliveries.clear()

    def count(self) -> int:
        """How many deliveries arrived so far."""
        with self._lock:
            return len(self.deliveries)

    def wait_for(self, *, task_id: str, status: str, timeout: float = 30.0) -> bool:
        """Wait until ``task_id``'s ``status`` message arrived; False after ``timeout``."""
        with self._lock:
            return self._lock.wait_for(
                lambda: any(d.task_id == task_id and d.status == status for d in self.deliveries),
                timeout,
            )

    def wait_count(self, count: int, *, timeout: float = 60.0) -> bool:
        """Wait until ``count`` deliveries arrived; False after ``timeout``."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.deliveries) >= count, timeout)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
