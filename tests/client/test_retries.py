"""Retries with scripted failures: which errors are retried, for which calls, and how long apart."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
import respx

from freepik_mock.client import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    RetryEvent,
    RetryPolicy,
    ServerError,
    TaskStatus,
    ValidationError,
)
from tests.client.helpers import RESULT_URL, TASK_ID, TASK_URL, FakeTime, task_response

EXACT = RetryPolicy(jitter=0.0)  # no randomness: delays 0.5, 1, 2, 4, 8, 8, ...


def _status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, json={"message": "scripted"}, headers=headers)


@pytest.mark.parametrize(
    "failure",
    [
        _status(429),
        _status(500),
        _status(503),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("connect"),
        httpx.ReadTimeout("read"),
        httpx.RemoteProtocolError("dropped"),
    ],
    ids=["429", "500", "503", "connect-error", "connect-timeout", "read-timeout", "dropped"],
)
def test_reads_are_retried_until_they_succeed(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime, failure: Any
) -> None:
    music = make_client(handler=router.handler, retry_policy=EXACT)
    route = router.get(TASK_URL).mock(side_effect=[failure, failure, task_response("IN_PROGRESS")])
    assert music.get(TASK_ID).status is TaskStatus.IN_PROGRESS
    assert route.call_count == 3
    assert fake_time.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    "failure",
    [_status(429), _status(503), httpx.ConnectError("refused"), httpx.ConnectTimeout("connect")],
    ids=["429", "503", "connect-error", "connect-timeout"],
)
def test_create_is_retried_when_the_api_cannot_have_processed_it(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime, failure: Any
) -> None:
    music = make_client(handler=router.handler, retry_policy=EXACT)
    route = router.post("/v1/ai/music-generation").mock(side_effect=[failure, task_response()])
    assert music.create("x", 30).task_id == TASK_ID
    assert route.call_count == 2
    assert fake_time.sleeps == [0.5]


@pytest.mark.parametrize(
    ("failure", "error_type"),
    [
        (_status(500), ServerError),
        (httpx.ReadTimeout("read"), APITimeoutError),
        (httpx.WriteTimeout("write"), APITimeoutError),
        (httpx.RemoteProtocolError("dropped"), APIConnectionError),
        (httpx.ReadError("reset"), APIConnectionError),
    ],
    ids=["500", "read-timeout", "write-timeout", "dropped", "reset"],
)
def test_create_is_not_retried_when_it_may_have_been_processed(
    make_client: Any,
    router: respx.MockRouter,
    fake_time: FakeTime,
    failure: Any,
    error_type: type[Exception],
) -> None:
    music = make_client(handler=router.handler)
    route = router.post("/v1/ai/music-generation").mock(side_effect=[failure, task_response()])
    with pytest.raises(error_type):
        music.create("x", 30)
    assert route.call_count == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    ("code", "error_type"),
    [(400, ValidationError), (401, AuthenticationError), (404, NotFoundError), (502, ServerError)],
)
def test_other_errors_are_not_retried(
    music: Any, router: respx.MockRouter, fake_time: FakeTime, code: int, error_type: type
) -> None:
    route = router.get(TASK_URL).mock(return_value=_status(code))
    with pytest.raises(error_type):
        music.get(TASK_ID)
    assert route.call_count == 1
    assert fake_time.sleeps == []


def test_retries_stop_after_max_retries(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, max_retries=2, retry_policy=EXACT)
    route = router.get(TASK_URL).mock(return_value=_status(503))
    with pytest.raises(ServerError) as caught:
        music.get(TASK_ID)
    assert caught.value.status_code == 503
    assert route.call_count == 3
    assert fake_time.sleeps == [0.5, 1.0]


def test_max_retries_zero_turns_retries_off(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, max_retries=0)
    route = router.get(TASK_URL).mock(side_effect=[_status(503), task_response()])
    with pytest.raises(ServerError):
        music.get(TASK_ID)
    assert route.call_count == 1
    assert fake_time.sleeps == []


def test_backoff_grows_exponentially_up_to_the_cap(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    policy = RetryPolicy(initial_delay=1.0, multiplier=2.0, max_delay=5.0, jitter=0.0)
    music = make_client(handler=router.handler, max_retries=5, retry_policy=policy)
    router.get(TASK_URL).mock(side_effect=[_status(503)] * 5 + [task_response()])
    music.get(TASK_ID)
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_shortens_each_wait_by_at_most_its_share(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    policy = RetryPolicy(initial_delay=1.0, multiplier=2.0, max_delay=100.0, jitter=0.5)
    music = make_client(handler=router.handler, max_retries=6, retry_policy=policy)
    router.get(TASK_URL).mock(side_effect=[_status(500)] * 6 + [task_response()])
    music.get(TASK_ID)
    ceilings = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert len(fake_time.sleeps) == 6
    for slept, ceiling in zip(fake_time.sleeps, ceilings, strict=True):
        assert ceiling / 2 <= slept <= ceiling


def test_retry_after_is_honoured(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, retry_policy=EXACT)
    router.get(TASK_URL).mock(side_effect=[_status(429, **{"Retry-After": "7"}), task_response()])
    music.get(TASK_ID)
    assert fake_time.sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler)
    limited = _status(
        429,
        **{"Retry-After": "Wed, 21 Oct 2015 07:28:12 GMT", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"},
    )
    router.get(TASK_URL).mock(side_effect=[limited, task_response()])
    music.get(TASK_ID)
    assert fake_time.sleeps == [12.0]


def test_a_503_retry_after_is_honoured_for_create(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler)
    router.post("/v1/ai/music-generation").mock(
        side_effect=[_status(503, **{"Retry-After": "3"}), task_response()]
    )
    music.create("x", 30)
    assert fake_time.sleeps == [3.0]


def test_a_retry_after_beyond_the_limit_is_raised_at_once(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, retry_policy=RetryPolicy(max_retry_after=60))
    route = router.get(TASK_URL).mock(return_value=_status(429, **{"Retry-After": "3600"}))
    with pytest.raises(RateLimitError) as caught:
        music.get(TASK_ID)
    assert caught.value.retry_after == 3600
    assert route.call_count == 1
    assert fake_time.sleeps == []


def test_download_is_retried_before_any_byte_is_written(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, retry_policy=EXACT)
    router.get(RESULT_URL).mock(
        side_effect=[
            _status(503),
            httpx.ConnectError("refused"),
            httpx.Response(200, content=b"ok"),
        ]
    )
    buffer = io.BytesIO()
    assert music.download(RESULT_URL, buffer) == 2
    assert buffer.getvalue() == b"ok"
    assert fake_time.sleeps == [0.5, 1.0]


def test_wait_polls_through_transient_errors(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, retry_policy=EXACT)
    router.get(TASK_URL).mock(
        side_effect=[task_response("IN_PROGRESS"), _status(503), task_response("COMPLETED")]
    )
    assert music.wait(TASK_ID, poll_interval=2.0).status is TaskStatus.COMPLETED
    assert fake_time.sleeps == [2.0, 0.5]


def test_on_retry_hears_of_each_retry_before_its_wait(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    events: list[RetryEvent] = []
    sleeps_seen: list[int] = []

    def on_retry(event: RetryEvent) -> None:
        events.append(event)
        sleeps_seen.append(len(fake_time.sleeps))

    music = make_client(
        handler=router.handler, retry_policy=EXACT, max_retries=2, on_retry=on_retry
    )
    router.get(TASK_URL).mock(
        side_effect=[_status(503), httpx.ConnectError("refused"), _status(503)]
    )
    with pytest.raises(ServerError):
        music.get(TASK_ID)
    assert [(e.retry, e.max_retries, e.delay) for e in events] == [(1, 2, 0.5), (2, 2, 1.0)]
    assert [type(e.error) for e in events] == [ServerError, APIConnectionError]
    assert all(str(e.request.url) == TASK_URL for e in events)
    assert sleeps_seen == [0, 1]  # each event came before its wait


def test_on_retry_is_not_called_for_an_error_that_is_not_retried(
    make_client: Any, router: respx.MockRouter
) -> None:
    events: list[RetryEvent] = []
    music = make_client(handler=router.handler, on_retry=events.append)
    router.get(TASK_URL).mock(return_value=_status(404))
    with pytest.raises(NotFoundError):
        music.get(TASK_ID)
    assert events == []
