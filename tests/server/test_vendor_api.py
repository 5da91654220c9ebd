"""The vendor surface through the Flask test client: the real API's bodies and messages."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import API_KEY, OTHER_KEY

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}
FIXTURE_CHECK = HealthCheck.function_scoped_fixture
GOOD = {"prompt": "A Blues guitar solo with emotional bends and slides", "music_length_seconds": 60}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def create(client: FlaskClient, body: Any = GOOD, headers: dict[str, str] = AUTH) -> Any:
    return client.post(PATH, json=body, headers=headers)


def invalid_names(response: Any) -> set[str]:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.get_json(force=True)
    assert body["message"] == "Your request parameters didn't validate."
    assert all(p["reason"] for p in body["invalid_params"])
    return {p["name"] for p in body["invalid_params"]}


def test_create_answers_200_with_a_created_task(client: FlaskClient) -> None:
    response = create(client)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    data = response.get_json()["data"]
    assert set(data) == {"task_id", "status", "generated"}
    assert data["status"] == "CREATED"
    assert data["generated"] == []
    assert uuid.UUID(data["task_id"]).version == 4


def test_the_rebranded_header_is_accepted_too(client: FlaskClient) -> None:
    response = create(client, headers={"x-magnific-api-key": API_KEY})
    assert response.status_code == 200
    task_id = response.get_json()["data"]["task_id"]
    response = client.get(f"{PATH}/{task_id}", headers=AUTH)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Missing API key"),
        ({"x-freepik-api-key": ""}, "Missing API key"),
        ({"x-magnific-api-key": ""}, "Missing API key"),
        ({"x-freepik-api-key": "nope"}, "Invalid API key"),
        ({"x-magnific-api-key": "nope"}, "Invalid API key"),
    ],
)
def test_auth_errors_use_the_vendor_messages(
    client: FlaskClient, headers: dict[str, str], message: str
) -> None:
    for response in (
        create(client, headers=headers),
        client.get(PATH, headers=headers),
        client.get(f"{PATH}/{uuid.uuid4()}", headers=headers),
    ):
        assert response.status_code == 401
        assert response.get_json() == {"message": message}


def test_without_configured_keys_any_non_empty_key_is_accepted(make_app: Any) -> None:
    client = make_app().test_client()
    assert create(client, headers={"x-freepik-api-key": "whatever"}).status_code == 200
    assert create(client, headers={"x-freepik-api-key": ""}).status_code == 401


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"prompt": "x"}, "music_length_seconds"),
        ({"music_length_seconds": 30}, "prompt"),
        ({"prompt": "x", "music_length_seconds": 9}, "music_length_seconds"),
        ({"prompt": "x", "music_length_seconds": 241}, "music_length_seconds"),
        ({"prompt": "x", "music_length_seconds": "30"}, "music_length_seconds"),
        ({"prompt": "x", "music_length_seconds": 30.5}, "music_length_seconds"),
        ({"prompt": "x" * 2501, "music_length_seconds": 30}, "prompt"),
        ({"prompt": 5, "music_length_seconds": 30}, "prompt"),
        ({"prompt": "x", "music_length_seconds": 30, "webhook_url": "not a url"}, "webhook_url"),
    ],
)
def test_whatever_the_spec_forbids_gets_a_400_naming_the_parameter(
    client: FlaskClient, body: dict[str, Any], name: str
) -> None:
    assert name in invalid_names(create(client, body=body))


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"", "application/json"),
        (b'"just a string"', "application/json"),
        (b"prompt=x&music_length_seconds=30", "application/x-www-form-urlencoded"),
        (json.dumps(GOOD).encode(), "text/plain"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
)
def test_bodies_that_are_not_a_json_object_get_a_400(
    client: FlaskClient, data: bytes, content_type: str
) -> None:
    response = client.post(PATH, data=data, headers={**AUTH, "Content-Type": content_type})
    assert invalid_names(response)


def test_unknown_fields_are_accepted_and_ignored(client: FlaskClient) -> None:
    response = create(client, body={**GOOD, "mood": "happy", "nested": {"a": [1]}})
    assert response.status_code == 200


def test_the_prompt_limit_is_inclusive(client: FlaskClient) -> None:
    for length in (10, 240):
        body = {"prompt": "x" * 2500, "music_length_seconds": length}
        assert create(client, body=body).status_code == 200


def test_bodies_over_one_mebibyte_are_refused_with_400(client: FlaskClient) -> None:
    big = json.dumps({**GOOD, "padding": "x" * (1024 * 1024)}).encode()
    response = client.post(PATH, data=big, headers={**AUTH, "Content-Type": "application/json"})
    assert invalid_names(response) == {"body"}


@settings(max_examples=60, deadline=None, suppress_health_check=[FIXTURE_CHECK])
@given(body=st.binary(max_size=300))
def test_no_bytes_at_all_produce_a_server_error(client: FlaskClient, body: bytes) -> None:
    response = client.post(PATH, data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code in (200, 400)
    assert response.get_json(force=True)


#: Any JSON string, lone surrogates included (JSON's \uXXXX escapes can spell them).
any_text = st.text(st.characters(exclude_categories=()), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[FIXTURE_CHECK])
@given(
    extra=st.dictionaries(
        st.sampled_from(["prompt", "music_length_seconds", "webhook_url", "x"]), json_values
    )
)
def test_no_json_value_produces_a_server_error(client: FlaskClient, extra: dict[str, Any]) -> None:
    response = client.post(
        PATH,
        data=json.dumps(extra, allow_nan=True),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400)
    # Nor later, where the request or its task is shown again.
    for route in ("/_mock/requests", "/_mock/tasks", PATH):
        assert client.get(route, headers=AUTH).status_code == 200


UNKNOWN_IDS = ["6a1f0d0e-8a44-4b1e-9c67-3f1f5d2b7c10", "not-a-uuid", "a/b", "%00", "x" * 500]


@pytest.mark.parametrize("task_id", UNKNOWN_IDS)
def test_unknown_or_malformed_task_ids_get_404(client: FlaskClient, task_id: str) -> None:
    response = client.get(f"{PATH}/{task_id}", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == {"message": "Not found"}


def test_another_keys_task_is_invisible(client: FlaskClient) -> None:
    task_id = create(client).get_json()["data"]["task_id"]
    other = {"x-freepik-api-key": OTHER_KEY}
    assert client.get(f"{PATH}/{task_id}", headers=other).status_code == 404
    assert client.get(PATH, headers=other).get_json() == {"data": []}
    mine = client.get(PATH, headers=AUTH).get_json()["data"]
    assert [t["task_id"] for t in mine] == [task_id]


def test_get_and_list_follow_the_clock_to_a_public_mp3_url(client: FlaskClient) -> None:
    task_id = create(client).get_json()["data"]["task_id"]

    def seen() -> dict[str, Any]:
        data: dict[str, Any] = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]
        listed = client.get(PATH, headers=AUTH).get_json()["data"]
        assert listed == [data]
        return data

    assert seen()["status"] == "CREATED"
    client.post("/_mock/clock/advance", json={"seconds": 1})
    assert seen() == {"task_id": task_id, "status": "IN_PROGRESS", "generated": []}
    client.post("/_mock/clock/advance", json={"seconds": 4})
    done = seen()
    assert done["status"] == "COMPLETED"
    (url,) = done["generated"]
    assert url == f"http://localhost/results/{task_id}.mp3"


@pytest.mark.parametrize(
    ("host", "base"),
    [
        ("Mock.Example:8080", "http://mock.example:8080"),  # a name is case-insensitive
        ("[FE80::1]:9000", "http://[fe80::1]:9000"),
        ("127.0.0.1:80", "http://127.0.0.1"),  # the scheme's default port goes
        ("xn--bcher-kva.example", "http://bücher.example"),  # as werkzeug's host_url shows it
    ],
)
def test_result_urls_are_built_on_the_host_the_client_called(
    client: FlaskClient, host: str, base: str
) -> None:
    task_id = create(client, headers={**AUTH, "Host": host}).get_json()["data"]["task_id"]
    client.post("/_mock/clock/advance", json={"seconds": 5})
    done = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]
    assert done["generated"] == [f"{base}/results/{task_id}.mp3"]


def test_unknown_routes_and_methods_answer_in_the_vendor_format(client: FlaskClient) -> None:
    response = client.get("/v2/nothing", headers=AUTH)
    assert (response.status_code, response.get_json()) == (404, {"message": "Not found"})
    response = client.delete(PATH, headers=AUTH)
    assert response.status_code == 405
    assert "message" in response.get_json()
