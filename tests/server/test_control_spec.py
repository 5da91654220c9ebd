"""The control API's own OpenAPI document: served, valid, complete, and the mock keeps to it.

Schemathesis generates requests for every ``/_mock`` operation from the shipped document and runs
them against the in-process app (with an admin token, behind the loopback guard), checking that
nothing answers 500, that every answer's status, content type, headers and body are the
documented ones, and that input the document rules out is refused. Replay and send would post
webhooks to generated URLs, so they are left out of generation and covered by explicit calls to
a receiver on 127.0.0.1, like the happy paths that need ids the generator cannot guess (a task,
a rule, a logged message).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import yaml
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from freepik_mock.contract.loopback import LoopbackGuard
from freepik_mock.contract.receiver import WebhookReceiver
from freepik_mock.contract.server_suite import resolve_webhook_hosts_offline
from freepik_mock.server import MockConfig, close_app, create_app
from freepik_mock.server.spec import load_control_spec
from tests.conftest import API_KEY

ADMIN_TOKEN = "control-suite-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
VENDOR_PATH = "/v1/ai/music-generation"
#: What every generated answer is held to.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: These would send webhooks to generated URLs: explicit calls below cover them instead.
SENDS_WEBHOOKS = ["sendWebhook", "replayWebhook"]


def build_control_schema() -> Any:
    """The shipped control document as a schemathesis schema, with the admin token as auth."""
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"adminToken": {"bearer": ADMIN_TOKEN}}},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )
    return schemathesis.openapi.from_dict(load_control_spec(), config=config)


schema = build_control_schema()
generated = schema.exclude(operation_id=SENDS_WEBHOOKS)


def _flask_rule_as_openapi(rule: str) -> str:
    return rule.replace("<", "{").replace(">", "}")


@pytest.fixture(scope="module")
def control_app() -> Iterator[Flask]:
    """A manual-clock mock with an admin token, some state in it, traffic kept on loopback."""
    app = create_app(MockConfig(clock="manual", api_keys=(API_KEY,), admin_token=ADMIN_TOKEN))
    try:
        resolve_webhook_hosts_offline(app)
        with LoopbackGuard() as guard:
            client = app.test_client()
            body = {"prompt": "calm piano", "music_length_seconds": 10}
            client.post(VENDOR_PATH, json=body, headers={"x-freepik-api-key": API_KEY})
            yield app
        assert not guard.refused, f"connections off this machine: {guard.refused}"
    finally:
        close_app(app)


@pytest.fixture
def client(control_app: Flask) -> FlaskClient:
    return control_app.test_client()


DOCUMENT = load_control_spec()


def checked(client: FlaskClient, method: str, path: str, **kwargs: Any) -> Any:
    """Call ``path`` with the admin token; the answer must conform to the document."""
    response = client.open(path, method=method, headers=ADMIN, **kwargs)
    # The documented path of this call: a literal one first (``/webhooks/send``), then templates.
    templates = sorted(DOCUMENT["paths"], key=lambda template: template.count("{"))
    template = next(
        t for t in templates if _matches(t, path) and method.lower() in DOCUMENT["paths"][t]
    )
    schema[template][method].validate_response(response)
    return response


def _matches(template: str, path: str) -> bool:
    wanted, parts = template.split("/"), path.split("/")
    return len(wanted) == len(parts) and all(
        w.startswith("{") or w == p for w, p in zip(wanted, parts, strict=True)
    )


# -- the document ------------------------------------------------------------------------------
def test_the_control_document_is_served_valid_and_covers_every_control_route(
    client: FlaskClient,
) -> None:
    response = client.get("/_mock/control-openapi.yaml", headers=ADMIN)
    assert response.status_code == 200
    assert response.content_type.startswith("application/yaml")
    document = yaml.safe_load(response.get_data(as_text=True))
    validate(document)
    assert document["openapi"].startswith("3.1")
    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    routes = {
        (_flask_rule_as_openapi(rule.rule), method)
        for rule in client.application.url_map.iter_rules()
        if rule.rule.startswith("/_mock")
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    assert routes, "no /_mock route found"
    assert routes <= documented, f"undocumented: {sorted(routes - documented)}"
    assert documented <= routes, f"documented but not served: {sorted(documented - routes)}"


def test_the_control_document_is_behind_the_admin_token(client: FlaskClient) -> None:
    response = client.get("/_mock/control-openapi.yaml")
    assert response.status_code == 401
    assert response.get_json() == {"message": "Missing admin token"}


# -- generated requests ------------------------------------------------------------------------
@generated.parametrize()  # type: ignore[untyped-decorator]
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_generated_control_call_keeps_to_the_document(case: Any, control_app: Flask) -> None:
    """Examples, boundary cases and fuzzed input: no 500, every answer as documented."""
    case.operation.schema.app = control_app
    case.operation.app = control_app
    case.call_and_validate(app=control_app, checks=CHECKS)


# -- explicit calls: what needs real ids, and what sends webhooks -----------------------------
def test_task_rule_and_journal_answers_keep_to_the_document(client: FlaskClient) -> None:
    created = client.post(
        VENDOR_PATH,
        json={"prompt": "a short jingle", "music_length_seconds": 10},
        headers={"x-freepik-api-key": API_KEY},
    )
    task_id = created.get_json()["data"]["task_id"]
    other = client.post(
        VENDOR_PATH,
        json={"prompt": "another jingle", "music_length_seconds": 10},
        headers={"x-freepik-api-key": API_KEY},
    ).get_json()["data"]["task_id"]
    assert checked(client, "GET", "/_mock/tasks").status_code == 200
    assert checked(client, "GET", f"/_mock/tasks/{task_id}").status_code == 200
    assert checked(client, "POST", f"/_mock/tasks/{task_id}/complete").status_code == 200
    assert checked(client, "POST", f"/_mock/tasks/{task_id}/fail").status_code == 409
    assert checked(client, "POST", f"/_mock/tasks/{other}/fail").status_code == 200

    scenario = {"match": {"prompt_contains": "jazz", "api_key": API_KEY}, "outcome": "FAILED"}
    rule = checked(client, "POST", "/_mock/scenarios", json={**scenario, "times": 2})
    assert rule.status_code == 201
    assert checked(client, "GET", "/_mock/scenarios").get_json()["data"]
    assert checked(client, "DELETE", f"/_mock/scenarios/{rule.get_json()['id']}").status_code == 204

    fault = {
        "match": {"method": "GET", "path": "/v1/*"},
        "status": 429,
        "retry_after": 3,
        "body": {"message": "slow down"},
        "headers": {"X-Custom": "yes"},
        "times": 1,
        "probability": 1,
    }
    added = checked(client, "POST", "/_mock/faults", json=fault)
    assert added.status_code == 201
    client.get(f"{VENDOR_PATH}?page=1", headers={"x-freepik-api-key": API_KEY})
    dropping = {"match": {"path": "/results/*"}, "drop_connection": True, "delay_seconds": 0}
    assert checked(client, "POST", "/_mock/faults", json=dropping).status_code == 201
    assert checked(client, "GET", "/_mock/faults").get_json()["data"]
    journal = checked(client, "GET", "/_mock/requests", query_string={"path": "/v1/*"})
    assert any(entry["fault"] == added.get_json()["id"] for entry in journal.get_json()["data"])
    assert checked(client, "POST", "/_mock/clock/advance", json={"seconds": 1.5}).status_code == 200
    assert checked(client, "DELETE", "/_mock/faults").status_code == 204
    assert checked(client, "POST", "/_mock/reset").status_code == 200


def test_webhook_send_and_replay_keep_to_the_document(client: FlaskClient) -> None:
    with WebhookReceiver() as receiver:
        sent = checked(
            client, "POST", "/_mock/webhooks/send", json={"url": receiver.url, "status": "FAILED"}
        )
        assert sent.status_code == 201
        webhook_id = sent.get_json()["webhook_id"]
        replayed = checked(client, "POST", f"/_mock/webhooks/{webhook_id}/replay")
        assert replayed.status_code == 200
        assert [a["trigger"] for a in replayed.get_json()["attempts"]] == ["first", "replay"]
        refused = checked(client, "POST", "/_mock/webhooks/send", json={"url": "not a url"})
        assert refused.status_code == 400
        assert checked(client, "GET", f"/_mock/webhooks/{webhook_id}").status_code == 200
        listed = checked(client, "GET", "/_mock/webhooks", query_string={"task_id": "x"})
        assert listed.get_json()["data"] == []
        assert len(receiver.wait_for(2)) == 2
    assert checked(client, "POST", "/_mock/webhooks/nope/replay").status_code == 404
