"""The reference client against the extended spec: respx answers, openapi-core checks requests.

1. Every answer the spec documents for each operation (every status and media type, every
   example, and bodies hypothesis generates from the response schemas) gives the right typed
   result or the right typed error, from both ``MusicClient`` and ``AsyncMusicClient``; answers
   the spec does not document give a ``MusicAPIError``, never any other exception.
2. Every request the clients send here is checked against the spec by openapi-core
   (``freepik_mock.contract.openapi_httpx``: security on, unknown body fields rejected, base URL
   checked). A deliberately broken client proves that a wrong header name, a wrong field name
   and a wrong type are caught.

No network: each client gets an ``httpx.MockTransport`` over a respx router
(``freepik_mock.contract.client_harness``). The spec walk and the body strategies are in
``freepik_mock.contract.spec_strategies``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freepik_mock.client import (
    APIStatusError,
    AuthenticationError,
    InvalidArgumentError,
    InvalidParam,
    InvalidResponseError,
    MusicAPIError,
    NotFoundError,
    RateLimitError,
    ServerError,
    Task,
    TaskStatus,
    ValidationError,
)
from freepik_mock.contract.client_harness import (
    COLLECTION,
    KINDS,
    BrokenAsyncMusicClient,
    BrokenMusicClient,
    Call,
    CheckedApi,
    Defect,
    Kind,
    answer,
    run,
)
from freepik_mock.contract.openapi_httpx import response_problems
from freepik_mock.contract.spec_strategies import (
    JSON_VALUES,
    Operation,
    ResponseCase,
    from_schema,
    property_names,
    response_cases,
)
from freepik_mock.server.spec import load_extended_spec

TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
PROMPT = "Calm lo-fi piano with soft rain"
SPEC = load_extended_spec()
CALLS: dict[Operation, Call] = {
    "create": ("create", (PROMPT, 30), {}),
    "get": ("get", (TASK_ID,), {}),
    "list": ("list", (), {}),
}
#: The error each documented non-2xx status must become (exactly this class).
ERRORS: dict[int, type[APIStatusError]] = {
    400: ValidationError,
    401: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
    500: ServerError,
    503: ServerError,
}
FAST = settings(max_examples=20, derandomize=True, deadline=None, database=None)
CASES = response_cases(SPEC)
EXAMPLES = [(case, name, value) for case in CASES for name, value in case.examples]
#: Extra properties never reuse a name the spec gives a meaning (those are tested explicitly).
RESERVED = frozenset(property_names(SPEC) | {"data"})


def case_for(
    operation: Operation, status: int, media_type: str = "application/json"
) -> ResponseCase:
    return next(
        c for c in CASES if (c.operation, c.status, c.media_type) == (operation, status, media_type)
    )


def task_answer(status: str = "CREATED", generated: tuple[str, ...] = ()) -> httpx.Response:
    return answer(200, {"data": {"task_id": TASK_ID, "status": status, "generated": [*generated]}})


# The oracle: what the client must give for a documented answer ------------------------------


def _task(item: dict[str, Any]) -> Task:
    generated = tuple(item.get("generated", ()))
    return Task(task_id=item["task_id"], status=TaskStatus(item["status"]), generated=generated)


def _field(body: Any, name: str) -> Any:
    """A 400 field: flat as the vendor sends it, or under ``problem`` as its schema says."""
    if not isinstance(body, dict):
        return None
    return body[name] if name in body else (body.get("problem") or {}).get(name)


def check_outcome(operation: Operation, status: int, body: Any, outcome: Any) -> None:
    if status == 200:
        assert not isinstance(outcome, BaseException), f"{outcome!r} for a valid 200: {body}"
        expected = [_task(i) for i in body["data"]] if operation == "list" else _task(body["data"])
        assert outcome == expected
        return
    assert status in ERRORS, f"no expectation for status {status}: extend ERRORS"
    assert type(outcome) is ERRORS[status], f"{outcome!r} for {status}"
    assert (outcome.status_code, outcome.body) == (status, body)
    if isinstance(message := _field(body, "message"), str) and message:
        assert message in str(outcome)
    if isinstance(outcome, ValidationError):
        params = tuple(
            InvalidParam(p["name"], p["reason"]) for p in _field(body, "invalid_params") or ()
        )
        assert outcome.invalid_params == params


def exercise(kind: Kind, case: ResponseCase, body: Any, **headers: str) -> Any:
    """Answer ``case``'s operation with ``body`` and check what the client makes of it."""
    response = answer(case.status, body, media_type=case.media_type, **headers)
    api = CheckedApi().answer(case.operation, response)
    outcome = run(kind, api, CALLS[case.operation])
    assert api.problems == []
    assert len(api.requests) == 1, "retries are off: exactly one request"
    problems = response_problems(
        api.routes[case.operation].calls.last.response, openapi=api.openapi
    )
    assert problems == [], f"the test's own answer breaks the spec: {problems}"
    check_outcome(case.operation, case.status, body, outcome)
    return outcome


# 1. Every answer the spec documents, and some it does not -----------------------------------


def test_the_walk_covers_every_operation_status_and_example() -> None:
    assert {case.operation for case in CASES} == set(CALLS)
    assert {case.status for case in CASES} == {200, *ERRORS}
    assert all(case.examples for case in CASES), "every documented answer has an example"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("case", "name", "body"), EXAMPLES, ids=[f"{c}-{n}" for c, n, _ in EXAMPLES]
)
def test_every_example_gives_the_right_result(
    kind: Kind, case: ResponseCase, name: str, body: Any
) -> None:
    exercise(kind, case, body)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_bodies_from_the_schemas_give_the_right_result(kind: Kind, case: ResponseCase) -> None:
    printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
    retry_after = st.none() | st.integers(0, 3600).map(str) | printable

    @FAST
    @given(body=from_schema(case.schema, reserved=RESERVED), header=retry_after)
    def check(body: Any, header: str | None) -> None:
        if case.status != 429 or header is None:
            exercise(kind, case, body)
            return
        error = exercise(kind, case, body, **{"Retry-After": header})
        if header.isdigit():
            assert error.retry_after == float(header)
        else:
            assert error.retry_after is None or error.retry_after >= 0

    check()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("operation", CALLS)
def test_any_other_answer_gives_a_client_error(kind: Kind, operation: Operation) -> None:
    statuses = st.sampled_from([200, 201, 204, 301, 400, 403, 404, 409, 410, 422, 429, 502])
    media_types = st.sampled_from(["application/json", "application/problem+json", "text/html", ""])
    contents = JSON_VALUES.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=40)

    @FAST
    @given(status=statuses, media_type=media_types, content=contents)
    def check(status: int, media_type: str, content: bytes) -> None:
        headers = {"content-type": media_type} if media_type else {}
        response = httpx.Response(status, content=content, headers=headers)
        api = CheckedApi().answer(operation, response)
        outcome = run(kind, api, CALLS[operation])
        assert api.problems == []
        if status < 300:
            assert isinstance(outcome, Task | list | InvalidResponseError), repr(outcome)
        else:
            assert isinstance(outcome, APIStatusError), repr(outcome)
            assert outcome.status_code == status

    check()


INVALID: dict[str, Any] = {"message": "Your request parameters didn't validate."}
INVALID["invalid_params"] = [{"name": "prompt", "reason": "Parameter 'prompt' is required"}]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("body", [INVALID, {"problem": INVALID}], ids=["flat", "nested"])
def test_both_shapes_of_a_400_name_the_invalid_params(kind: Kind, body: dict[str, Any]) -> None:
    error = exercise(kind, case_for("create", 400, "application/problem+json"), body)
    assert error.invalid_params == (InvalidParam("prompt", "Parameter 'prompt' is required"),)
    assert "prompt: Parameter 'prompt' is required" in str(error)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("operation", CALLS)
def test_with_retries_on_503_and_429_are_retried(kind: Kind, operation: Operation) -> None:
    success = answer(200, {"data": []}) if operation == "list" else task_answer()
    limited = answer(429, {"message": "Too many requests"}, **{"Retry-After": "3"})
    unavailable = answer(503, {"message": "Service Unavailable. Please try again later."})
    api = CheckedApi().answer(operation, unavailable, limited, success)
    sleeps: list[float] = []
    outcome = run(kind, api, CALLS[operation], max_retries=3, sleeps=sleeps)
    assert outcome == ([] if operation == "list" else _task(json.loads(success.content)["data"]))
    assert sleeps == [0.5, 3.0]
    assert (len(api.requests), api.problems) == (3, [])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("operation", "sent"), [("create", 1), ("get", 2), ("list", 2)])
def test_with_retries_on_a_500_is_not_retried_for_create(
    kind: Kind, operation: Operation, sent: int
) -> None:
    failure = answer(500, {"message": "Internal Server Error"})
    api = CheckedApi().answer(operation, failure, failure)
    error = run(kind, api, CALLS[operation], max_retries=1)
    assert type(error) is ServerError
    assert len(api.requests) == sent


@pytest.mark.parametrize("kind", KINDS)
def test_an_envelope_with_a_stray_task_id_is_still_unwrapped(kind: Kind) -> None:
    body = {"data": {"task_id": TASK_ID, "status": "COMPLETED", "generated": []}, "task_id": "x"}
    exercise(kind, case_for("get", 200), body)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [200, 400])
def test_a_deeply_nested_body_gives_a_client_error(kind: Kind, status: int) -> None:
    api = CheckedApi().answer("list", httpx.Response(status, content=b"[" * 100_000))
    assert isinstance(run(kind, api, CALLS["list"]), MusicAPIError)


# 2. Every request the client sends ----------------------------------------------------------

WEBHOOK = "https://hooks.contract.test/in?source=contract"
REQUESTS: dict[str, tuple[Operation, Call]] = {
    "create": ("create", CALLS["create"]),
    "create-webhook": ("create", ("create", ("x" * 2500, 240), {"webhook_url": WEBHOOK})),
    "create-unicode": ("create", ("create", ("Fado à noite, guitarra 🎸", 10), {})),
    "get": ("get", CALLS["get"]),
    "get-odd-id": ("get", ("get", ("a/b c?d#e%",), {})),
    "list": ("list", CALLS["list"]),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", REQUESTS)
def test_every_request_conforms_to_the_spec(kind: Kind, name: str) -> None:
    operation, call = REQUESTS[name]
    success = answer(200, {"data": []}) if operation == "list" else task_answer()
    api = CheckedApi().answer(operation, success)
    outcome = run(kind, api, call)
    assert not isinstance(outcome, BaseException), repr(outcome)
    assert (len(api.requests), api.problems) == (1, [])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("task_id", [".", ".."])
def test_a_dot_segment_task_id_stays_a_task_id(kind: Kind, task_id: str) -> None:
    api = CheckedApi().answer("get", task_answer())
    outcome = run(kind, api, ("get", (task_id,), {}))
    sent = [unquote(r.url.raw_path.decode().removeprefix(f"{COLLECTION}/")) for r in api.requests]
    assert isinstance(outcome, InvalidArgumentError) or sent == [task_id]


@pytest.mark.parametrize("kind", KINDS)
def test_generate_polls_with_conforming_requests(kind: Kind) -> None:
    url = "https://cdn.contract.test/results/track.mp3"
    api = CheckedApi().answer("create", task_answer())
    api.answer("get", task_answer("IN_PROGRESS"), task_answer("COMPLETED", (url,)))
    task = run(kind, api, ("generate", (PROMPT, 30), {"webhook_url": WEBHOOK}))
    assert task == Task(task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(url,))
    assert [r.method for r in api.requests] == ["POST", "GET", "GET"]
    assert api.problems == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        ("header", "security: no accepted API key was sent (expected the header x-freepik-api-key"),
        ("field", "body: 'music_length_seconds' is a required property"),
        ("type", "body.music_length_seconds: '30' is not of type 'integer'"),
        ("webhook-field", "body: Additional properties are not allowed ('webhook' was unexpected)"),
    ],
)
def test_a_broken_client_is_caught(kind: Kind, defect: Defect, expected: str) -> None:
    api = CheckedApi().answer("create", task_answer())
    call: Call = ("create", (PROMPT, 30), {"webhook_url": WEBHOOK})
    run(kind, api, call, classes=(BrokenMusicClient, BrokenAsyncMusicClient), defect=defect)
    assert len(api.requests) == 1
    assert [problem for problem in api.problems if expected in problem], api.problems
