"""The pytest plugin (entry point ``pytest11``): fixtures for integrators.

Installed with the package, it needs no import or ``conftest.py``:

- ``freepik_mock``: a live mock on 127.0.0.1, one per session (per xdist worker), reset before
  each test; a :class:`~freepik_mock.contract.live_mock.LiveMock` with ``url``, ``api_key``,
  ``webhook_secrets``, ``client()`` and the control API (``advance``, ``tasks``,
  ``add_scenario``, ``add_fault``, ``webhooks``, ...).
- ``freepik_mock_app``: a new in-process mock (a Flask app) per test.
- ``freepik_respx``: a respx router that sends ``api.freepik.com`` and ``api.magnific.com`` to
  ``freepik_mock_app``, lets loopback through, and refuses every other host.
- ``webhook_receiver``: a receiver on 127.0.0.1 that records deliveries and verifies their
  signatures with the mock's secrets (``wait_for(status="COMPLETED")``).
- ``music_client``: a ``MusicClient`` for ``freepik_mock``.
- ``freepik_mock_config`` (session): the ``MockConfig`` both mocks use. Override it in your
  ``conftest.py`` to change timing, keys, secrets or the clock.

A request the mock could not handle (a 500 it did not mean to send) fails the test that made it,
with the mock's traceback. With ``--freepik-mock-url URL`` the fixtures use a mock you started
yourself (shared by all workers): it is then not reset, each test gets a key of its own, its
tasks, webhooks and journal are read for that key, its scenarios and faults only match that key,
and the rules it adds are deleted after it.

Everything of the kit is imported when a fixture is first used, not when pytest loads the plugin,
so that installing the kit cannot break a project that has modules of the same names.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .suite_options import CONTRACT_API_KEY_ENV, CONTRACT_PROFILE_ENV

if TYPE_CHECKING:
    import respx
    from flask import Flask

    from freepik_mock.client import MusicClient
    from freepik_mock.server import MockConfig
    from freepik_mock.server.live import LiveServer

    from .live_mock import LiveMock
    from .receiver import WebhookReceiver

__all__ = [
    "freepik_mock",
    "freepik_mock_app",
    "freepik_mock_config",
    "freepik_respx",
    "music_client",
    "pytest_addoption",
    "pytest_configure",
    "pytest_unconfigure",
    "webhook_receiver",
]

#: The fixtures' default: ``make serve``'s timings, run ten times faster (done after 0.5 s).
DEFAULT_SPEED = 10.0


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the fixtures and of the contract suites."""
    group = parser.getgroup("freepik-mock", "Freepik music-generation mock")
    group.addoption(
        "--freepik-mock-url",
        default=None,
        help="Use this running mock for the freepik_mock fixture instead of starting one.",
    )
    group.addoption(
        "--freepik-mock-api-key",
        default=None,
        help="For --freepik-mock-url: the key to use when that mock accepts only some keys "
        "(default: a new key per test, which a mock without --api-key accepts).",
    )
    group.addoption(
        "--freepik-mock-webhook-secret",
        action="append",
        default=None,
        help="For --freepik-mock-url: that mock's webhook secret(s), if not the default.",
    )
    group.addoption(
        "--freepik-mock-admin-token",
        default=None,
        help="For --freepik-mock-url: that mock's admin token, if it has one.",
    )
    group.addoption(
        "--contract-base-url",
        default=None,
        help="Run the server contract suite against this live server instead of in-process.",
    )
    group.addoption(
        "--contract-api-key",
        default=None,
        help="The API key for --contract-base-url.",
    )
    group.addoption(
        "--contract-profile",
        choices=("ci", "thorough"),
        default=None,
        help="ci (the default): a fixed seed and few examples; thorough: thousands of cases.",
    )


_SAVED_ENVIRONMENT = pytest.StashKey[dict[str, str | None]]()


def pytest_configure(config: pytest.Config) -> None:
    """Hand the contract suite the options given (see ``suite_options``); undone at the end."""
    given = {
        CONTRACT_PROFILE_ENV: config.getoption("--contract-profile"),
        CONTRACT_API_KEY_ENV: config.getoption("--contract-api-key"),
    }
    saved: dict[str, str | None] = {}
    for name, value in given.items():
        if value:
            saved[name] = os.environ.get(name)
            os.environ[name] = value
    config.stash[_SAVED_ENVIRONMENT] = saved


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put the environment back as it was before ``pytest_configure``."""
    for name, value in config.stash.get(_SAVED_ENVIRONMENT, {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def freepik_mock_config() -> MockConfig:
    """The configuration of the mocks the fixtures start; override it to change it."""
    from freepik_mock.server import MockConfig

    return MockConfig(speed=DEFAULT_SPEED)


def _fail_on_unexpected(app: Flask) -> None:
    from freepik_mock.server.web import get_state

    errors = get_state(app).take_unexpected()
    if errors:
        pytest.fail(
            "the mock answered 500 to a request it could not handle:\n" + "\n".join(errors),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def _freepik_mock_server(freepik_mock_config: MockConfig) -> Iterator[LiveServer]:
    from freepik_mock.server.live import LiveServer

    with LiveServer(config=freepik_mock_config) as server:
        yield server


def _shared_mock(config: pytest.Config) -> Iterator[LiveMock]:
    """A mock someone else runs: scoped to a key of this test's own, cleaned up after it."""
    from .live_mock import LiveMock

    with LiveMock(
        url=config.getoption("--freepik-mock-url").rstrip("/"),
        api_key=config.getoption("--freepik-mock-api-key") or f"test-{uuid.uuid4().hex}",
        webhook_secrets=_shared_secrets(config),
        admin_token=config.getoption("--freepik-mock-admin-token"),
        shared=True,
    ) as mock:
        try:
            yield mock
        finally:
            mock.remove_own_rules()


def _shared_secrets(config: pytest.Config) -> tuple[str, ...]:
    from freepik_mock.server.core import DEFAULT_WEBHOOK_SECRET

    return tuple(config.getoption("--freepik-mock-webhook-secret") or (DEFAULT_WEBHOOK_SECRET,))


@pytest.fixture
def freepik_mock(request: pytest.FixtureRequest) -> Iterator[LiveMock]:
    """A live mock on 127.0.0.1 (one per session, reset before each test)."""
    if request.config.getoption("--freepik-mock-url"):
        yield from _shared_mock(request.config)
        return
    from freepik_mock.server.web import get_state

    from .live_mock import LiveMock

    server: LiveServer = request.getfixturevalue("_freepik_mock_server")
    config: MockConfig = request.getfixturevalue("freepik_mock_config")
    state = get_state(server.app)
    state.engine.reset()
    state.take_unexpected()
    with LiveMock(
        url=server.url,
        api_key=config.api_keys[0] if config.api_keys else f"test-{uuid.uuid4().hex[:12]}",
        webhook_secrets=config.effective_webhook_secrets,
        admin_token=config.admin_token,
    ) as mock:
        yield mock
    _fail_on_unexpected(server.app)


@pytest.fixture
def freepik_mock_app(freepik_mock_config: MockConfig) -> Iterator[Flask]:
    """A new in-process mock for this test (use it with ``httpx.WSGITransport`` or respx)."""
    from freepik_mock.server import close_app, create_app

    app = create_app(freepik_mock_config)
    try:
        yield app
        _fail_on_unexpected(app)
    finally:
        close_app(app)


@pytest.fixture
def freepik_respx(freepik_mock_app: Flask) -> Iterator[respx.MockRouter]:
    """respx routing the API's hosts to ``freepik_mock_app``; loopback passes, the rest fails.

    httpx is routed by respx; every other library (``urllib``, ``requests``, ``aiohttp``...) meets
    the loopback guard, which refuses to resolve or connect to anything but loopback.
    """
    try:
        import respx
    except ImportError:
        pytest.fail(
            "freepik_respx needs respx: pip install 'freepik-music-mock[test]'", pytrace=False
        )

    from .loopback import LoopbackGuard
    from .routing import pass_loopback, route_api_hosts

    reason = (
        "inside freepik_respx nothing may leave this machine; "
        "the API's hosts are served by the mock only through httpx"
    )
    with (
        LoopbackGuard(reason=reason),
        respx.mock(assert_all_called=False, assert_all_mocked=True) as router,
    ):
        route_api_hosts(router, app=freepik_mock_app)
        pass_loopback(router)
        yield router


@pytest.fixture
def webhook_receiver(request: pytest.FixtureRequest) -> Iterator[WebhookReceiver]:
    """A receiver on 127.0.0.1 that records deliveries and verifies their signatures."""
    from .receiver import WebhookReceiver

    if request.config.getoption("--freepik-mock-url"):
        secrets = _shared_secrets(request.config)
    else:
        config: MockConfig = request.getfixturevalue("freepik_mock_config")
        secrets = config.effective_webhook_secrets
    with WebhookReceiver(secrets=secrets) as receiver:
        yield receiver
    bad = receiver.unverified
    if bad:
        pytest.fail(
            "webhook deliveries failed verification: "
            + "; ".join(f"{d.body!r}: {d.verification_error}" for d in bad),
            pytrace=False,
        )


@pytest.fixture
def music_client(freepik_mock: LiveMock) -> Iterator[MusicClient]:
    """A reference client pointed at ``freepik_mock`` with its key."""
    with freepik_mock.client() as music:
        yield music
