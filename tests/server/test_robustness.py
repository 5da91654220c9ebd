"""Hostile input the audit found: lone surrogates, deep nesting, OPTIONS, huge control bodies.

Each test sends what a careless or hostile client could send and checks that the answer is a
clear one in the vendor's format (never a 500) and that nothing stored breaks later answers.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer
from freepik_mock.server.web.state import MAX_UNEXPECTED, get_state
from tests.conftest import API_KEY

PATH = "/v1/ai/music-generation"
JSON_AUTH = {"x-freepik-api-key": API_KEY, "Content-Type": "application/json"}
#: The JSON text of a string holding a lone high surrogate, which UTF-8 cannot encode.
LONE = '"lone \\ud800 surrogate"'


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def ok_json(response: Any) -> Any:
    """The parsed body of a 2xx JSON answer (the status is checked first, to show it)."""
    assert response.status_code < 300, (response.status_code, response.data[:300])
    return json.loads(response.data)


def post_raw(client: FlaskClient, path: str, text: str, headers: dict[str, str]) -> Any:
    return client.post(path, data=text.encode("ascii"), headers=headers)


# -- lone surrogates -------------------------------------------------------------------------
def test_a_lone_surrogate_in_the_prompt_is_accepted_and_shown_everywhere(
    client: FlaskClient,
) -> None:
    body = f'{{"prompt": {LONE}, "music_length_seconds": 10}}'
    task_id = ok_json(post_raw(client, PATH, body, JSON_AUTH))["data"]["task_id"]
    assert ok_json(client.get(f"{PATH}/{task_id}", headers=JSON_AUTH))["data"]["status"]
    (listed,) = ok_json(client.get("/_mock/tasks"))["data"]
    assert listed["prompt"] == "lone \ud800 surrogate"
    assert ok_json(client.get(f"/_mock/tasks/{task_id}"))["prompt"] == listed["prompt"]
    (entry,) = ok_json(client.get("/_mock/requests?method=POST"))["data"]
    assert entry["body"]["prompt"] == listed["prompt"]
    ok_json(client.post("/_mock/clock/advance", json={"seconds": 60}))
    result = client.get(f"/results/{task_id}.mp3")
    assert (result.status_code, result.headers["Content-Type"]) == (200, "audio/mpeg")


@pytest.mark.parametrize(
    "body",
    [
        f'{{"prompt": "calm", "music_length_seconds": 10, "extra": {LONE}}}',
        f'{{"prompt": "calm", "music_length_seconds": 10000, "extra": {LONE}}}',
        f'{{"prompt": "calm", "music_length_seconds": {LONE}}}',
    ],
    ids=["unknown-field", "refused-request", "in-the-reason"],
)
def test_a_lone_surrogate_anywhere_in_a_request_leaves_the_journal_readable(
    client: FlaskClient, body: str
) -> None:
    answer = post_raw(client, PATH, body, JSON_AUTH)
    assert answer.status_code in (200, 400)
    assert json.loads(answer.data)
    (entry,) = ok_json(client.get("/_mock/requests"))["data"]
    assert entry["status"] == answer.status_code
    assert "lone \ud800 surrogate" in json.dumps(entry["body"], ensure_ascii=False)


def test_a_scenario_with_a_lone_surrogate_is_stored_shown_and_matches(
    client: FlaskClient,
) -> None:
    rule = '{"match": {"prompt_contains": "\\ud800"}, "outcome": "FAILED"}'
    created = client.post("/_mock/scenarios", data=rule, content_type="application/json")
    assert created.status_code == 201
    assert ok_json(created)["match"] == {"prompt_contains": "\ud800"}
    assert ok_json(client.get("/_mock/scenarios"))["data"] == [ok_json(created)]
    body = f'{{"prompt": {LONE}, "music_length_seconds": 10}}'
    task_id = ok_json(post_raw(client, PATH, body, JSON_AUTH))["data"]["task_id"]
    assert ok_json(client.get(f"/_mock/tasks/{task_id}"))["outcome"] == "FAILED"


def test_over_the_network_a_lone_surrogate_is_answered_in_json() -> None:
    config = MockConfig(clock="manual", api_keys=(API_KEY,))
    with LiveServer(config=config) as server, httpx.Client(base_url=server.url) as http:
        body = f'{{"prompt": {LONE}, "music_length_seconds": 10}}'.encode("ascii")
        created = http.post(PATH, content=body, headers=JSON_AUTH)
        assert created.status_code == 200
        for route in ("/_mock/tasks", "/_mock/requests"):
            answer = http.get(route)
            assert answer.headers["Content-Type"] == "application/json"
            assert answer.status_code == 200
            assert "lone \ud800 surrogate" in json.dumps(answer.json(), ensure_ascii=False)


# -- nesting ---------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ["/_mock/clock/advance", "/_mock/scenarios", "/_mock/faults"])
@pytest.mark.parametrize("depth", [50, 50_000])
def test_deeply_nested_control_json_is_a_clear_400(
    client: FlaskClient, route: str, depth: int
) -> None:
    text = '{"x": ' + "[" * depth + "]" * depth + "}"
    response = client.post(route, data=text, content_type="application/json")
    assert response.status_code == 400
    assert "deeply" in response.get_json()["message"]


def test_a_deeply_nested_vendor_body_is_journaled_and_the_journal_stays_readable(
    client: FlaskClient,
) -> None:
    depth = 5000  # deeper than Python's recursion limit, yet well under the journal's 64 KiB
    text = '{"prompt": "calm", "music_length_seconds": 10, "x": ' + "[" * depth + "]" * depth
    answer = post_raw(client, PATH, text + "}", JSON_AUTH)
    assert answer.status_code == 400
    (entry,) = ok_json(client.get("/_mock/requests"))["data"]
    assert entry["status"] == 400
    assert isinstance(entry["body"], str)  # kept as text, not as a value too deep to show


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_in_control_bodies(
    client: FlaskClient, constant: str
) -> None:
    text = f'{{"status": 500, "body": {{"x": {constant}}}}}'
    response = client.post("/_mock/faults", data=text, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.get_json()["message"]
    assert ok_json(client.get("/_mock/faults"))["data"] == []


def test_nan_in_a_vendor_body_keeps_the_journal_valid_json(client: FlaskClient) -> None:
    text = '{"prompt": "calm", "music_length_seconds": NaN}'
    assert post_raw(client, PATH, text, JSON_AUTH).status_code == 400
    raw = client.get("/_mock/requests").data
    json.loads(raw, parse_constant=lambda name: pytest.fail(f"{name} in the journal's answer"))


# -- OPTIONS ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("route", "allowed"),
    [
        (PATH, "GET, HEAD, OPTIONS, POST"),
        (f"{PATH}/some-task", "GET, HEAD, OPTIONS"),
        ("/results/some-task.mp3", "GET, HEAD, OPTIONS"),
        ("/_mock/clock/advance", "OPTIONS, POST"),
    ],
)
def test_options_answers_204_with_allow_and_no_body(
    client: FlaskClient, route: str, allowed: str
) -> None:
    response = client.options(route)
    assert response.status_code == 204
    assert response.headers["Allow"] == allowed
    assert response.data == b""
    assert "html" not in response.headers.get("Content-Type", "")


def test_options_on_an_unknown_route_is_the_vendors_404(client: FlaskClient) -> None:
    response = client.options("/v2/nothing")
    assert (response.status_code, response.get_json()) == (404, {"message": "Not found"})


def test_options_on_the_control_api_still_needs_the_admin_token(make_app: Any) -> None:
    client = make_app(admin_token="s3cret-admin").test_client()
    assert client.options("/_mock/scenarios").status_code == 401
    allowed = client.options("/_mock/scenarios", headers={"Authorization": "Bearer s3cret-admin"})
    assert allowed.status_code == 204


# -- sizes and leftovers ---------------------------------------------------------------------
@pytest.mark.parametrize("route", ["/_mock/scenarios", "/_mock/faults", "/_mock/clock/advance"])
def test_a_control_body_over_one_mebibyte_is_a_plain_control_400(
    client: FlaskClient, route: str
) -> None:
    big = json.dumps({"padding": "x" * (1024 * 1024)})
    response = client.post(route, data=big, content_type="application/json")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {"message": "the body must not be larger than 1048576 bytes"}


def test_unexpected_errors_kept_for_the_plugin_are_capped_at_the_latest(app: Flask) -> None:
    state = get_state(app)
    for number in range(MAX_UNEXPECTED + 50):
        state.record_unexpected(RuntimeError(f"boom {number}"), where=f"GET /{number}")
    taken = state.take_unexpected()
    assert len(taken) == MAX_UNEXPECTED
    assert taken[0].startswith("GET /50\n")
    assert taken[-1].startswith(f"GET /{MAX_UNEXPECTED + 49}\n")
    assert state.take_unexpected() == []


# -- the Host header (issue 13) -----------------------------------------------------------------
BAD_HOSTS = [
    "evil.example/abc?",
    "my_mock:9000",
    "a b",
    "exa mple.com:80",
    "host:99999",
    "host:port",
    "@evil",
    "",
]
GOOD_HOSTS = ["localhost", "127.0.0.1:8080", "[::1]:8080", "mock-server:9000", "api.example.com."]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_an_invalid_host_header_is_a_400_and_creates_nothing(
    client: FlaskClient, host: str
) -> None:
    body = {"prompt": "calm piano", "music_length_seconds": 10}
    answer = client.post(
        "/v1/ai/music-generation", json=body, headers={"x-freepik-api-key": API_KEY, "Host": host}
    )
    assert answer.status_code == 400
    assert "Host header" in answer.get_json()["message"]
    assert client.get("/_mock/tasks").get_json()["data"] == []


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_a_valid_host_names_the_result_url(client: FlaskClient, host: str) -> None:
    headers = {"x-freepik-api-key": API_KEY, "Host": host}
    body = {"prompt": "calm piano", "music_length_seconds": 10}
    task_id = client.post("/v1/ai/music-generation", json=body, headers=headers).get_json()["data"][
        "task_id"
    ]
    client.post("/_mock/clock/advance", json={"seconds": 10})
    task = client.get(f"/v1/ai/music-generation/{task_id}", headers=headers).get_json()["data"]
    assert task["generated"] == [f"http://{host}/results/{task_id}.mp3"]


@pytest.mark.live
def test_over_the_network_an_invalid_host_is_a_400() -> None:
    import socket

    with LiveServer(config=MockConfig(clock="manual")) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        request = (
            "POST /v1/ai/music-generation HTTP/1.1\r\nHost: evil.example/abc?\r\n"
            f"x-freepik-api-key: {API_KEY}\r\nContent-Type: application/json\r\n"
            "Content-Length: 49\r\nConnection: close\r\n\r\n"
            '{"prompt": "calm piano", "music_length_seconds":1}'
        )
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(request.encode())
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert httpx.get(f"{server.url}/_mock/tasks").json()["data"] == []
