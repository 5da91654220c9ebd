"""GranianServer, the server behind ``freepik-mock serve``, driven in-process."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from freepik_mock.server import MockConfig
from freepik_mock.server.granian_server import GranianServer
from freepik_mock.server.rsgi_bridge import rsgi_bridge

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


class Headers(dict[str, str]):
    """Stands in for granian's RSGI headers (lower-case names)."""


class Scope:
    """Stands in for granian's RSGI scope."""

    method = "POST"
    path = "/a%20b/%C3%A9x"
    query_string = "q=1%202"
    server = "127.0.0.1:8080"
    client = "127.0.0.1:50000"
    http_version = "1.1"
    scheme = "http"

    def __init__(self, body: bytes = b"") -> None:
        self.headers = Headers({"host": "127.0.0.1:8080", "x-foo_bar": "b"})
        if body:
            self.headers["content-length"] = str(len(body))
            self.headers["content-type"] = "application/json"


class RecordingProtocol:
    """Stands in for granian's RSGI protocol: hands over a body, records each answer."""

    def __init__(self, body: bytes = b"") -> None:
        self.body = body
        self.calls: list[tuple[str, int, Any]] = []

    async def __call__(self) -> bytes:
        return self.body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.calls.append(("bytes", status, body))

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Any:
        self.calls.append(("stream", status, headers))
        calls = self.calls

        class Transport:
            async def send_bytes(self, data: bytes) -> None:
                calls.append(("sent", status, data))

        return Transport()


def run_bridge(app: Any, scope: Scope, proto: RecordingProtocol, *, offload: bool = False) -> None:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pool") as executor:
        bridge = rsgi_bridge(app, executor=executor, limit=1024, may_block=lambda path: offload)
        asyncio.run(bridge(scope, proto))


def test_the_app_gets_the_wsgi_environ_with_the_whole_body() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        seen.update(environ, body=environ["wsgi.input"].read())
        start_response("201 Created", [("Content-Type", "text/plain")])
        return [b"made"]

    proto = RecordingProtocol(b'{"x":1}')
    run_bridge(app, Scope(b'{"x":1}'), proto)
    assert proto.calls == [("bytes", 201, b"made")]
    assert seen["body"] == b'{"x":1}'
    assert seen["REQUEST_METHOD"] == "POST"
    # WSGI's PATH_INFO: percent-decoded, one character per byte of the UTF-8.
    assert seen["PATH_INFO"] == "/a b/\u00c3\u00a9x"
    assert seen["QUERY_STRING"] == "q=1%202"
    assert (seen["CONTENT_LENGTH"], seen["CONTENT_TYPE"]) == ("7", "application/json")
    assert (seen["HTTP_HOST"], seen["HTTP_X_FOO_BAR"]) == ("127.0.0.1:8080", "b")
    assert (seen["SERVER_NAME"], seen["SERVER_PORT"], seen["REMOTE_ADDR"]) == (
        "127.0.0.1",
        "8080",
        "127.0.0.1",
    )
    assert (seen["SERVER_PROTOCOL"], seen["wsgi.url_scheme"]) == ("HTTP/1.1", "http")


@pytest.mark.parametrize("offload", [False, True])
def test_the_app_runs_on_the_pool_only_while_a_request_may_block(offload: bool) -> None:
    threads: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        threads.append(threading.current_thread().name)
        start_response("200 OK", [])
        return [b"ok"]

    proto = RecordingProtocol()
    run_bridge(app, Scope(), proto, offload=offload)
    assert proto.calls == [("bytes", 200, b"ok")]
    assert [name.startswith("pool") for name in threads] == [offload]


def test_a_body_announced_over_the_limit_is_not_read() -> None:
    seen: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        seen.append(environ["wsgi.input"].read())
        start_response("400 Bad Request", [])
        return [b"too large"]

    scope = Scope(b"x" * 2048)
    run_bridge(app, scope, RecordingProtocol(b"x" * 2048))
    assert seen == [b""]


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
    run_bridge(app, Scope(), proto)
    assert proto.calls == [("bytes", 200, b'{"status":"ok"}')]
    assert closed == [True]


@pytest.mark.parametrize("offload", [False, True])
def test_an_answer_failing_is_a_stream_cut_short_so_the_connection_drops(offload: bool) -> None:
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
    with pytest.raises(ConnectionAbortedError):
        run_bridge(app, Scope(), proto, offload=offload)
    # One byte of the two announced: granian closes the connection, no answer completes.
    assert proto.calls == [
        ("stream", 200, [("content-length", "2")]),
        ("sent", 200, b"{"),
    ]
    assert closed == [True]
