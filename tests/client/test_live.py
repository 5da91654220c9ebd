"""Both clients over real sockets against a mock serving on 127.0.0.1, on the real clock.

The mock finishes a task 0.15 s after creating it and the clients poll every 0.05 s or so, so
``generate`` really waits, and ``download`` really streams an MP3 that is then decoded.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import anyio
import pytest

from freepik_mock.client import AsyncMusicClient, MusicClient, TaskStatus
from tests.client.helpers import API_KEY, LiveMock, mp3_duration

pytestmark = pytest.mark.live

POLL_INTERVAL = 0.05


def assert_plays_for(path: Path, seconds: int) -> None:
    duration, frame = mp3_duration(path.read_bytes())
    assert abs(duration - seconds) <= frame, (duration, seconds, frame)


@pytest.mark.parametrize("length", [10, 37])
def test_sync_generate_and_download(live_mock: LiveMock, tmp_path: Path, length: int) -> None:
    seen: list[TaskStatus] = []
    with MusicClient(api_key=API_KEY, base_url=live_mock.url) as music:
        task = music.generate(
            "calm piano",
            length,
            on_update=lambda t: seen.append(t.status),
            poll_interval=POLL_INTERVAL,
        )
        path = music.download(task, tmp_path / "track.mp3")
    assert task.status is TaskStatus.COMPLETED
    assert seen[0] is TaskStatus.CREATED
    assert seen[-1] is TaskStatus.COMPLETED
    assert path == tmp_path / "track.mp3"
    assert list(tmp_path.iterdir()) == [path]
    assert_plays_for(path, length)
    assert len(live_mock.journal(method="POST", path="/v1/ai/music-generation")) == 1


@pytest.mark.parametrize("length", [10, 37])
def test_async_generate_and_download(live_mock: LiveMock, tmp_path: Path, length: int) -> None:
    async def scenario() -> tuple[TaskStatus, Path]:
        async with AsyncMusicClient(api_key=API_KEY, base_url=live_mock.url) as music:
            task = await music.generate("calm piano", length, poll_interval=POLL_INTERVAL)
            return task.status, await music.download(task, tmp_path / "track.mp3")

    status, path = anyio.run(scenario)
    assert status is TaskStatus.COMPLETED
    assert path == tmp_path / "track.mp3"
    assert list(tmp_path.iterdir()) == [path]
    assert_plays_for(path, length)


# The README's example, run as it is written -------------------------------------------------

README_EXAMPLE = """\
from freepik_mock.client import MusicClient, MusicAPIError

with MusicClient() as music:  # FREEPIK_API_KEY, FREEPIK_API_BASE_URL
    try:
        task = music.generate("Calm lo-fi piano with soft rain", 10)
        path = music.download(task, "track.mp3")
    except MusicAPIError as error:
        raise SystemExit(f"failed: {error}")
print(task.task_id, task.status.value, "->", path)
"""


@pytest.fixture
def example(live_mock: LiveMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The README example in a file, to run in ``tmp_path`` with the environment it documents."""
    script = tmp_path / "example.py"
    script.write_text(README_EXAMPLE)
    monkeypatch.setenv("FREEPIK_API_KEY", API_KEY)
    monkeypatch.setenv("FREEPIK_API_BASE_URL", live_mock.url)
    monkeypatch.chdir(tmp_path)
    return script


# The tasks finish at once: the example's first poll, 2 s after creating, would only slow it.
AT_ONCE = {"match": {}, "created_seconds": 0, "processing_seconds": 0}


def test_the_readme_example_runs(
    example: Path, live_mock: LiveMock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live_mock.scenario(**AT_ONCE)
    runpy.run_path(str(example), run_name="__main__")
    task_id, status, arrow, path = capsys.readouterr().out.split()
    assert (status, arrow, path) == ("COMPLETED", "->", "track.mp3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example.py", "track.mp3"]
    assert_plays_for(tmp_path / "track.mp3", 10)
    [download] = live_mock.journal(method="GET", path="/results/*")
    assert download["path"] == f"/results/{task_id}.mp3"


def test_the_readme_example_reports_a_failure(example: Path, live_mock: LiveMock) -> None:
    live_mock.scenario(**AT_ONCE, outcome="FAILED")
    with pytest.raises(SystemExit) as caught:
        runpy.run_path(str(example), run_name="__main__")
    message = str(caught.value.code)
    assert message.startswith("failed: task ")
    assert message.endswith(" failed")
    assert not Path("track.mp3").exists()
