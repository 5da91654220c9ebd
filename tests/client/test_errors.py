"""Error answers and transport failures become the client's typed errors, and nothing escapes."""

from __future__ import annotations

import inspect
import io
from typing import Any

import httpx
import pytest
import respx

from freepik_mock.client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InvalidParam,
    MusicAPIError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from tests.client.helpers import TASK_ID, TASK_URL

VENDOR_PROBLEM = {
    "message": "Your request parameters didn't validate.",
    "invalid_params": [
        {"name": "music_length_seconds", "reason": "must be at least 10"},
        {"name": "prompt", "reason": "must not be longer than 2500"},
    ],
}
EXPECTED_PARAMS = (
    InvalidParam("music_length_seconds", "must be at least 10"),
    InvalidParam("prompt", "must not be longer than 2500"),
)


@pytest.mark.parametrize(
    ("status", "body", "error_type", "message"),
    [
        (400, {"message": "Parameter 'prompt' is not valid"}, ValidationError, "is not valid"),
        (401, {"message": "Invalid API key"}, AuthenticationError, "Invalid API key"),
        (401, {"message": "Missing API key"}, AuthenticationError, "Missing API key"),
        (404, {"message": "Not found"}, NotFoundError, "Not found"),
        (429, {"message": "Too many requests"}, RateLimitError, "Too many requests"),
        (500, {"message": "Internal Server Error"}, ServerError, "Internal Server Error"),
        (502, None, ServerError, "Bad Gateway"),
        (503, {"message": "Service Unavailable. Please try again later."}, ServerError, "Unavail"),
        (403, {"message": "Forbidden"}, APIStatusError, "Forbidden"),
        (410, {"message": "Gone"}, APIStatusError, "Gone"),
    ],
)
def test_status_errors_are_typed(
    make_client: Any,
    router: respx.MockRouter,
    status: int,
    body: Any,
    error_type: type[APIStatusError],
    message: str,
) -> None:
    music = make_client(handler=router.handler, max_retries=0)
    answer = (
        httpx.Response(status, json=body)
        if body is not None
        else httpx.Response(status, text="<html>bad gateway</html>")
    )
    router.get(TASK_URL).mock(return_value=answer)
    with pytest.raises(error_type) as caught:
        music.get(TASK_ID)
    error = caught.value
    assert type(error) is error_type
    assert error.status_code == status
    assert message in str(error)
    assert error.request is not None
    assert error.request.url == TASK_URL
    assert error.response is not None
    assert error.response.status_code == status
    assert error.body == body


@pytest.mark.parametrize(
    "body",
    [VENDOR_PROBLEM, {"problem": VENDOR_PROBLEM}],
    ids=["flat-as-sent", "wrapped-as-specified"],
)
def test_validation_error_carries_the_invalid_params(
    music: Any, router: respx.MockRouter, body: dict[str, Any]
) -> None:
    router.post("/v1/ai/music-generation").mock(
        return_value=httpx.Response(
            400, json=body, headers={"content-type": "application/problem+json"}
        )
    )
    with pytest.raises(ValidationError) as caught:
        music.create("x", 30)
    assert caught.value.invalid_params == EXPECTED_PARAMS
    assert "didn't validate" in caught.value.message
    assert "music_length_seconds: must be at least 10" in str(caught.value)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        (
            {
                "retry-after": "Wed, 21 Oct 2015 07:28:30 GMT",
                "date": "Wed, 21 Oct 2015 07:28:00 GMT",
            },
            30.0,
        ),
        ({}, None),
        ({"retry-after": "soon"}, None),
    ],
    ids=["seconds", "fraction", "http-date", "absent", "garbage"],
)
def test_rate_limit_error_carries_retry_after(
    make_client: Any, router: respx.MockRouter, headers: dict[str, str], expected: float | None
) -> None:
    music = make_client(handler=router.handler, max_retries=0)
    router.get(TASK_URL).mock(
        return_value=httpx.Response(429, json={"message": "Too many requests"}, headers=headers)
    )
    with pytest.raises(RateLimitError) as caught:
        music.get(TASK_ID)
    assert caught.value.retry_after == expected


@pytest.mark.parametrize(
    ("raised", "error_type", "request_sent"),
    [
        (httpx.ConnectError("refused"), APIConnectionError, False),
        (httpx.ConnectTimeout("slow connect"), APITimeoutError, False),
        (httpx.PoolTimeout("pool"), APITimeoutError, False),
        (httpx.ReadTimeout("slow read"), APITimeoutError, True),
        (httpx.WriteTimeout("slow write"), APITimeoutError, True),
        (httpx.ReadError("reset"), APIConnectionError, True),
        (httpx.RemoteProtocolError("server hung up"), APIConnectionError, True),
    ],
)
def test_transport_failures_are_typed(
    make_client: Any,
    router: respx.MockRouter,
    raised: Exception,
    error_type: type[TransportError],
    request_sent: bool,
) -> None:
    music = make_client(handler=router.handler, max_retries=0)
    router.get(TASK_URL).mock(side_effect=raised)
    with pytest.raises(error_type) as caught:
        music.get(TASK_ID)
    assert caught.value.request_sent is request_sent
    assert caught.value.request is not None
    assert caught.value.request.url == TASK_URL
    assert caught.value.response is None
    assert caught.value.__cause__ is raised


def _every_httpx_exception() -> list[type[Exception]]:
    return sorted(
        (
            value
            for value in vars(httpx).values()
            if inspect.isclass(value) and issubclass(value, Exception)
        ),
        key=lambda cls: cls.__name__,
    )


def _instance(cls: type[Exception], request: httpx.Request) -> Exception:
    if issubclass(cls, httpx.HTTPStatusError):
        return cls("boom", request=request, response=httpx.Response(500, request=request))
    if issubclass(cls, httpx.RequestError):
        return cls("boom", request=request)
    try:
        return cls("boom")
    except TypeError:
        return cls()


def test_the_catalogue_of_httpx_exceptions_is_complete() -> None:
    names = {cls.__name__ for cls in _every_httpx_exception()}
    # A sample across the tree, so that a change in how httpx exports them shows up here.
    assert {"ConnectError", "ReadTimeout", "InvalidURL", "StreamClosed", "DecodingError"} <= names
    assert len(names) >= 25


@pytest.mark.parametrize("exception_type", _every_httpx_exception(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("method", ["create", "get", "list", "download"])
def test_no_httpx_exception_escapes_unmapped(
    make_client: Any, exception_type: type[Exception], method: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise _instance(exception_type, request)

    music = make_client(handler=handler, max_retries=0)
    call = {
        "create": lambda: music.create("x", 30),
        "get": lambda: music.get(TASK_ID),
        "list": lambda: music.list(),
        "download": lambda: music.download("https://cdn.test/a.mp3", io.BytesIO()),
    }[method]
    with pytest.raises(MusicAPIError) as caught:
        call()
    assert not isinstance(caught.value, httpx.HTTPError)
    assert isinstance(caught.value.__cause__, exception_type)
    assert caught.value.request is not None


def test_errors_share_one_root() -> None:
    for error_type in (
        APIConnectionError,
        APITimeoutError,
        TransportError,
        APIStatusError,
        ValidationError,
        AuthenticationError,
        NotFoundError,
        RateLimitError,
        ServerError,
    ):
        assert issubclass(error_type, MusicAPIError)
