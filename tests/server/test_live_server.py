"""LiveServer and create_app: refusing what cannot run, stopping promptly, leaving no thread."""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from freepik_mock.contract.receiver import HANG, WebhookReceiver
from freepik_mock.server import MockConfig, create_app
from freepik_mock.server.live import LiveServer, check_exposure
from freepik_mock.server.web import get_state

pytestmark = pytest.mark.live

KEY = {"x-freepik-api-key": "live-key"}


def mock_threads() -> set[threading.Thread]:
    """The live threads the mock starts (scheduler, webhook workers, spec, waitress, loop)."""
    return {
        thread
        for thread in threading.enumerate()
        if thread.name.startswith(("freepik-mock", "waitress"))
    }


@pytest.fixture
def no_thread_left() -> Iterator[None]:
    """Fails the test if a thread of the mock started during it is still running at its end."""
    before = mock_threads()
    yield
    started = mock_threads() - before
    for thread in started:
        # waitress's workers leave its books just before they return: let them finish returning.
        thread.join(timeout=10)
    assert {thread.name for thread in started if thread.is_alive()} == set()


# -- what cannot run is refused before anything starts -----------------------------------------
@pytest.mark.parametrize(
    "config",
    [
        MockConfig(webhook_allow=("bad host!",)),
        MockConfig(webhook_secrets=("whsec_***",)),
        MockConfig(webhook_secrets=("",)),
    ],
    ids=["allow-list", "base64-secret", "empty-secret"],
)
@pytest.mark.usefixtures("no_thread_left")
def test_create_app_refuses_a_bad_webhook_config_and_leaves_no_thread(config: MockConfig) -> None:
    with pytest.raises(ValueError, match="webhook"):
        create_app(config)


@pytest.mark.usefixtures("no_thread_left")
def test_a_port_in_use_raises_and_leaves_no_thread() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError, match="in use") as refused:
            LiveServer(port=taken.getsockname()[1])
    assert refused.value.errno == errno.EADDRINUSE


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.internal"])
@pytest.mark.usefixtures("no_thread_left")
def test_a_host_beyond_this_machine_needs_an_admin_token(host: str) -> None:
    with pytest.raises(ValueError, match="admin token") as refused:
        LiveServer(config=MockConfig(clock="manual"), host=host)
    assert host in str(refused.value)
    check_exposure(host=host, admin_token="s3cret")  # the same rule lets a token through


# -- serving and stopping ----------------------------------------------------------------------
@pytest.mark.usefixtures("no_thread_left")
def test_start_prepares_the_spec_validator_without_a_request() -> None:
    with LiveServer(config=MockConfig(clock="manual")) as server:
        validator = get_state(server.app).validator
        validator.close()  # waits for the background preparation that start began
        assert validator.prepared
        assert httpx.get(f"{server.url}/_mock/health").json()["status"] == "ok"


@pytest.mark.usefixtures("no_thread_left")
def test_after_stop_nothing_answers_and_stop_can_be_called_again() -> None:
    server = LiveServer(config=MockConfig(clock="manual")).start()
    assert httpx.get(f"{server.url}/_mock/health").status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/_mock/health")
    server.stop()
    LiveServer(config=MockConfig(clock="manual")).stop()  # never started: still closes


@pytest.mark.usefixtures("no_thread_left")
def test_wait_returns_once_another_thread_stops_the_server() -> None:
    server = LiveServer(config=MockConfig(clock="manual")).start()
    waiter = threading.Thread(target=server.wait)
    waiter.start()
    try:
        assert waiter.is_alive()
    finally:
        server.stop()
    waiter.join(timeout=30)
    assert not waiter.is_alive()


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("no_thread_left")
def test_stop_does_not_wait_for_a_request_held_by_a_hung_webhook_receiver() -> None:
    config = MockConfig(clock="manual", webhook_on_created=False, webhook_timeout=120)
    with WebhookReceiver(default=HANG, hang_limit=60) as receiver:
        server = LiveServer(config=config).start()
        try:
            body = {"prompt": "x", "music_length_seconds": 10, "webhook_url": receiver.url}
            httpx.post(f"{server.url}/v1/ai/music-generation", json=body, headers=KEY)
            answers: list[object] = []

            def advance() -> None:
                # Its IN_PROGRESS attempt goes to the receiver, which holds it: advance waits.
                try:
                    answers.append(
                        httpx.post(
                            f"{server.url}/_mock/clock/advance", json={"seconds": 1}, timeout=90
                        )
                    )
                except httpx.HTTPError as exc:
                    answers.append(exc)

            caller = threading.Thread(target=advance)
            caller.start()
            receiver.wait_until(lambda: receiver.hanging == 1)
        finally:
            # Generous on purpose: stopping must not need it (pytest-timeout would catch that).
            server.stop(timeout=60)
        caller.join(timeout=10)
        assert not caller.is_alive()
        assert len(answers) == 1  # the held request ended (its connection closed by stop)
        assert receiver.hanging == 1  # the mock gave up the attempt; the receiver never let go


def test_the_wake_up_pipe_outlives_the_closing_of_the_connections() -> None:
    # stop() asks the server thread to close the connections, then writes a wake-up byte; the
    # thread may close them before that write, which must still find the pipe open.
    server = LiveServer(config=MockConfig(clock="manual"))
    try:
        server._close_channels()
        server._server.trigger.pull_trigger()  # raised EBADF when the pipe was closed with them
    finally:
        server.stop()


@pytest.mark.timeout(30)
def test_stop_does_not_wait_for_an_injected_delay(no_thread_left: None) -> None:
    server = LiveServer(config=MockConfig(clock="manual")).start()
    control = httpx.Client(base_url=server.url)
    control.post("/_mock/faults", json={"delay_seconds": 60, "times": 1})
    caller = threading.Thread(target=_get_quietly, args=(f"{server.url}/v1/ai/music-generation",))
    caller.start()
    # The fault is used up (and leaves the list) as the request starts waiting.
    while control.get("/_mock/faults").json()["data"]:
        threading.Event().wait(0.01)
    control.close()
    server.stop(timeout=60)  # the test's timeout (30 s) fails it if stop waits for the delay
    caller.join(10)
    assert not caller.is_alive()


def _get_quietly(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the connection is closed by stop(): expected
        httpx.get(url, timeout=60)


@pytest.mark.live
def test_idle_and_slow_clients_cannot_lock_everyone_out() -> None:
    # waitress's default would accept 100 connections and then nobody: health and creates hang.
    with LiveServer(config=MockConfig(clock="manual")) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        held: list[socket.socket] = []
        try:
            for number in range(210):
                sock = socket.create_connection((host, int(port)), timeout=10)
                held.append(sock)
                if number % 3 == 0:  # a slow client: the start of a request, then nothing
                    sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHo")
            with httpx.Client(base_url=server.url, timeout=10) as http:
                assert http.get("/_mock/health").status_code == 200
                created = http.post(
                    "/v1/ai/music-generation",
                    json={"prompt": "calm piano", "music_length_seconds": 10},
                    headers={"x-freepik-api-key": "any-key"},
                )
                assert created.status_code == 200
        finally:
            for sock in held:
                sock.close()


@pytest.mark.timeout(60)
def test_the_control_api_answers_while_32_requests_are_held_by_a_delay(
    no_thread_left: None,
) -> None:
    # With too few worker threads the held requests take them all, and the control calls below
    # queue behind them until their client timeout (10 s) fails the test.
    held_requests = 32
    server = LiveServer(config=MockConfig(clock="manual")).start()
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    held: list[socket.socket] = []
    try:
        with httpx.Client(base_url=server.url, timeout=10) as control:
            fault = {
                "match": {"path": "/v1/ai/music-generation/*"},
                "delay_seconds": 60,
                "times": held_requests,
            }
            assert control.post("/_mock/faults", json=fault).status_code == 201
            for _ in range(held_requests):
                sock = socket.create_connection((host, int(port)), timeout=10)
                held.append(sock)
                sock.sendall(
                    b"GET /v1/ai/music-generation/task_held HTTP/1.1\r\nHost: mock\r\n"
                    b"x-freepik-api-key: live-key\r\n\r\n"
                )
            # Each held request used up one of the fault's times as it started waiting.
            while control.get("/_mock/faults").json()["data"]:
                threading.Event().wait(0.01)
            assert control.get("/_mock/health").status_code == 200
            assert control.get("/_mock/requests").status_code == 200
    finally:
        for sock in held:
            sock.close()
        server.stop(timeout=60)
