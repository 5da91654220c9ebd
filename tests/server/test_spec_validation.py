"""Request (and response) validation against the extended spec, and how the validator is
prepared: lazily, once, safely from many threads (the shipped files: test_spec.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freepik_mock.server.spec import (
    InvalidParam,
    RequestValidator,
    load_vendor_spec,
    validate_response,
)

COLLECTION = "/v1/ai/music-generation"
JSON = "application/json"
TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
GOOD = {"prompt": "A Blues guitar solo with emotional bends and slides", "music_length_seconds": 60}
MISSING = object()


@pytest.fixture(scope="module")
def validator() -> RequestValidator:
    return RequestValidator()


@pytest.fixture(scope="module")
def vendor() -> dict[str, Any]:
    return load_vendor_spec()


def check(
    validator: RequestValidator,
    body: bytes = b"",
    content_type: str | None = JSON,
    *,
    method: str = "POST",
    path: str = COLLECTION,
) -> list[InvalidParam]:
    headers = {"Content-Type": content_type} if content_type else {}
    return validator.validate(
        method=method, path=path, query="", headers=headers, body=body, content_type=content_type
    )


def post_json(validator: RequestValidator, payload: Any) -> list[InvalidParam]:
    return check(validator, json.dumps(payload).encode())


# --- request validation: what is accepted ---------------------------------------------------


def test_the_vendors_request_examples_are_accepted(
    vendor: dict[str, Any], validator: RequestValidator
) -> None:
    examples = vendor["paths"][COLLECTION]["post"]["requestBody"]["content"][JSON]["examples"]
    assert len(examples) == 2
    for example in examples.values():
        assert post_json(validator, example["value"]) == []


@pytest.mark.parametrize(
    "payload",
    [
        {**GOOD, "mood": "happy", "nested": {"a": [1, None]}},
        {"prompt": "x" * 2500, "music_length_seconds": 10},
        {"prompt": "", "music_length_seconds": 240},
        {**GOOD, "webhook_url": "https://www.example.com/webhook"},
        {**GOOD, "webhook_url": "http://127.0.0.1:9000/hook?x=1"},
    ],
)
def test_valid_bodies_and_unknown_fields_are_accepted(
    validator: RequestValidator, payload: dict[str, Any]
) -> None:
    assert post_json(validator, payload) == []


def test_content_type_parameters_and_case_do_not_matter(validator: RequestValidator) -> None:
    for content_type in (
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json;",
    ):
        assert check(validator, json.dumps(GOOD).encode(), content_type) == []


def test_the_api_key_is_left_to_the_server(validator: RequestValidator) -> None:
    assert check(validator, json.dumps(GOOD).encode()) == []  # no key header at all
    assert check(validator, method="GET", content_type=None) == []


@pytest.mark.parametrize("path", ["/_mock/health", "/_mock/tasks/x", f"{COLLECTION}/a/b", "/other"])
def test_paths_outside_the_spec_are_not_validated(validator: RequestValidator, path: str) -> None:
    assert check(validator, b"\x00junk", "text/plain", path=path) == []


@given(task_id=st.text(alphabet=st.characters(blacklist_characters="/"), max_size=80))
@settings(max_examples=60, deadline=None)
def test_malformed_task_ids_are_left_to_the_server(
    validator: RequestValidator, task_id: str
) -> None:
    assert check(validator, method="GET", path=f"{COLLECTION}/{task_id}", content_type=None) == []


# --- request validation: what is rejected, and how it is said -------------------------------

LENGTH = "music_length_seconds"
BAD_FIELDS = [
    (LENGTH, MISSING, "is required"),
    ("prompt", MISSING, "is required"),
    (LENGTH, 9, "must be at least 10"),
    (LENGTH, 241, "must be at most 240"),
    (LENGTH, 10**30, "must be at most 240"),
    (LENGTH, "30", "must be an integer"),
    (LENGTH, 30.5, "must be an integer"),
    (LENGTH, None, "must be an integer"),
    ("prompt", "x" * 2501, "must be at most 2500 characters long"),
    ("prompt", 5, "must be a string"),
    ("webhook_url", "not a url", "must be a valid URI"),
    ("webhook_url", "/relative/path", "must be a valid URI"),
    ("webhook_url", 42, "must be a string"),
]


@pytest.mark.parametrize(("name", "value", "reason"), BAD_FIELDS)
def test_each_broken_field_is_named_with_a_reason(
    validator: RequestValidator, name: str, value: Any, reason: str
) -> None:
    payload = {"prompt": "x", LENGTH: 30, name: value}
    if value is MISSING:
        del payload[name]
    expected = InvalidParam(name=name, reason=f"Parameter '{name}' {reason}")
    assert post_json(validator, payload) == [expected]


def test_every_problem_is_reported_once(validator: RequestValidator) -> None:
    problems = post_json(validator, {"prompt": 7, "webhook_url": "nope", "extra": 1})
    assert sorted(problems, key=lambda p: p.name) == [
        InvalidParam(LENGTH, "Parameter 'music_length_seconds' is required"),
        InvalidParam("prompt", "Parameter 'prompt' must be a string"),
        InvalidParam("webhook_url", "Parameter 'webhook_url' must be a valid URI"),
    ]
    assert post_json(validator, {}) == [
        InvalidParam(LENGTH, "Parameter 'music_length_seconds' is required"),
        InvalidParam("prompt", "Parameter 'prompt' is required"),
    ]


NOT_JSON = "Request body is not valid JSON"
NOT_OBJECT = "Request body must be a JSON object"
EMPTY = "Request body is required (a JSON object)"
BAD_BODIES = [
    (b"{not json", JSON, NOT_JSON),
    (b"\xff\xfe\x00garbage", JSON, NOT_JSON),
    (b'{"prompt": "x", "music_length_seconds": NaN}', JSON, NOT_JSON),
    (b'{"prompt": "x", "music_length_seconds": 30, "a": -Infinity}', JSON, NOT_JSON),
    (b"", JSON, EMPTY),
    (b"", None, EMPTY),
    (b"[1, 2]", JSON, NOT_OBJECT),
    (b'"just a string"', JSON, NOT_OBJECT),
    (b"null", JSON, NOT_OBJECT),
    (b"[" * 50_000, JSON, "Request body is nested too deeply"),
    (
        b"prompt=x",
        "application/x-www-form-urlencoded",
        f"Content-Type must be {JSON}, not application/x-www-form-urlencoded",
    ),
    (json.dumps(GOOD).encode(), "text/plain", f"Content-Type must be {JSON}, not text/plain"),
    (
        json.dumps(GOOD).encode(),
        None,
        f"Content-Type must be {JSON} (no Content-Type header was sent)",
    ),
]


@pytest.mark.parametrize(("body", "content_type", "reason"), BAD_BODIES)
def test_bodies_that_are_not_a_json_object_are_named_body(
    validator: RequestValidator, body: bytes, content_type: str | None, reason: str
) -> None:
    assert check(validator, body, content_type) == [InvalidParam(name="body", reason=reason)]


def test_the_answer_built_from_the_problems_is_a_documented_400(
    validator: RequestValidator,
) -> None:
    invalid = [{"name": p.name, "reason": p.reason} for p in post_json(validator, {"prompt": 5})]
    body = {"message": "Your request parameters didn't validate.", "invalid_params": invalid}
    assert (
        validator.validate_response(
            method="POST",
            path=COLLECTION,
            status=400,
            headers={},
            body=json.dumps(body).encode(),
            content_type="application/problem+json",
        )
        == []
    )


# --- never raises ---------------------------------------------------------------------------


def assert_well_formed(problems: Any) -> None:
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, InvalidParam)
        assert problem.name
        assert problem.reason


CONTENT_TYPES = st.sampled_from(
    [JSON, None, "", "text/plain", f"{JSON}; charset=latin-1", f"{JSON}; x", "\x00;;==", "*/*"]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(body=st.binary(max_size=300), content_type=CONTENT_TYPES)
@settings(max_examples=150, deadline=None)
def test_arbitrary_bytes_never_raise(
    validator: RequestValidator, body: bytes, content_type: str | None
) -> None:
    assert_well_formed(check(validator, body, content_type))


@given(value=JSON_VALUES)
@settings(max_examples=150, deadline=None)
def test_arbitrary_json_values_never_raise(validator: RequestValidator, value: Any) -> None:
    problems = post_json(validator, value)
    assert_well_formed(problems)
    if not isinstance(value, dict):
        assert problems == [InvalidParam("body", NOT_OBJECT)]


@given(
    fields=st.fixed_dictionaries(
        {}, optional={"prompt": JSON_VALUES, LENGTH: JSON_VALUES, "webhook_url": st.text()}
    ),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1"]),
)
@settings(max_examples=150, deadline=None)
def test_junk_in_the_known_fields_never_raises(
    validator: RequestValidator, fields: dict[str, Any], encoding: str
) -> None:
    try:
        body = json.dumps(fields, ensure_ascii=False).encode(encoding)
    except UnicodeEncodeError:
        body = json.dumps(fields).encode(encoding)
    problems = check(validator, body)
    assert_well_formed(problems)
    assert {p.name for p in problems} <= {"body", "prompt", LENGTH, "webhook_url"}


# --- response validation helper -------------------------------------------------------------


def test_validate_response_accepts_conforming_answers_and_names_the_others() -> None:
    created = {"data": {"task_id": TASK_ID, "status": "CREATED", "generated": []}}
    common: dict[str, Any] = {"headers": {}, "content_type": JSON}
    good = json.dumps(created).encode()
    assert validate_response(method="POST", path=COLLECTION, status=200, body=good, **common) == []
    broken = {"data": {"task_id": "nope", "status": "DONE", "generated": ["not a uri"]}}
    path = f"{COLLECTION}/{TASK_ID}"
    bad = json.dumps(broken).encode()
    problems = validate_response(method="GET", path=path, status=200, body=bad, **common)
    assert len(problems) == 3
    for where in ("data.task_id", "data.status", "data.generated.0"):
        assert any(where in p for p in problems), problems


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [(418, b"{}", JSON), (200, b"\xff", JSON), (200, b"{}", "text/html"), (404, b'{"m": 1}', JSON)],
)
def test_validate_response_flags_what_the_spec_does_not_allow(
    validator: RequestValidator, status: int, body: bytes, content_type: str
) -> None:
    path = f"{COLLECTION}/{TASK_ID}"
    assert validator.validate_response(
        method="GET", path=path, status=status, headers={}, body=body, content_type=content_type
    )


def test_a_custom_spec_can_be_given(vendor: dict[str, Any]) -> None:
    # With the vendor's spec alone, the GET endpoints are outside it and not validated.
    only_vendor = RequestValidator(spec=vendor)
    assert check(only_vendor, method="GET", path=f"{COLLECTION}/x", content_type=None) == []
    assert post_json(only_vendor, {"prompt": "x"}) == [
        InvalidParam(LENGTH, "Parameter 'music_length_seconds' is required")
    ]


# --- preparing the validator: lazily, once, from any thread ---------------------------------


def test_request_validation_never_imports_openapi_core_and_response_validation_does() -> None:
    code = """
import sys
from freepik_mock.server.spec import RequestValidator
validator = RequestValidator()
heavy = ("openapi_core", "jsonschema", "yaml")
print(sorted(name for name in heavy if name in sys.modules))
print(validator.validate(method="POST", path="/v1/ai/music-generation", query="", headers={},
                         body=b'{"prompt": 5}', content_type="application/json"))
print(sorted(name for name in heavy if name in sys.modules))
validator.validate_response(method="GET", path="/v1/ai/music-generation", status=200,
                            headers={}, body=b'{"data": []}', content_type="application/json")
print(sorted(name for name in heavy if name in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    before, problems, after_requests, after_responses = result.stdout.splitlines()
    assert before == "[]"
    assert "Parameter 'prompt' must be a string" in problems
    assert after_requests == "[]"  # the extended spec is parsed from its JSON copy
    assert after_responses == "['jsonschema', 'openapi_core', 'yaml']"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread of every spec compilation from now on."""
    from freepik_mock.server.spec import compiled

    made: list[str] = []

    class CountingChecker(compiled.CompiledChecker):
        def __init__(self, spec: dict[str, Any], **options: Any) -> None:
            made.append(threading.current_thread().name)
            super().__init__(spec, **options)

    monkeypatch.setattr(compiled, "CompiledChecker", CountingChecker)
    return made


def test_many_threads_validating_at_once_prepare_the_spec_once(builds: list[str]) -> None:
    validator = RequestValidator()
    start = threading.Barrier(8)
    answers: list[list[InvalidParam]] = []

    def first_request() -> None:
        start.wait()
        answers.append(post_json(validator, {"prompt": 5}))

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [
        InvalidParam("music_length_seconds", "Parameter 'music_length_seconds' is required"),
        InvalidParam("prompt", "Parameter 'prompt' must be a string"),
    ]
    assert [sorted(a, key=lambda p: p.name) for a in answers] == [expected] * 8
    assert len(builds) == 1


def test_a_background_preparation_runs_off_the_callers_thread_and_close_waits_for_it(
    builds: list[str],
) -> None:
    validator = RequestValidator()
    assert not validator.prepared
    validator.prepare_in_background()
    validator.prepare_in_background()  # once is enough
    validator.close()
    assert validator.prepared
    assert builds == ["freepik-mock-spec"]
    assert "freepik-mock-spec" not in [thread.name for thread in threading.enumerate()]
    assert post_json(validator, GOOD) == []
    assert len(builds) == 1


def test_a_custom_spec_that_is_not_openapi_fails_when_given() -> None:
    with pytest.raises(Exception, match='"info" is a required property'):
        RequestValidator(spec={"openapi": "3.0.0"})
