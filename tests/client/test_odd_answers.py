"""Answers that are legal or hostile but unusual: JSON nested too deeply to parse, and envelopes
with extra properties beside ``data``. Every test runs with both clients (``music``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from freepik_mock.client import (
    APIStatusError,
    AuthenticationError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    ServerError,
    Task,
    TaskStatus,
    ValidationError,
)
from freepik_mock.client._translate import json_or_none, load_json
from tests.client.helpers import COLLECTION, RESULT_URL, TASK_ID, TASK_URL, task_body

#: Deeper than any recursion limit: ``json.loads`` raises ``RecursionError`` on these.
DEEP_BODIES = [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000]
DEEP_IDS = ["open-arrays", "open-objects", "closed-arrays"]

CALLS = {
    "create": (lambda m: m.create("x", 30), "POST", COLLECTION),
    "get": (lambda m: m.get(TASK_ID), "GET", TASK_URL),
    "list": (lambda m: m.list(), "GET", COLLECTION),
}


def _route(router: respx.MockRouter, operation: str, response: httpx.Response) -> None:
    _, method, url = CALLS[operation]
    router.route(method=method, url=url).mock(return_value=response)


@pytest.mark.parametrize("body", DEEP_BODIES, ids=DEEP_IDS)
def test_load_json_turns_too_deep_nesting_into_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        load_json(body)
    assert json_or_none(httpx.Response(200, content=body)) is None


def test_load_json_still_parses_ordinary_nesting() -> None:
    nested: list[Any] = []
    for _ in range(49):
        nested = [nested]
    assert load_json(b"[" * 50 + b"]" * 50) == nested
    with pytest.raises(ValueError, match="Expecting"):
        load_json(b"{nope")


@pytest.mark.parametrize("operation", CALLS)
@pytest.mark.parametrize("body", DEEP_BODIES, ids=DEEP_IDS)
def test_a_too_deep_2xx_body_is_an_invalid_response(
    music: Any, router: respx.MockRouter, operation: str, body: bytes
) -> None:
    _route(router, operation, httpx.Response(200, content=body))
    with pytest.raises(InvalidResponseError, match="nested too deeply") as caught:
        CALLS[operation][0](music)
    assert caught.value.response is not None
    assert caught.value.request is not None


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (409, APIStatusError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
@pytest.mark.parametrize("body", DEEP_BODIES, ids=DEEP_IDS)
def test_a_too_deep_error_body_still_gives_the_status_error(
    music: Any, router: respx.MockRouter, status: int, error_type: type, body: bytes
) -> None:
    _route(router, "list", httpx.Response(status, content=body))
    with pytest.raises(APIStatusError) as caught:
        music.list()
    assert type(caught.value) is error_type
    assert caught.value.status_code == status
    assert caught.value.body is None


def test_a_too_deep_error_body_is_retried_like_any_other(
    make_client: Any, router: respx.MockRouter
) -> None:
    router.get(COLLECTION).mock(
        side_effect=[httpx.Response(503, content=b"[" * 100_000), httpx.Response(200, json=[])]
    )
    assert make_client(handler=router.handler, max_retries=1).list() == []
    assert router.calls.call_count == 2


STRAY_ID = {**task_body("COMPLETED"), "task_id": "x"}
EXPECTED = Task(task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(RESULT_URL,))


@pytest.mark.parametrize("operation", ["create", "get"])
@pytest.mark.parametrize(
    "body",
    [
        STRAY_ID,
        {**STRAY_ID, "status": "FAILED"},
        {**task_body("COMPLETED"), "meta": {"request_id": "r1"}},
        task_body("COMPLETED", wrapped=False),
        {**task_body("COMPLETED", wrapped=False), "data": {"note": "not a task"}},
        {**task_body("COMPLETED", wrapped=False), "data": None},
    ],
    ids=[
        "envelope-with-stray-task_id",
        "envelope-with-stray-task_id-and-status",
        "envelope-with-other-extras",
        "unwrapped",
        "unwrapped-with-an-object-data-property",
        "unwrapped-with-a-null-data-property",
    ],
)
def test_a_task_is_found_in_or_outside_its_envelope(
    music: Any, router: respx.MockRouter, operation: str, body: dict[str, Any]
) -> None:
    _route(router, operation, httpx.Response(200, json=body))
    assert CALLS[operation][0](music) == EXPECTED


def test_wait_unwraps_an_envelope_with_a_stray_task_id(
    music: Any, router: respx.MockRouter
) -> None:
    router.get(TASK_URL).mock(
        side_effect=[
            httpx.Response(200, json={**task_body("IN_PROGRESS"), "task_id": "x"}),
            httpx.Response(200, json=STRAY_ID),
        ]
    )
    assert music.wait(TASK_ID) == EXPECTED


@pytest.mark.parametrize(
    "body",
    [
        {"data": [task_body("COMPLETED", wrapped=False)], "task_id": "x"},
        {"data": [task_body("COMPLETED", wrapped=False)], "task_id": "x", "status": "CREATED"},
        {"data": [task_body("COMPLETED", wrapped=False)], "meta": {"page": 1}},
    ],
    ids=["stray-task_id", "stray-task_id-and-status", "other-extras"],
)
def test_a_list_envelope_with_extra_properties_is_unwrapped(
    music: Any, router: respx.MockRouter, body: dict[str, Any]
) -> None:
    _route(router, "list", httpx.Response(200, json=body))
    assert music.list() == [EXPECTED]


def test_an_envelope_whose_data_is_not_a_task_is_still_an_invalid_response(
    music: Any, router: respx.MockRouter
) -> None:
    _route(router, "get", httpx.Response(200, json={"data": {"status": "CREATED"}}))
    with pytest.raises(InvalidResponseError, match="task_id"):
        music.get(TASK_ID)
