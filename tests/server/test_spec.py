"""The shipped specs, the extended spec's additions, and request validation against it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate as validate_openapi

from mock_server.spec import (
    InvalidParam,
    RequestValidator,
    build_extended_spec,
    load_extended_spec,
    load_extended_spec_text,
    load_vendor_spec,
    load_vendor_spec_text,
    render_spec_yaml,
    strip_additions,
    validate_response,
)
from scripts.build_extended_spec import main as build_script

REPO = Path(__file__).resolve().parents[2]
COLLECTION = "/v1/ai/music-generation"
ITEM = "/v1/ai/music-generation/{task-id}"
JSON = "application/json"
TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
GOOD = {"prompt": "A Blues guitar solo with emotional bends and slides", "music_length_seconds": 60}
MARK = "x-mock-addition"
MISSING = object()


@pytest.fixture(scope="module")
def validator() -> RequestValidator:
    return RequestValidator()


@pytest.fixture(scope="module")
def extended() -> dict[str, Any]:
    return load_extended_spec()


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


def answer(validator: RequestValidator, method: str, path: str, status: int, body: Any) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return validator.validate_response(
        method=method, path=path, status=status, headers={}, body=data, content_type=JSON
    )


# --- the shipped files ----------------------------------------------------------------------


def test_the_vendor_yaml_is_the_vendors_page_byte_for_byte() -> None:
    pages = [
        p / "vendor" / "music-generation-openapi.md"
        for p in (Path("/work/shared"), REPO.parent / "shared")
    ]
    page = next((p for p in pages if p.is_file()), None)
    if page is None:
        pytest.skip("no shared/vendor/music-generation-openapi.md beside the repo to compare with")
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, x in enumerate(lines) if x.rstrip() == f"````yaml post {COLLECTION}")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].rstrip() == "````")
    assert load_vendor_spec_text() == "".join(lines[start + 1 : end])


def test_the_shipped_extended_spec_is_what_the_builder_produces(vendor: dict[str, Any]) -> None:
    data = REPO / "mock_server" / "spec" / "data"
    assert (data / "vendor-openapi.yaml").read_text(encoding="utf-8") == load_vendor_spec_text()
    shipped = (data / "extended-openapi.yaml").read_text(encoding="utf-8")
    assert shipped == load_extended_spec_text()
    before = copy.deepcopy(vendor)
    assert shipped == render_spec_yaml(build_extended_spec(vendor))
    assert vendor == before  # the builder is pure
    assert yaml.safe_load(shipped) == build_extended_spec(vendor) == load_extended_spec()
    assert build_script(["--check"]) == 0


def test_the_build_script_writes_and_checks_a_file(tmp_path: Path) -> None:
    target = tmp_path / "extended.yaml"
    target.write_text("openapi: 3.0.0\n", encoding="utf-8")
    assert build_script(["--check", "--path", str(target)]) == 1
    assert build_script(["--path", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == load_extended_spec_text()
    assert build_script(["--check", "--path", str(target)]) == 0


def test_both_specs_are_valid_openapi(vendor: dict[str, Any], extended: dict[str, Any]) -> None:
    validate_openapi(vendor)
    validate_openapi(extended)


# --- what the extended spec adds ------------------------------------------------------------


def test_removing_every_marked_addition_gives_back_the_vendor_spec(
    vendor: dict[str, Any], extended: dict[str, Any]
) -> None:
    assert extended != vendor
    assert strip_additions(extended) == vendor
    tampered = copy.deepcopy(extended)
    tampered["paths"][COLLECTION]["post"]["responses"]["418"] = {"description": "unmarked"}
    assert strip_additions(tampered) != vendor


def test_the_get_task_operation(extended: dict[str, Any], vendor: dict[str, Any]) -> None:
    item = extended["paths"][ITEM]
    operation = item["get"]
    assert item[MARK] is True
    assert operation[MARK] is True
    assert operation["operationId"] == "get_music_generation_task"
    (parameter,) = operation["parameters"]
    assert (parameter["name"], parameter["in"], parameter["required"]) == ("task-id", "path", True)
    assert parameter["schema"] == {"type": "string"}
    responses = operation["responses"]
    assert set(responses) == {"200", "400", "401", "404", "429", "500", "503"}
    envelope = "#/components/schemas/_v1_ai_text_to_image_hyperflux_post_200_response"
    assert responses["200"]["content"][JSON]["schema"] == {"$ref": envelope}
    for code in ("400", "401", "500", "503"):
        assert responses[code] == vendor["paths"][COLLECTION]["post"]["responses"][code]
    assert responses["404"][MARK] is True
    examples = responses["404"]["content"][JSON]["examples"]
    assert [e["value"] for e in examples.values()] == [{"message": "Not found"}]


def test_the_list_operation(extended: dict[str, Any], validator: RequestValidator) -> None:
    operation = extended["paths"][COLLECTION]["get"]
    assert operation[MARK] is True
    assert operation["operationId"] == "list_music_generation_tasks"
    assert set(operation["responses"]) == {"200", "400", "401", "429", "500", "503"}
    item = {"task_id": TASK_ID, "status": "COMPLETED"}
    for body, conforms in [
        ({"data": [item]}, True),
        ({"data": [{**item, "generated": ["http://127.0.0.1/a.mp3"]}]}, True),
        ({"data": []}, True),
        ({"data": [{"task_id": TASK_ID}]}, False),
        ({"data": [{"status": "CREATED"}]}, False),
        ({"tasks": []}, False),
    ]:
        assert (answer(validator, "GET", COLLECTION, 200, body) == []) is conforms, body


def test_the_rebranded_key_header_is_an_alternative_on_every_operation(
    extended: dict[str, Any],
) -> None:
    scheme = extended["components"]["securitySchemes"]["magnificApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == (
        "apiKey",
        "header",
        "x-magnific-api-key",
    )
    assert scheme[MARK] is True
    paths = extended["paths"]
    for operation in (paths[COLLECTION]["post"], paths[COLLECTION]["get"], paths[ITEM]["get"]):
        assert operation["security"] == [{"apiKey": []}, {"magnificApiKey": []}]
    assert "security" in paths[COLLECTION]["post"]["x-mock-additions"]


def test_the_create_response_links_to_the_get_call(extended: dict[str, Any]) -> None:
    ok = extended["paths"][COLLECTION]["post"]["responses"]["200"]
    (link,) = ok["links"].values()
    assert link["operationId"] == "get_music_generation_task"
    assert link["parameters"] == {"task-id": "$response.body#/data/task_id"}
    assert "links" in ok["x-mock-additions"]


def test_the_mock_server_is_listed_after_the_vendors(extended: dict[str, Any]) -> None:
    vendor_server, mock_server = extended["servers"]
    assert vendor_server == {
        "description": "B2B API Production V1",
        "url": "https://api.freepik.com",
    }
    assert (mock_server["url"], mock_server[MARK]) == ("http://127.0.0.1:8080", True)


@pytest.mark.parametrize(
    ("path", "method"), [(COLLECTION, "post"), (COLLECTION, "get"), (ITEM, "get")]
)
def test_every_operation_documents_an_injected_429(
    extended: dict[str, Any], validator: RequestValidator, path: str, method: str
) -> None:
    response = extended["paths"][path][method]["responses"]["429"]
    assert response[MARK] is True
    assert "Retry-After" in response["headers"]
    concrete = path.replace("{task-id}", TASK_ID)
    assert answer(validator, method, concrete, 429, {"message": "Too many requests"}) == []


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
