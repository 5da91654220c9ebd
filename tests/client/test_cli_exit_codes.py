"""``freepik-music``'s exit code per kind of error, its JSON errors with ``--json``, and the retry
notices on stderr (silenced by ``--quiet``).

The API errors come from a live mock on 127.0.0.1 (its fault rules make the 400, 403, 429 and
5xx), the network errors from a closed port on 127.0.0.1.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from freepik_mock.client import MusicClient, RetryPolicy
from freepik_mock.client._cli_errors import EXIT_CODES
from tests.client.helpers import API_KEY, LiveMock, closed_port, error_line, run_cli

pytestmark = pytest.mark.live

COLLECTION = "/v1/ai/music-generation"
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
NO_RETRIES = ("--max-retries", "0")
README = Path(__file__).resolve().parents[2] / "README.md"

#: A client whose retries wait a few milliseconds, for the tests of retry notices.
fast_retries = functools.partial(
    MusicClient, retry_policy=RetryPolicy(initial_delay=0.01, max_delay=0.01)
)


def api(mock: LiveMock, key: str = API_KEY) -> tuple[str, ...]:
    return ("--base-url", mock.url, "--api-key", key)


def unreachable() -> tuple[str, ...]:
    return ("--base-url", f"http://127.0.0.1:{closed_port()}", "--api-key", API_KEY)


@dataclass(frozen=True)
class Case:
    """One way to fail: what to set up on the mock, the command, and the exit code and kind."""

    setup: Callable[[LiveMock], object]
    args: Callable[[LiveMock, Path], tuple[str, ...]]
    exit_code: int
    kind: str


def nothing(mock: LiveMock) -> None:
    """No rule: the mock as it starts."""


def generate(mock: LiveMock, tmp_path: Path) -> tuple[str, ...]:
    quick = ("--poll-interval", "0.05", "--wait-timeout", "0.5", *NO_RETRIES)
    return ("generate", "x", "-o", str(tmp_path / "t.mp3"), *quick, *api(mock))


INVALID = {
    "message": "Your request parameters didn't validate.",
    "invalid_params": [{"name": "prompt", "reason": "Parameter 'prompt' is not valid"}],
}

CASES: dict[str, Case] = {
    "server": Case(
        lambda m: m.fault(match={"method": "GET"}, status=500),
        lambda m, _: ("list", *NO_RETRIES, *api(m)),
        1,
        "server",
    ),
    "usage": Case(nothing, lambda m, _: ("generate", "x", "--length", "5", *api(m)), 2, "usage"),
    "validation": Case(
        lambda m: m.fault(match={"method": "POST"}, status=400, body=INVALID),
        generate,
        3,
        "validation",
    ),
    "auth-401": Case(nothing, lambda m, _: ("list", *api(m, "not-a-key")), 4, "auth"),
    "auth-403": Case(
        lambda m: m.fault(match={"method": "GET"}, status=403, body={"message": "Forbidden"}),
        lambda m, _: ("list", *api(m)),
        4,
        "auth",
    ),
    "not-found": Case(nothing, lambda m, _: ("status", UNKNOWN_ID, *api(m)), 5, "not_found"),
    "network": Case(nothing, lambda m, _: ("list", *NO_RETRIES, *unreachable()), 6, "network"),
    "rate-limited": Case(
        lambda m: m.fault(match={"method": "GET"}, status=429, retry_after=7),
        lambda m, _: ("list", *NO_RETRIES, *api(m)),
        7,
        "rate_limited",
    ),
    "task-failed": Case(
        lambda m: m.scenario(match={}, outcome="FAILED"), generate, 8, "task_failed"
    ),
    "wait-timeout": Case(
        lambda m: m.scenario(match={}, processing_seconds=1000), generate, 9, "timeout"
    ),
}


def run_case(live_mock: LiveMock, tmp_path: Path, name: str, *extra: str) -> Result:
    case = CASES[name]
    case.setup(live_mock)
    return run_cli(*case.args(live_mock, tmp_path), *extra)


def json_error(result: Result, *, exit_code: int) -> dict[str, Any]:
    """The JSON error object, the last line on stderr, after checking it failed cleanly."""
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    last = result.stderr.splitlines()[-1]
    error: dict[str, Any] = json.loads(last)
    assert set(error) >= {"error", "kind"}
    assert "\n" not in error["error"]
    return error


def test_success_is_0(live_mock: LiveMock) -> None:
    assert run_cli("list", *api(live_mock)).exit_code == 0


@pytest.mark.parametrize("name", CASES)
def test_every_kind_of_error_has_its_exit_code(
    live_mock: LiveMock, tmp_path: Path, name: str
) -> None:
    case = CASES[name]
    assert EXIT_CODES[case.kind] == case.exit_code
    line = error_line(run_case(live_mock, tmp_path, name), exit_code=case.exit_code)
    assert line.startswith("Error: ")


@pytest.mark.parametrize("name", CASES)
def test_with_json_every_error_is_one_json_object(
    live_mock: LiveMock, tmp_path: Path, name: str
) -> None:
    case = CASES[name]
    error = json_error(run_case(live_mock, tmp_path, name, "--json"), exit_code=case.exit_code)
    assert error["kind"] == case.kind
    assert not error["error"].startswith("Error")


def test_a_json_validation_error_names_the_status_and_the_invalid_params(
    live_mock: LiveMock, tmp_path: Path
) -> None:
    error = json_error(run_case(live_mock, tmp_path, "validation", "--json"), exit_code=3)
    assert error == {
        "error": f"the API refused the request: HTTP 400 from POST {COLLECTION}: Your request "
        "parameters didn't validate. (prompt: Parameter 'prompt' is not valid)",
        "kind": "validation",
        "status": 400,
        "invalid_params": [{"name": "prompt", "reason": "Parameter 'prompt' is not valid"}],
    }


def test_a_json_rate_limit_error_says_when_to_retry(live_mock: LiveMock, tmp_path: Path) -> None:
    error = json_error(run_case(live_mock, tmp_path, "rate-limited", "--json"), exit_code=7)
    assert (error["status"], error["retry_after"]) == (429, 7)


def test_json_task_errors_name_the_task(live_mock: LiveMock, tmp_path: Path) -> None:
    failed = json_error(run_case(live_mock, tmp_path, "task-failed", "--json"), exit_code=8)
    assert failed["task_status"] == "FAILED"
    [created] = live_mock.journal(method="POST")
    assert failed["task_id"] in failed["error"]
    assert created["status"] == 200
    live_mock.control.post("/_mock/reset").raise_for_status()
    waited = json_error(run_case(live_mock, tmp_path, "wait-timeout", "--json"), exit_code=9)
    assert (waited["task_status"], waited["wait_timeout"]) == ("IN_PROGRESS", 0.5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("list", "--json", "--bogus"), "No such option '--bogus'."),
        (("--json", "no-such-command"), "No such command 'no-such-command'."),
        (("--json", "--timeout", "0", "list"), "Invalid value for '--timeout'"),
        (("status", "--json"), "Missing argument 'TASK_ID'."),
        (("list", "--json"), "no API key: pass --api-key or set FREEPIK_API_KEY"),
        (("list", "--json", "--api-key", "k", "--base-url", "ftp://x"), "invalid argument: "),
    ],
    ids=["option", "command", "group-value", "argument", "no-key", "base-url"],
)
def test_with_json_usage_errors_are_json_too(args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args)
    error = json_error(result, exit_code=2)
    assert error["kind"] == "usage"
    assert error["error"].startswith(message)
    assert result.stderr.count("\n") == 1  # no Usage: hint


def test_a_long_message_with_line_breaks_is_shown_whole_on_one_line(live_mock: LiveMock) -> None:
    words = [f"word{number}" for number in range(300)]
    message = "\n".join(" ".join(words[i : i + 10]) for i in range(0, 300, 10))
    live_mock.fault(match={"method": "GET"}, status=502, body={"message": message})
    line = error_line(run_cli("list", *NO_RETRIES, *api(live_mock)), exit_code=1)
    assert " ".join(words) in line
    assert line.endswith("word299. Try again later.")


def test_an_unexpected_exception_is_one_line_not_a_traceback(live_mock: LiveMock) -> None:
    def broken(**options: Any) -> MusicClient:
        raise RuntimeError("a bug\nover two lines")

    line = error_line(run_cli("list", *api(live_mock), obj=broken), exit_code=1)
    assert line == "Error: unexpected RuntimeError: a bug over two lines"
    result = run_cli("list", "--json", *api(live_mock), obj=broken)
    assert json_error(result, exit_code=1) == {
        "error": "unexpected RuntimeError: a bug over two lines",
        "kind": "error",
        "exception": "RuntimeError",
    }


# Retry notices ----------------------------------------------------------------------------

NOTICE = re.compile(
    r"^retry (\d) of 2 in \d+\.\d s: could not connect on GET http://127\.0\.0\.1:\d+"
    + re.escape(COLLECTION)
    + r": .+$"
)


def test_each_retry_of_an_unreachable_url_is_a_line_on_stderr() -> None:
    result = run_cli("list", "--max-retries", "2", *unreachable(), obj=fast_retries)
    line = error_line(result, exit_code=6)
    *notices, last = result.stderr.splitlines()
    assert last == line
    retries = [m.group(1) if (m := NOTICE.match(notice)) else notice for notice in notices]
    assert retries == ["1", "2"]


def test_with_json_retry_notices_are_json_lines() -> None:
    result = run_cli("list", "--json", "--max-retries", "2", *unreachable(), obj=fast_retries)
    error = json_error(result, exit_code=6)
    notices = [json.loads(line) for line in result.stderr.splitlines()[:-1]]
    assert [(n["retry"], n["of"]) for n in notices] == [(1, 2), (2, 2)]
    for notice in notices:
        assert set(notice) == {"retry", "of", "error", "wait_seconds"}
        assert notice["error"].startswith("could not connect on GET http://127.0.0.1:")
        assert 0 <= notice["wait_seconds"] <= 0.01
    assert error["kind"] == "network"


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_silences_retry_notices(where: str) -> None:
    command = ("list", "--max-retries", "2", *unreachable())
    args = ("--quiet", *command) if where == "before" else (*command, "--quiet")
    result = run_cli(*args, obj=fast_retries)
    assert result.stderr.splitlines() == [error_line(result, exit_code=6)]


def test_quiet_silences_progress_but_not_the_result(live_mock: LiveMock, tmp_path: Path) -> None:
    target = tmp_path / "t.mp3"
    args = ("generate", "x", "-o", str(target), "--poll-interval", "0.05", "-q")
    result = run_cli(*args, *api(live_mock))
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{target}\n", "")


# Where the codes are documented -----------------------------------------------------------


def test_help_lists_every_exit_code() -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    codes = re.findall(r"^\s+(\d)\s+\S", result.stdout.split("Exit codes:")[1], re.MULTILINE)
    assert codes == [str(code) for code in range(10)]


def test_the_readme_has_the_same_codes_as_the_cli() -> None:
    section = README.read_text().split("### The reference client")[1].split("\n### ")[0]
    rows = re.findall(r"^\| (\d) \|([^|]*)\|", section, re.MULTILINE)
    documented = {int(code): set(re.findall(r"`(\w+)`", kinds)) for code, kinds in rows}
    assert sorted(documented) == list(range(10))
    for kind, code in EXIT_CODES.items():
        assert kind in documented[code], (kind, code)
