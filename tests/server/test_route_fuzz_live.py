"""The route fuzz over raw HTTP: bytes on a socket to a live server never get a 500.

A bounded run (``tests/profiles.py``) against each real server (``LiveServer`` on waitress and
``GranianServer``, started and stopped by the module), so that the servers' own parsing is
fuzzed too: malformed request
lines, bare LF inside a head, repeated or invalid ``Content-Length``, broken chunked bodies, odd
Host headers, on top of everything the in-process fuzz (``test_route_fuzz.py``) sends. After each
case the mock must answer its health check and must have recorded no unexpected error.

Found and not fixed here (waitress's parser): a head whose lines all end in a bare LF is never
complete to waitress (it ends a head only at CRLF CRLF), so such a request gets no answer from
``LiveServer``; the connection is closed after the idle timeout (``live.IDLE_TIMEOUT_SECONDS``,
15 s). granian answers it. The generator therefore always ends a head in CRLF CRLF and puts bare
LFs inside it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from http.client import HTTPConnection
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freepik_mock.contract.loopback import LoopbackGuard
from freepik_mock.contract.receiver import WebhookReceiver
from freepik_mock.contract.server_suite import resolve_webhook_hosts_offline
from freepik_mock.server import MockConfig
from freepik_mock.server.granian_server import GranianServer
from freepik_mock.server.live import LiveServer
from freepik_mock.server.web.state import get_state
from tests.conftest import API_KEY, OTHER_KEY
from tests.server.route_fuzz_figures import Figures, session_figures
from tests.server.route_fuzz_support import fuzz_settings, raw_requests, seed_ids
from tests.server.route_fuzz_values import Ids

AUTH = {"x-freepik-api-key": API_KEY}
#: The two servers the mock ships: both are fuzzed, since each parses requests its own way.
Server = LiveServer | GranianServer


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """The session's figures, written at the end of the terminal summary."""
    return session_figures(request.config)


@pytest.fixture(scope="module", params=["waitress", "granian"])
def live(request: pytest.FixtureRequest) -> Iterator[tuple[Server, Ids]]:
    """A live mock (manual clock) with seeded ids, on ``LiveServer`` (waitress: tests, plugin)
    or ``GranianServer`` (``freepik-mock serve``); stopped, with its receiver, after the module."""
    kind = GranianServer if request.param == "granian" else LiveServer
    config = MockConfig(api_keys=(API_KEY, OTHER_KEY), clock="manual", webhook_max_retries=1)
    with (
        LoopbackGuard(reason="the route fuzz talks to 127.0.0.1 only"),
        WebhookReceiver() as receiver,
        kind(config=config, threads=2) as server,
    ):
        resolve_webhook_hosts_offline(server.app)
        get_state(server.app).sleep = lambda seconds: None

        def call(method: str, path: str, body: Any) -> Any:
            status, data = http_call(server, method, path, body)
            assert status < 300, (path, status, data)
            return json.loads(data)

        yield server, seed_ids(call, receiver.url)


def http_call(server: Server, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    """One well-formed request over a fresh connection: (status, body)."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    connection = HTTPConnection(host, int(port), timeout=10)
    try:
        payload = None if body is None else json.dumps(body).encode()
        headers = dict(AUTH) | ({"Content-Type": "application/json"} if payload else {})
        connection.request(method, path, body=payload, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def raw_exchange(server: Server, data: bytes) -> tuple[bytes, bool]:
    """Send ``data`` on a new connection: the bytes answered up to the end of the head (or EOF),
    and whether all of ``data`` was sent (a server may answer and close before reading a body
    it refuses, as granian does with a bad Content-Length and a large body)."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(data)
            sent = True
        except (BrokenPipeError, ConnectionResetError):
            sent = False
        received = b""
        while b"\r\n\r\n" not in received:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
        return received, sent


@given(data=st.data())
# No shrinking: each try of a hanging case would wait out the socket timeout.
@fuzz_settings(ci=120, thorough=2000, shrink=False)
def test_raw_requests_to_a_live_server_never_get_a_500(
    live: tuple[Server, Ids], figures: Figures, data: st.DataObject
) -> None:
    server, ids = live
    request = data.draw(raw_requests(ids))
    try:
        received, sent = raw_exchange(server, request)
    except TimeoutError:
        figures.finding(f"no answer within 10 s to {request[:300]!r}")
        raise
    status_line = received.split(b"\r\n", 1)[0]
    status: int | str = int(status_line.split()[1]) if received.startswith(b"HTTP/1.") else "none"
    if status == "none" and not sent:
        status = "closed while sending"
    figures.record(target=f"live {type(server).__name__}", status=status)
    unexpected = get_state(server.app).take_unexpected()
    health = http_call(server, "GET", "/_mock/health")[0]
    faulted = any(entry.get("fault") for entry in _journal(server))
    problems = []
    if status == 500 and not faulted:
        problems.append("answered 500")
    if status == "none" and not faulted:
        problems.append(f"no status line: {received[:200]!r}")
    if unexpected:
        problems.append(f"unexpected error: {unexpected[0]}")
    if health != 200:
        problems.append(f"health answered {health}")
    if problems:
        figures.finding(f"{request[:300]!r}: {'; '.join(problems)}")
    assert not problems, (request[:500], problems)


def _journal(server: Server) -> list[dict[str, Any]]:
    """The journal's newest entry (the fuzzed request's, when it reached the app), then cleared."""
    status, body = http_call(server, "GET", "/_mock/requests")
    entries: list[dict[str, Any]] = json.loads(body)["data"][-1:] if status == 200 else []
    http_call(server, "DELETE", "/_mock/requests")
    return entries
