"""Every method of both clients against scripted answers (respx): requests sent, results parsed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from freepik_mock.client import (
    ClientClosedError,
    InvalidArgumentError,
    InvalidResponseError,
    MusicAPIError,
    MusicClient,
    NotFoundError,
    Task,
    TaskFailedError,
    TaskStatus,
    TransportError,
    WaitTimeoutError,
)
from tests.client.helpers import (
    API_KEY,
    COLLECTION,
    MP3_BYTES,
    RESULT_URL,
    TASK_ID,
    TASK_URL,
    FakeTime,
    task_body,
    task_response,
)


def test_create_sends_the_documented_request(music: Any, router: respx.MockRouter) -> None:
    route = router.post("/v1/ai/music-generation").mock(return_value=task_response("CREATED"))
    task = music.create("A Blues guitar solo", 60)
    assert task == Task(task_id=TASK_ID, status=TaskStatus.CREATED, generated=())
    sent = route.calls.last.request
    assert sent.headers["x-freepik-api-key"] == API_KEY
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == {"prompt": "A Blues guitar solo", "music_length_seconds": 60}


def test_create_passes_the_webhook_url(music: Any, router: respx.MockRouter) -> None:
    route = router.post("/v1/ai/music-generation").mock(return_value=task_response())
    music.create("x", 30, webhook_url="http://127.0.0.1:9000/hook")
    body = json.loads(route.calls.last.request.content)
    assert body["webhook_url"] == "http://127.0.0.1:9000/hook"


def test_get_returns_the_task(music: Any, router: respx.MockRouter) -> None:
    route = router.get(TASK_URL).mock(return_value=task_response("COMPLETED"))
    task = music.get(TASK_ID)
    assert task.status is TaskStatus.COMPLETED
    assert task.generated == (RESULT_URL,)
    assert task.result_url == RESULT_URL
    assert route.calls.last.request.headers["x-freepik-api-key"] == API_KEY


def test_get_accepts_a_task_and_quotes_odd_ids(music: Any, router: respx.MockRouter) -> None:
    route = router.get(url__regex=r".*/music-generation/.+").mock(
        return_value=task_response(task_id="a/b c")
    )
    music.get(Task(task_id="a/b c", status=TaskStatus.CREATED))
    assert route.calls.last.request.url.raw_path == b"/v1/ai/music-generation/a%2Fb%20c"


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "unwrapped"])
def test_get_accepts_both_shapes(music: Any, router: respx.MockRouter, wrapped: bool) -> None:
    router.get(TASK_URL).mock(
        return_value=httpx.Response(200, json=task_body("IN_PROGRESS", wrapped=wrapped))
    )
    assert music.get(TASK_ID).status == "IN_PROGRESS"


@pytest.mark.parametrize(
    "body",
    [
        {"data": [{"task_id": "t1", "status": "CREATED"}, task_body("COMPLETED", wrapped=False)]},
        [{"task_id": "t1", "status": "CREATED"}, task_body("COMPLETED", wrapped=False)],
    ],
    ids=["wrapped", "unwrapped"],
)
def test_list_returns_every_task(music: Any, router: respx.MockRouter, body: Any) -> None:
    route = router.get(COLLECTION).mock(return_value=httpx.Response(200, json=body))
    tasks = music.list()
    assert [(t.task_id, t.status) for t in tasks] == [("t1", "CREATED"), (TASK_ID, "COMPLETED")]
    assert tasks[0].generated == ()
    assert route.calls.last.request.headers["x-freepik-api-key"] == API_KEY


def test_list_of_nothing(music: Any, router: respx.MockRouter) -> None:
    router.get(COLLECTION).mock(return_value=httpx.Response(200, json={"data": []}))
    assert music.list() == []


def test_wait_polls_with_growing_intervals(
    music: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    statuses = ["CREATED", "IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    router.get(TASK_URL).mock(side_effect=[task_response(s) for s in statuses])
    seen: list[str] = []
    task = music.wait(TASK_ID, poll_interval=2.0, on_update=lambda t: seen.append(t.status))
    assert task.status is TaskStatus.COMPLETED
    assert seen == statuses
    assert fake_time.sleeps == [2.0, 3.0, 4.5, 6.75]


def test_wait_caps_the_interval(music: Any, router: respx.MockRouter, fake_time: FakeTime) -> None:
    router.get(TASK_URL).mock(
        side_effect=[task_response("IN_PROGRESS")] * 5 + [task_response("COMPLETED")]
    )
    music.wait(TASK_ID, poll_interval=2.0, max_poll_interval=4.0)
    assert fake_time.sleeps == [2.0, 3.0, 4.0, 4.0, 4.0]


def test_wait_raises_when_the_task_fails(music: Any, router: respx.MockRouter) -> None:
    router.get(TASK_URL).mock(side_effect=[task_response("IN_PROGRESS"), task_response("FAILED")])
    with pytest.raises(TaskFailedError) as caught:
        music.wait(TASK_ID)
    assert caught.value.task.status is TaskStatus.FAILED
    assert caught.value.request is not None
    assert caught.value.request.url == TASK_URL
    assert caught.value.response is not None


def test_wait_can_return_a_failed_task(music: Any, router: respx.MockRouter) -> None:
    router.get(TASK_URL).mock(return_value=task_response("FAILED"))
    assert music.wait(TASK_ID, raise_on_failure=False).status is TaskStatus.FAILED


def test_wait_gives_up_after_the_timeout(
    music: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.get(TASK_URL).mock(return_value=task_response("IN_PROGRESS"))
    with pytest.raises(WaitTimeoutError) as caught:
        music.wait(TASK_ID, timeout=10.0, poll_interval=2.0)
    error = caught.value
    assert error.task.status is TaskStatus.IN_PROGRESS
    assert error.timeout == 10.0
    assert error.response is not None
    assert error.request is not None
    # It sleeps no further than the deadline, then polls one last time.
    assert fake_time.sleeps == [2.0, 3.0, 4.5, 0.5]
    assert route.call_count == 5


def test_generate_creates_then_waits(
    music: Any, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    create = router.post("/v1/ai/music-generation").mock(return_value=task_response("CREATED"))
    router.get(TASK_URL).mock(
        side_effect=[task_response("IN_PROGRESS"), task_response("COMPLETED")]
    )
    seen: list[str] = []
    task = music.generate("lo-fi", 30, on_update=lambda t: seen.append(t.status))
    assert task.status is TaskStatus.COMPLETED
    assert create.call_count == 1
    assert seen == ["CREATED", "IN_PROGRESS", "COMPLETED"]
    assert fake_time.sleeps == [2.0]


def test_generate_raises_when_the_task_fails(music: Any, router: respx.MockRouter) -> None:
    router.post("/v1/ai/music-generation").mock(return_value=task_response("CREATED"))
    router.get(TASK_URL).mock(return_value=task_response("FAILED"))
    with pytest.raises(TaskFailedError):
        music.generate("lo-fi", 30)


def _completed() -> Task:
    return Task(task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(RESULT_URL,))


def test_download_to_a_path_streams_without_the_key(
    music: Any, router: respx.MockRouter, tmp_path: Path
) -> None:
    route = router.get(RESULT_URL).mock(
        return_value=httpx.Response(200, content=MP3_BYTES, headers={"content-type": "audio/mpeg"})
    )
    target = tmp_path / "track.mp3"
    result = music.download(_completed(), target)
    assert result == target
    assert target.read_bytes() == MP3_BYTES
    assert list(tmp_path.iterdir()) == [target]
    sent = route.calls.last.request
    assert "x-freepik-api-key" not in sent.headers
    assert "x-magnific-api-key" not in sent.headers


def test_download_to_a_file_object_returns_the_bytes_written(
    music: Any, router: respx.MockRouter
) -> None:
    router.get(RESULT_URL).mock(return_value=httpx.Response(200, content=MP3_BYTES))
    buffer = io.BytesIO()
    assert music.download(RESULT_URL, buffer) == len(MP3_BYTES)
    assert buffer.getvalue() == MP3_BYTES


def test_download_accepts_a_string_path(
    music: Any, router: respx.MockRouter, tmp_path: Path
) -> None:
    router.get(RESULT_URL).mock(return_value=httpx.Response(200, content=MP3_BYTES))
    assert music.download(_completed(), str(tmp_path / "t.mp3")) == tmp_path / "t.mp3"


def test_download_follows_redirects(music: Any, router: respx.MockRouter) -> None:
    moved = "https://cdn2.test/file.mp3"
    router.get(RESULT_URL).mock(return_value=httpx.Response(302, headers={"location": moved}))
    router.get(moved).mock(return_value=httpx.Response(200, content=MP3_BYTES))
    buffer = io.BytesIO()
    music.download(RESULT_URL, buffer)
    assert buffer.getvalue() == MP3_BYTES


def test_download_of_a_missing_file_leaves_nothing(
    music: Any, router: respx.MockRouter, tmp_path: Path
) -> None:
    router.get(RESULT_URL).mock(return_value=httpx.Response(404, json={"message": "Not found"}))
    with pytest.raises(NotFoundError):
        music.download(_completed(), tmp_path / "track.mp3")
    assert list(tmp_path.iterdir()) == []


class _BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that breaks after its first chunk, as a dropped connection does."""

    def __iter__(self) -> Any:
        yield MP3_BYTES[:100]
        raise httpx.ReadError("connection reset")

    async def __aiter__(self) -> Any:
        yield MP3_BYTES[:100]
        raise httpx.ReadError("connection reset")


def test_a_broken_download_leaves_no_partial_file(make_client: Any, tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_BrokenStream())

    music = make_client(handler=handler)
    with pytest.raises(TransportError) as caught:
        music.download(_completed(), tmp_path / "track.mp3")
    assert isinstance(caught.value.__cause__, httpx.ReadError)
    assert list(tmp_path.iterdir()) == []


def test_download_refuses_a_task_without_result(music: Any, router: respx.MockRouter) -> None:
    pending = Task(task_id=TASK_ID, status=TaskStatus.IN_PROGRESS)
    with pytest.raises(InvalidArgumentError, match="no result"):
        music.download(pending, io.BytesIO())
    assert router.calls.call_count == 0


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>hello</html>", headers={"content-type": "text/html"}),
        httpx.Response(200, json={"data": {"status": "CREATED"}}),
        httpx.Response(200, json={"data": {"task_id": TASK_ID, "status": "EXPLODED"}}),
        httpx.Response(
            200, json={"data": {"task_id": TASK_ID, "status": "CREATED", "generated": 3}}
        ),
        httpx.Response(200, json=[1, 2]),
    ],
    ids=["html", "no-id", "unknown-status", "bad-generated", "not-an-object"],
)
def test_an_unreadable_answer_is_an_invalid_response(
    music: Any, router: respx.MockRouter, response: httpx.Response
) -> None:
    router.get(TASK_URL).mock(return_value=response)
    with pytest.raises(InvalidResponseError) as caught:
        music.get(TASK_ID)
    assert caught.value.response is not None
    assert caught.value.request is not None


def test_context_manager_closes_the_client(make_client: Any, router: respx.MockRouter) -> None:
    router.get(TASK_URL).mock(return_value=task_response())
    with make_client(handler=router.handler) as music:
        assert music.get(TASK_ID).task_id == TASK_ID
    with pytest.raises(RuntimeError, match="closed"):
        music.get(TASK_ID)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.create("x", 30),
        lambda m: m.get(TASK_ID),
        lambda m: m.list(),
        lambda m: m.wait(TASK_ID),
        lambda m: m.generate("x", 30),
        lambda m: m.download(RESULT_URL, io.BytesIO()),
    ],
    ids=["create", "get", "list", "wait", "generate", "download"],
)
def test_a_closed_client_raises_a_family_error_and_sends_nothing(
    make_client: Any, router: respx.MockRouter, call: Any
) -> None:
    music = make_client(handler=router.handler)
    music.close()
    with pytest.raises(ClientClosedError, match="is closed") as caught:
        call(music)
    assert isinstance(caught.value, MusicAPIError)
    assert isinstance(caught.value, RuntimeError)  # what httpx raised, for older callers
    assert caught.value.request is not None
    assert router.calls.call_count == 0


def test_a_client_closed_while_a_retry_waits_stops_retrying(fake_time: FakeTime) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(503, json={"message": "Service Unavailable"})

    music = MusicClient(
        api_key=API_KEY,
        base_url="https://api.test",
        transport=httpx.MockTransport(handler),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    fake_time.on_sleep.append(lambda seconds: music.close())
    with pytest.raises(ClientClosedError):
        music.list()
    assert len(sent) == 1
