"""Both clients against the mock in-process (through ``transport=``, no sockets).

The mock runs on a manual clock; the clients' sleep hook advances it, so ``wait`` sees the
lifecycle move exactly as far as it slept.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

import freepik_mock.client._base
from freepik_mock.client import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TaskFailedError,
    TaskStatus,
    ValidationError,
    WaitTimeoutError,
)
from tests.client.helpers import API_KEY, OTHER_KEY, FakeTime

MOCK_URL = "http://mock.test"
COLLECTION_PATH = "/v1/ai/music-generation"


@dataclass
class Mock:
    """The in-process mock and a control-API client for it."""

    app: Flask
    control: httpx.Client

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.control.post(path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    def journal(self, *, method: str, path: str) -> list[dict[str, Any]]:
        response = self.control.get("/_mock/requests", params={"method": method, "path": path})
        response.raise_for_status()
        return list(response.json()["data"])

    def fault(self, **rule: Any) -> None:
        self.post("/_mock/faults", rule)


@pytest.fixture
def mock(make_app: Callable[..., Flask], fake_time: FakeTime) -> Iterator[Mock]:
    app = make_app(api_keys=(API_KEY, OTHER_KEY), created_seconds=1.0, processing_seconds=4.0)
    control = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=MOCK_URL)
    handle = Mock(app=app, control=control)
    fake_time.on_sleep.append(
        lambda seconds: handle.post("/_mock/clock/advance", {"seconds": seconds})
    )
    yield handle
    control.close()


@pytest.fixture
def music(make_client: Callable[..., Any], mock: Mock) -> Any:
    return make_client(app=mock.app, base_url=MOCK_URL)


def test_create_get_and_list_follow_the_lifecycle(music: Any, mock: Mock) -> None:
    task = music.create("A Blues guitar solo", 30)
    assert task.status is TaskStatus.CREATED
    assert task.generated == ()
    assert music.get(task.task_id) == task
    mock.post("/_mock/clock/advance", {"seconds": 1})
    assert music.get(task).status is TaskStatus.IN_PROGRESS
    assert [(t.task_id, t.status) for t in music.list()] == [(task.task_id, "IN_PROGRESS")]


def test_the_mock_accepts_exactly_what_the_client_sends(music: Any, mock: Mock) -> None:
    music.create("lo-fi", 45, webhook_url="http://127.0.0.1:9/hook")
    [entry] = mock.journal(method="POST", path=COLLECTION_PATH)
    assert entry["status"] == 200
    assert entry["body"] == {
        "prompt": "lo-fi",
        "music_length_seconds": 45,
        "webhook_url": "http://127.0.0.1:9/hook",
    }


def test_generate_and_download_a_playable_track(
    music: Any, mock: Mock, fake_time: FakeTime, tmp_path: Path
) -> None:
    seen: list[str] = []
    task = music.generate("calm piano", 10, on_update=lambda t: seen.append(t.status))
    assert task.status is TaskStatus.COMPLETED
    assert seen == ["CREATED", "CREATED", "IN_PROGRESS", "COMPLETED"]
    assert fake_time.sleeps == [2.0, 3.0]
    assert task.result_url is not None
    assert task.result_url.endswith(".mp3")

    path = music.download(task, tmp_path / "track.mp3")
    assert path == tmp_path / "track.mp3"
    assert list(tmp_path.iterdir()) == [path]
    miniaudio = pytest.importorskip("miniaudio")
    decoded = miniaudio.decode_file(str(path))
    assert decoded.duration == pytest.approx(10, abs=0.1)

    buffer = io.BytesIO()
    assert music.download(task, buffer) == path.stat().st_size
    [result_request, *_] = mock.journal(method="GET", path="/results/*")
    assert not {"x-freepik-api-key", "x-magnific-api-key"} & {
        name.lower() for name in result_request["headers"]
    }


def test_wait_raises_when_the_mock_fails_the_task(music: Any, mock: Mock) -> None:
    mock.post("/_mock/scenarios", {"match": {"prompt_contains": "doomed"}, "outcome": "FAILED"})
    with pytest.raises(TaskFailedError) as caught:
        music.generate("a doomed track", 20)
    assert caught.value.task.status is TaskStatus.FAILED
    assert caught.value.response is not None
    assert caught.value.response.status_code == 200


def test_a_forced_failure_is_seen_by_wait(music: Any, mock: Mock) -> None:
    task = music.create("x", 20)
    mock.post(f"/_mock/tasks/{task.task_id}/fail", {})
    assert music.wait(task, raise_on_failure=False).status is TaskStatus.FAILED


def test_wait_times_out_on_a_slow_task(music: Any, mock: Mock, fake_time: FakeTime) -> None:
    mock.post("/_mock/scenarios", {"match": {}, "processing_seconds": 1000})
    task = music.create("slow", 20)
    with pytest.raises(WaitTimeoutError) as caught:
        music.wait(task, timeout=30, poll_interval=5)
    assert caught.value.task.status is TaskStatus.IN_PROGRESS
    assert sum(fake_time.sleeps) == pytest.approx(30)


def test_a_wrong_key_is_an_authentication_error(make_client: Any, mock: Mock) -> None:
    music = make_client(app=mock.app, base_url=MOCK_URL, api_key="not-a-key")
    with pytest.raises(AuthenticationError) as caught:
        music.list()
    assert caught.value.message.endswith("Invalid API key")
    assert caught.value.status_code == 401


def test_unknown_and_foreign_tasks_are_not_found(music: Any, make_client: Any, mock: Mock) -> None:
    with pytest.raises(NotFoundError) as caught:
        music.get("00000000-0000-0000-0000-000000000000")
    assert caught.value.body == {"message": "Not found"}
    task = music.create("mine", 20)
    other = make_client(app=mock.app, base_url=MOCK_URL, api_key=OTHER_KEY)
    with pytest.raises(NotFoundError):
        other.get(task.task_id)
    assert other.list() == []


def test_the_mocks_own_400_names_the_invalid_param(
    music: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Switch the client's own checks off to see how the mock refuses what they would catch.
    monkeypatch.setattr(freepik_mock.client._base, "check_create_arguments", lambda *args: None)
    with pytest.raises(ValidationError) as caught:
        music.create("x", 5)
    assert [p.name for p in caught.value.invalid_params] == ["music_length_seconds"]


def test_an_injected_400_is_a_validation_error(music: Any, mock: Mock) -> None:
    problem = {
        "message": "Your request parameters didn't validate.",
        "invalid_params": [{"name": "prompt", "reason": "Parameter 'prompt' is not valid"}],
    }
    mock.fault(match={"method": "POST"}, status=400, body=problem, times=1)
    with pytest.raises(ValidationError) as caught:
        music.create("x", 30)
    assert [str(p) for p in caught.value.invalid_params] == [
        "prompt: Parameter 'prompt' is not valid"
    ]


def test_reads_are_retried_through_injected_503s(music: Any, mock: Mock) -> None:
    task = music.create("x", 30)
    mock.fault(match={"method": "GET", "path": f"{COLLECTION_PATH}/*"}, status=503, times=2)
    assert music.get(task.task_id).task_id == task.task_id
    statuses = [e["status"] for e in mock.journal(method="GET", path=f"{COLLECTION_PATH}/*")]
    assert statuses == [503, 503, 200]


def test_create_is_retried_after_a_429_and_makes_one_task(
    music: Any, mock: Mock, fake_time: FakeTime
) -> None:
    mock.fault(match={"method": "POST"}, status=429, retry_after=2, times=1)
    music.create("x", 30)
    assert 2.0 in fake_time.sleeps
    assert len(music.list()) == 1


def test_create_is_not_retried_after_a_500(music: Any, mock: Mock) -> None:
    mock.fault(match={"method": "POST"}, status=500, times=1)
    with pytest.raises(ServerError):
        music.create("x", 30)
    assert len(mock.journal(method="POST", path=COLLECTION_PATH)) == 1


def test_a_dropped_connection_is_retried_for_reads_only(music: Any, mock: Mock) -> None:
    mock.fault(match={"method": "GET"}, drop_connection=True, times=1)
    assert music.list() == []
    mock.fault(match={"method": "POST"}, drop_connection=True, times=1)
    with pytest.raises(APIConnectionError) as caught:
        music.create("x", 30)
    assert caught.value.request_sent is True
    assert music.list() == []


def test_an_exhausted_rate_limit_carries_retry_after(make_client: Any, mock: Mock) -> None:
    music = make_client(app=mock.app, base_url=MOCK_URL, max_retries=0)
    mock.fault(match={"method": "GET"}, status=429, retry_after=9, times=1)
    with pytest.raises(RateLimitError) as caught:
        music.list()
    assert caught.value.retry_after == 9


def test_a_missing_result_file_is_not_found(music: Any) -> None:
    with pytest.raises(NotFoundError):
        music.download(f"{MOCK_URL}/results/no-such-task.mp3", io.BytesIO())
