"""The control CLI (`clock`, `reset`, `tasks`, `scenarios`, `faults`, `requests`, `webhook replay`).

Against a real mock on 127.0.0.1 with the manual clock: what each command prints, with and without
``--json``, and that every failure is one line on stderr with the exit code of its kind.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from freepik_mock.contract.receiver import WebhookReceiver
from freepik_mock.server import MockConfig
from freepik_mock.server.cli import main
from freepik_mock.server.cli.control_http import EXIT_CODES
from freepik_mock.server.cli.rules_commands import _new_entries
from freepik_mock.server.live import LiveServer

KEY = "my-key-0001"
OTHER_KEY = "other-key-0002"
VENDOR = "/v1/ai/music-generation"

pytestmark = pytest.mark.live


@pytest.fixture
def mock() -> Iterator[LiveServer]:
    with LiveServer(config=MockConfig(clock="manual")) as server:
        yield server


def run(mock_url: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, [*args, "--mock-url", mock_url], input=stdin)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout


def ok_json(result: Result) -> Any:
    return json.loads(ok(result))


def control(mock: LiveServer, method: str, path: str, **kwargs: Any) -> Any:
    answer = httpx.request(method, f"{mock.url}/_mock{path}", **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.status_code != 204 else None


def create(mock: LiveServer, *, key: str = KEY, prompt: str = "calm piano") -> str:
    answer = httpx.post(
        f"{mock.url}{VENDOR}",
        headers={"x-freepik-api-key": key},
        json={"prompt": prompt, "music_length_seconds": 30},
    )
    assert answer.status_code == 200, answer.text
    task_id: str = answer.json()["data"]["task_id"]
    return task_id


def poll(mock: LiveServer, task_id: str) -> httpx.Response:
    return httpx.get(f"{mock.url}{VENDOR}/{task_id}", headers={"x-freepik-api-key": KEY})


def vendor_status(mock: LiveServer, task_id: str) -> str:
    status: str = poll(mock, task_id).json()["data"]["status"]
    return status


def assert_one_line_error(result: Result, *, kind: str, says: str, as_json: bool = False) -> None:
    """Nothing on stdout, one line on stderr (JSON with --json), the kind's exit code."""
    assert result.exit_code == EXIT_CODES[kind], result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    if as_json:
        error = json.loads(lines[0])
        assert error == {"error": error["error"], "kind": kind}
        assert says in error["error"]
    else:
        assert lines[0].startswith("Error: ")
        assert says in lines[0]


def closed_port_url() -> Iterator[str]:
    with socket.socket() as bound:  # bound but not listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"


# -- clock and reset -------------------------------------------------------------------------------
def test_clock_shows_mode_now_and_elapsed(mock: LiveServer) -> None:
    view = control(mock, "GET", "/clock")
    assert ok_json(run(mock.url, "clock", "--json")) == view
    assert ok(run(mock.url, "clock")) == (
        f"manual clock: now {view['now']}, 0.0 s since start or reset\n"
    )
    assert ok(run(mock.url, "clock", "show")) == ok(run(mock.url, "clock"))


def test_clock_advance_moves_the_clock(mock: LiveServer) -> None:
    assert ok(run(mock.url, "clock", "advance", "5")).endswith(", 5.0 s since start or reset\n")
    advanced = ok_json(run(mock.url, "clock", "advance", "2.5", "--json"))
    assert advanced == control(mock, "GET", "/clock")
    assert advanced["elapsed_seconds"] == 7.5
    assert advanced["mode"] == "manual"


def test_reset_forgets_the_tasks_and_restarts_the_clock(mock: LiveServer) -> None:
    create(mock)
    run(mock.url, "clock", "advance", "3")
    assert ok(run(mock.url, "reset")).startswith("reset; manual clock: now ")
    assert control(mock, "GET", "/tasks")["data"] == []
    run(mock.url, "clock", "advance", "3")
    answer = ok_json(run(mock.url, "reset", "--json"))
    assert answer["status"] == "ok"
    assert answer["clock"]["elapsed_seconds"] == 0.0


# -- tasks -----------------------------------------------------------------------------------------
def test_tasks_lists_every_key_with_the_key_masked(mock: LiveServer) -> None:
    assert ok(run(mock.url, "tasks")) == "no tasks yet\n"
    first = create(mock, prompt="calm piano")
    second = create(mock, key=OTHER_KEY, prompt="fast drums")
    lines = ok(run(mock.url, "tasks")).splitlines()
    assert [line.split()[0] for line in lines] == [first, second]
    assert lines[0].endswith('30 s  "calm piano"')
    assert "CREATED" in lines[1]
    assert KEY not in lines[0]
    assert OTHER_KEY not in lines[1]
    assert ok_json(run(mock.url, "tasks", "--json")) == control(mock, "GET", "/tasks")
    assert ok(run(mock.url, "tasks", "list")) == "\n".join(lines) + "\n"


def test_tasks_id_shows_one_task_with_its_timeline(mock: LiveServer) -> None:
    task_id = create(mock)
    shown = ok(run(mock.url, "tasks", task_id))
    assert shown.startswith(f"task {task_id}: CREATED\n")
    assert "  timeline:\n    CREATED at " in shown
    assert "COMPLETED at " in shown
    assert KEY not in shown
    assert ok_json(run(mock.url, "tasks", task_id, "--json")) == control(
        mock, "GET", f"/tasks/{task_id}"
    )
    assert ok(run(mock.url, "tasks", "show", task_id)) == shown


@pytest.mark.parametrize("outcome", ["complete", "fail"])
def test_a_task_ended_through_the_cli_is_seen_by_the_vendor_api(
    mock: LiveServer, outcome: str
) -> None:
    status = {"complete": "COMPLETED", "fail": "FAILED"}[outcome]
    task_id = create(mock)
    assert vendor_status(mock, task_id) == "CREATED"
    shown = ok(run(mock.url, "tasks", outcome, task_id))
    assert shown.startswith(f"task {task_id}: {status}\n")
    assert f"outcome: {status} (forced)" in shown
    assert vendor_status(mock, task_id) == status
    other = create(mock)
    answer = ok_json(run(mock.url, "tasks", outcome, other, "--json"))
    assert answer == control(mock, "GET", f"/tasks/{other}")
    assert answer["status"] == status
    assert vendor_status(mock, other) == status


# -- scenarios and faults --------------------------------------------------------------------------
RULES = {
    "scenarios": ('{"outcome": "FAILED", "times": 1}', "scn_"),
    "faults": ('{"status": 503, "times": 1}', "flt_"),
}


@pytest.mark.parametrize("book", sorted(RULES))
def test_rules_are_listed_added_deleted_and_cleared(
    mock: LiveServer, book: str, tmp_path: Path
) -> None:
    rule, prefix = RULES[book]
    noun = book.removesuffix("s")
    assert ok(run(mock.url, book)) == f"no {noun} rules\n"
    added = ok(run(mock.url, book, "add", rule))
    assert added.startswith(f"added {prefix}1: ")
    from_stdin = ok_json(run(mock.url, book, "add", "-", "--json", stdin=rule))
    rule_file = tmp_path / "rule.json"
    rule_file.write_text(rule, encoding="utf-8")
    from_file = ok_json(run(mock.url, book, "add", "--file", str(rule_file), "--json"))
    assert [from_stdin["id"], from_file["id"]] == [f"{prefix}2", f"{prefix}3"]
    listed = control(mock, "GET", f"/{book}")
    assert listed["data"][1:] == [from_stdin, from_file]
    assert ok_json(run(mock.url, book, "list", "--json")) == listed
    lines = ok(run(mock.url, book, "list")).splitlines()
    assert [line.split(":")[0] for line in lines] == [f"{prefix}{n}" for n in (1, 2, 3)]
    assert ok(run(mock.url, book, "delete", f"{prefix}2")) == f"deleted {noun} rule {prefix}2\n"
    assert ok(run(mock.url, book, "delete", f"{prefix}3", "--json")) == ""
    assert [r["id"] for r in control(mock, "GET", f"/{book}")["data"]] == [f"{prefix}1"]
    assert ok(run(mock.url, book, "clear")) == f"removed every {noun} rule\n"
    assert control(mock, "GET", f"/{book}") == {"data": []}


BAD_RULES = {
    "scenarios": '{"outcome": "MAYBE"}',
    "faults": '{"status": 503, "probability": 2}',
}


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("book", sorted(BAD_RULES))
def test_a_bad_rule_shows_the_mocks_whole_message_and_exits_3(
    mock: LiveServer, book: str, as_json: bool
) -> None:
    refused = httpx.post(f"{mock.url}/_mock/{book}", json=json.loads(BAD_RULES[book]))
    assert refused.status_code == 400
    message = refused.json()["message"]
    flags = ["--json"] if as_json else []
    result = run(mock.url, book, "add", BAD_RULES[book], *flags)
    says = f"HTTP 400 Bad Request: {message}"
    assert_one_line_error(result, kind="refused", says=says, as_json=as_json)
    assert control(mock, "GET", f"/{book}") == {"data": []}


def test_a_long_validation_message_is_not_cut(mock: LiveServer) -> None:
    rule = {"status": 503, "unknown_" + "x" * 300: 1}
    refused = httpx.post(f"{mock.url}/_mock/faults", json=rule)
    assert refused.status_code == 400
    message = " ".join(refused.json()["message"].split())
    assert len(message) > 300
    result = run(mock.url, "faults", "add", json.dumps(rule))
    assert_one_line_error(result, kind="refused", says=message)
    assert result.stderr.rstrip("\n").endswith(message)


@pytest.mark.parametrize("rule", ["{not json", "[1, 2", ""])
def test_rule_json_that_is_not_json_is_a_usage_error(mock: LiveServer, rule: str) -> None:
    result = run(mock.url, "faults", "add", rule)
    assert result.exit_code == 2, result.output
    assert "is not valid JSON" in result.stderr
    assert "Traceback" not in result.output


def test_rule_json_and_file_together_are_a_usage_error(mock: LiveServer) -> None:
    result = run(mock.url, "scenarios", "add", "{}", "--file", "rule.json")
    assert result.exit_code == 2, result.output
    assert "RULE_JSON" in result.stderr


# -- the journal -----------------------------------------------------------------------------------
def test_requests_prints_one_line_per_request_oldest_first(mock: LiveServer) -> None:
    assert ok(run(mock.url, "requests")) == "no requests yet\n"
    control(mock, "POST", "/faults", json={"match": {"method": "GET"}, "status": 503, "times": 1})
    task_id = create(mock)
    assert [poll(mock, task_id).status_code for _ in range(2)] == [503, 200]
    assert ok(run(mock.url, "requests")).splitlines() == [
        f"POST {VENDOR} 200 -",
        f"GET {VENDOR}/{task_id} 503 flt_1",
        f"GET {VENDOR}/{task_id} 200 -",
    ]
    assert ok_json(run(mock.url, "requests", "--json")) == control(mock, "GET", "/requests")


def test_requests_follow_prints_new_requests_until_interrupted(mock: LiveServer) -> None:
    first = create(mock)
    command = [sys.executable, "-m", "freepik_mock", "requests", "--follow", "--interval", "0.1"]
    follower = subprocess.Popen(
        [*command, "--mock-url", mock.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        assert follower.stdout.readline() == f"POST {VENDOR} 200 -\n"  # what was there already
        vendor_status(mock, first)
        assert follower.stdout.readline() == f"GET {VENDOR}/{first} 200 -\n"
        second = create(mock)
        vendor_status(mock, second)
        assert follower.stdout.readline() == f"POST {VENDOR} 200 -\n"
        assert follower.stdout.readline() == f"GET {VENDOR}/{second} 200 -\n"
        follower.send_signal(signal.SIGINT)  # Ctrl-C
        _, errors = follower.communicate(timeout=30)
        assert follower.returncode == 0
        assert "Traceback" not in errors
    finally:
        if follower.poll() is None:
            follower.terminate()
            follower.wait(timeout=30)


def test_requests_follow_exits_6_when_the_mock_goes_away() -> None:
    server = LiveServer(config=MockConfig(clock="manual")).start()
    follower = None
    try:
        create(server)
        follower = subprocess.Popen(
            [sys.executable, "-m", "freepik_mock", "requests", "-f", "--mock-url", server.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert follower.stdout is not None
        assert follower.stdout.readline() == f"POST {VENDOR} 200 -\n"
        server.stop()
        rest, errors = follower.communicate(timeout=60)
        assert follower.returncode == EXIT_CODES["unreachable"]
        assert rest == ""
        assert errors.startswith(f"Error: cannot reach the mock at {server.url}")
        assert len(errors.splitlines()) == 1, errors
    finally:
        server.stop()
        if follower is not None and follower.poll() is None:
            follower.terminate()
            follower.wait(timeout=30)


def test_new_journal_entries_are_found_after_the_overlap() -> None:
    a, b, c, d = ({"n": n} for n in range(4))
    assert _new_entries([], [a, b]) == [a, b]
    assert _new_entries([a, b], [a, b]) == []
    assert _new_entries([a, b], [a, b, c]) == [c]
    assert _new_entries([a, b, c], [b, c, d]) == [d]  # the full journal dropped its oldest
    assert _new_entries([a, b, a], [a, b, a, a]) == [a]
    assert _new_entries([a, b], [c]) == [c]  # reset, then a new request
    assert _new_entries([a, b], []) == []


# -- webhook replay --------------------------------------------------------------------------------
def test_webhook_replay_sends_a_message_again(mock: LiveServer, receiver: WebhookReceiver) -> None:
    sent = ok_json(run(mock.url, "webhook", "send", "--url", receiver.url, "--json"))
    webhook_id = sent["webhook_id"]
    replayed = ok(run(mock.url, "webhook", "replay", webhook_id))
    assert replayed.startswith(f"delivered: {webhook_id} COMPLETED -> {receiver.url}\n")
    assert "attempt (replay): HTTP 200" in replayed
    again = ok_json(run(mock.url, "webhook", "replay", webhook_id, "--json"))
    assert again == control(mock, "GET", f"/webhooks/{webhook_id}")
    assert [attempt["trigger"] for attempt in again["attempts"]] == ["first", "replay", "replay"]
    original, *copies = receiver.wait_for(3)
    assert all(copy.body == original.body for copy in copies)


# -- what goes wrong -------------------------------------------------------------------------------
@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize(
    "args",
    [
        ("tasks", "no-such-task"),
        ("tasks", "complete", "no-such-task"),
        ("tasks", "fail", "no-such-task"),
        ("scenarios", "delete", "scn_9"),
        ("faults", "delete", "flt_9"),
        ("webhook", "replay", "msg_nope"),
    ],
)
def test_an_unknown_id_exits_5(mock: LiveServer, args: tuple[str, ...], as_json: bool) -> None:
    flags = ["--json"] if as_json else []
    result = run(mock.url, *args, *flags)
    assert_one_line_error(result, kind="not_found", says="HTTP 404 Not Found", as_json=as_json)


COMMANDS = [
    ("clock",),
    ("clock", "advance", "1"),
    ("reset",),
    ("tasks",),
    ("tasks", "some-task"),
    ("scenarios", "list"),
    ("faults", "add", "{}"),
    ("faults", "clear"),
    ("requests",),
    ("webhook", "list"),
]


@pytest.mark.parametrize("args", COMMANDS)
def test_a_missing_or_wrong_admin_token_exits_4(args: tuple[str, ...]) -> None:
    with LiveServer(config=MockConfig(clock="manual", admin_token="tok")) as guarded:
        missing = run(guarded.url, *args)
        wrong = run(guarded.url, *args, "--admin-token", "nope", "--json")
        accepted = run(guarded.url, "clock", "--admin-token", "tok")
    assert_one_line_error(missing, kind="unauthorized", says="Missing admin token (pass")
    assert_one_line_error(wrong, kind="unauthorized", says="Invalid admin token", as_json=True)
    assert accepted.exit_code == 0, accepted.output


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("args", [*COMMANDS, ("requests", "--follow")])
def test_an_unreachable_mock_exits_6(args: tuple[str, ...], as_json: bool) -> None:
    flags = ["--json"] if as_json else []
    for url in closed_port_url():
        result = run(url, *args, *flags)
        says = f"cannot reach the mock at {url}"
        assert_one_line_error(result, kind="unreachable", says=says, as_json=as_json)


def test_the_mock_url_comes_from_the_environment(mock: LiveServer) -> None:
    result = CliRunner().invoke(main, ["clock"], env={"FREEPIK_MOCK_URL": mock.url})
    assert ok(result).startswith("manual clock: now ")


def test_the_groups_still_show_their_help() -> None:
    for group in ("clock", "tasks", "scenarios", "faults"):
        result = CliRunner().invoke(main, [group, "--help"])
        assert result.exit_code == 0, result.output
        assert "Commands:" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("clock", "advance", "soon"),
        ("clock", "advance"),
        ("tasks", "--no-such-flag"),
        ("faults", "add", "{not json"),
        ("requests", "--interval", "0"),
        ("reset", "extra"),
        ("webhook", "replay"),
    ],
)
def test_a_usage_error_is_one_json_line_with_json(mock: LiveServer, args: tuple[str, ...]) -> None:
    result = run(mock.url, *args, "--json")
    assert_one_line_error(result, kind="usage", says="", as_json=True)
    assert result.exit_code == 2
