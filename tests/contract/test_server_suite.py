"""The server contract suite itself: it passes on a faithful live mock and catches a broken one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from freepik_mock.contract.server_suite import resolve_webhook_hosts_offline
from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer

pytestmark = [pytest.mark.live, pytest.mark.slow]

SUITE = "freepik_mock.contract.test_server_contract"
KEY = "live-contract-key-0001"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def renaming_task_id(inner: WSGIApp) -> WSGIApp:
    """A middleware that breaks the contract: create answers ``id`` instead of ``task_id``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(inner(environ, capture))
        if environ["REQUEST_METHOD"] == "POST" and body.startswith(b'{"data"'):
            payload = json.loads(body)
            payload["data"]["id"] = payload["data"].pop("task_id")
            body = json.dumps(payload).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


@pytest.fixture
def live_mock() -> Iterator[LiveServer]:
    with LiveServer(config=MockConfig(clock="manual", api_keys=(KEY,))) as server:
        resolve_webhook_hosts_offline(server.app)
        yield server


def run_suite(pytester: pytest.Pytester, url: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "--pyargs",
        SUITE,
        f"--contract-base-url={url}",
        f"--contract-api-key={KEY}",
        "-p",
        "no:cacheprovider",
        "-q",
    )


def test_the_suite_passes_against_a_faithful_live_mock(
    pytester: pytest.Pytester, live_mock: LiveServer
) -> None:
    result = run_suite(pytester, live_mock.url)
    result.assert_outcomes(passed=4)
    journal = live_mock.app.test_client().get("/_mock/requests").get_json()["data"]
    assert len(journal) > 100  # the cases really went over the socket to this server


def test_the_suite_catches_a_server_that_breaks_the_response_schema(
    pytester: pytest.Pytester, live_mock: LiveServer
) -> None:
    live_mock.app.wsgi_app = renaming_task_id(live_mock.app.wsgi_app)  # type: ignore[method-assign]
    result = run_suite(pytester, live_mock.url)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1
    result.stdout.fnmatch_lines(
        ["*Response violates schema*", '*"task_id" is a required property*']
    )
