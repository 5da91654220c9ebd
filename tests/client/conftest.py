"""Fixtures for the client tests: both clients behind one synchronous face, a respx router."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from client import AsyncMusicClient, MusicClient
from tests.client.helpers import API_KEY, BASE_URL, BlockingAsyncClient, FakeTime, wsgi_handler

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
