"""The request journal through HTTP: what is recorded, masking, filters, the size cap."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from freepik_mock.server import MockConfig
from freepik_mock.server.core.journal import DEFAULT_MAX_BYTES, RequestJournal
from freepik_mock.server.live import LiveServer
from tests.conftest import API_KEY, OTHER_KEY

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}
CREATE = {"prompt": "calm piano", "music_length_seconds": 10}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def journal(client: FlaskClient, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/_mock/requests{query}")
    assert response.status_code == 200, response.get_json()
    entries: list[dict[str, Any]] = response.get_json()["data"]
    return entries


def test_an_entry_has_the_request_and_its_answer(client: FlaskClient) -> None:
    answer = client.post(f"{PATH}?trace=1&trace=2&x=", json=CREATE, headers=AUTH)
    (entry,) = journal(client)
    assert set(entry) == {
        "time", "mock_time", "method", "path", "query", "headers", "body", "status", "dropped",
        "answer_body", "duration_ms", "fault",
    }  # fmt: skip
    assert entry["answer_body"] == answer.get_json()
    assert entry["dropped"] is False
    assert (entry["method"], entry["path"]) == ("POST", PATH)
    assert entry["query"] == {"trace": ["1", "2"], "x": [""]}
    assert entry["body"] == CREATE
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    assert entry["fault"] is None
    assert entry["headers"]["Content-Type"] == "application/json"


def test_the_body_reaches_the_vendor_route_intact(client: FlaskClient) -> None:
    response = client.post(PATH, json={**CREATE, "prompt": "ünïcode ✓ " * 100}, headers=AUTH)
    assert response.status_code == 200
    task_id = response.get_json()["data"]["task_id"]
    assert client.get(f"/_mock/tasks/{task_id}").get_json()["prompt"] == "ünïcode ✓ " * 100


def test_every_answer_status_is_recorded_oldest_first(client: FlaskClient) -> None:
    client.get(PATH)
    client.get(PATH, headers={"x-freepik-api-key": "wrong"})
    client.post(PATH, json={"prompt": "no length"}, headers=AUTH)
    client.get(f"{PATH}/unknown", headers=AUTH)
    client.get("/favicon.ico")
    client.get(PATH, headers=AUTH)
    assert [(e["path"], e["status"]) for e in journal(client)] == [
        (PATH, 401),
        (PATH, 401),
        (PATH, 400),
        (f"{PATH}/unknown", 404),
        ("/favicon.ico", 404),
        (PATH, 200),
    ]


def test_a_body_that_is_not_json_is_kept_as_text(client: FlaskClient) -> None:
    client.post(PATH, data="prompt=x", content_type="text/plain", headers=AUTH)
    (entry,) = journal(client)
    assert (entry["body"], entry["status"]) == ("prompt=x", 400)


def test_a_large_body_is_cut(client: FlaskClient) -> None:
    big = json.dumps({"prompt": "a" * 200_000, "music_length_seconds": 10})
    client.post(PATH, data=big, content_type="application/json", headers=AUTH)
    (entry,) = journal(client)
    assert isinstance(entry["body"], str)
    assert entry["body"].startswith('{"prompt": "aaa')
    assert len(entry["body"]) < 70_000
    assert f"{len(big)} bytes" in entry["body"]
    assert entry["status"] == 400


def test_a_body_over_the_request_limit_is_refused_unread_and_recorded_as_null(
    client: FlaskClient,
) -> None:
    # As the README says: the body is not read at all, so the journal has none of it.
    huge = json.dumps({"prompt": "a" * 1_100_000, "music_length_seconds": 10})
    answer = client.post(PATH, data=huge, content_type="application/json", headers=AUTH)
    assert answer.status_code == 400
    (entry,) = journal(client)
    assert entry["body"] is None
    assert entry["status"] == 400
    assert "must not be larger than 1048576 bytes" in json.dumps(entry["answer_body"])


def test_result_file_requests_are_recorded(client: FlaskClient) -> None:
    task_id = client.post(PATH, json=CREATE, headers=AUTH).get_json()["data"]["task_id"]
    client.post(f"/_mock/tasks/{task_id}/complete")
    client.get(f"/results/{task_id}.mp3")
    assert journal(client, "?path=/results/*")[0]["status"] == 200


def test_control_calls_are_never_recorded(client: FlaskClient) -> None:
    client.get("/_mock/health")
    client.post("/_mock/clock/advance", json={"seconds": 1})
    client.get("/_mock/nope")
    assert journal(client) == []


@pytest.mark.parametrize("header", ["x-freepik-api-key", "x-magnific-api-key"])
def test_keys_are_masked_and_never_shown_in_clear(client: FlaskClient, header: str) -> None:
    client.get(PATH, headers={header: API_KEY, "Authorization": "Bearer very-secret-token"})
    text = client.get("/_mock/requests").get_data(as_text=True)
    assert API_KEY not in text
    assert "very-secret-token" not in text
    (entry,) = json.loads(text)["data"]
    shown = {name.lower(): value for name, value in entry["headers"].items()}
    assert shown[header] != API_KEY
    assert shown[header] == f"{API_KEY[:2]}…{API_KEY[-2:]}"  # 4 characters at most


def test_filters_by_method_path_and_key(client: FlaskClient) -> None:
    client.post(PATH, json=CREATE, headers=AUTH)
    client.get(PATH, headers=AUTH)
    client.get(PATH, headers={"x-magnific-api-key": OTHER_KEY})
    client.get(f"{PATH}/abc", headers={"x-freepik-api-key": OTHER_KEY})
    client.get("/results/abc.mp3")

    def seen(query: str) -> list[tuple[str, str, int]]:
        return [(e["method"], e["path"], e["status"]) for e in journal(client, query)]

    assert seen("?method=post") == [("POST", PATH, 200)]
    assert seen(f"?path={PATH}") == [("POST", PATH, 200), ("GET", PATH, 200), ("GET", PATH, 200)]
    assert seen(f"?path={PATH}/*") == [("GET", f"{PATH}/abc", 404)]
    assert seen(f"?api_key={OTHER_KEY}") == [("GET", PATH, 200), ("GET", f"{PATH}/abc", 404)]
    assert seen(f"?api_key={OTHER_KEY}&method=GET&path={PATH}") == [("GET", PATH, 200)]
    assert seen("?api_key=someone-else") == []
    assert len(seen("?method=&path=&api_key=")) == 5


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?colour=red", "colour"),
        ("?method=FETCH", "'method'"),
        ("?path=v1", "'path'"),
        ("?path=/v1/*/x", "'path'"),
        ("?method=GET&method=POST", "'method'"),
    ],
)
def test_bad_filters_are_400(client: FlaskClient, query: str, words: str) -> None:
    response = client.get(f"/_mock/requests{query}")
    assert response.status_code == 400
    assert words in response.get_json()["message"]


def test_the_journal_is_capped_oldest_dropped(make_app: Callable[..., Flask]) -> None:
    client = make_app(journal_size=3).test_client()
    for number in range(5):
        client.get(f"{PATH}/task-{number}", headers=AUTH)
    assert [e["path"] for e in journal(client)] == [f"{PATH}/task-{n}" for n in (2, 3, 4)]


def test_delete_and_reset_clear_it(client: FlaskClient) -> None:
    client.get(PATH, headers=AUTH)
    assert client.delete("/_mock/requests").status_code == 204
    assert journal(client) == []
    client.get(PATH, headers=AUTH)
    client.post("/_mock/reset")
    assert journal(client) == []


@pytest.mark.live
def test_a_live_server_journals_bodies_and_still_hands_them_whole_to_the_api() -> None:
    key = {"x-freepik-api-key": "live-key-0001"}
    with (
        LiveServer(config=MockConfig(clock="manual")) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        assert http.post(PATH, json=CREATE, headers=key).status_code == 200
        # Longer than what the journal keeps: the API must still see all of it.
        too_long = http.post(PATH, json={**CREATE, "prompt": "a" * 100_000}, headers=key)
        assert too_long.status_code == 400
        assert [p["name"] for p in too_long.json()["invalid_params"]] == ["prompt"]
        small, big = http.get("/_mock/requests").json()["data"]
        assert (small["body"], small["status"]) == (CREATE, 200)
        assert big["body"].startswith('{"prompt":"aaa')
        assert "truncated" in big["body"]
        assert "live-key-0001" not in json.dumps([small, big])


def test_an_entry_has_its_wall_and_mock_time(client: FlaskClient) -> None:
    before = datetime.now(UTC)
    client.get(PATH, headers=AUTH)
    client.post("/_mock/clock/advance", json={"seconds": 3600})
    client.get(PATH, headers=AUTH)
    first, second = journal(client)
    arrived = datetime.fromisoformat(first["time"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= arrived <= datetime.now(UTC)
    mock_first = datetime.fromisoformat(first["mock_time"].replace("Z", "+00:00"))
    mock_second = datetime.fromisoformat(second["mock_time"].replace("Z", "+00:00"))
    # The manual clock moved an hour between the two requests; the wall clock did not.
    assert mock_second - mock_first == timedelta(seconds=3600)


def test_a_dropped_connection_is_labelled_and_a_fault_answer_recorded(
    client: FlaskClient,
) -> None:
    client.post("/_mock/faults", json={"drop_connection": True, "times": 1})
    client.post("/_mock/faults", json={"status": 429, "times": 1})
    with pytest.raises(Exception, match="disconnected"):
        client.get(PATH, headers=AUTH)
    client.get(PATH, headers=AUTH)
    dropped, limited = journal(client)
    assert (dropped["status"], dropped["dropped"], dropped["answer_body"]) == (None, True, None)
    assert (limited["status"], limited["dropped"]) == (429, False)
    assert limited["answer_body"] == {"message": "Too many requests"}


def test_an_audio_answer_is_summarised_not_stored(client: FlaskClient) -> None:
    task_id = client.post(PATH, json=CREATE, headers=AUTH).get_json()["data"]["task_id"]
    client.post("/_mock/clock/advance", json={"seconds": 10})
    url = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]["generated"][0]
    audio = client.get(url.removeprefix("http://localhost"))
    assert audio.status_code == 200
    entry = journal(client, "?path=/results/*")[0]
    assert entry["answer_body"] == f"[{len(audio.data)} bytes of audio/mpeg]"


def _record(journal: RequestJournal, body: str) -> None:
    journal.record(
        method="POST", path=PATH, query={}, headers=[], body=body, status=200,
        duration_ms=1.0, fault=None, api_key=None, answer_body="ok",
    )  # fmt: skip


def test_the_journal_is_bounded_by_bytes_as_well_as_by_count() -> None:
    journal = RequestJournal(capacity=100, max_bytes=3 * 1024 + 10)
    for number in range(10):
        _record(journal, str(number) * 1024)
    kept = [entry.body[0] for entry in journal.entries()]
    assert kept == ["7", "8", "9"]  # the oldest went first
    _record(journal, "x" * 10_000)  # larger than the whole budget: kept alone, as the newest
    assert [entry.body[0] for entry in journal.entries()] == ["x"]
    journal.clear()
    for number in range(3):
        _record(journal, str(number) * 1024)
    assert len(journal) == 3  # clearing gave the whole budget back


def test_the_default_journal_keeps_1000_large_requests_under_its_byte_budget() -> None:
    journal = RequestJournal(capacity=1000)
    for _ in range(1000):
        _record(journal, "b" * 64 * 1024)
    assert len(journal) == DEFAULT_MAX_BYTES // (64 * 1024 + 2)


def test_the_journal_shows_the_path_as_the_routes_see_it(client: FlaskClient) -> None:
    # Leading slashes made one and UTF-8 decoded, as Flask routes it (404 here: no such task).
    raw_path = "//v1/ai/music-generation/café".encode().decode("latin-1")  # as WSGI carries it
    response = client.get(PATH, headers=AUTH, environ_overrides={"PATH_INFO": raw_path})
    assert response.status_code == 404
    (entry,) = journal(client)
    assert (entry["path"], entry["query"], entry["status"]) == (f"{PATH}/café", {}, 404)
