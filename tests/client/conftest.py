"""Fixtures for the client tests: both clients behind one synchronous face, a respx router, a live
mock on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import respx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from freepik_mock.client import AsyncMusicClient, MusicClient
from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer
from tests.client.helpers import (
    API_KEY,
    BASE_URL,
    OTHER_KEY,
    WEBHOOK_SECRET,
    BlockingAsyncClient,
    FakeTime,
    LiveMock,
    ReceiverHandler,
    WebhookReceiver,
    wsgi_handler,
)

ClientFactory = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    """Which client a test runs with: every test using ``make_client`` runs with both."""
    return str(request.param)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as portal:
        yield portal


@pytest.fixture
def make_client(
    kind: str, fake_time: FakeTime, request: pytest.FixtureRequest
) -> Iterator[ClientFactory]:
    """``make_client(handler=...)`` or ``make_client(app=...)``, plus client options.

    ``handler`` answers requests (a respx router's ``handler``); ``app`` is an in-process mock,
    reached through ``httpx.WSGITransport``. Sleeping and the clock are ``fake_time``'s.
    """
    made: list[Any] = []
    portal: BlockingPortal | None = request.getfixturevalue("portal") if kind == "async" else None

    def factory(
        *, handler: Callable[[httpx.Request], Any] | None = None, app: Any = None, **options: Any
    ) -> Any:
        options.setdefault("api_key", API_KEY)
        options.setdefault("base_url", BASE_URL)
        if kind == "sync":
            transport: Any = (
                httpx.WSGITransport(app=app) if app is not None else httpx.MockTransport(handler)
            )
            client: Any = MusicClient(
                transport=transport, sleep=fake_time.sleep, clock=fake_time.clock, **options
            )
        else:
            assert portal is not None
            answer = wsgi_handler(app) if app is not None else handler
            assert answer is not None
            client = BlockingAsyncClient(
                AsyncMusicClient(
                    transport=httpx.MockTransport(answer),
                    sleep=fake_time.asleep,
                    clock=fake_time.clock,
                    **options,
                ),
                portal,
            )
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def router() -> respx.MockRouter:
    """A respx router for ``BASE_URL``; unmatched requests fail the test."""
    return respx.MockRouter(base_url=BASE_URL, assert_all_called=False, assert_all_mocked=True)


@pytest.fixture
def music(make_client: ClientFactory, router: respx.MockRouter) -> Any:
    """A client (sync or async, see ``kind``) answered by ``router``."""
    return make_client(handler=router.handler)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """A real-clock mock on 127.0.0.1 whose tasks complete in 0.15 s, one per test process.

    Shared, and reset for each test by ``live_mock``: a server per test costs time, and each
    stop risks a race in ``LiveServer.stop``: the loop thread may run the closing thunk, which
    closes waitress's trigger, before ``pull_trigger`` writes to it (EBADF, or a write to a
    reused descriptor).
    """
    config = MockConfig(
        api_keys=(API_KEY, OTHER_KEY),
        created_seconds=0.05,
        processing_seconds=0.1,
        webhook_secrets=(WEBHOOK_SECRET,),
    )
    with LiveServer(config=config) as server:
        yield server


@pytest.fixture
def live_mock(live_server: LiveServer) -> Iterator[LiveMock]:
    """The shared live mock, reset: no tasks, rules, faults or journal from earlier tests."""
    with httpx.Client(base_url=live_server.url) as control:
        control.post("/_mock/reset").raise_for_status()
        yield LiveMock(server=live_server, control=control)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """An ``http.server`` webhook receiver on 127.0.0.1; stopped, its thread joined, after."""
    receiver = WebhookReceiver(url="")

    class Handler(ReceiverHandler):
        pass

    Handler.receiver = receiver
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.daemon_threads = False  # so that server_close() joins the request threads
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver")
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
