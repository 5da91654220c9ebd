"""Every way ``freepik-music`` can fail ends in one clear line, a non-zero exit and no traceback.

API errors come from a live mock on 127.0.0.1 (its fault rules make the 400, 429 and 5xx), the
network errors from a closed port and from a socket that accepts but never answers.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.helpers import API_KEY, LiveMock, closed_port, error_line, run_cli

pytestmark = pytest.mark.live

COLLECTION = "/v1/ai/music-generation"
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
NO_RETRIES = ("--max-retries", "0")


def api(mock: LiveMock, key: str = API_KEY) -> tuple[str, ...]:
    return ("--base-url", mock.url, "--api-key", key)


def test_a_wrong_key(live_mock: LiveMock) -> None:
    line = error_line(run_cli("list", *api(live_mock, "not-a-key")), exit_code=4)
    assert line == (
        f"Error: authentication failed: HTTP 401 from GET {COLLECTION}: Invalid API key. "
        "Check --api-key or FREEPIK_API_KEY."
    )


def test_an_unknown_task(live_mock: LiveMock) -> None:
    line = error_line(run_cli("status", UNKNOWN_ID, *api(live_mock)), exit_code=5)
    assert line.startswith(f"Error: not found: HTTP 404 from GET {COLLECTION}/{UNKNOWN_ID}")


def test_a_400_names_the_invalid_params_on_one_line(live_mock: LiveMock, tmp_path: Path) -> None:
    problem = {
        "message": "Your request parameters didn't validate.",
        "invalid_params": [
            {"name": "prompt", "reason": "Parameter 'prompt' is not valid"},
            {"name": "music_length_seconds", "reason": "must be at least 10"},
        ],
    }
    live_mock.fault(match={"method": "POST"}, status=400, body=problem)
    result = run_cli("generate", "x", "-o", str(tmp_path / "t.mp3"), *api(live_mock))
    assert error_line(result, exit_code=3) == (
        f"Error: the API refused the request: HTTP 400 from POST {COLLECTION}: Your request "
        "parameters didn't validate. (prompt: Parameter 'prompt' is not valid; "
        "music_length_seconds: must be at least 10)"
    )


def test_a_429_says_when_to_retry(live_mock: LiveMock) -> None:
    live_mock.fault(match={"method": "GET"}, status=429, retry_after=7)
    line = error_line(run_cli("list", *NO_RETRIES, *api(live_mock)), exit_code=7)
    assert line == (
        f"Error: rate limited: HTTP 429 from GET {COLLECTION}: Too many requests. Retry in 7 s."
    )


@pytest.mark.parametrize(
    ("status", "ending"),
    [
        (500, "Internal Server Error. Try again later."),
        (502, "Bad Gateway. Try again later."),
        # The API's own message already ends with a period and says to try again.
        (503, "Service Unavailable. Please try again later."),
    ],
)
def test_a_server_error(live_mock: LiveMock, status: int, ending: str) -> None:
    live_mock.fault(match={"method": "GET"}, status=status)
    line = error_line(run_cli("list", *NO_RETRIES, *api(live_mock)), exit_code=1)
    assert line == f"Error: the API failed: HTTP {status} from GET {COLLECTION}: {ending}"


def test_max_retries_bounds_the_attempts(live_mock: LiveMock) -> None:
    live_mock.fault(match={"method": "GET"}, status=503, retry_after=0)
    result = run_cli("list", "--max-retries", "2", *api(live_mock))
    assert "HTTP 503" in error_line(result, exit_code=1)
    assert [line.split(":")[0] for line in result.stderr.splitlines()[:-1]] == [
        "retry 1 of 2 in 0.0 s",
        "retry 2 of 2 in 0.0 s",
    ]
    assert [e["status"] for e in live_mock.journal(method="GET")] == [503, 503, 503]


def test_by_default_a_passing_503_is_retried(live_mock: LiveMock) -> None:
    live_mock.fault(match={"method": "GET"}, status=503, retry_after=0, times=1)
    result = run_cli("list", *api(live_mock))
    assert (result.exit_code, result.stderr.splitlines()) == (
        0,
        [
            f"retry 1 of 3 in 0.0 s: HTTP 503 from GET {COLLECTION}: Service Unavailable. "
            "Please try again later.",
            "No tasks.",
        ],
    )
    assert [e["status"] for e in live_mock.journal(method="GET")] == [503, 200]


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    line = error_line(
        run_cli("list", *NO_RETRIES, "--base-url", url, "--api-key", API_KEY), exit_code=6
    )
    assert line.startswith(
        f"Error: cannot reach the API: could not connect on GET {url}{COLLECTION}"
    )
    assert line.endswith("Check --base-url and your network.")


@pytest.fixture
def hanging_api() -> Iterator[socket.socket]:
    """A socket on 127.0.0.1 that accepts connections (the kernel does) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener


def connections_made(listener: socket.socket) -> int:
    listener.setblocking(False)
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def test_timeout_and_max_retries_bound_a_hanging_api(hanging_api: socket.socket) -> None:
    url = f"http://127.0.0.1:{hanging_api.getsockname()[1]}"
    args = ("--timeout", "0.2", "--max-retries", "1", "--base-url", url, "--api-key", API_KEY)
    line = error_line(run_cli("list", *args), exit_code=6)
    assert line.startswith(f"Error: the request timed out: timed out (ReadTimeout) on GET {url}")
    assert connections_made(hanging_api) == 2


def test_a_task_that_fails(live_mock: LiveMock, tmp_path: Path) -> None:
    live_mock.scenario(match={}, outcome="FAILED")
    result = run_cli(
        "generate", "x", "-o", str(tmp_path / "t.mp3"), "--poll-interval", "0.05", *api(live_mock)
    )
    line = error_line(result, exit_code=8)
    assert line.startswith("Error: task ")
    assert line.endswith(" FAILED: the API could not generate this track.")
    assert list(tmp_path.iterdir()) == []


def test_wait_timeout_gives_up_and_says_how_to_follow_up(
    live_mock: LiveMock, tmp_path: Path
) -> None:
    live_mock.scenario(match={}, processing_seconds=1000)
    args = ("-o", str(tmp_path / "t.mp3"), "--wait-timeout", "0.3", "--poll-interval", "0.1")
    line = error_line(run_cli("generate", "x", *args, *api(live_mock)), exit_code=9)
    [task] = live_mock.journal(method="POST")
    task_id = line.split()[2]
    assert line == (
        f"Error: task {task_id} was still IN_PROGRESS after waiting 0.3 s. "
        f"It may still finish: freepik-music status {task_id}"
    )
    assert task["status"] == 200


# Refused before anything is sent ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("generate", "x", "--length", "5"), "'--length' / '-l': 5 is not in the range"),
        (("generate", "x", "--wait-timeout", "0"), "Invalid value for '--wait-timeout'"),
        (("list", "--timeout", "0"), "Invalid value for '--timeout'"),
        (("list", "--max-retries", "-1"), "Invalid value for '--max-retries'"),
        (("status",), "Missing argument 'TASK_ID'"),
    ],
    ids=["length-5", "wait-timeout-0", "timeout-0", "retries-negative", "no-task-id"],
)
def test_invalid_arguments_are_usage_errors(
    live_mock: LiveMock, args: tuple[str, ...], fragment: str
) -> None:
    line = error_line(run_cli(*args, *api(live_mock)), exit_code=2)
    assert fragment in line
    assert live_mock.journal() == []


def test_a_missing_key_is_a_usage_error(live_mock: LiveMock) -> None:
    line = error_line(run_cli("list", "--base-url", live_mock.url), exit_code=2)
    assert line == "Error: no API key: pass --api-key or set FREEPIK_API_KEY"
    assert live_mock.journal() == []


@pytest.mark.parametrize(
    ("base_url", "fragment"),
    [
        ("ftp://api.test", "must be an http(s) URL with a host: 'ftp://api.test'"),
        ("http://", "must be an http(s) URL with a host"),
        ("http://[::1", "invalid base URL"),
    ],
)
def test_a_bad_base_url(base_url: str, fragment: str) -> None:
    line = error_line(run_cli("list", "--base-url", base_url, "--api-key", API_KEY), exit_code=2)
    assert line.startswith("Error: invalid argument: ")
    assert fragment in line


def test_an_output_in_a_missing_directory_is_refused_before_creating_the_task(
    live_mock: LiveMock, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "x.mp3"
    line = error_line(run_cli("generate", "x", "-o", str(target), *api(live_mock)), exit_code=2)
    assert line == (
        f"Error: Invalid value for '--output' / '-o': cannot write a file in "
        f"'{target.parent}': No such file or directory (nothing was sent)"
    )
    assert live_mock.journal() == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_a_read_only_directory_is_refused_before_creating_the_task(
    live_mock: LiveMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        line = error_line(
            run_cli("generate", "x", "-o", str(locked / "x.mp3"), *api(live_mock)), exit_code=2
        )
        assert "Permission denied" in line
        monkeypatch.chdir(locked)  # the default output, TASK_ID.mp3, goes there
        line = error_line(run_cli("generate", "x", *api(live_mock)), exit_code=2)
        assert f"cannot write a file in '{locked}'" in line
    finally:
        locked.chmod(0o700)
    assert live_mock.journal() == []


def test_an_output_under_a_file_is_refused_before_creating_the_task(
    live_mock: LiveMock, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    target = tmp_path / "a-file" / "x.mp3"
    line = error_line(run_cli("generate", "x", "-o", str(target), *api(live_mock)), exit_code=2)
    assert line.endswith(": Not a directory (nothing was sent)")
    assert live_mock.journal() == []


def test_an_existing_directory_is_not_an_output(live_mock: LiveMock, tmp_path: Path) -> None:
    line = error_line(run_cli("generate", "x", "-o", str(tmp_path), *api(live_mock)), exit_code=2)
    assert "is a directory" in line
    assert live_mock.journal() == []
