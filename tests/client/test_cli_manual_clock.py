"""``freepik-music generate`` on a mock whose clock is manual says so, once, instead of sitting
silently until the wait times out; it never asks the real API about a mock's clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result

from freepik_mock.client import API_KEY_HEADER, MusicClient, WaitTimeoutError
from freepik_mock.client._cli_support import MANUAL_CLOCK_NOTE, is_vendor_host
from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer
from tests.client.helpers import API_KEY, TASK_ID, LiveMock, run_cli, task_response

NOTE = (
    "note: the mock's clock is manual: the task moves only when you advance it "
    "(POST /_mock/clock/advance)"
)
QUICK = ("--wait-timeout", "0.3", "--poll-interval", "0.05", "--max-retries", "0")


def generate(base_url: str, tmp_path: Path, *, obj: Any = None) -> Result:
    args = ("generate", "x", "-o", str(tmp_path / "t.mp3"), *QUICK)
    return run_cli(*args, "--base-url", base_url, "--api-key", API_KEY, obj=obj)


def assert_timed_out(result: Result, *, status: str = "CREATED") -> None:
    assert result.exit_code == 9, result.output
    assert "Traceback" not in result.output
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert error.startswith("Error: task ")
    assert f"was still {status} after waiting 0.3 s" in error


def test_the_note_is_the_documented_text() -> None:
    assert MANUAL_CLOCK_NOTE == NOTE


# A live mock on the manual clock ----------------------------------------------------------


@pytest.fixture(scope="module")
def manual_mock() -> Iterator[LiveServer]:
    with LiveServer(config=MockConfig(clock="manual")) as server:
        yield server


@pytest.mark.live
def test_generate_on_a_manual_clock_says_how_to_move_the_task(
    manual_mock: LiveServer, tmp_path: Path
) -> None:
    result = generate(manual_mock.url, tmp_path)
    assert_timed_out(result)
    lines = result.stderr.splitlines()
    assert lines.count(NOTE) == 1
    assert lines[0].endswith(": CREATED")  # the progress line comes first, then the note
    assert lines[1] == NOTE
    assert list(tmp_path.iterdir()) == []


@pytest.mark.live
def test_no_note_on_a_real_clock(live_mock: LiveMock, tmp_path: Path) -> None:
    live_mock.scenario(match={}, processing_seconds=1000)
    result = generate(live_mock.url, tmp_path)
    assert_timed_out(result, status="IN_PROGRESS")
    assert NOTE not in result.stderr


# Scripted answers: what is probed, when, and where -----------------------------------------


class Api:
    """Answers a create with CREATED and every poll with ``polls`` (the last one repeated);
    ``clock`` answers ``GET /_mock/clock``. Every request is recorded."""

    def __init__(
        self,
        *,
        polls: tuple[str, ...] = ("CREATED",),
        clock: Callable[[httpx.Request], httpx.Response] | None = None,
    ) -> None:
        self.requests: list[httpx.Request] = []
        self._polls = list(polls)
        self._clock = clock or (lambda _: httpx.Response(200, json={"mode": "manual"}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/_mock/clock"):
            return self._clock(request)
        if request.method == "POST":
            return task_response("CREATED")
        status = self._polls.pop(0) if len(self._polls) > 1 else self._polls[0]
        return task_response(status)

    def factory(self, **options: Any) -> MusicClient:
        return MusicClient(transport=httpx.MockTransport(self), **options)

    @property
    def probes(self) -> list[httpx.Request]:
        return [r for r in self.requests if "/_mock" in r.url.path]


def test_the_probe_is_one_get_of_the_clock_without_the_key(tmp_path: Path) -> None:
    api = Api()
    result = generate("http://127.0.0.1:9/prefix", tmp_path, obj=api.factory)
    assert_timed_out(result)
    assert result.stderr.splitlines().count(NOTE) == 1
    [probe] = api.probes
    assert (probe.method, str(probe.url)) == ("GET", "http://127.0.0.1:9/prefix/_mock/clock")
    assert API_KEY_HEADER not in probe.headers
    assert len(api.requests) > 3  # it went on polling after the probe


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.freepik.com",
        "https://api.magnific.com",
        "https://API.Freepik.com.",
        "https://api.freepik.com/v1",
        "http://api.magnific.com:8080",
    ],
)
def test_the_real_api_is_never_probed(base_url: str, tmp_path: Path) -> None:
    api = Api()
    result = generate(base_url, tmp_path, obj=api.factory)
    assert_timed_out(result)
    assert api.probes == []
    assert NOTE not in result.stderr
    assert len(api.requests) > 2


@pytest.mark.parametrize(
    "host",
    ["api.freepik.com", "freepik.com", "cdn.freepik.com", "api.magnific.com", "API.MAGNIFIC.COM."],
)
def test_vendor_hosts(host: str) -> None:
    assert is_vendor_host(f"https://{host}/")


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "api.test", "notfreepik.com", "freepik.com.example"]
)
def test_other_hosts(host: str) -> None:
    assert not is_vendor_host(f"http://{host}:8080")


def _raise(error: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error

    return answer


@pytest.mark.parametrize(
    "clock",
    [
        lambda _: httpx.Response(200, json={"mode": "real"}),
        lambda _: httpx.Response(200, json={"data": {"mode": "manual"}}),
        lambda _: httpx.Response(200, json=["manual"]),
        lambda _: httpx.Response(200, text="mode: manual"),
        lambda _: httpx.Response(404, json={"message": "Not found"}),
        lambda _: httpx.Response(500, json={"mode": "manual"}),
        _raise(httpx.ConnectError("refused")),
        _raise(httpx.ReadTimeout("slow")),
        _raise(RuntimeError("anything at all")),
    ],
    ids=[
        "real",
        "wrapped",
        "list",
        "not-json",
        "404",
        "500",
        "connect-error",
        "timeout",
        "runtime-error",
    ],
)
def test_anything_but_a_manual_clock_is_ignored_silently(
    clock: Callable[[httpx.Request], httpx.Response], tmp_path: Path
) -> None:
    api = Api(clock=clock)
    result = generate("http://127.0.0.1:9", tmp_path, obj=api.factory)
    assert_timed_out(result)
    assert len(api.probes) == 1
    others = [line for line in result.stderr.splitlines() if not line.startswith("[")]
    assert others == [line for line in others if line.startswith("Error:")]  # no note, no noise


def test_no_probe_when_the_first_poll_shows_progress(tmp_path: Path) -> None:
    api = Api(polls=("IN_PROGRESS",))
    result = generate("http://127.0.0.1:9", tmp_path, obj=api.factory)
    assert_timed_out(result, status="IN_PROGRESS")
    assert api.probes == []


def test_no_probe_when_a_later_poll_stalls(tmp_path: Path) -> None:
    api = Api(polls=("IN_PROGRESS", "IN_PROGRESS"))
    assert_timed_out(
        generate("http://127.0.0.1:9", tmp_path, obj=api.factory), status="IN_PROGRESS"
    )
    assert api.probes == []


def test_the_library_never_probes() -> None:
    api = Api()
    with MusicClient(
        api_key=API_KEY, base_url="http://127.0.0.1:9", transport=httpx.MockTransport(api)
    ) as music:
        task = music.create("x", 10)
        assert task.task_id == TASK_ID
        with pytest.raises(WaitTimeoutError, match="still CREATED"):
            music.wait(task, timeout=0.2, poll_interval=0.05)
    assert api.probes == []
