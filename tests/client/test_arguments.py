"""Bad arguments are refused before any request; configuration falls back to the environment."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
import respx

from freepik_mock.client import (
    AsyncMusicClient,
    InvalidArgumentError,
    MusicAPIError,
    MusicClient,
    Task,
    TaskStatus,
)
from tests.client.helpers import API_KEY, TASK_ID, task_response


@pytest.fixture
def no_requests(make_client: Any) -> Any:
    """A client whose transport fails the test if anything is sent."""

    def handler(request: httpx.Request) -> httpx.Response:
        pytest.fail(f"a request was sent: {request.method} {request.url}")

    return make_client(handler=handler)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda m: m.create("x", 9), "between 10 and 240"),
        (lambda m: m.create("x", 241), "between 10 and 240"),
        (lambda m: m.create("x", 30.0), "whole number"),
        (lambda m: m.create("x", "30"), "whole number"),
        (lambda m: m.create("x", True), "whole number"),
        (lambda m: m.create("x" * 2501, 30), "2501 characters"),
        (lambda m: m.create(None, 30), "prompt must be a string"),
        (lambda m: m.create("\ud800", 30), "not valid Unicode"),
        (lambda m: m.create("x", 30, webhook_url="not a url"), "webhook_url"),
        (lambda m: m.create("x", 30, webhook_url="ftp://example.com/x"), "webhook_url"),
        (lambda m: m.generate("x", 300), "between 10 and 240"),
        (lambda m: m.get(""), "task_id"),
        (lambda m: m.get("   "), "task_id"),
        (lambda m: m.get("."), "dot segment"),
        (lambda m: m.get(".."), "dot segment"),
        (lambda m: m.get(" .. "), "dot segment"),
        (lambda m: m.get(Task(task_id="..", status=TaskStatus.CREATED)), "dot segment"),
        (lambda m: m.wait(".."), "dot segment"),
        (lambda m: m.wait("."), "dot segment"),
        (lambda m: m.wait(TASK_ID, timeout=0), "timeout"),
        (lambda m: m.wait(TASK_ID, poll_interval=0), "poll_interval"),
        (lambda m: m.download("file:///etc/passwd", io.BytesIO()), "http"),
        (
            lambda m: m.download(Task(task_id=TASK_ID, status=TaskStatus.FAILED), io.BytesIO()),
            "no result",
        ),
    ],
)
def test_invalid_arguments_are_refused_before_any_request(
    no_requests: Any, call: Callable[[Any], object], fragment: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment) as caught:
        call(no_requests)
    assert caught.value.request is None


def test_argument_errors_are_value_errors_in_the_family() -> None:
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(InvalidArgumentError, MusicAPIError)


@pytest.mark.parametrize("length", [10, 240])
def test_the_limits_themselves_are_accepted(
    music: Any, router: respx.MockRouter, length: int
) -> None:
    router.post("/v1/ai/music-generation").mock(return_value=task_response())
    music.create("x" * 2500, length)


CLIENTS = [MusicClient, AsyncMusicClient]


@pytest.mark.parametrize("client_type", CLIENTS)
@pytest.mark.parametrize("task_id", [".", "..", " . "])
def test_a_dot_segment_id_builds_no_request(client_type: type, task_id: str) -> None:
    client = client_type(api_key=API_KEY, base_url="https://api.test")
    with pytest.raises(InvalidArgumentError, match="dot segment"):
        client._build_get_request(task_id)


@pytest.mark.parametrize(
    ("task_id", "segment"),
    [
        ("...", "..."),
        (".hidden", ".hidden"),
        ("a..b", "a..b"),
        ("../x", "..%2Fx"),
        ("./..", ".%2F.."),
        ("%2E%2E", "%252E%252E"),
    ],
)
def test_ids_with_dots_that_are_not_dot_segments_are_sent_as_one_segment(
    make_client: Any, task_id: str, segment: str
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return task_response()

    make_client(handler=handler).get(task_id)
    assert [r.url.raw_path.decode() for r in seen] == [f"/v1/ai/music-generation/{segment}"]


@pytest.mark.parametrize("client_type", CLIENTS)
@pytest.mark.parametrize("key", ["", "   ", "k\ney", "clé"])
def test_an_empty_or_malformed_key_is_refused(client_type: type, key: str) -> None:
    with pytest.raises(InvalidArgumentError, match="API key"):
        client_type(api_key=key)


@pytest.mark.parametrize("client_type", CLIENTS)
def test_a_missing_key_names_the_environment_variable(
    client_type: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FREEPIK_API_KEY", raising=False)
    with pytest.raises(InvalidArgumentError, match="FREEPIK_API_KEY"):
        client_type()


@pytest.mark.parametrize("client_type", CLIENTS)
@pytest.mark.parametrize("base_url", ["ftp://example.com", "not a url", "http://"])
def test_a_bad_base_url_is_refused(client_type: type, base_url: str) -> None:
    with pytest.raises(InvalidArgumentError, match="base URL"):
        client_type(api_key=API_KEY, base_url=base_url)


@pytest.mark.parametrize("client_type", CLIENTS)
@pytest.mark.parametrize("max_retries", [-1, 1.5, True])
def test_a_bad_max_retries_is_refused(client_type: type, max_retries: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="max_retries"):
        client_type(api_key=API_KEY, max_retries=max_retries)


@pytest.mark.parametrize("client_type", CLIENTS)
def test_options_are_keyword_only(client_type: type) -> None:
    with pytest.raises(TypeError):
        client_type(API_KEY)


def test_key_and_base_url_come_from_the_environment(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FREEPIK_API_KEY", "from-env")
    monkeypatch.setenv("FREEPIK_API_BASE_URL", "http://127.0.0.1:8080/prefix/")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return task_response()

    music = make_client(handler=handler, api_key=None, base_url=None)
    assert music.base_url == "http://127.0.0.1:8080/prefix"
    music.get(TASK_ID)
    assert seen[0].headers["x-freepik-api-key"] == "from-env"
    assert str(seen[0].url) == f"http://127.0.0.1:8080/prefix/v1/ai/music-generation/{TASK_ID}"


def test_arguments_win_over_the_environment(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FREEPIK_API_KEY", "from-env")
    monkeypatch.setenv("FREEPIK_API_BASE_URL", "http://127.0.0.1:1")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return task_response()

    music = make_client(handler=handler, api_key="explicit", base_url="https://api.test")
    music.get(TASK_ID)
    assert seen[0].headers["x-freepik-api-key"] == "explicit"
    assert seen[0].url.host == "api.test"


@pytest.mark.parametrize("client_type", CLIENTS)
def test_the_default_base_url_is_the_vendor(
    client_type: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FREEPIK_API_BASE_URL", raising=False)
    client = client_type(api_key=API_KEY)
    assert client.base_url == "https://api.freepik.com"
    assert "api.freepik.com" in repr(client)
    assert API_KEY not in repr(client)
    if isinstance(client, MusicClient):
        client.close()
    else:
        anyio.run(client.aclose)
