"""Result files: public, real MP3s of the requested length, with HEAD and Range."""

from __future__ import annotations

from typing import Any

import miniaudio
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import API_KEY

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}


def completed_task(client: FlaskClient, *, length: int = 12, prompt: str = "upbeat funk") -> str:
    response = client.post(
        PATH, json={"prompt": prompt, "music_length_seconds": length}, headers=AUTH
    )
    task_id: str = response.get_json()["data"]["task_id"]
    client.post("/_mock/clock/advance", json={"seconds": 5})
    (url,) = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]["generated"]
    assert url.endswith(".mp3")
    return str(url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_a_completed_tasks_result_decodes_to_exactly_the_requested_length(
    client: FlaskClient,
) -> None:
    url = completed_task(client, length=12)
    response = client.get(url)  # no key: result URLs are public
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "audio/mpeg"
    decoded = miniaudio.decode(response.data)
    seconds = decoded.num_frames / decoded.sample_rate
    assert seconds == pytest.approx(12, abs=1152 / decoded.sample_rate)


def test_head_and_range_requests(client: FlaskClient) -> None:
    url = completed_task(client)
    full = client.get(url).data
    head = client.head(url)
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == len(full)
    assert head.data == b""
    assert head.headers["Accept-Ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.data == full[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(full)}"


def test_the_same_task_always_serves_the_same_bytes(client: FlaskClient) -> None:
    url = completed_task(client)
    assert client.get(url).data == client.get(url).data


def test_no_result_before_completion_or_for_unknown_tasks(client: FlaskClient) -> None:
    response = client.post(PATH, json={"prompt": "x", "music_length_seconds": 10}, headers=AUTH)
    task_id = response.get_json()["data"]["task_id"]
    assert client.get(f"/results/{task_id}.mp3").status_code == 404
    unknown = client.get("/results/00000000-0000-4000-8000-000000000000.mp3")
    assert (unknown.status_code, unknown.get_json()) == (404, {"message": "Not found"})


def test_failed_tasks_have_no_result(client: FlaskClient) -> None:
    response = client.post(PATH, json={"prompt": "x", "music_length_seconds": 10}, headers=AUTH)
    task_id = response.get_json()["data"]["task_id"]
    client.post(f"/_mock/tasks/{task_id}/fail")
    data = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]
    assert data == {"task_id": task_id, "status": "FAILED", "generated": []}
    assert client.get(f"/results/{task_id}.mp3").status_code == 404


def test_public_url_sets_the_base_of_result_urls(make_app: Any) -> None:
    client = make_app(public_url="https://mock.example.test:9000/").test_client()
    url = completed_task(client)
    assert url.startswith("https://mock.example.test:9000/results/")
    path = url.removeprefix("https://mock.example.test:9000")
    assert client.get(path).status_code == 200


def test_after_a_seeded_reset_the_same_url_is_not_answered_from_an_old_cache(
    make_app: Any,
) -> None:
    client = make_app(seed=3).test_client()
    url = completed_task(client, prompt="upbeat funk", length=12)
    first = client.get(url)
    assert "immutable" not in first.headers["Cache-Control"]
    client.post("/_mock/reset")
    assert completed_task(client, prompt="dark drone", length=12) == url  # the seeded id again
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.data != first.data
    assert again.headers["ETag"] != first.headers["ETag"]


def test_an_unchanged_file_is_still_revalidated_with_304(client: FlaskClient) -> None:
    url = completed_task(client)
    first = client.get(url)
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")


@pytest.mark.parametrize(
    "header", ["garbage", "bytes=5-2", "items=0-9", "bytes=0-9,20-29", "bytes=0-0,-1"]
)
def test_a_range_that_cannot_be_parsed_or_has_many_parts_gets_the_whole_file(
    client: FlaskClient, header: str
) -> None:
    url = completed_task(client)
    full = client.get(url).data
    response = client.get(url, headers={"Range": header})
    assert response.status_code == 200
    assert response.data == full
    assert "Content-Range" not in response.headers


def test_a_valid_range_past_the_end_is_a_416_saying_the_length(client: FlaskClient) -> None:
    url = completed_task(client)
    length = len(client.get(url).data)
    response = client.get(url, headers={"Range": f"bytes={length + 10}-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{length}"
    assert response.get_json()["message"]
