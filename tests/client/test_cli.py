"""``freepik-music`` against a live mock on 127.0.0.1: what each command prints and writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from freepik_mock.client import MusicClient
from tests.client.helpers import (
    API_KEY,
    OTHER_KEY,
    LiveMock,
    closed_port,
    mp3_duration,
    run_cli,
)

pytestmark = pytest.mark.live

FAST = ("--poll-interval", "0.05")


def api(mock: LiveMock, key: str = API_KEY) -> tuple[str, ...]:
    return ("--base-url", mock.url, "--api-key", key)


def make_task(mock: LiveMock, *, key: str = API_KEY, finished: bool = True) -> str:
    with MusicClient(api_key=key, base_url=mock.url) as music:
        task = music.create("a task made for the test", 12)
        if finished:
            task = music.wait(task, poll_interval=0.05)
    return task.task_id


def test_generate_shows_progress_and_prints_the_path(live_mock: LiveMock, tmp_path: Path) -> None:
    target = tmp_path / "calm.mp3"
    result = run_cli(
        "generate", "calm piano", "-l", "12", "-o", str(target), *FAST, *api(live_mock)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{target}\n"
    progress = result.stderr.splitlines()
    assert progress[0].endswith(": CREATED")
    assert progress[-1].endswith(": COMPLETED")
    assert all(line.startswith("[") and " s] task " in line for line in progress)
    assert list(tmp_path.iterdir()) == [target]
    duration, frame = mp3_duration(target.read_bytes())
    assert abs(duration - 12) <= frame


def test_generate_names_the_file_after_the_task_by_default(
    live_mock: LiveMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("generate", "calm piano", *FAST, *api(live_mock))
    assert result.exit_code == 0, result.output
    [written] = tmp_path.iterdir()
    assert result.stdout == f"{written.name}\n"
    [task] = live_mock.journal(method="POST")
    assert task["body"] == {"prompt": "calm piano", "music_length_seconds": 30}
    assert written.name.removesuffix(".mp3") in live_mock.journal(method="GET")[-1]["path"]


def test_generate_json(live_mock: LiveMock, tmp_path: Path) -> None:
    target = tmp_path / "t.mp3"
    result = run_cli(
        "generate", "x", "-l", "10", "-o", str(target), "--json", *FAST, *api(live_mock)
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["status"] == "COMPLETED"
    assert shown["path"] == str(target)
    assert shown["bytes"] == target.stat().st_size
    assert shown["generated"] == [f"{live_mock.url}/results/{shown['task_id']}.mp3"]


def test_generate_to_stdout(live_mock: LiveMock) -> None:
    result = run_cli("generate", "x", "-l", "10", "-o", "-", *FAST, *api(live_mock))
    assert result.exit_code == 0, result.output
    duration, frame = mp3_duration(result.stdout_bytes)
    assert abs(duration - 10) <= frame


def test_status(live_mock: LiveMock) -> None:
    task_id = make_task(live_mock)
    result = run_cli("status", task_id, *api(live_mock))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{task_id}  COMPLETED",
        f"  {live_mock.url}/results/{task_id}.mp3",
    ]
    result = run_cli("status", task_id, "--json", *api(live_mock))
    assert json.loads(result.stdout) == {
        "task_id": task_id,
        "status": "COMPLETED",
        "generated": [f"{live_mock.url}/results/{task_id}.mp3"],
    }


def test_list(live_mock: LiveMock) -> None:
    result = run_cli("list", *api(live_mock))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No tasks.\n")
    assert json.loads(run_cli("list", "--json", *api(live_mock)).stdout) == []
    task_id = make_task(live_mock)
    make_task(live_mock, key=OTHER_KEY)
    result = run_cli("list", *api(live_mock))
    assert result.stdout.splitlines()[0] == f"{task_id}  COMPLETED"
    listed = json.loads(run_cli("list", "--json", *api(live_mock)).stdout)
    assert [(t["task_id"], t["status"]) for t in listed] == [(task_id, "COMPLETED")]


def test_the_environment_supplies_the_base_url_and_key(live_mock: LiveMock) -> None:
    task_id = make_task(live_mock)
    env = {"FREEPIK_API_BASE_URL": live_mock.url, "FREEPIK_API_KEY": API_KEY}
    result = run_cli("status", task_id, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{task_id}  COMPLETED")


def test_flags_win_over_the_environment(live_mock: LiveMock) -> None:
    env = {"FREEPIK_API_BASE_URL": f"http://127.0.0.1:{closed_port()}", "FREEPIK_API_KEY": "bad"}
    result = run_cli("list", "--json", *api(live_mock), env=env)
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_timeout_and_retries_reach_the_client(live_mock: LiveMock) -> None:
    made: list[dict[str, Any]] = []

    def factory(**options: Any) -> MusicClient:
        made.append(options)
        return MusicClient(**options)

    args = ("list", "--timeout", "2.5", "--max-retries", "0", *api(live_mock))
    assert run_cli(*args, obj=factory).exit_code == 0
    assert run_cli("list", *api(live_mock), obj=factory).exit_code == 0
    [given, default] = made
    assert given["max_retries"] == 0
    assert (given["timeout"].read, given["timeout"].connect) == (2.5, 2.5)
    assert default["max_retries"] == 3
    assert (default["timeout"].read, default["timeout"].connect) == (30.0, 10.0)


@pytest.mark.parametrize("command", ["generate", "status", "list"])
def test_help_documents_the_connection_options(command: str) -> None:
    result = run_cli(command, "--help")
    for option in ("--base-url", "--api-key", "--timeout", "--max-retries", "--json"):
        assert option in result.stdout
    if command == "generate":
        assert "--wait-timeout" in result.stdout
