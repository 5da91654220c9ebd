"""The shipped specs and what the extended spec adds to the vendor's (validation: see
test_spec_validation.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi

from freepik_mock.server.spec import (
    RequestValidator,
    build_extended_spec,
    load_extended_spec,
    load_extended_spec_text,
    load_vendor_spec,
    load_vendor_spec_text,
    render_spec_yaml,
    strip_additions,
)
from scripts.build_extended_spec import json_copy_path, render_spec_json
from scripts.build_extended_spec import main as build_script

REPO = Path(__file__).resolve().parents[2]
COLLECTION = "/v1/ai/music-generation"
ITEM = "/v1/ai/music-generation/{task-id}"
JSON = "application/json"
TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
MARK = "x-mock-addition"


@pytest.fixture(scope="module")
def validator() -> RequestValidator:
    return RequestValidator()


@pytest.fixture(scope="module")
def extended() -> dict[str, Any]:
    return load_extended_spec()


@pytest.fixture(scope="module")
def vendor() -> dict[str, Any]:
    return load_vendor_spec()


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
    # The server parses the JSON copy: the same document as the YAML, generated with it.
    shipped_json = (data / "extended-openapi.json").read_text(encoding="utf-8")
    assert shipped_json == render_spec_json(build_extended_spec(vendor))
    assert json.loads(shipped_json) == yaml.safe_load(shipped)
    assert build_script(["--check"]) == 0


def test_the_build_script_writes_and_checks_a_file(tmp_path: Path) -> None:
    target = tmp_path / "extended.yaml"
    target.write_text("openapi: 3.0.0\n", encoding="utf-8")
    assert build_script(["--check", "--path", str(target)]) == 1
    assert build_script(["--path", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == load_extended_spec_text()
    assert json.loads(json_copy_path(target).read_text(encoding="utf-8")) == load_extended_spec()
    assert build_script(["--check", "--path", str(target)]) == 0
    json_copy_path(target).write_text("{}\n", encoding="utf-8")  # a stale JSON copy is caught
    assert build_script(["--check", "--path", str(target)]) == 1


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
