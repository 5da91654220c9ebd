"""GranianServer, the server behind ``freepik-mock serve``, driven in-process."""

from __future__ import annotations

import asyncio
import socket
import threading

import httpx
import pytest

from freepik_mock.server import MockConfig
from freepik_mock.server.granian_server import GranianServer

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
