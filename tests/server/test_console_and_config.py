"""`freepik-mock serve`'s console (one line per request), `--config FILE`, and standard reason
phrases on every status line (issue 14, items 4, 5 and 9)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from flask import Flask

from freepik_mock.server import MockConfig
from freepik_mock.server.cli import main
from freepik_mock.server.cli.config_file import RULES_META_KEY
from freepik_mock.server.cli.serve import build_config, serve

KEY = {"x-freepik-api-key": "console-key"}
CREATE = {"prompt": "calm lo-fi 80bpm", "music_length_seconds": 10}
FAULT = {"match": {"method": "GET", "path": "/v1/ai/music-generation/*"}, "status": 503}
DROP = {"match": {"path": "/v1/ai/music-generation/*"}, "drop_connection": True, "times": 1}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FREEPIK_MOCK_"):
            monkeypatch.delenv(name)


def parsed(*args: str) -> tuple[dict[str, Any], MockConfig]:
    ctx = serve.make_context("serve", list(args))
    return ctx.params, build_config(ctx.params, config_file=ctx.meta.get(RULES_META_KEY), ctx=ctx)


def usage_error(*args: str) -> str:
    result = CliRunner().invoke(main, ["serve", "--port", "0", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "listening" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    return errors[0]


# -- the config file ----------------------------------------------------------------------------
CONFIGS = {
    "mock.yaml": (
        "api-key: [a, b]\nclock: manual\nwebhook_retries: 2\n"
        "scenarios:\n  - match: {prompt_contains: fail}\n    outcome: FAILED\n"
        "faults:\n  - match: {method: GET, path: /v1/ai/music-generation/*}\n    status: 503\n"
    ),
    "mock.toml": (
        'api_key = ["a", "b"]\nclock = "manual"\nwebhook-retries = 2\n'
        '[[scenarios]]\noutcome = "FAILED"\nmatch = { prompt_contains = "fail" }\n'
        '[[faults]]\nstatus = 503\nmatch = { method = "GET", path = "/v1/ai/music-generation/*" }\n'
    ),
    "mock.json": json.dumps(
        {
            "api_key": ["a", "b"],
            "clock": "manual",
            "webhook_retries": 2,
            "scenarios": [{"match": {"prompt_contains": "fail"}, "outcome": "FAILED"}],
            "faults": [FAULT],
        }
    ),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_config_file_sets_flags_scenarios_and_faults(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(CONFIGS[name], encoding="utf-8")
    _, config = parsed("--config", str(path))
    assert config.api_keys == ("a", "b")
    assert config.clock == "manual"
    assert config.webhook_max_retries == 2
    assert config.scenarios == ({"match": {"prompt_contains": "fail"}, "outcome": "FAILED"},)
    assert config.faults == (FAULT,)


def test_flags_and_environment_override_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mock.yaml"
    path.write_text("clock: manual\njournal_size: 5\nseed: 1\n", encoding="utf-8")
    monkeypatch.setenv("FREEPIK_MOCK_SEED", "9")
    _, config = parsed("--config", str(path), "--clock", "real")
    assert (config.clock, config.journal_size, config.seed) == ("real", 5, 9)


def test_a_retry_policy_flag_replaces_the_files_other_kind_of_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    retries = tmp_path / "retries.yaml"
    retries.write_text("webhook_retries: 3\nwebhook_backoff: 2\n", encoding="utf-8")
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text("webhook_retry_schedule: [0, 10, 600]\n", encoding="utf-8")

    config = parsed("--config", str(retries), "--webhook-retry-schedule", "0,5")[1]
    assert config.effective_retry_schedule == (0.0, 5.0)
    assert (config.webhook_max_retries, config.webhook_initial_backoff) == (None, None)

    config = parsed("--config", str(schedule), "--webhook-retries", "2")[1]
    assert config.webhook_retry_schedule is None
    assert config.webhook_max_retries == 2

    monkeypatch.setenv("FREEPIK_MOCK_WEBHOOK_RETRY_SCHEDULE", "0,7")
    config = parsed("--config", str(retries))[1]
    assert config.effective_retry_schedule == (0.0, 7.0)
    assert config.webhook_max_retries is None
    # The command agrees: it goes on to listen (on a port taken here, so it stops there).
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(main, ["serve", "--port", port, "--config", str(retries)])
    assert result.exit_code == 1, result.output
    assert "cannot listen on 127.0.0.1 port " + port in result.output


def test_both_kinds_of_retry_policy_at_one_level_are_refused_naming_each_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = tmp_path / "both.yaml"
    both.write_text("webhook_retries: 3\nwebhook_retry_schedule: [0, 5]\n", encoding="utf-8")
    error = usage_error("--config", str(both))
    assert "'webhook_retry_schedule' in " + str(both) in error
    assert "'webhook_retries' in " + str(both) in error

    error = usage_error("--webhook-retry-schedule", "0,5", "--webhook-backoff", "1")
    assert "--webhook-retry-schedule cannot be combined with --webhook-backoff" in error

    monkeypatch.setenv("FREEPIK_MOCK_WEBHOOK_RETRIES", "4")
    monkeypatch.setenv("FREEPIK_MOCK_WEBHOOK_RETRY_SCHEDULE", "0,5")
    error = usage_error()
    assert "FREEPIK_MOCK_WEBHOOK_RETRY_SCHEDULE cannot be combined with" in error
    assert "FREEPIK_MOCK_WEBHOOK_RETRIES" in error


def test_the_config_file_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mock.toml"
    path.write_text("faults = [{ status = 500 }]\n", encoding="utf-8")
    monkeypatch.setenv("FREEPIK_MOCK_CONFIG", str(path))
    assert parsed()[1].faults == ({"status": 500},)


def test_a_scenarios_file_named_in_the_config_is_found_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rules.yaml").write_text("- outcome: FAILED\n", encoding="utf-8")
    (tmp_path / "mock.yaml").write_text("scenarios: rules.yaml\n", encoding="utf-8")
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert parsed("--config", str(tmp_path / "mock.yaml"))[1].scenarios == ({"outcome": "FAILED"},)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("fautls:\n  - status: 503\n", "unknown setting 'fautls' (did you mean 'faults'?)"),
        ("portt: 8080\n", "unknown setting 'portt' (did you mean 'port'?)"),
        ("clock: sideways\n", "'clock'"),
        ("journal_size: 0\n", "'journal_size'"),
        ("faults:\n  - status: 999\n", "fault rule 1"),
        ("faults:\n  - colour: red\n", "fault rule 1"),
        ("scenarios:\n  - outcome: MAYBE\n", "scenario rule 1"),
        ("faults: 503\n", "'faults' must be a list of rules"),
        ("- just\n- a list\n", "must hold a mapping"),
        ("port: [unclosed\n", "is not valid YAML"),
    ],
)
def test_a_bad_config_file_is_refused_naming_what_is_wrong(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "mock.yaml"
    path.write_text(text, encoding="utf-8")
    assert words in usage_error("--config", str(path))


def test_a_scenarios_file_refuses_keys_it_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("scenarios: []\nfaults:\n  - status: 503\n", encoding="utf-8")
    error = usage_error("--scenarios", str(path))
    assert "unknown key 'faults'" in error
    assert "--config" in error


def test_start_up_faults_apply_and_a_reset_brings_them_back(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(faults=(FAULT,))
    http = app.test_client()
    created = http.post("/v1/ai/music-generation", json=CREATE, headers=KEY)
    task_id = created.get_json()["data"]["task_id"]
    assert http.get(f"/v1/ai/music-generation/{task_id}", headers=KEY).status_code == 503
    assert http.delete("/_mock/faults").status_code == 204
    assert http.get(f"/v1/ai/music-generation/{task_id}", headers=KEY).status_code == 200
    assert http.post("/_mock/reset").status_code in (200, 204)
    assert [rule["status"] for rule in http.get("/_mock/faults").get_json()["data"]] == [503]


# -- reason phrases -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/v1/ai/music-generation", {"prompt": ""}, "400 Bad Request"),
        ("get", "/v1/ai/music-generation/nope", None, "404 Not Found"),
        ("get", "/_mock/health", None, "200 OK"),
        ("post", "/_mock/clock/advance", {"seconds": "x"}, "400 Bad Request"),
    ],
)
def test_status_lines_carry_the_standard_reason_phrase(
    make_app: Callable[..., Flask], method: str, path: str, body: Any, status: str
) -> None:
    http = make_app().test_client()
    answer = getattr(http, method)(path, json=body, headers=KEY)
    assert answer.status == status


def test_an_unauthorised_and_a_fault_answer_have_standard_phrases(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(api_keys=("good",), faults=(FAULT,))
    http = app.test_client()
    refused = http.post("/v1/ai/music-generation", json=CREATE, headers={"x-freepik-api-key": "x"})
    assert refused.status == "401 Unauthorized"
    faulted = http.get("/v1/ai/music-generation/abc", headers={"x-freepik-api-key": "good"})
    assert faulted.status == "503 Service Unavailable"


# -- the console, on a real server --------------------------------------------------------------
def start_serving(tmp_path: Path, *flags: str) -> tuple[subprocess.Popen[str], str, str]:
    config = tmp_path / "mock.json"
    config.write_text(json.dumps({"faults": [DROP, FAULT], "api_key": "console-key"}), "utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "freepik_mock", "serve", "--port", "0", "--clock", "manual",
         "--config", str(config), *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline()
    if "listening on http://127.0.0.1:" not in first:
        process.kill()
        pytest.fail(first + process.communicate(timeout=10)[1])
    banner = first
    while "request log" not in banner:
        banner += process.stdout.readline()
    return process, first.rsplit(" ", 1)[-1].strip(), banner


@pytest.fixture
def serving(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    processes: list[subprocess.Popen[str]] = []

    def start(*flags: str) -> tuple[subprocess.Popen[str], str, str]:
        started = start_serving(tmp_path, *flags)
        processes.append(started[0])
        return started

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def drive(url: str) -> None:
    """A create, a dropped GET, a faulted GET and a control call."""
    with httpx.Client(base_url=url, timeout=10) as http:
        task_id = http.post("/v1/ai/music-generation", json=CREATE, headers=KEY).json()["data"][
            "task_id"
        ]
        with pytest.raises(httpx.TransportError):
            http.get(f"/v1/ai/music-generation/{task_id}", headers=KEY)
        assert http.get(f"/v1/ai/music-generation/{task_id}?x=1", headers=KEY).status_code == 503
        assert http.get("/_mock/health").status_code == 200


def stop(process: subprocess.Popen[str]) -> list[str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return [line for line in out.splitlines() if line and not line.startswith("freepik-mock")]


@pytest.mark.live
def test_the_console_prints_one_line_per_request_with_status_time_and_fault(serving: Any) -> None:
    process, url, banner = serving()
    assert "rules:           0 scenarios, 2 faults" in banner
    assert "store:           memory" in banner
    assert "request log:     one line per request" in banner
    drive(url)
    lines = stop(process)
    create, dropped, faulted, health = lines[-4:]
    assert " POST /v1/ai/music-generation  200  " in create
    assert create.endswith(" ms")
    assert " GET /v1/ai/music-generation/" in dropped
    assert "  dropped  " in dropped
    assert dropped.endswith("  fault flt_1")
    assert "?x=1  503  " in faulted
    assert faulted.endswith("  fault flt_2")
    assert " GET /_mock/health  200  " in health
    assert "fault" not in health


@pytest.mark.live
def test_the_console_writes_json_lines_for_log_collectors(serving: Any) -> None:
    process, url, banner = serving("--log-format", "json")
    assert "request log:     JSON lines" in banner
    drive(url)
    entries = [json.loads(line) for line in stop(process)[-4:]]
    assert [(e["method"], e["status"], e["dropped"], e["fault"]) for e in entries] == [
        ("POST", 200, False, None),
        ("GET", None, True, "flt_1"),
        ("GET", 503, False, "flt_2"),
        ("GET", 200, False, None),
    ]
    assert entries[2]["query"] == "x=1"
    assert all(e["time"].endswith("Z") and e["duration_ms"] >= 0 for e in entries)


@pytest.mark.live
def test_quiet_prints_no_request_lines_and_status_lines_are_standard(serving: Any) -> None:
    process, url, banner = serving("--quiet")
    assert "request log:     off (--quiet)" in banner
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", "/v1/ai/music-generation", body="{}", headers=KEY)
        answer = connection.getresponse()
        assert (answer.status, answer.reason) == (400, "Bad Request")
        answer.read()
    finally:
        connection.close()
    assert stop(process) == []


def test_the_readme_config_file_starts_a_mock_with_its_rules(tmp_path: Path) -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = text.split("```yaml freepik-mock.yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "freepik-mock.yaml"
    path.write_text(block, encoding="utf-8")
    _, config = parsed("--config", str(path))
    assert config.api_keys == ("dev-key-1", "dev-key-2")
    assert config.clock == "manual"
    assert [rule["status"] for rule in config.faults] == [429]
    assert [rule["outcome"] for rule in config.scenarios] == ["FAILED"]
