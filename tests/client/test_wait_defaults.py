"""Client-level defaults for waiting (``wait_timeout``, ``poll_interval``, ``max_poll_interval``)
and a ``RetryPolicy`` with small delays: what a fixture for a fast mock builds."""

from __future__ import annotations

import math
import time
from typing import Any

import anyio
import httpx
import pytest
import respx

from freepik_mock.client import (
    AsyncMusicClient,
    InvalidArgumentError,
    MusicClient,
    RetryPolicy,
    ServerError,
    TaskStatus,
    WaitTimeoutError,
)
from tests.client.helpers import API_KEY, COLLECTION, TASK_ID, TASK_URL, FakeTime, LiveMock
from tests.client.helpers import task_response as answer

CLIENTS = [MusicClient, AsyncMusicClient]
STILL_RUNNING = [answer("IN_PROGRESS")] * 5 + [answer("COMPLETED")]


def test_the_defaults_are_the_documented_ones(
    music: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    assert (music.wait_timeout, music.poll_interval, music.max_poll_interval) == (600, 2, 10)
    router.get(TASK_URL).mock(side_effect=[answer("IN_PROGRESS")] * 7 + [answer("COMPLETED")])
    music.wait(TASK_ID)
    assert fake_time.sleeps == [2.0, 3.0, 4.5, 6.75, 10.0, 10.0, 10.0]


def test_the_client_poll_interval_is_the_default_of_wait(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, poll_interval=0.05, max_poll_interval=0.1)
    router.get(TASK_URL).mock(side_effect=STILL_RUNNING)
    assert music.wait(TASK_ID).status is TaskStatus.COMPLETED
    assert fake_time.sleeps == pytest.approx([0.05, 0.075, 0.1, 0.1, 0.1])


def test_the_client_poll_interval_is_the_default_of_generate(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, poll_interval=0.05)
    router.post(COLLECTION).mock(return_value=answer("CREATED"))
    router.get(TASK_URL).mock(
        side_effect=[answer("CREATED"), answer("IN_PROGRESS"), answer("COMPLETED")]
    )
    assert music.generate("x", 10).status is TaskStatus.COMPLETED
    # The first poll follows the create at once; the waits come between polls.
    assert fake_time.sleeps == pytest.approx([0.05, 0.075])


def test_arguments_of_a_call_win_over_the_client_defaults(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(
        handler=router.handler, poll_interval=0.05, max_poll_interval=0.1, wait_timeout=1.0
    )
    router.get(TASK_URL).mock(side_effect=STILL_RUNNING)
    music.wait(TASK_ID, poll_interval=1.0, max_poll_interval=2.0, timeout=60.0)
    assert fake_time.sleeps == [1.0, 1.5, 2.0, 2.0, 2.0]
    router.post(COLLECTION).mock(return_value=answer("CREATED"))
    router.get(TASK_URL).mock(side_effect=[answer("IN_PROGRESS"), answer("COMPLETED")])
    fake_time.sleeps.clear()
    music.generate("x", 10, poll_interval=3.0)
    # The call's poll interval (not the client's 0.05 s), cut to the client's 1 s wait_timeout.
    assert fake_time.sleeps == [1.0]


def test_the_client_wait_timeout_is_the_default_deadline(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, wait_timeout=5.0, poll_interval=2.0)
    router.get(TASK_URL).mock(return_value=answer("IN_PROGRESS"))
    with pytest.raises(WaitTimeoutError, match="after waiting 5 s") as caught:
        music.wait(TASK_ID)
    assert caught.value.timeout == 5.0
    assert fake_time.sleeps == [2.0, 3.0]
    router.post(COLLECTION).mock(return_value=answer("CREATED"))
    with pytest.raises(WaitTimeoutError) as caught:
        music.generate("x", 10, timeout=1.0)
    assert caught.value.timeout == 1.0


BAD_SECONDS = [0, -1, math.nan, True, "2", None]


@pytest.mark.parametrize("client_type", CLIENTS)
@pytest.mark.parametrize("option", ["wait_timeout", "poll_interval", "max_poll_interval"])
@pytest.mark.parametrize("value", BAD_SECONDS, ids=repr)
def test_bad_client_wait_options_are_refused(client_type: type, option: str, value: Any) -> None:
    with pytest.raises(InvalidArgumentError, match=f"^{option} must be"):
        client_type(api_key=API_KEY, **{option: value})


@pytest.mark.parametrize("client_type", CLIENTS)
def test_wait_options_are_keyword_only_and_small_values_are_accepted(client_type: type) -> None:
    client = client_type(
        api_key=API_KEY, wait_timeout=0.5, poll_interval=0.01, max_poll_interval=0.02
    )
    assert (client.wait_timeout, client.poll_interval, client.max_poll_interval) == (
        0.5,
        0.01,
        0.02,
    )
    if isinstance(client, MusicClient):
        client.close()
    else:
        anyio.run(client.aclose)


@pytest.mark.parametrize("option", ["timeout", "poll_interval", "max_poll_interval"])
@pytest.mark.parametrize("value", [0, -0.5, math.nan, "1"], ids=repr)
def test_bad_wait_options_of_generate_spend_no_task(
    make_client: Any, option: str, value: Any
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        pytest.fail(f"a request was sent: {request.method} {request.url}")

    music = make_client(handler=handler)
    with pytest.raises(InvalidArgumentError, match=f"^{option} must be"):
        music.generate("x", 10, **{option: value})
    with pytest.raises(InvalidArgumentError, match=f"^{option} must be"):
        music.wait(TASK_ID, **{option: value})


# Fast retries -------------------------------------------------------------------------------


def test_a_retry_policy_with_small_delays_retries_fast(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    fast = RetryPolicy(initial_delay=0.01, max_delay=0.03, jitter=0.0)
    music = make_client(handler=router.handler, retry_policy=fast, max_retries=4)
    failure = httpx.Response(503, json={"message": "scripted"})
    route = router.get(COLLECTION).mock(side_effect=[failure] * 4 + [httpx.Response(200, json=[])])
    assert music.list() == []
    assert route.call_count == 5
    assert fake_time.sleeps == pytest.approx([0.01, 0.02, 0.03, 0.03])


def test_a_retry_policy_without_delays_does_not_wait(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    music = make_client(handler=router.handler, retry_policy=RetryPolicy(initial_delay=0))
    failure = httpx.Response(503, json={"message": "scripted"})
    router.get(COLLECTION).mock(return_value=failure)
    with pytest.raises(ServerError):
        music.list()
    assert fake_time.sleeps == [0.0, 0.0, 0.0]


def test_small_delays_do_not_shorten_a_retry_after(
    make_client: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    fast = RetryPolicy(initial_delay=0.01, max_delay=0.03, jitter=0.0)
    music = make_client(handler=router.handler, retry_policy=fast)
    limited = httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "1"})
    router.get(COLLECTION).mock(side_effect=[limited, httpx.Response(200, json=[])])
    music.list()
    assert fake_time.sleeps == [1.0]


@pytest.mark.parametrize(
    "options",
    [
        {"initial_delay": math.nan},
        {"max_delay": math.nan},
        {"max_retry_after": math.nan},
        {"initial_delay": math.inf},
        {"max_delay": math.inf},
        {"initial_delay": -0.01},
        {"multiplier": math.nan},
        {"multiplier": math.inf},
        {"multiplier": 0.5},
    ],
    ids=repr,
)
def test_a_retry_policy_refuses_delays_it_could_not_sleep(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**options)


def test_a_huge_multiplier_reaches_the_cap_without_overflowing() -> None:
    policy = RetryPolicy(initial_delay=0.01, multiplier=1e100, max_delay=0.5, jitter=0.0)
    assert [policy.backoff(n, random_fraction=0.0) for n in (0, 1, 5, 100)] == [
        0.01,
        0.5,
        0.5,
        0.5,
    ]
    assert RetryPolicy(initial_delay=0, multiplier=1e100).backoff(9, random_fraction=0.0) == 0


# On the real clock --------------------------------------------------------------------------


@pytest.mark.live
def test_a_fast_poll_interval_makes_generate_fast_on_a_fast_mock(live_mock: LiveMock) -> None:
    """The mock finishes in 0.15 s; with the 2 s default the first wait alone would be 2 s."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with MusicClient(
        api_key=API_KEY, base_url=live_mock.url, poll_interval=0.05, sleep=sleep
    ) as music:
        task = music.generate("calm piano", 10)
    assert task.status is TaskStatus.COMPLETED
    assert waits
    assert waits[0] == pytest.approx(0.05)  # the client's poll interval, not the 2 s default


@pytest.mark.live
def test_a_fast_poll_interval_makes_async_generate_fast_on_a_fast_mock(
    live_mock: LiveMock,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await anyio.sleep(seconds)

    async def scenario() -> TaskStatus:
        client = AsyncMusicClient(
            api_key=API_KEY, base_url=live_mock.url, poll_interval=0.05, sleep=sleep
        )
        async with client as music:
            task = await music.generate("calm piano", 10)
            return task.status

    assert anyio.run(scenario) is TaskStatus.COMPLETED
    assert waits
    assert waits[0] == pytest.approx(0.05)  # the client's poll interval, not the 2 s default
