"""The HTTP of one attempt against receivers that answer in awkward but legal (or slow) ways:
a dripped answer still ends by the attempt's deadline, a chunked answer keeps its connection,
an answer cut at the cap does not, and a narrowed allow-list holds for URLs already sent to."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from freepik_mock.server.web import get_state
from freepik_mock.server.webhooks import AllowList, TargetPolicy
from tests.server.webhook_support import advance, create, log

Handler = Callable[[socket.socket, threading.Event], None]


class _RawReceiver:
    """A loopback server that hands each connection to ``handler``, one thread per connection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # a short poll: stopping waits at most this long
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self._threads: list[threading.Thread] = []

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            thread = threading.Thread(target=self._handle, args=(conn,))
            self._threads.append(thread)
            thread.start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self.handler(conn, self.stop)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()


@contextlib.contextmanager
def raw_receiver(handler: Handler) -> Iterator[_RawReceiver]:
    receiver = _RawReceiver(handler)
    thread = threading.Thread(target=receiver.serve)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stop.set()
        thread.join()
        receiver.join()
        receiver.listener.close()


def read_request(conn: socket.socket) -> bool:
    """Read one request (head and Content-Length body); False when the sender closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        body += chunk
    return True


def answer_each(answer: bytes) -> Handler:
    """Answer every request on the connection with ``answer``, until the sender closes."""

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        while read_request(conn):
            conn.sendall(answer)

    return handle


def test_a_receiver_dripping_its_answer_still_times_out_at_the_attempt_deadline(
    make_app: Callable[..., Flask],
) -> None:
    # Every byte comes well within the timeout of the one before it: only a deadline over the
    # whole attempt (not one per read) ends it, before the answer would have been complete.
    def drip(conn: socket.socket, stop: threading.Event) -> None:
        if not read_request(conn):
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(40):
            if stop.wait(0.05):
                return
            conn.sendall(b"X-Drip: 1\r\n")
        conn.sendall(b"Content-Length: 0\r\n\r\n")

    client = make_app(webhook_timeout=0.5, webhook_on_created=False).test_client()
    with raw_receiver(drip) as receiver:
        task_id = create(client, receiver.url)
        advance(client, 1)
        attempt = log(client, task_id)[0]["attempts"][0]
    assert attempt["status_code"] is None
    assert attempt["error"] == "timed out after 0.5 s"


def test_a_chunked_answer_is_read_whole_and_its_connection_kept_for_the_next_message(
    make_app: Callable[..., Flask],
) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nthe\r\n4\r\n end\r\n0\r\n\r\n"
    )
    client = make_app(webhook_on_created=False).test_client()
    with raw_receiver(answer_each(chunked)) as receiver:
        task_id = create(client, receiver.url)
        advance(client, 5)
        messages = log(client, task_id)
        connections = receiver.connections
    assert [m["state"] for m in messages] == ["delivered", "delivered"]
    assert [a["response_body"] for m in messages for a in m["attempts"]] == ["the end"] * 2
    assert connections == 1


def test_an_answer_longer_than_the_cap_is_cut_and_its_connection_not_reused(
    make_app: Callable[..., Flask],
) -> None:
    # The rest of a cut answer is never read: a request sent after it on the same connection
    # would read that rest as its answer.
    long = b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + b"y" * 4096
    client = make_app(webhook_response_cap=1024, webhook_on_created=False).test_client()
    with raw_receiver(answer_each(long)) as receiver:
        task_id = create(client, receiver.url)
        advance(client, 5)
        messages = log(client, task_id)
        connections = receiver.connections
    assert [m["state"] for m in messages] == ["delivered", "delivered"]
    assert [len(m["attempts"]) for m in messages] == [1, 1]
    assert [m["attempts"][0]["response_body"] for m in messages] == ["y" * 1024] * 2
    assert connections == 2


def test_an_answer_that_closes_the_connection_is_not_reused(
    make_app: Callable[..., Flask],
) -> None:
    def once(conn: socket.socket, stop: threading.Event) -> None:
        if read_request(conn):
            conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")

    client = make_app(webhook_on_created=False).test_client()
    with raw_receiver(once) as receiver:
        task_id = create(client, receiver.url)
        advance(client, 5)
        messages = log(client, task_id)
        connections = receiver.connections
    assert [m["state"] for m in messages] == ["delivered", "delivered"]
    assert [len(m["attempts"]) for m in messages] == [1, 1]
    assert connections == 2


@pytest.mark.parametrize("narrowed", ["policy", "allow-list"])
def test_a_narrowed_allow_list_blocks_an_address_url_that_was_sent_to_before(
    make_app: Callable[..., Flask], narrowed: str
) -> None:
    app = make_app(webhook_on_created=False)
    client = app.test_client()
    with raw_receiver(answer_each(b"HTTP/1.1 204 No Content\r\n\r\n")) as receiver:
        first = create(client, receiver.url)
        advance(client, 5)
        outbox = get_state(app).webhooks
        assert outbox is not None
        if narrowed == "policy":
            outbox.sender.targets = TargetPolicy(allow=["127.0.0.2"])
        else:
            outbox.sender.targets.allow = AllowList.parse(["127.0.0.2"])
        second = create(client, receiver.url)
        advance(client, 5)
    assert [m["state"] for m in log(client, first)] == ["delivered", "delivered"]
    blocked = log(client, second)
    assert [m["state"] for m in blocked] == ["blocked", "blocked"]
    assert "127.0.0.1, which is not an allowed webhook target" in blocked[0]["blocked_reason"]
