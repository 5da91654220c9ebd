"""Faults through HTTP: injected statuses and bodies, delays, drops, times, probability."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from freepik_mock.client import APIConnectionError, MusicClient, ServerError, TaskStatus
from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer
from freepik_mock.server.web import get_state
from freepik_mock.server.web.dropped import DroppedConnection
from tests.conftest import API_KEY, OTHER_KEY

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}
CREATE = {"prompt": "calm piano", "music_length_seconds": 10}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def add_fault(client: FlaskClient, fault: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/_mock/faults", json=fault)
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def journal(client: FlaskClient) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/_mock/requests").get_json()["data"]
    return entries


def test_a_posted_fault_answers_201_with_its_id_and_is_listed(client: FlaskClient) -> None:
    created = add_fault(client, {"match": {"method": "post", "path": PATH}, "status": 503})
    assert created["id"]
    assert created["match"] == {"method": "POST", "path": PATH}
    assert (created["status"], created["times"], created["used"]) == (503, None, 0)
    assert client.get("/_mock/faults").get_json() == {"data": [created]}


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (500, "Internal Server Error"),
        (503, "Service Unavailable. Please try again later."),
        (400, "Bad Request"),
        (401, "Invalid API key"),
        (404, "Not found"),
        (410, "Gone"),
    ],
)
def test_an_injected_status_carries_the_vendors_body(
    client: FlaskClient, status: int, message: str
) -> None:
    add_fault(client, {"match": {"path": PATH}, "status": status})
    response = client.post(PATH, json=CREATE, headers=AUTH)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {"message": message}
    assert "Retry-After" not in response.headers
    assert client.get("/_mock/tasks").get_json()["data"] == []


def test_an_injected_429_has_the_vendor_body_and_a_retry_after(client: FlaskClient) -> None:
    add_fault(client, {"status": 429, "times": 1})
    add_fault(client, {"status": 429, "retry_after": 7, "times": 1})
    first = client.get(PATH, headers=AUTH)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert first.get_json() == {"message": "Too many requests"}
    second = client.get(PATH, headers=AUTH)
    assert (second.status_code, second.headers["Retry-After"]) == (429, "7")
    assert client.get(PATH, headers=AUTH).status_code == 200


def test_a_503_may_carry_a_retry_after_too(client: FlaskClient) -> None:
    add_fault(client, {"status": 503, "retry_after": 30})
    assert client.get(PATH, headers=AUTH).headers["Retry-After"] == "30"


def test_a_custom_body_replaces_the_vendors(client: FlaskClient) -> None:
    add_fault(client, {"status": 500, "body": {"message": "Boom", "code": 17}, "times": 1})
    add_fault(client, {"status": 502, "body": "<html>Bad Gateway</html>", "times": 1})
    json_answer = client.get(PATH, headers=AUTH)
    assert (json_answer.status_code, json_answer.get_json()) == (
        500,
        {"message": "Boom", "code": 17},
    )
    html_answer = client.get(PATH, headers=AUTH)
    assert html_answer.status_code == 502
    assert html_answer.headers["Content-Type"].startswith("text/plain")
    assert html_answer.get_data(as_text=True) == "<html>Bad Gateway</html>"


def test_times_answers_the_next_n_matching_requests_then_the_rule_is_gone(
    client: FlaskClient,
) -> None:
    rule = add_fault(client, {"match": {"method": "POST", "path": PATH}, "status": 503, "times": 3})
    assert [client.post(PATH, json=CREATE, headers=AUTH).status_code for _ in range(4)] == [
        503,
        503,
        503,
        200,
    ]
    assert client.get("/_mock/faults").get_json() == {"data": []}
    assert len(client.get("/_mock/tasks").get_json()["data"]) == 1
    assert [e["fault"] for e in journal(client)] == [rule["id"]] * 3 + [None]


def test_uses_are_counted(client: FlaskClient) -> None:
    add_fault(client, {"status": 500, "times": 5})
    client.get(PATH, headers=AUTH)
    client.get(PATH, headers=AUTH)
    (listed,) = client.get("/_mock/faults").get_json()["data"]
    assert (listed["times"], listed["used"]) == (3, 2)


def test_method_and_path_must_both_match(client: FlaskClient) -> None:
    add_fault(client, {"match": {"method": "GET", "path": PATH}, "status": 500})
    assert client.post(PATH, json=CREATE, headers=AUTH).status_code == 200
    assert client.get(f"{PATH}/abc", headers=AUTH).status_code == 404
    assert client.get(PATH, headers=AUTH).status_code == 500


def test_a_path_ending_in_a_star_is_a_prefix(client: FlaskClient) -> None:
    add_fault(client, {"match": {"path": f"{PATH}/*"}, "status": 503})
    assert client.get(f"{PATH}/some-task", headers=AUTH).status_code == 503
    assert client.get(PATH, headers=AUTH).status_code == 200


def test_the_first_matching_fault_wins(client: FlaskClient) -> None:
    add_fault(client, {"match": {"path": f"{PATH}*"}, "status": 503})
    add_fault(client, {"match": {"path": PATH}, "status": 500})
    assert client.get(PATH, headers=AUTH).status_code == 503


def test_result_files_can_be_faulted(client: FlaskClient) -> None:
    task_id = client.post(PATH, json=CREATE, headers=AUTH).get_json()["data"]["task_id"]
    client.post(f"/_mock/tasks/{task_id}/complete")
    add_fault(client, {"match": {"path": "/results/*"}, "status": 503, "times": 1})
    url = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]["generated"][0]
    path = httpx.URL(url).path
    assert client.get(path).status_code == 503
    answer = client.get(path)
    assert (answer.status_code, answer.mimetype) == (200, "audio/mpeg")


def test_faults_never_touch_the_control_api(client: FlaskClient) -> None:
    add_fault(client, {"status": 500})
    add_fault(client, {"match": {"path": "*"}, "drop_connection": True})
    assert client.get("/_mock/health").status_code == 200
    assert client.get("/_mock/faults").status_code == 200
    response = client.post(
        "/_mock/faults", json={"match": {"path": "/_mock/health"}, "status": 500}
    )
    assert response.status_code == 400
    assert "control API" in response.get_json()["message"]


def test_a_delay_waits_then_answers_normally(client: FlaskClient, app: Flask) -> None:
    waits: list[float] = []
    get_state(app).sleep = waits.append
    rule = add_fault(client, {"match": {"method": "GET"}, "delay_seconds": 2.5, "times": 1})
    assert client.get(PATH, headers=AUTH).status_code == 200
    assert client.get(PATH, headers=AUTH).status_code == 200
    assert waits == [2.5]
    assert [e["fault"] for e in journal(client)] == [rule["id"], None]


def test_a_delay_can_come_before_an_injected_status(client: FlaskClient, app: Flask) -> None:
    waits: list[float] = []
    get_state(app).sleep = waits.append
    add_fault(client, {"status": 503, "delay_seconds": 1})
    assert client.get(PATH, headers=AUTH).status_code == 503
    assert waits == [1]


def test_a_delay_really_sleeps(client: FlaskClient) -> None:
    add_fault(client, {"delay_seconds": 0.2})
    assert client.get(PATH, headers=AUTH).status_code == 200
    (entry,) = journal(client)
    assert entry["duration_ms"] >= 200


def statuses_with_probability(client: FlaskClient, count: int = 40) -> list[int]:
    return [client.get(PATH, headers=AUTH).status_code for _ in range(count)]


def test_probability_is_reproducible_under_a_seed(make_app: Callable[..., Flask]) -> None:
    runs = []
    for _ in range(2):
        client = make_app(api_keys=(API_KEY,), seed=1234).test_client()
        add_fault(client, {"status": 503, "probability": 0.5})
        runs.append(statuses_with_probability(client))
        client.post("/_mock/reset")
        add_fault(client, {"status": 503, "probability": 0.5})
        runs.append(statuses_with_probability(client))
    assert runs[0] == runs[1] == runs[2] == runs[3]
    assert 0 < runs[0].count(503) < 40
    assert set(runs[0]) == {200, 503}


def test_a_fault_that_does_not_fire_lets_later_rules_answer(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(api_keys=(API_KEY,), seed=99).test_client()
    add_fault(client, {"status": 503, "probability": 0.5})
    add_fault(client, {"status": 500})
    assert set(statuses_with_probability(client)) == {500, 503}


def test_a_dropped_connection_in_process(client: FlaskClient, app: Flask) -> None:
    rule = add_fault(client, {"match": {"path": PATH}, "drop_connection": True, "times": 2})
    with pytest.raises(DroppedConnection):
        client.get(PATH, headers=AUTH)
    with (
        httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://mock") as http,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        http.get(PATH, headers=AUTH)
    assert client.get(PATH, headers=AUTH).status_code == 200
    entries = journal(client)
    assert [(e["status"], e["fault"]) for e in entries] == [
        (None, rule["id"]),
        (None, rule["id"]),
        (200, None),
    ]


@pytest.mark.live
def test_a_dropped_connection_over_the_network_and_the_server_keeps_serving() -> None:
    with LiveServer(config=MockConfig(clock="manual")) as server:
        host, port = httpx.URL(server.url).host, httpx.URL(server.url).port
        httpx.post(
            f"{server.url}/_mock/faults",
            json={"match": {"path": PATH}, "drop_connection": True, "times": 2},
        ).raise_for_status()
        request = f"GET {PATH} HTTP/1.1\r\nHost: {host}\r\nx-freepik-api-key: k\r\n\r\n"
        with socket.create_connection((host, port), timeout=10) as raw:
            raw.sendall(request.encode())
            assert raw.recv(1024) == b""  # closed without a byte of answer
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{server.url}{PATH}", headers={"x-freepik-api-key": "k"}, timeout=10)
        after = httpx.get(f"{server.url}{PATH}", headers={"x-freepik-api-key": "k"}, timeout=10)
        assert after.status_code == 200
        entries = httpx.get(f"{server.url}/_mock/requests").json()["data"]
        assert [e["status"] for e in entries] == [None, None, 200]


def test_delete_one_all_and_unknown(client: FlaskClient) -> None:
    first = add_fault(client, {"status": 500})
    second = add_fault(client, {"status": 503})
    assert client.delete(f"/_mock/faults/{first['id']}").status_code == 204
    assert client.get("/_mock/faults").get_json()["data"] == [second]
    assert client.get(PATH, headers=AUTH).status_code == 503
    assert client.delete("/_mock/faults").status_code == 204
    assert client.get(PATH, headers=AUTH).status_code == 200
    missing = client.delete(f"/_mock/faults/{first['id']}")
    assert (missing.status_code, missing.get_json()) == (404, {"message": "Not found"})


def test_reset_forgets_faults(client: FlaskClient) -> None:
    add_fault(client, {"status": 500})
    client.post("/_mock/reset")
    assert client.get("/_mock/faults").get_json() == {"data": []}
    assert client.get(PATH, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "at least one of"),
        ({"match": {"path": PATH}}, "at least one of"),
        ({"status": 200}, "'status'"),
        ({"status": 600}, "'status'"),
        ({"status": "503"}, "'status'"),
        ({"status": True}, "'status'"),
        ({"status": 503, "colour": "red"}, "colour"),
        ({"status": 503, "match": {"host": "x"}}, "host"),
        ({"status": 503, "match": "/v1"}, "'match'"),
        ({"status": 503, "match": {"method": "FETCH"}}, "'match.method'"),
        ({"status": 503, "match": {"path": "v1/ai"}}, "'match.path'"),
        ({"status": 503, "match": {"path": "/v1/*/x"}}, "'match.path'"),
        ({"status": 503, "match": {"path": "/_mock/*"}}, "control API"),
        ({"delay_seconds": -1}, "'delay_seconds'"),
        ({"delay_seconds": 61}, "'delay_seconds'"),
        ({"delay_seconds": "1"}, "'delay_seconds'"),
        ({"status": 429, "retry_after": -1}, "'retry_after'"),
        ({"status": 429, "retry_after": 1.5}, "'retry_after'"),
        ({"delay_seconds": 1, "retry_after": 1}, "'retry_after'"),
        ({"delay_seconds": 1, "body": {"a": 1}}, "'body'"),
        ({"status": 503, "times": 0}, "'times'"),
        ({"status": 503, "times": "3"}, "'times'"),
        ({"status": 503, "probability": 0}, "'probability'"),
        ({"status": 503, "probability": 1.5}, "'probability'"),
        ({"status": 503, "probability": "0.5"}, "'probability'"),
        ({"drop_connection": "yes"}, "'drop_connection'"),
        ({"drop_connection": True, "status": 503}, "'drop_connection'"),
        ([{"status": 503}], "object"),
    ],
)
def test_bad_faults_are_400_with_a_clear_message(
    client: FlaskClient, body: Any, words: str
) -> None:
    response = client.post("/_mock/faults", json=body)
    assert response.status_code == 400
    assert words in response.get_json()["message"]
    assert client.get("/_mock/faults").get_json() == {"data": []}


def test_a_string_body_that_utf8_cannot_carry_is_refused_before_it_is_stored(
    client: FlaskClient,
) -> None:
    text = '{"status": 500, "body": "broken \\ud800 page"}'
    response = client.post("/_mock/faults", data=text, content_type="application/json")
    assert response.status_code == 400
    assert "lone surrogate" in response.get_json()["message"]
    assert client.get("/_mock/faults").get_json() == {"data": []}
    answer = client.get(PATH, headers=AUTH)
    assert (answer.status_code, answer.get_json()) == (200, {"data": []})
    (entry,) = journal(client)
    assert (entry["path"], entry["status"], entry["fault"]) == (PATH, 200, None)


def test_a_json_body_with_a_lone_surrogate_is_injected_as_valid_json(
    client: FlaskClient,
) -> None:
    text = '{"status": 500, "body": {"message": "broken \\ud800"}}'
    response = client.post("/_mock/faults", data=text, content_type="application/json")
    assert response.status_code == 201
    answer = client.get(PATH, headers=AUTH)
    assert answer.status_code == 500
    assert answer.get_json() == {"message": "broken \ud800"}
    assert journal(client)[0]["status"] == 500


def test_a_refused_fault_uses_up_no_id(client: FlaskClient) -> None:
    assert client.post("/_mock/faults", json={"status": 200}).status_code == 400
    assert add_fault(client, {"status": 503})["id"] == "flt_1"


def test_a_stored_fault_that_cannot_be_answered_still_gets_a_vendor_500_and_an_entry(
    client: FlaskClient, app: Flask
) -> None:
    add_fault(client, {"status": 503, "body": {"detail": "x"}})
    (rule,) = get_state(app).faults.list()
    rule.body = {"not", "json"}  # what parse_fault refuses, slipped in behind its back
    answer = client.get(PATH, headers=AUTH)
    assert (answer.status_code, answer.get_json()) == (500, {"message": "Internal Server Error"})
    assert [(e["status"], e["fault"]) for e in journal(client)] == [(500, rule.rule_id)]
    (error,) = get_state(app).take_unexpected()
    assert error.startswith(f"GET {PATH}")


# -- against the reference client's retry logic --------------------------------------------------
def music_client(app: Flask, sleeps: list[float], *, max_retries: int = 3) -> MusicClient:
    return MusicClient(
        api_key=API_KEY,
        base_url="http://mock.test",
        transport=httpx.WSGITransport(app=app),
        max_retries=max_retries,
        sleep=sleeps.append,
    )


def test_three_503s_then_success_through_the_reference_clients_retries(
    client: FlaskClient, app: Flask
) -> None:
    rule = add_fault(client, {"match": {"method": "POST", "path": PATH}, "status": 503, "times": 3})
    sleeps: list[float] = []
    with music_client(app, sleeps) as music:
        task = music.create("calm piano", 10)
    assert task.status is TaskStatus.CREATED
    assert len(sleeps) == 3
    assert [(e["method"], e["status"], e["fault"]) for e in journal(client)] == [
        ("POST", 503, rule["id"]),
        ("POST", 503, rule["id"]),
        ("POST", 503, rule["id"]),
        ("POST", 200, None),
    ]
    tasks = client.get("/_mock/tasks").get_json()["data"]
    assert [t["task_id"] for t in tasks] == [task.task_id]


def test_one_503_too_many_reaches_the_caller(client: FlaskClient, app: Flask) -> None:
    add_fault(client, {"match": {"method": "POST"}, "status": 503, "times": 4})
    sleeps: list[float] = []
    with music_client(app, sleeps) as music, pytest.raises(ServerError) as caught:
        music.create("calm piano", 10)
    assert caught.value.status_code == 503
    assert len(sleeps) == 3
    assert client.get("/_mock/tasks").get_json()["data"] == []


def test_the_reference_client_waits_as_long_as_retry_after_says(
    client: FlaskClient, app: Flask
) -> None:
    add_fault(client, {"status": 429, "retry_after": 2, "times": 2})
    sleeps: list[float] = []
    with music_client(app, sleeps) as music:
        assert music.list() == []
    assert sleeps == [2, 2]


def test_the_reference_client_retries_a_dropped_read_but_not_a_dropped_create(
    client: FlaskClient, app: Flask
) -> None:
    add_fault(client, {"match": {"method": "GET"}, "drop_connection": True, "times": 1})
    add_fault(client, {"match": {"method": "POST"}, "drop_connection": True, "times": 1})
    sleeps: list[float] = []
    with music_client(app, sleeps) as music:
        assert music.list() == []
        with pytest.raises(APIConnectionError):
            music.create("calm piano", 10)
    assert len(sleeps) == 1
    assert [(e["method"], e["status"]) for e in journal(client)] == [
        ("GET", None),
        ("GET", 200),
        ("POST", None),
    ]


# -- custom headers and ids (issue 14, items 7 and 8) ------------------------------------------
def test_a_fault_sets_custom_answer_headers(client: FlaskClient) -> None:
    rule = {
        "status": 429,
        "headers": {"Retry-After": "7", "X-RateLimit-Remaining": "0", "X-Request-Id": 12},
        "times": 1,
    }
    added = client.post("/_mock/faults", json=rule)
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["headers"] == {
        "Retry-After": "7",
        "X-RateLimit-Remaining": "0",
        "X-Request-Id": "12",
    }
    answer = client.get("/v1/ai/music-generation", headers={"x-freepik-api-key": API_KEY})
    assert answer.status_code == 429
    assert answer.headers.getlist("Retry-After") == ["7"]  # replaces the default, not added
    assert answer.headers["X-RateLimit-Remaining"] == "0"
    assert answer.headers["X-Request-Id"] == "12"
    assert answer.get_json() == {"message": "Too many requests"}


def test_a_custom_content_type_replaces_the_default(client: FlaskClient) -> None:
    rule = {
        "status": 502,
        "body": "<html>bad gateway</html>",
        "headers": {"Content-Type": "text/html"},
    }
    assert client.post("/_mock/faults", json=rule).status_code == 201
    answer = client.get("/v1/ai/music-generation", headers={"x-freepik-api-key": API_KEY})
    assert answer.headers.getlist("Content-Type") == ["text/html"]
    assert answer.data == b"<html>bad gateway</html>"


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"Bad Name": "x"}, "not a valid header name"),
        ({"X-Split": "a\r\nSet-Cookie: evil=1"}, "printable ASCII on one line"),
        ({"X-Unicode": "é"}, "printable ASCII"),
        ({"Content-Length": "5"}, "set by the server"),
        ({"Transfer-Encoding": "chunked"}, "set by the server"),
        ({"X-List": ["a"]}, "must be a string"),
        (["Retry-After", "7"], "must be an object"),
    ],
)
def test_bad_fault_headers_are_refused(client: FlaskClient, headers: Any, words: str) -> None:
    refused = client.post("/_mock/faults", json={"status": 503, "headers": headers})
    assert refused.status_code == 400
    assert words in refused.get_json()["message"]


def test_headers_need_a_status(client: FlaskClient) -> None:
    refused = client.post("/_mock/faults", json={"delay_seconds": 1, "headers": {"X-A": "1"}})
    assert refused.status_code == 400
    assert "'headers' needs a 'status'" in refused.get_json()["message"]


@pytest.mark.parametrize("kind", ["faults", "scenarios"])
def test_rule_ids_are_never_reused_after_a_delete_a_clear_or_a_reset(
    client: FlaskClient, kind: str
) -> None:
    rule = {"status": 503} if kind == "faults" else {"outcome": "FAILED"}
    seen = []
    for clean_up in ("delete", "clear", "reset"):
        rule_id = client.post(f"/_mock/{kind}", json=rule).get_json()["id"]
        seen.append(rule_id)
        if clean_up == "delete":
            assert client.delete(f"/_mock/{kind}/{rule_id}").status_code == 204
        elif clean_up == "clear":
            assert client.delete(f"/_mock/{kind}").status_code == 204
        else:
            assert client.post("/_mock/reset").status_code == 200
    seen.append(client.post(f"/_mock/{kind}", json=rule).get_json()["id"])
    assert len(set(seen)) == 4, seen
    # An id a test still holds cannot remove a later rule.
    assert client.delete(f"/_mock/{kind}/{seen[0]}").status_code == 404


@pytest.mark.parametrize(
    "rule",
    [
        {"delay_seconds": 10**400},
        {"delay_seconds": -(10**400)},
        {"status": 503, "probability": 10**400},
        {"status": 503, "probability": -(10**400)},
    ],
)
def test_huge_numbers_in_a_fault_are_refused_not_a_500(client: FlaskClient, rule: Any) -> None:
    refused = client.post("/_mock/faults", json=rule)
    assert refused.status_code == 400
    assert refused.get_json()["message"].startswith("'")


def test_a_fault_scoped_to_a_key_hits_only_that_keys_requests_and_downloads(
    client: FlaskClient,
) -> None:
    mine, theirs = {"x-freepik-api-key": API_KEY}, {"x-freepik-api-key": OTHER_KEY}
    created = client.post(PATH, json=CREATE, headers=mine).get_json()["data"]["task_id"]
    other = client.post(PATH, json=CREATE, headers=theirs).get_json()["data"]["task_id"]
    client.post("/_mock/clock/advance", json={"seconds": 10})
    rule = {"match": {"api_key": API_KEY}, "status": 503}
    added = client.post("/_mock/faults", json=rule).get_json()
    assert API_KEY not in str(added)  # the key is masked when shown
    assert client.get(PATH, headers=theirs).status_code == 200
    assert client.get(f"/results/{other}.mp3").status_code == 200
    assert client.get(PATH, headers=mine).status_code == 503
    assert client.get(f"/results/{created}.mp3").status_code == 503  # my task's download
    assert client.get("/results/unknown-task.mp3").status_code == 404


def test_a_fault_key_must_be_a_non_empty_string(client: FlaskClient) -> None:
    for key in ("", " ", 5):
        refused = client.post("/_mock/faults", json={"match": {"api_key": key}, "status": 503})
        assert refused.status_code == 400
        assert "'match.api_key'" in refused.get_json()["message"]


def test_a_fault_for_another_key_never_fires_and_order_holds_across_keys(
    make_app: Callable[..., Flask],
) -> None:
    """Faults are indexed by key: a request meets its key's and the any-key rules, in order."""
    client = make_app().test_client()
    for match, status in [
        ({"api_key": "other-key"}, 500),
        ({"api_key": "mine", "method": "POST"}, 429),
        ({}, 503),
    ]:
        assert (
            client.post("/_mock/faults", json={"match": match, "status": status}).status_code == 201
        )
    path = "/v1/ai/music-generation/00000000-0000-4000-8000-000000000000"
    assert client.get(path, headers={"x-freepik-api-key": "mine"}).status_code == 503
    assert (
        client.post(
            "/v1/ai/music-generation", json={}, headers={"x-freepik-api-key": "mine"}
        ).status_code
        == 429
    )
    used = {rule["id"]: rule["used"] for rule in client.get("/_mock/faults").get_json()["data"]}
    assert list(used.values()) == [0, 1, 1]
