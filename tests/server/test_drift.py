"""Drift mode (``freepik-mock contract``) against live servers on 127.0.0.1, never the real API."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from click.testing import CliRunner
from flask import Flask

from freepik_mock.server import MockConfig, drift
from freepik_mock.server.cli import main
from freepik_mock.server.drift import PROBES, DriftReport, ProbeResult, run_drift, runner
from freepik_mock.server.live import LiveServer
from freepik_mock.server.spec import RequestValidator
from tests.conftest import API_KEY

pytestmark = pytest.mark.live

LIST_PROBES = {"list", "list-magnific-header", "list-no-key", "list-empty-key", "list-invalid-key"}
CREATE_PROBES = {probe.name for probe in PROBES if probe.method == "POST"}


@pytest.fixture
def live() -> Iterator[LiveServer]:
    """A faithful mock on a random 127.0.0.1 port, stopped after the test."""
    with LiveServer(config=MockConfig(api_keys=(API_KEY,), clock="manual")) as server:
        yield server


def control(server: LiveServer, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, server.url + path, timeout=10, **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


def assert_no_task_created(server: LiveServer) -> None:
    assert control(server, "GET", "/_mock/tasks")["data"] == []


def rows_by_name(report: DriftReport) -> dict[str, ProbeResult]:
    return {row.probe: row for row in report.rows}


def differing(report: DriftReport) -> set[str]:
    return {row.probe for row in report.differences}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def wsgi_server(app: Callable[..., Iterable[bytes]]) -> Iterator[str]:
    """A tiny WSGI app on a random 127.0.0.1 port; its URL while the block runs."""
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="drift-test-wsgi", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _lax_api(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A server that accepts every create, answers the list 201 with a foreign body, and
    redirects everything else (to a page that would answer 200 if the redirect were followed)."""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    if path == "/elsewhere":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"followed": true}']
    if method == "POST":
        task = {"task_id": "046b6c7f-0b8a-43b9-b35d-6489e6daee91", "status": "CREATED"}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"data": {**task, "generated": []}}).encode()]
    if method == "GET" and path == "/v1/ai/music-generation":
        start_response("201 Created", [("Content-Type", "application/json")])
        return [b'{"items": []}']
    start_response("302 Found", [("Location", "/elsewhere"), ("Content-Type", "text/plain")])
    return [b"moved"]


def _terse_list_api(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Lists a task without ``generated`` (the spec allows it); anything else is 404."""
    if environ["PATH_INFO"] == "/v1/ai/music-generation" and environ["REQUEST_METHOD"] == "GET":
        item = {"task_id": "046b6c7f-0b8a-43b9-b35d-6489e6daee91", "status": "COMPLETED"}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"data": [item]}).encode()]
    start_response("404 Not Found", [("Content-Type", "application/json")])
    return [b'{"message": "Not found"}']


# -- the catalogue itself (nothing is sent) ------------------------------------------------------
def test_every_create_probe_is_refused_by_the_spec_and_lacks_a_required_field() -> None:
    validator = RequestValidator()
    for probe in PROBES:
        if probe.method != "POST":
            continue
        headers = probe.headers(api_key=API_KEY, invalid_key="nope")
        problems = validator.validate(
            method="POST",
            path=probe.path,
            query="",
            headers=headers,
            body=probe.body or b"",
            content_type=probe.content_type,
        )
        assert problems, probe.name
        try:
            payload = json.loads(probe.body or b"")
        except ValueError:
            continue  # not JSON at all: nothing to create from
        assert not isinstance(payload, dict) or not {"prompt", "music_length_seconds"} <= set(
            payload
        ), probe.name


def test_probe_names_are_unique_and_summaries_never_show_the_key() -> None:
    assert len({probe.name for probe in PROBES}) == len(PROBES)
    assert all(API_KEY not in probe.summary for probe in PROBES)


# -- against live servers ----------------------------------------------------------------------
def test_a_faithful_mock_shows_no_differences_and_gets_no_task(live: LiveServer) -> None:
    report = run_drift(base_url=live.url, api_key=API_KEY, timeout=10)
    assert report.exit_code == 0
    assert [row.probe for row in report.rows] == [probe.name for probe in PROBES]
    assert all(
        row.mock_verdict == "ok" and row.spec_verdict in ("ok", "n/a") for row in report.rows
    )
    assert all(row.target_status == row.mock_status for row in report.rows)
    assert "no differences in" in drift.render_table(report)
    assert_no_task_created(live)
    assert len(control(live, "GET", "/_mock/requests")["data"]) == len(PROBES)


def test_the_reference_mock_is_closed_after_the_run(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[Flask] = []
    real_close = runner.close_app

    def spy(app: Flask) -> None:
        closed.append(app)
        real_close(app)

    monkeypatch.setattr(runner, "close_app", spy)
    run_drift(base_url=live.url, api_key=API_KEY, timeout=10)
    assert len(closed) == 1


def test_an_injected_503_on_the_list_is_reported_on_the_list_rows_only(live: LiveServer) -> None:
    fault = {"match": {"method": "GET", "path": "/v1/ai/music-generation"}, "status": 503}
    control(live, "POST", "/_mock/faults", json=fault)
    report = run_drift(base_url=live.url, api_key=API_KEY, timeout=10)
    assert report.exit_code == 1
    assert differing(report) == LIST_PROBES
    rows = rows_by_name(report)
    assert (rows["list"].target_status, rows["list"].mock_status) == (503, 200)
    assert rows["list"].spec_verdict == "ok"  # 503 and its body are documented
    assert "vs mock: status 503 (mock: 200)" in rows["list"].details
    table = drift.render_table(report)
    assert "Differences:" in table
    assert f"{len(LIST_PROBES)} of {len(PROBES)} probes differ (exit code 1)" in table
    assert_no_task_created(live)


def test_a_different_message_with_the_same_status_is_reported(live: LiveServer) -> None:
    fault = {
        "match": {"method": "GET", "path": "/v1/ai/music-generation"},
        "status": 401,
        "body": {"message": "Unauthorized"},
    }
    control(live, "POST", "/_mock/faults", json=fault)
    report = run_drift(base_url=live.url, api_key=API_KEY, timeout=10)
    rows = rows_by_name(report)
    assert rows["list-no-key"].details == (
        "vs mock: body.message is 'Unauthorized' (mock: 'Missing API key')",
    )
    assert rows["list-no-key"].spec_verdict == "ok"
    assert differing(report) == LIST_PROBES
    assert report.exit_code == drift.EXIT_KEY_REFUSED  # the list with the key got 401 too


def test_a_server_that_accepts_creates_and_redirects_is_reported() -> None:
    with wsgi_server(_lax_api) as url:
        report = run_drift(base_url=url, api_key=API_KEY, timeout=10)
    assert report.exit_code == 1
    rows = rows_by_name(report)
    assert differing(report) == set(rows)
    for name in CREATE_PROBES:
        assert rows[name].target_status == 200
        assert rows[name].details[0].startswith("the target ACCEPTED this create probe (200)")
        assert rows[name].spec_verdict == "differs"
    assert any("without a valid key" in d for d in rows["create-no-key"].details)
    assert rows["list"].target_status == 201
    assert any(d.startswith("vs spec: ") for d in rows["list"].details)
    # Redirects are reported as they are, never followed.
    assert rows["get-unknown-id"].target_status == 302
    assert rows["put-collection"].spec_verdict == "n/a"
    assert "ACCEPTED" in drift.render_table(report)


def test_list_items_are_compared_by_shape_with_the_mocks_own_task() -> None:
    with wsgi_server(_terse_list_api) as url:
        report = run_drift(base_url=url, api_key=API_KEY, timeout=10)
    row = rows_by_name(report)["list"]
    assert (row.target_status, row.spec_verdict, row.mock_verdict) == (200, "ok", "differs")
    assert row.details == ("vs mock: body.data[0] lacks 'generated' (mock: present)",)


def test_an_unreachable_target_gives_exit_code_2_and_a_clear_message() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    report = run_drift(base_url=url, api_key=API_KEY, timeout=5)
    assert report.exit_code == 2
    assert report.rows == ()
    assert report.error is not None
    assert report.error.startswith(f"could not reach {url}")
    assert json.loads(drift.render_json(report))["reachable"] is False


@pytest.mark.parametrize("base_url", ["ftp://example.com", "not a url", "http://h/?q=1"])
def test_a_base_url_that_is_not_http_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        run_drift(base_url=base_url, api_key=API_KEY)


# -- the command -------------------------------------------------------------------------------
def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["contract", *args], env={"FREEPIK_API_KEY": None})


def test_the_command_prints_the_table(live: LiveServer) -> None:
    result = invoke("--base-url", live.url, "--api-key", API_KEY, "--timeout", "10")
    assert result.exit_code == 0, result.output
    assert "vs mock" in result.output
    assert all(probe.name in result.output for probe in PROBES)
    assert "no differences in" in result.output
    assert API_KEY not in result.output
    assert_no_task_created(live)


def test_the_command_reads_the_api_environment_and_prints_json(live: LiveServer) -> None:
    result = CliRunner().invoke(
        main,
        ["contract", "--json"],
        env={"FREEPIK_API_BASE_URL": live.url, "FREEPIK_API_KEY": API_KEY},
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert (answer["reachable"], answer["differences"], answer["exit_code"]) == (True, 0, 0)
    assert len(answer["probes"]) == len(PROBES)


def test_the_command_exits_1_on_differences(live: LiveServer) -> None:
    control(live, "POST", "/_mock/faults", json={"status": 500})
    result = invoke("--base-url", live.url, "--api-key", API_KEY)
    assert result.exit_code == 1
    assert f"{len(PROBES)} of {len(PROBES)} probes differ" in result.output


def test_the_command_on_an_unreachable_target_exits_2_without_a_traceback() -> None:
    result = invoke("--base-url", f"http://127.0.0.1:{closed_port()}", "--api-key", API_KEY)
    assert result.exit_code == 2
    assert "could not reach" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_the_command_refuses_a_bad_base_url_as_a_usage_error() -> None:
    result = invoke("--base-url", "ftp://example.com", "--api-key", API_KEY)
    assert result.exit_code == 2
    assert "is not an http(s) URL" in result.output


def test_the_help_explains_the_options_and_that_no_credits_are_spent() -> None:
    result = CliRunner().invoke(main, ["contract", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "no credits" in text
    for name in ("--base-url", "--api-key", "--json", "--timeout"):
        assert name in text
    assert "FREEPIK_API_BASE_URL" in text
    assert "FREEPIK_API_KEY" in text


def test_importing_the_mock_and_its_cli_does_not_import_contract_tests() -> None:
    code = (
        "import sys, freepik_mock.server.cli; "
        "assert not any(m.startswith('freepik_mock.contract') for m in sys.modules), 'cycle'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_refused_key_is_told_apart_from_drift(live: LiveServer) -> None:
    report = run_drift(base_url=live.url, api_key="not-a-key-of-this-mock", timeout=10)
    assert report.key_refused
    assert report.exit_code == drift.EXIT_KEY_REFUSED == 3
    assert "refused the API key" in drift.render_table(report)
    result = CliRunner().invoke(
        main, ["contract", "--base-url", live.url, "--api-key", "not-a-key-of-this-mock"]
    )
    assert result.exit_code == 3
    lines = result.output.splitlines()
    explained = next(i for i, line in enumerate(lines) if "check --api-key" in line)
    # The explanation comes before the table and its differences, not after them.
    assert explained < lines.index("Differences:")
    assert explained < next(i for i, line in enumerate(lines) if line.startswith("probe "))
    assert "refused the API key" in lines[-1]
