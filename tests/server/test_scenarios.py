"""Scenario rules through HTTP: outcomes, timings, queues, first match, and the --scenarios file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from freepik_mock.server import MockConfig, close_app, create_app
from freepik_mock.server.cli import main
from freepik_mock.server.cli.serve import build_config, serve
from freepik_mock.server.web import get_state
from tests.conftest import API_KEY, OTHER_KEY

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def new_task(client: FlaskClient, prompt: str = "calm piano", *, key: str = API_KEY) -> str:
    response = client.post(
        PATH,
        json={"prompt": prompt, "music_length_seconds": 10},
        headers={"x-freepik-api-key": key},
    )
    assert response.status_code == 200, response.get_json()
    task_id: str = response.get_json()["data"]["task_id"]
    return task_id


def status_of(client: FlaskClient, task_id: str, *, key: str = API_KEY) -> str:
    response = client.get(f"{PATH}/{task_id}", headers={"x-freepik-api-key": key})
    status: str = response.get_json()["data"]["status"]
    return status


def advance(client: FlaskClient, seconds: float) -> None:
    assert client.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def add_rule(client: FlaskClient, rule: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/_mock/scenarios", json=rule)
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def test_a_posted_rule_answers_201_with_its_id_and_is_listed(client: FlaskClient) -> None:
    created = add_rule(
        client,
        {"match": {"prompt_contains": "jazz"}, "outcome": "FAILED", "processing_seconds": 2},
    )
    assert created["id"]
    assert created["match"] == {"prompt_contains": "jazz"}
    assert created["outcome"] == "FAILED"
    assert created["processing_seconds"] == 2
    assert created["times"] is None
    assert client.get("/_mock/scenarios").get_json() == {"data": [created]}


def test_prompt_substring_sets_the_outcome(client: FlaskClient) -> None:
    add_rule(client, {"match": {"prompt_contains": "JAZZ"}, "outcome": "FAILED"})
    failing = new_task(client, "smooth jazz trio")
    fine = new_task(client, "techno")
    advance(client, 60)
    assert status_of(client, failing) == "FAILED"
    assert status_of(client, fine) == "COMPLETED"


def test_prompt_regex_sets_the_outcome(client: FlaskClient) -> None:
    add_rule(client, {"match": {"prompt_regex": r"^\d+ ?bpm"}, "outcome": "FAILED"})
    failing = new_task(client, "120 bpm house")
    fine = new_task(client, "house at 120 bpm")
    advance(client, 60)
    assert (status_of(client, failing), status_of(client, fine)) == ("FAILED", "COMPLETED")


def test_api_key_match_only_touches_that_keys_tasks(client: FlaskClient) -> None:
    created = add_rule(client, {"match": {"api_key": OTHER_KEY}, "outcome": "FAILED"})
    assert OTHER_KEY not in json.dumps(created)
    assert OTHER_KEY not in client.get("/_mock/scenarios").get_data(as_text=True)
    mine = new_task(client)
    theirs = new_task(client, key=OTHER_KEY)
    advance(client, 60)
    assert status_of(client, mine) == "COMPLETED"
    assert status_of(client, theirs, key=OTHER_KEY) == "FAILED"


def test_all_match_fields_must_hold_together(client: FlaskClient) -> None:
    add_rule(
        client,
        {"match": {"prompt_contains": "rock", "api_key": API_KEY}, "outcome": "FAILED"},
    )
    other_key_rock = new_task(client, "rock anthem", key=OTHER_KEY)
    my_rock = new_task(client, "rock anthem")
    advance(client, 60)
    assert status_of(client, other_key_rock, key=OTHER_KEY) == "COMPLETED"
    assert status_of(client, my_rock) == "FAILED"


def test_durations_set_when_each_change_happens(client: FlaskClient) -> None:
    add_rule(client, {"created_seconds": 10, "processing_seconds": 20})
    task_id = new_task(client)
    advance(client, 9.5)
    assert status_of(client, task_id) == "CREATED"
    advance(client, 0.5)
    assert status_of(client, task_id) == "IN_PROGRESS"
    advance(client, 19.5)
    assert status_of(client, task_id) == "IN_PROGRESS"
    advance(client, 0.5)
    assert status_of(client, task_id) == "COMPLETED"


def test_rules_with_times_form_a_queue(client: FlaskClient) -> None:
    for outcome in ("COMPLETED", "FAILED", "COMPLETED"):
        add_rule(client, {"outcome": outcome, "times": 1})
    tasks = [new_task(client) for _ in range(4)]
    advance(client, 60)
    assert [status_of(client, t) for t in tasks] == [
        "COMPLETED",
        "FAILED",
        "COMPLETED",
        "COMPLETED",
    ]
    assert client.get("/_mock/scenarios").get_json() == {"data": []}


def test_a_rule_with_times_is_used_up_and_counts_its_uses(client: FlaskClient) -> None:
    rule = add_rule(client, {"match": {"prompt_contains": "x"}, "outcome": "FAILED", "times": 2})
    new_task(client, "x one")
    (listed,) = client.get("/_mock/scenarios").get_json()["data"]
    assert (listed["id"], listed["times"], listed["used"]) == (rule["id"], 1, 1)
    tasks = [new_task(client, "x two"), new_task(client, "x three")]
    advance(client, 60)
    assert [status_of(client, t) for t in tasks] == ["FAILED", "COMPLETED"]


def test_first_match_wins(client: FlaskClient) -> None:
    add_rule(client, {"match": {"prompt_contains": "piano"}, "outcome": "FAILED"})
    add_rule(client, {"match": {"prompt_contains": "calm"}, "created_seconds": 100})
    task_id = new_task(client, "calm piano")
    advance(client, 6)
    assert status_of(client, task_id) == "FAILED"


def test_rules_apply_only_to_tasks_created_after_them(client: FlaskClient) -> None:
    before = new_task(client)
    add_rule(client, {"outcome": "FAILED"})
    after = new_task(client)
    advance(client, 60)
    assert (status_of(client, before), status_of(client, after)) == ("COMPLETED", "FAILED")


def test_the_control_api_names_the_rule_a_task_followed(client: FlaskClient) -> None:
    rule = add_rule(client, {"outcome": "FAILED"})
    task_id = new_task(client)
    task = client.get(f"/_mock/tasks/{task_id}").get_json()
    assert (task["scenario_id"], task["outcome"]) == (rule["id"], "FAILED")


def test_delete_one_and_all(client: FlaskClient) -> None:
    first = add_rule(client, {"outcome": "FAILED"})
    second = add_rule(client, {"created_seconds": 3})
    assert client.delete(f"/_mock/scenarios/{first['id']}").status_code == 204
    assert client.get("/_mock/scenarios").get_json()["data"] == [second]
    assert client.delete("/_mock/scenarios").status_code == 204
    assert client.get("/_mock/scenarios").get_json() == {"data": []}
    task_id = new_task(client)
    advance(client, 5)
    assert status_of(client, task_id) == "COMPLETED"


def test_unknown_rule_ids_get_404(client: FlaskClient) -> None:
    response = client.delete("/_mock/scenarios/scn_999")
    assert response.status_code == 404
    assert response.get_json() == {"message": "Not found"}


def test_reset_forgets_posted_rules(client: FlaskClient) -> None:
    add_rule(client, {"outcome": "FAILED"})
    client.post("/_mock/reset")
    assert client.get("/_mock/scenarios").get_json() == {"data": []}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"outcome": "MAYBE"}, "outcome"),
        ({"outcome": "FAILED", "colour": "red"}, "colour"),
        ({"id": "my-rule", "outcome": "FAILED"}, "id"),
        ({"match": {"prompt_regex": "a" * 1001}, "outcome": "FAILED"}, "at most 1000"),
        ({"match": {"prompt_regex": "(a{1000}){1000}"}}, "regex"),
        ({"match": {"prompt": "x"}}, "prompt"),
        ({"match": "jazz"}, "match"),
        ({"match": {"prompt_contains": 3}}, "prompt_contains"),
        ({"match": {"api_key": ["k"]}}, "api_key"),
        ({"match": {"prompt_regex": "(unclosed"}}, "regex"),
        ({"times": 0}, "times"),
        ({"times": 1.5}, "times"),
        ({"times": True}, "times"),
        ({"created_seconds": -1}, "created_seconds"),
        ({"processing_seconds": "5"}, "processing_seconds"),
        ([{"outcome": "FAILED"}], "object"),
    ],
)
def test_bad_rules_are_400_with_a_clear_message(client: FlaskClient, body: Any, words: str) -> None:
    response = client.post("/_mock/scenarios", json=body)
    assert response.status_code == 400
    assert words in response.get_json()["message"]
    assert client.get("/_mock/scenarios").get_json() == {"data": []}


def test_a_refused_rule_uses_up_no_id(client: FlaskClient) -> None:
    assert client.post("/_mock/scenarios", json={"outcome": "MAYBE"}).status_code == 400
    assert add_rule(client, {"outcome": "FAILED"})["id"] == "scn_1"


def test_a_regex_runs_without_holding_the_rules(client: FlaskClient, app: Flask) -> None:
    """While a (maybe catastrophic) regex runs, other creates and the control API go on."""
    book = get_state(app).engine.scenarios
    rule = book.add({"match": {"prompt_regex": "slow"}, "outcome": "FAILED"})
    seen_while_matching: list[list[str]] = []

    class Pattern:
        pattern = "slow"

        def search(self, prompt: str) -> bool:
            # A lock held here would make these calls wait for the regex to finish.
            free = book._rules.lock.acquire(blocking=False)
            if free:
                book._rules.lock.release()
                seen_while_matching.append([r.rule_id for r in book.list()])
            return "slow" in prompt

    rule.prompt_regex = Pattern()
    task_id = new_task(client, "slow jazz")
    assert seen_while_matching == [[rule.rule_id]]
    assert client.get(f"/_mock/tasks/{task_id}").get_json()["scenario_id"] == rule.rule_id


def test_a_body_that_is_not_json_is_400(client: FlaskClient) -> None:
    response = client.post("/_mock/scenarios", data="outcome: FAILED")
    assert response.status_code == 400
    assert "JSON" in response.get_json()["message"]


# -- rules given at start: --scenarios FILE ---------------------------------------------------
JSON_RULES = [{"match": {"prompt_contains": "doom"}, "outcome": "FAILED", "times": 1}]
YAML_RULES = """\
scenarios:
  - match:
      prompt_regex: '^doom\\b'
    outcome: FAILED
    times: 1
"""


def config_from(args: list[str]) -> MockConfig:
    return build_config(serve.make_context("serve", args).params)


@pytest.fixture
def rules_file(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    if request.param == "json":
        path = tmp_path / "rules.json"
        path.write_text(json.dumps(JSON_RULES), encoding="utf-8")
    else:
        path = tmp_path / "rules.yaml"
        path.write_text(YAML_RULES, encoding="utf-8")
    return path


@pytest.mark.parametrize("rules_file", ["json", "yaml"], indirect=True)
def test_rules_from_a_file_apply_from_start_and_come_back_on_reset(rules_file: Path) -> None:
    config = config_from(["--clock", "manual", "--scenarios", str(rules_file)])
    assert len(config.scenarios) == 1
    app = create_app(config)
    try:
        client = app.test_client()
        (listed,) = client.get("/_mock/scenarios").get_json()["data"]
        assert listed["outcome"] == "FAILED"
        for _ in range(2):
            doomed, spared = new_task(client, "doom metal"), new_task(client, "doom metal")
            advance(client, 60)
            assert (status_of(client, doomed), status_of(client, spared)) == ("FAILED", "COMPLETED")
            client.post("/_mock/reset")
    finally:
        close_app(app)


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("rules.json", "{not json", "not valid JSON/YAML"),
        ("rules.yaml", "outcome: FAILED\n", "list of scenario rules"),
        ("rules.json", '[{"outcome": "MAYBE"}]', "outcome"),
        ("rules.yaml", "- match: {prompt_regex: '(unclosed'}\n", "regex"),
    ],
)
def test_a_bad_rules_file_is_a_usage_error_not_a_traceback(
    tmp_path: Path, name: str, text: str, words: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--scenarios", str(path)])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_the_scenarios_flag_is_also_an_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(JSON_RULES), encoding="utf-8")
    monkeypatch.setenv("FREEPIK_MOCK_SCENARIOS", str(path))
    assert config_from([]).scenarios == tuple(JSON_RULES)


def test_a_catastrophic_regex_matches_in_linear_time(client: FlaskClient) -> None:
    # With a backtracking engine this create would run for hours on 40 characters, and, holding
    # the interpreter lock, freeze every other request with it (the test's timeout fails it).
    add_rule(client, {"match": {"prompt_regex": "^(a+)+$"}, "outcome": "FAILED"})
    doomed = new_task(client, "a" * 40)
    fine = new_task(client, "a" * 2400 + "!")
    assert client.get("/_mock/health").status_code == 200
    advance(client, 60)
    assert (status_of(client, doomed), status_of(client, fine)) == ("FAILED", "COMPLETED")


@pytest.mark.parametrize("pattern", [r"(a)\1", r"jazz(?=y)", r"(?<!smooth )jazz"])
def test_a_regex_that_needs_backtracking_is_refused_with_the_reason(
    client: FlaskClient, pattern: str
) -> None:
    refused = client.post("/_mock/scenarios", json={"match": {"prompt_regex": pattern}})
    assert refused.status_code == 400
    message = refused.get_json()["message"]
    assert "'match.prompt_regex' is not a valid regex" in message
    assert "linear time" in message


def test_a_create_tries_only_its_keys_rules_and_those_for_any_key_in_order(
    client: FlaskClient, app: Flask
) -> None:
    """Other keys' rules are not even tried (a create costs the same however many there are),
    and the order across own and any-key rules is the order they were added in."""
    book = get_state(app).engine.scenarios
    tried: list[str] = []

    class Recording:
        def __init__(self, name: str) -> None:
            self.pattern = name

        def search(self, prompt: str) -> bool:
            tried.append(self.pattern)
            return False

    for name, key in [("any-1", None), ("other", "other-key"), ("own", API_KEY), ("any-2", None)]:
        match = {"prompt_regex": "x"} | ({"api_key": key} if key else {})
        book.add({"match": match, "outcome": "FAILED"}).prompt_regex = Recording(name)
    last = book.add({"match": {"api_key": API_KEY}, "processing_seconds": 9})
    task_id = new_task(client)
    assert tried == ["any-1", "own", "any-2"]
    assert client.get(f"/_mock/tasks/{task_id}").get_json()["scenario_id"] == last.rule_id
