"""GranianServer, the server behind ``freepik-mock serve``, driven in-process."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from freepik_mock.server import MockConfig
from freepik_mock.server.granian_server import GranianServer, _wsgi_runner

pytestmark = pytest.mark.live


def port_of(server: GranianServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_it_serves_until_stopped_and_then_frees_its_port() -> None:
    with GranianServer(config=MockConfig(request_log="off")) as server:
        assert httpx.get(server.url + "/_mock/health", timeout=5).json()["status"] == "ok"
        port = port_of(server)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_mock/health", timeout=5)
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


def test_a_server_never_started_frees_its_port_when_stopped() -> None:
    server = GranianServer(config=MockConfig(request_log="off"))
    port = port_of(server)
    server.stop()
    server.stop()  # idempotent
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


def test_a_taken_port_is_an_oserror_and_leaves_nothing_running() -> None:
    threads_before = set(threading.enumerate())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError, match="in use"):
            GranianServer(port=taken.getsockname()[1])
    assert set(threading.enumerate()) <= threads_before


def test_no_threads_is_refused() -> None:
    with pytest.raises(ValueError, match="threads"):
        GranianServer(threads=0)


def test_the_process_environment_does_not_reach_requests_as_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Were the process environment copied into each request's environ (granian's own WSGI
    # wrapper does so), this variable would read as the API key header of every request.
    monkeypatch.setenv("HTTP_X_FREEPIK_API_KEY", "leaked")
    with GranianServer(config=MockConfig(request_log="off", api_keys=("leaked",))) as server:
        answer = httpx.get(server.url + "/v1/ai/music-generation", timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"message": "Missing API key"}


def test_stop_cuts_short_a_request_held_by_a_delay_fault() -> None:
    with GranianServer(config=MockConfig(request_log="off")) as server:
        fault = {"match": {"path": "/v1/*"}, "delay_seconds": 60}
        assert httpx.post(server.url + "/_mock/faults", json=fault, timeout=5).status_code == 201
        answers: list[int] = []

        def held() -> None:
            answers.append(
                httpx.get(
                    server.url + "/v1/ai/music-generation",
                    headers={"x-freepik-api-key": "k"},
                    timeout=30,
                ).status_code
            )

        client = threading.Thread(target=held)
        client.start()
        faults = httpx.get(server.url + "/_mock/faults", timeout=5).json()["data"]
        while faults[0]["used"] == 0:
            faults = httpx.get(server.url + "/_mock/faults", timeout=5).json()["data"]
    # Stopping returned well within the 60 s delay (it waits 10 s at most); the request is answered.
    client.join()
    assert answers == [200]


def test_asyncio_still_works_in_the_process_after_a_server_ran() -> None:
    # The pytest plugin's users run async tests (the async client) in the same process.
    with GranianServer(config=MockConfig(request_log="off")) as server:
        assert httpx.get(server.url + "/_mock/health", timeout=5).status_code == 200

        async def tasks_seen() -> int:
            await asyncio.sleep(0)
            return len(asyncio.all_tasks())

        assert asyncio.run(tasks_seen()) == 1


class RecordingProtocol:
    """Stands in for granian's protocol object: records how each answer was handed over."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, Any]] = []

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.calls.append(("bytes", status, body))

    def response_iter(self, status: int, headers: list[tuple[str, str]], body: Any) -> None:
        self.calls.append(("iter", status, body))


def test_a_streamed_answer_is_handed_over_whole_so_it_leaves_in_one_write() -> None:
    # Head and body in separate writes make a keep-alive client wait for its delayed ACK.
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b'{"status":'
            yield b'"ok"}'

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "application/json")])
        return Body()

    proto = RecordingProtocol()
    status = _wsgi_runner(app)(proto, {"REQUEST_METHOD": "GET", "PATH_INFO": "/"})
    assert status == 200
    assert proto.calls == [("bytes", 200, b'{"status":"ok"}')]
    assert closed == [True]


def test_an_answer_failing_while_sent_fails_inside_granian_so_the_connection_drops() -> None:
    closed: list[bool] = []

    class Failing:
        def __iter__(self) -> Iterator[bytes]:
            raise ConnectionAbortedError("drop")
            yield b""  # pragma: no cover

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [])
        return Failing()

    proto = RecordingProtocol()
    _wsgi_runner(app)(proto, {"REQUEST_METHOD": "GET", "PATH_INFO": "/"})
    [(kind, status, body)] = proto.calls
    assert (kind, status) == ("iter", 200)
    with pytest.raises(ConnectionAbortedError):
        next(body)
    body.close()
    assert closed == [True]
