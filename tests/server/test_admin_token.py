"""The admin token on the control API, the refusal to start exposed without one, and key hygiene."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from freepik_mock.server import MockConfig
from freepik_mock.server.cli import main
from freepik_mock.server.cli.serve import build_config, serve
from freepik_mock.server.live import LiveServer, is_loopback_host
from tests.conftest import API_KEY

PATH = "/v1/ai/music-generation"
TOKEN = "s3cret-admin-token"


@pytest.fixture
def guarded(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app(api_keys=(API_KEY,), admin_token=TOKEN).test_client()


CONTROL_CALLS = [
    ("POST", "/_mock/reset"),
    ("GET", "/_mock/tasks"),
    ("GET", "/_mock/scenarios"),
    ("POST", "/_mock/scenarios"),
    ("DELETE", "/_mock/faults"),
    ("GET", "/_mock/requests"),
    ("GET", "/_mock/no-such-route"),
]


@pytest.mark.parametrize(("method", "route"), CONTROL_CALLS)
def test_every_control_call_needs_the_token(guarded: FlaskClient, method: str, route: str) -> None:
    response = guarded.open(route, method=method, json={"outcome": "FAILED"})
    assert response.status_code == 401
    assert response.get_json() == {"message": "Missing admin token"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_health_stays_open_for_container_health_checks(guarded: FlaskClient) -> None:
    response = guarded.get("/_mock/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_a_wrong_token_is_told_apart_from_a_missing_one(guarded: FlaskClient) -> None:
    wrong = guarded.get("/_mock/tasks", headers={"Authorization": "Bearer nope"})
    assert wrong.get_json() == {"message": "Invalid admin token"}
    assert guarded.get("/_mock/tasks").get_json() == {"message": "Missing admin token"}


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Bearer wrong-token", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x"],
)
def test_anything_but_the_bearer_token_is_refused(guarded: FlaskClient, authorization: str) -> None:
    response = guarded.post(
        "/_mock/scenarios", json={"outcome": "FAILED"}, headers={"Authorization": authorization}
    )
    assert response.status_code == 401
    assert response.get_json()["message"] in {"Missing admin token", "Invalid admin token"}


def test_nothing_changes_without_the_token(guarded: FlaskClient) -> None:
    guarded.post("/_mock/faults", json={"status": 500})
    assert guarded.get(PATH, headers={"x-freepik-api-key": API_KEY}).status_code == 200


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_the_right_token_opens_the_control_api(guarded: FlaskClient, scheme: str) -> None:
    auth = {"Authorization": f"{scheme} {TOKEN}"}
    assert guarded.get("/_mock/health", headers=auth).status_code == 200
    assert guarded.post("/_mock/faults", json={"status": 503}, headers=auth).status_code == 201
    assert guarded.get(PATH, headers={"x-freepik-api-key": API_KEY}).status_code == 503
    missing = guarded.get("/_mock/no-such-route", headers=auth)
    assert missing.status_code == 404


def test_the_vendor_surface_does_not_need_the_token(guarded: FlaskClient) -> None:
    assert guarded.get(PATH, headers={"x-freepik-api-key": API_KEY}).status_code == 200
    assert guarded.get(PATH).status_code == 401  # the vendor's own 401, for the API key
    assert guarded.get(PATH).get_json() == {"message": "Missing API key"}


def test_without_a_token_the_control_api_is_open(app: Flask) -> None:
    assert app.test_client().get("/_mock/health").status_code == 200


# -- refusing to start exposed -----------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.internal"])
def test_serve_refuses_a_non_loopback_host_without_a_token(host: str) -> None:
    assert not is_loopback_host(host)
    result = CliRunner().invoke(main, ["serve", "--host", host, "--port", "0"])
    assert result.exit_code == 2
    assert f"Error: host {host} is reachable from other machines: set an admin token" in (
        result.output
    )
    assert "(--admin-token) to protect the control API" in result.output
    assert "MockConfig" not in result.output  # the command names its flag only
    assert "listening" not in result.output
    # LiveServer applies the same rule, in its own terms.
    with pytest.raises(ValueError, match="admin token") as refused:
        LiveServer(config=MockConfig(clock="manual"), host=host)
    assert "MockConfig(admin_token=...)" in str(refused.value)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3", "127.1", "0x7f.1"]
)
def test_loopback_hosts_need_no_token(host: str) -> None:
    assert is_loopback_host(host)
    config = build_config(serve.make_context("serve", ["--host", host]).params)
    assert config.admin_token is None


@pytest.mark.parametrize("host", ["127.0.0.256", "10.0.0.999", "1.2.3.4.5", "::1::2", "[::g]"])
def test_a_host_that_is_not_an_address_is_a_usage_error(host: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", host, "--port", "0"])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '--host': host {host} is not a valid IPv4 or IPv6 address" in (
        result.output
    )
    assert "admin token" not in result.output
    with pytest.raises(ValueError, match="not a valid IPv4 or IPv6 address"):
        LiveServer(config=MockConfig(clock="manual"), host=host)


def test_a_token_from_the_flag_or_the_environment_allows_a_public_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    by_flag = build_config(
        serve.make_context("serve", ["--host", "0.0.0.0", "--admin-token", TOKEN]).params
    )
    assert by_flag.admin_token == TOKEN
    monkeypatch.setenv("FREEPIK_MOCK_ADMIN_TOKEN", TOKEN)
    by_env = build_config(serve.make_context("serve", ["--host", "0.0.0.0"]).params)
    assert by_env.admin_token == TOKEN


def test_journal_size_comes_from_the_flag() -> None:
    config = build_config(serve.make_context("serve", ["--journal-size", "5"]).params)
    assert config.journal_size == 5
    result = CliRunner().invoke(main, ["serve", "--journal-size", "0"])
    assert result.exit_code == 2


# -- keys never in clear -------------------------------------------------------------------------
def test_keys_and_the_token_never_reach_the_logs(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_app(api_keys=(API_KEY,), admin_token=TOKEN).test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    client.post("/_mock/faults", json={"status": 500, "times": 1}, headers=auth)
    key = {"x-freepik-api-key": API_KEY}
    client.get(PATH, headers=key)
    client.post(PATH, json={"prompt": "x", "music_length_seconds": 10}, headers=key)
    client.get(PATH, headers={"x-freepik-api-key": "some-wrong-key-123"})
    journal = client.get("/_mock/requests", headers=auth).get_data(as_text=True)
    for secret in (API_KEY, TOKEN, "some-wrong-key-123"):
        assert secret not in caplog.text
        assert secret not in journal
