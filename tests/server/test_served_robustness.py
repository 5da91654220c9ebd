"""Issue 13 on the served server: no client can lock ``freepik-mock serve`` out.

Each test starts ``freepik-mock serve`` as a subprocess on a free 127.0.0.1 port and stops it.
Generous client timeouts are the failure condition (an answer that never comes); nothing here
asserts how long anything took.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.live

KEY = {"x-freepik-api-key": "k"}
CREATE = {"prompt": "calm piano", "music_length_seconds": 10}
#: Long enough for any answer on a loaded machine; a lock-out would last far longer.
PATIENCE = 5.0


class Served:
    """A running ``freepik-mock serve`` and its URL."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "freepik_mock", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first
        while "request log" not in self.process.stdout.readline():
            pass
        self.url = first.rsplit(" ", 1)[-1].strip()
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self) -> tuple[str, str]:
        """SIGTERM, then what the process printed (it must have exited cleanly)."""
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, err
        return out, err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=10)


@pytest.fixture
def served() -> Iterator[Served]:
    server = Served("--quiet")
    try:
        yield server
    finally:
        server.kill()


def answers(url: str) -> None:
    """Health and a create both answer 200 (within PATIENCE)."""
    with httpx.Client(base_url=url, timeout=PATIENCE) as http:
        assert http.get("/_mock/health").status_code == 200
        assert http.post("/v1/ai/music-generation", json=CREATE, headers=KEY).status_code == 200


def raw_exchange(port: int, data: bytes) -> bytes:
    """What the server sends back for ``data`` until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_idle_and_byte_at_a_time_clients_do_not_lock_others_out(served: Served) -> None:
    idle = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(300)]
    slow = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(200)]
    head = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    try:
        for byte in head[:12]:
            for sock in slow:
                sock.sendall(bytes([byte]))
            answers(served.url)
    finally:
        for sock in idle + slow:
            sock.close()


def test_an_incomplete_request_is_closed_after_a_deadline(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127")
        # The header deadline is 10 s; the client waits up to 30 s for the server to hang up.
        sock.settimeout(30)
        assert sock.recv(1024) == b""
    answers(served.url)


STALLED_HEAD = (
    b"POST /v1/ai/music-generation HTTP/1.1\r\nHost: 127.0.0.1\r\nx-freepik-api-key: k\r\n"
    b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    b'{"prompt":'
)


def test_300_stalled_request_bodies_do_not_lock_others_out(served: Served) -> None:
    # More than --threads (128): a body that trickles in must not hold a request thread.
    stalled = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(300)]
    try:
        for sock in stalled:
            sock.sendall(STALLED_HEAD)
        answers(served.url)
        with httpx.Client(base_url=served.url, timeout=PATIENCE) as http:
            assert http.get("/_mock/requests").status_code == 200
        answers(served.url)
    finally:
        for sock in stalled:
            sock.close()


def test_a_stalled_body_gets_a_408_after_the_deadline_and_is_closed(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(STALLED_HEAD)
        # The body deadline is 10 s; the client waits up to 30 s for the answer and the close.
        sock.settimeout(30)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in head.lower()
    assert json.loads(body)["message"].startswith("Request Timeout")
    answers(served.url)
    with httpx.Client(base_url=served.url, timeout=PATIENCE) as http:
        # The refused request never reached the app: only the create of ``answers`` is journaled.
        journal = http.get("/_mock/requests").json()["data"]
    assert [entry["status"] for entry in journal] == [200]


def test_an_http_0_9_line_is_refused_and_closed(served: Served) -> None:
    received = raw_exchange(served.port, b"GET /_mock/health\r\n")
    assert received.startswith(b"HTTP/1.1 400 ")
    answers(served.url)


def test_a_request_with_bare_lf_line_endings_is_answered(served: Served) -> None:
    received = raw_exchange(
        served.port, b"GET /_mock/health HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n"
    )
    assert received.startswith(b"HTTP/1.1 200 ")
    assert b'"status":"ok"' in received


def test_a_body_announced_over_the_limit_is_refused_before_it_is_sent(served: Served) -> None:
    # Only the head is sent: the answer must not wait for the 100 MB it announces.
    with socket.create_connection(("127.0.0.1", served.port), timeout=PATIENCE) as sock:
        sock.sendall(
            b"POST /v1/ai/music-generation HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"x-freepik-api-key: k\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n"
        )
        received = b""
        while b"}" not in received and (chunk := sock.recv(65536)):
            received += chunk
    assert received.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"Request body must not be larger than 1048576 bytes" in received
    answers(served.url)


def test_a_chunked_body_over_the_limit_is_refused(served: Served) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"prompt": "'
        for _ in range(2048):
            yield b"x" * 1024

    answer = httpx.post(
        served.url + "/v1/ai/music-generation",
        content=chunks(),
        headers={**KEY, "Content-Type": "application/json"},
        timeout=PATIENCE,
    )
    assert answer.status_code == 400
    assert answer.json()["invalid_params"] == [
        {"name": "body", "reason": "Request body must not be larger than 1048576 bytes"}
    ]


def test_a_chunked_body_within_the_limit_is_read_whole(served: Served) -> None:
    # No Content-Length: the body is read in pieces until it ends; a prompt of 300 KB
    # arrives whole (and is refused by the spec for its length, not cut).
    def chunks() -> Iterator[bytes]:
        yield b'{"music_length_seconds": 10, "prompt": "'
        for _ in range(300):
            yield b"y" * 1024
        yield b'"}'

    answer = httpx.post(
        served.url + "/v1/ai/music-generation",
        content=chunks(),
        headers={**KEY, "Content-Type": "application/json"},
        timeout=PATIENCE,
    )
    assert answer.status_code == 400
    assert [p["name"] for p in answer.json()["invalid_params"]] == ["prompt"]
    small = httpx.post(
        served.url + "/v1/ai/music-generation",
        content=iter([b'{"prompt": "calm piano", ', b'"music_length_seconds": 10}']),
        headers={**KEY, "Content-Type": "application/json"},
        timeout=PATIENCE,
    )
    assert (small.status_code, small.json()["data"]["status"]) == (200, "CREATED")


def test_the_control_api_answers_while_64_requests_are_held_by_a_delay(served: Served) -> None:
    delay = 4
    with httpx.Client(base_url=served.url, timeout=PATIENCE) as control:
        fault = {"match": {"path": "/v1/*"}, "delay_seconds": delay}
        assert control.post("/_mock/faults", json=fault).status_code == 201
        statuses: list[int] = []
        errors: list[BaseException] = []

        def held() -> None:
            try:
                with httpx.Client(base_url=served.url, timeout=delay + 30) as http:
                    statuses.append(
                        http.post("/v1/ai/music-generation", json=CREATE, headers=KEY).status_code
                    )
            except BaseException as error:  # reported below
                errors.append(error)

        clients = [threading.Thread(target=held) for _ in range(64)]
        for client in clients:
            client.start()
        try:
            # Every held request has arrived once the fault counts 64 uses (the journal records
            # a request only when it is answered).
            while control.get("/_mock/faults").json()["data"][0]["used"] < 64:
                assert control.get("/_mock/health").status_code == 200
                assert any(client.is_alive() for client in clients), errors
            assert control.get("/_mock/health").status_code == 200
            assert control.delete("/_mock/faults").status_code == 204
        finally:
            for client in clients:
                client.join()
    # Held requests are not released by the delete: each finishes its delay, then is answered.
    assert errors == []
    assert statuses == [200] * 64
    answers(served.url)


def test_a_drop_fault_closes_the_connection_without_an_answer() -> None:
    server = Served()
    try:
        with httpx.Client(base_url=server.url, timeout=PATIENCE) as http:
            fault = {"match": {"path": "/v1/*"}, "drop_connection": True, "times": 1}
            assert http.post("/_mock/faults", json=fault).status_code == 201
            with pytest.raises(httpx.RemoteProtocolError):
                http.post("/v1/ai/music-generation", json=CREATE, headers=KEY).read()
            assert http.post("/v1/ai/music-generation", json=CREATE, headers=KEY).status_code == 200
            journal = http.get("/_mock/requests").json()["data"]
        assert [entry["status"] for entry in journal] == [None, 200]
        out, err = server.stop()
    finally:
        server.kill()
    assert "POST /v1/ai/music-generation  dropped" in out
    assert "fault flt_1" in out
    assert "Traceback" not in err


def test_sigterm_stops_the_server_with_idle_and_busy_connections_open() -> None:
    server = Served("--quiet")
    try:
        idle = socket.create_connection(("127.0.0.1", server.port))
        keep_alive = httpx.Client(base_url=server.url, timeout=PATIENCE)
        assert keep_alive.get("/_mock/health").status_code == 200
        with httpx.Client(base_url=server.url, timeout=PATIENCE) as http:
            fault = {"match": {"path": "/v1/*"}, "delay_seconds": 60}
            assert http.post("/_mock/faults", json=fault).status_code == 201
        held = threading.Thread(target=_held_request, args=(server.url,))
        held.start()
        out, err = server.stop()
        held.join()
        idle.close()
        keep_alive.close()
    finally:
        server.kill()
    assert "freepik-mock stopped" in out
    assert "Traceback" not in err


def _held_request(url: str) -> None:
    # Answered or cut off by the stop: either is fine, a hang is not (the join would wait).
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(url + "/v1/ai/music-generation", headers=KEY, timeout=60)


def test_a_control_call_waiting_on_a_hung_receiver_does_not_hold_other_clients() -> None:
    # An ad-hoc send answers once its attempt ends (up to --webhook-timeout): it must wait on a
    # thread of its own, never on the loop that reads every other client's request.
    server = Served("--quiet", "--webhook-timeout", "20")
    connected, release = threading.Event(), threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as hung:
        hook = f"http://127.0.0.1:{hung.getsockname()[1]}/hook"

        def accept_and_say_nothing() -> None:
            with contextlib.suppress(OSError):
                conn, _ = hung.accept()
                with conn:
                    connected.set()
                    release.wait(60)  # never answers, holding the connection open

        def send_to_the_hung_receiver() -> None:
            with contextlib.suppress(httpx.HTTPError):  # cut short when the server stops
                body = {"url": hook, "status": "COMPLETED"}
                httpx.post(server.url + "/_mock/webhooks/send", json=body, timeout=60)

        receiver = threading.Thread(target=accept_and_say_nothing, daemon=True)
        sender = threading.Thread(target=send_to_the_hung_receiver, daemon=True)
        receiver.start()
        sender.start()
        try:
            assert connected.wait(PATIENCE * 2), "the mock never tried the receiver"
            answers(server.url)
        finally:
            release.set()
            server.stop()
            receiver.join(PATIENCE)
            sender.join(PATIENCE)
