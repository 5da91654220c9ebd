"""The compiled request validators against openapi-core, the oracle: a differential test per
operation, on the shipped spec and on one with more parameters and body fields (the checks come
from the document, so they follow it), and what is left to openapi-core."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from freepik_mock.server.spec import InvalidParam, RequestValidator, load_extended_spec
from freepik_mock.server.spec.adapter import SpecChecker
from freepik_mock.server.spec.compiled import CompiledChecker
from freepik_mock.server.spec.validation import validation_view
from tests.profiles import examples
from tests.server.spec_requests import Operation, operations, requests

COLLECTION = "/v1/ai/music-generation"
JSON = "application/json"
CASES = examples(ci=200, thorough=2000)


def enriched(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with parameters of every kind and more body fields (a spec the mock might grow)."""
    spec = copy.deepcopy(spec)
    listing = spec["paths"][COLLECTION]["get"]
    listing["parameters"] = [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 50,
                                                        "default": 20}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "format": "int32"}},
        {"name": "flag", "in": "query", "required": True, "schema": {"type": "boolean"}},
        {"name": "ratio", "in": "query",
         "schema": {"type": "number", "maximum": 2, "exclusiveMaximum": True}},
        {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
        {"name": "code", "in": "query", "schema": {"type": "string", "pattern": "^[a-z]+$"}},
        {"name": "X-Trace", "in": "header", "schema": {"type": "string", "maxLength": 5}},
        {"name": "session", "in": "cookie", "schema": {"type": "string"}},
    ]  # fmt: skip
    item = spec["paths"][f"{COLLECTION}/{{task-id}}"]
    item["get"]["parameters"][0]["schema"] = {"type": "string", "minLength": 2, "maxLength": 40}
    item["parameters"] = [
        {"name": "x-request-id", "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": "task-id", "in": "path", "required": True, "schema": {"type": "integer"}},
    ]
    body = spec["components"]["schemas"]["request_6"]
    body["properties"].update(
        {
            "seed": {"type": "integer", "format": "int64", "nullable": True, "minimum": 0},
            "tags": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 3}},
            "options": {
                "type": "object",
                "additionalProperties": False,
                "required": ["loop"],
                "properties": {
                    "loop": {"type": "boolean"},
                    "gain": {"type": "number", "format": "float"},
                },
            },
            "mode": {"type": "string", "enum": ["fast", "slow"]},
            "key": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 4},
            "style": {"allOf": [{"type": "string"}, {"minLength": 2}]},
        }
    )
    return spec


@dataclass
class Pair:
    """The compiled checker and the oracle on one spec; how often the compiled one asked it."""

    compiled: CompiledChecker
    oracle: SpecChecker
    asked: list[int] = field(default_factory=list)
    tally: Counter[str] = field(default_factory=Counter)


def pair(spec: dict[str, Any]) -> Pair:
    view = validation_view(spec)
    oracle = SpecChecker(view, check_spec=False)
    made = Pair(compiled=CompiledChecker(view, fallback=lambda: ask()), oracle=oracle)

    def ask() -> SpecChecker:
        made.asked.append(1)
        return oracle

    return made


SHIPPED = load_extended_spec()
ENRICHED = enriched(SHIPPED)


@pytest.fixture(scope="module")
def shipped() -> Pair:
    return pair(SHIPPED)


@pytest.fixture(scope="module")
def grown() -> Pair:
    return pair(ENRICHED)


def names(problems: list[InvalidParam]) -> list[str]:
    return [problem.name for problem in problems]


#: How a reason ends when it quotes the schema library's own message (the two libraries word
#: those differently: only the name is compared).
LIBRARY_WORDED = " is not valid: "


def agree(checkers: Pair, request: dict[str, Any]) -> None:
    """The compiled checker and openapi-core agree on ``request`` (and the tally counts it)."""
    before = len(checkers.asked)
    got = checkers.compiled.request_problems(**request)
    want = checkers.oracle.request_problems(**request)
    checkers.tally["rejected" if want else "accepted"] += 1
    checkers.tally["left to openapi-core"] += len(checkers.asked) - before
    assert names(got) == names(want), (request, got, want)
    for mine, theirs in zip(got, want, strict=True):
        if LIBRARY_WORDED not in theirs.reason:
            assert mine.reason == theirs.reason, request


DIFFERENTIAL = settings(
    max_examples=CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def differential(checkers: Pair, op: Operation, *, exact: bool) -> None:
    checkers.tally.clear()

    @DIFFERENTIAL
    @given(request=requests(op))
    def check(request: dict[str, Any]) -> None:
        agree(checkers, request)
        if exact:  # the shipped spec: same names, same reasons, same order
            assert checkers.compiled.request_problems(
                **request
            ) == checkers.oracle.request_problems(**request)

    check()
    print(f"{op.id}: {dict(checkers.tally)}")  # the figures, under -s
    # Both kinds were generated, where the operation has something to refuse.
    assert checkers.tally["accepted"]
    if op.parameters or op.body_schema is not None:
        assert checkers.tally["rejected"]


@pytest.mark.parametrize("op", operations(SHIPPED), ids=lambda op: op.id)
def test_the_shipped_spec_compiled_answers_as_openapi_core(shipped: Pair, op: Operation) -> None:
    differential(shipped, op, exact=True)


@pytest.mark.parametrize("op", operations(ENRICHED), ids=lambda op: op.id)
def test_a_grown_spec_compiled_answers_as_openapi_core(grown: Pair, op: Operation) -> None:
    differential(grown, op, exact=False)


def test_the_shipped_spec_is_compiled_whole(shipped: Pair) -> None:
    assert shipped.compiled.delegated == {}
    assert pair(ENRICHED).compiled.delegated == {}


# --- the checks follow the document -----------------------------------------------------------


def post(validator: RequestValidator, payload: Any, **extra: Any) -> list[InvalidParam]:
    return validator.validate(
        method="POST",
        path=COLLECTION,
        query=extra.get("query", ""),
        headers=extra.get("headers", {}),
        body=json.dumps(payload).encode(),
        content_type=JSON,
    )


def test_changing_the_spec_changes_what_is_accepted() -> None:
    spec = copy.deepcopy(SHIPPED)
    length = spec["components"]["schemas"]["request_6"]["properties"]["music_length_seconds"]
    length["maximum"] = 100
    spec["paths"][COLLECTION]["post"]["parameters"] = [
        {"name": "X-Trace", "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": "dry", "in": "query", "schema": {"type": "boolean"}},
    ]
    changed = RequestValidator(spec=spec)
    assert post(RequestValidator(), {"prompt": "x", "music_length_seconds": 150}) == []
    assert post(changed, {"prompt": "x", "music_length_seconds": 150}, query="dry=maybe") == [
        InvalidParam("X-Trace", "Parameter 'X-Trace' is required"),
        InvalidParam("dry", "Parameter 'dry' is not valid"),
        InvalidParam(
            "music_length_seconds", "Parameter 'music_length_seconds' must be at most 100"
        ),
    ]
    good = {"prompt": "x", "music_length_seconds": 100}
    assert post(changed, good, query="dry=yes", headers={"x-trace": "t"}) == []


def test_nullable_reads_as_openapi_says() -> None:
    validator = RequestValidator(spec=ENRICHED)
    base = {"prompt": "x", "music_length_seconds": 30}
    assert post(validator, {**base, "seed": None}) == []
    assert post(validator, {**base, "seed": "1"}) == [
        InvalidParam("seed", "Parameter 'seed' must be an integer")
    ]
    assert post(validator, {**base, "prompt": None}) == [
        InvalidParam("prompt", "Parameter 'prompt' must be a string")
    ]


# --- what is left to openapi-core --------------------------------------------------------------


def test_a_number_json_cannot_carry_is_left_to_openapi_core(shipped: Pair) -> None:
    body = b'{"prompt": "x", "music_length_seconds": 1e400}'
    request: dict[str, Any] = {
        "method": "POST", "path": COLLECTION, "query": "", "headers": {}, "body": body,
        "content_type": JSON,
    }  # fmt: skip
    before = len(shipped.asked)
    assert shipped.compiled.request_problems(**request) == [
        InvalidParam(
            "music_length_seconds", "Parameter 'music_length_seconds' must be at most 240"
        ),
        InvalidParam("music_length_seconds", "Parameter 'music_length_seconds' must be an integer"),
    ]
    assert len(shipped.asked) == before + 1
    request["body"] = b'{"prompt": "x", "music_length_seconds": 1e2}'
    assert shipped.compiled.request_problems(**request) == [
        InvalidParam("music_length_seconds", "Parameter 'music_length_seconds' must be an integer")
    ]
    assert len(shipped.asked) == before + 1


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda s: s.update(readOnly=True), "keyword 'readOnly'"),
        (lambda s: s.update(format="date-time"), "format 'date-time'"),
        (lambda s: s.update(discriminator={"propertyName": "x"}), "keyword 'discriminator'"),
    ],
)
def test_what_is_not_compiled_is_left_to_openapi_core_and_still_checked(
    change: Any, why: str
) -> None:
    spec = copy.deepcopy(SHIPPED)
    change(spec["components"]["schemas"]["request_6"]["properties"]["prompt"])
    checkers = pair(spec)
    assert checkers.compiled.delegated == {f"POST {COLLECTION}": why}
    request: dict[str, Any] = {
        "method": "POST", "path": COLLECTION, "query": "", "headers": {}, "content_type": JSON,
        "body": json.dumps({"prompt": 5, "music_length_seconds": 300}).encode(),
    }  # fmt: skip
    assert checkers.compiled.request_problems(**request) == checkers.oracle.request_problems(
        **request
    )
    assert set(names(checkers.compiled.request_problems(**request))) == {
        "prompt",
        "music_length_seconds",
    }
    assert checkers.asked


def test_a_recursive_schema_is_left_to_openapi_core() -> None:
    spec = copy.deepcopy(SHIPPED)
    schemas = spec["components"]["schemas"]
    schemas["node"] = {
        "type": "object",
        "properties": {"next": {"$ref": "#/components/schemas/node"}},
    }
    schemas["request_6"]["properties"]["chain"] = {"$ref": "#/components/schemas/node"}
    checkers = pair(spec)
    assert list(checkers.compiled.delegated) == [f"POST {COLLECTION}"]
    body = {"prompt": "x", "music_length_seconds": 30, "chain": {"next": {"next": 5}}}
    request: dict[str, Any] = {
        "method": "POST", "path": COLLECTION, "query": "", "headers": {}, "content_type": JSON,
        "body": json.dumps(body).encode(),
    }  # fmt: skip
    assert names(checkers.compiled.request_problems(**request)) == ["chain.next.next"]


def test_serving_the_vendor_api_never_imports_openapi_core() -> None:
    code = """
import sys
from freepik_mock.server import MockConfig, close_app, create_app
app = create_app(MockConfig(clock="manual"))
client, key = app.test_client(), {"x-freepik-api-key": "k"}
path = "/v1/ai/music-generation"
good = client.post(path, json={"prompt": "x", "music_length_seconds": 30}, headers=key)
bad = client.post(path, json={"prompt": 5, "music_length_seconds": 300}, headers=key)
listed = client.get(path, headers=key)
got = client.get(path + "/" + good.get_json()["data"]["task_id"], headers=key)
print(good.status_code, bad.status_code, listed.status_code, got.status_code)
print(sorted(p["name"] for p in bad.get_json()["invalid_params"]))
print("openapi_core" in sys.modules, "jsonschema" in sys.modules)
close_app(app)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "200 400 200 200",
        "['music_length_seconds', 'prompt']",
        "False False",
    ]
