"""Attempts to different receivers run in parallel, and a burst to one receiver reuses a few
kept-alive connections: what makes an advance over many tasks fast (see bench/bench_webhooks.py
for the figures; no timing is asserted here)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flask import Flask

from freepik_mock.contract.receiver import HANG, WebhookReceiver
from freepik_mock.server.web import close_app, get_state
from freepik_mock.server.webhooks.lanes import Lanes, lane_key
from tests.server.webhook_support import advance, create, log

WAIT = 30.0
RECEIVERS = 50


def test_an_advance_over_50_hung_receivers_holds_all_their_attempts_at_once(
    make_app: Callable[..., Flask],
) -> None:
    # If attempts to different receivers ran one after the other, an advance would cost one
    # timeout per receiver; here every receiver holds its request open at the same moment.
    client = make_app(webhook_timeout=60, webhook_on_created=False).test_client()
    with contextlib.ExitStack() as stack:
        receivers = [stack.enter_context(WebhookReceiver(default=HANG)) for _ in range(RECEIVERS)]
        task_ids = [create(client, receiver.url) for receiver in receivers]
        answers: list[int] = []
        mover = threading.Thread(
            target=lambda: answers.append(
                client.post("/_mock/clock/advance", json={"seconds": 1}).status_code
            )
        )
        mover.start()
        try:
            for receiver in receivers:
                receiver.wait_until(lambda receiver=receiver: receiver.hanging == 1, timeout=WAIT)
            assert mover.is_alive()  # advance waits for the attempts it made due
        finally:
            for receiver in receivers:
                receiver.release()
            mover.join(WAIT)
        assert answers == [200]
        for task_id in task_ids:
            (in_progress,) = log(client, task_id)
            assert len(in_progress["attempts"]) == 1
            assert in_progress["attempts"][0]["status_code"] is None  # hung up without answer
            assert in_progress["state"] == "pending"  # retried at 1 + 5 s


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """Answers 204 and keeps the connection open (HTTP/1.1), as most servers do."""

    protocol_version = "HTTP/1.1"
    server: _KeepAliveServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.ids.append(self.headers["webhook-id"])
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
        # Closed without saying so (no "Connection: close"): the client finds out when idle.
        self.close_connection = self.server.close_after_answer


class _KeepAliveServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _KeepAliveHandler)
        self.lock = threading.Lock()
        self.ids: list[str] = []
        self.connections = 0
        self.close_after_answer = False

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.lock:
            self.connections += 1
        return True


@contextlib.contextmanager
def keep_alive_receiver() -> Iterator[_KeepAliveServer]:
    server = _KeepAliveServer()
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_a_burst_to_one_receiver_reuses_a_few_kept_alive_connections_and_loses_nothing(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(webhook_workers=4)
    client = app.test_client()
    with keep_alive_receiver() as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        task_ids = [create(client, url) for _ in range(40)]
        advance(client, 10)
        messages = [message for task_id in task_ids for message in log(client, task_id)]
        assert len(messages) == 120
        assert all(message["state"] == "delivered" for message in messages)
        # Every message arrived once, over at most one connection per worker of the lane.
        assert sorted(server.ids) == sorted(message["webhook_id"] for message in messages)
        assert 1 <= server.connections <= 4
        outbox = get_state(app).webhooks
        assert outbox is not None
        kept = outbox.sender.deliverer.pool.idle(("http", "127.0.0.1", server.server_address[1]))
        assert 1 <= kept <= 4
        # A reset closes them (so does a lane with nothing to do for a moment): the receiver's
        # threads end, and it stops without waiting for the mock.
        assert client.post("/_mock/reset").status_code == 200
        assert (
            outbox.sender.deliverer.pool.idle(("http", "127.0.0.1", server.server_address[1])) == 0
        )


def test_a_kept_alive_connection_the_receiver_closed_is_replaced_without_a_failed_attempt(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(webhook_on_created=False)
    client = app.test_client()
    with keep_alive_receiver() as server:
        server.close_after_answer = True  # like a server whose idle timeout is very short
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        task_id = create(client, url)
        advance(client, 5)
        messages = log(client, task_id)
        assert [m["state"] for m in messages] == ["delivered", "delivered"]
        assert [len(m["attempts"]) for m in messages] == [1, 1]  # no failed attempt in between
        assert server.connections == 2
        close_app(app)


def test_a_lane_with_nothing_to_do_ends_its_threads_and_says_so() -> None:
    drained: list[object] = []
    ended = threading.Event()

    def on_drained(key: object) -> None:
        drained.append(key)
        ended.set()

    lanes = Lanes(per_target=2, name="test-drain", linger=0.01, on_drained=on_drained)
    key = lane_key("http://127.0.0.1:9001/hook")
    ran = threading.Event()
    try:
        assert lanes.submit(key, ran.set)
        assert ran.wait(WAIT)
        assert ended.wait(WAIT)
        assert drained == [key]
        assert lanes.load(key) == (0, 0)
    finally:
        lanes.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("test-drain")]
