"""`freepik-mock serve` options: every flag's environment variable, and bad values refused cleanly.

A refused value must be a one-line usage error (exit 2) before anything starts: these tests make
starting a server fail loudly, so that a value that slips through cannot leave one running.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from freepik_mock.server.cli import main
from freepik_mock.server.cli.config_file import RULES_META_KEY
from freepik_mock.server.cli.serve import build_config, serve
from freepik_mock.server.core import MockConfig

RULE = {"match": {"prompt_contains": "fail"}, "outcome": "FAILED"}


class ServerStarted(AssertionError):
    """Raised if a test's `serve` got as far as starting a server."""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FREEPIK_MOCK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**_options: Any) -> None:
        raise ServerStarted("serve started a server although an option was bad")

    monkeypatch.setattr("freepik_mock.server.live.LiveServer", refuse)


def invoke_serve(*args: str) -> Result:
    return CliRunner().invoke(main, ["serve", "--port", "0", *args])


def assert_usage_error(result: Result, *, names: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    assert names in errors[0]
    assert "Traceback" not in result.output
    assert "listening" not in result.output


# -- environment variables ---------------------------------------------------------------------
# (option, environment value, MockConfig field or None when the option is not part of it, value)
ENVIRONMENT = [
    ("host", "127.0.0.2", None, "127.0.0.2"),
    ("port", "9123", None, 9123),
    ("api_key", "k1, k2", "api_keys", ("k1", "k2")),
    ("clock", "manual", "clock", "manual"),
    ("speed", "10", "speed", 10.0),
    ("created_seconds", "0.5", "created_seconds", 0.5),
    ("processing_seconds", "7", "processing_seconds", 7.0),
    ("realistic", "true", "realistic", True),
    ("seed", "42", "seed", 42),
    ("public_url", "http://mock.example:9000", "public_url", "http://mock.example:9000"),
    ("webhook_secret", "whsec_AAAA,plain", "webhook_secrets", ("whsec_AAAA", "plain")),
    ("webhook_allow", "10.0.0.0/8, loopback", "webhook_allow", ("10.0.0.0/8", "loopback")),
    ("webhook_on_created", "false", "webhook_on_created", False),
    ("webhook_timeout", "2.5", "webhook_timeout", 2.5),
    ("webhook_retry_schedule", "0, 5,60", "webhook_retry_schedule", (0.0, 5.0, 60.0)),
    ("webhook_retries", "2", "webhook_max_retries", 2),
    ("webhook_backoff", "0.25", "webhook_initial_backoff", 0.25),
    ("chaos_duplicate", "1", "chaos_duplicate", True),
    ("chaos_out_of_order", "yes", "chaos_out_of_order", True),
    ("scenarios", "{rules}", "scenarios", (RULE,)),
    ("admin_token", "s3cret", "admin_token", "s3cret"),
    ("journal_size", "5", "journal_size", 5),
    ("max_tasks", "50", "max_tasks", 50),
    ("threads", "3", None, 3),
    ("quiet", "1", "request_log", "off"),
    ("log_format", "json", "request_log", "json"),
    ("config", "{config}", "journal_size", 7),
]
OPTIONS = [param for param in serve.params if isinstance(param, click.Option) and param.name]


def test_the_table_covers_every_option() -> None:
    assert {param.name for param in OPTIONS} - {"help"} == {row[0] for row in ENVIRONMENT}


def parsed_config(*args: str) -> tuple[dict[str, Any], MockConfig]:
    """The options and the MockConfig ``serve`` would start with for ``args`` (no server)."""
    ctx = serve.make_context("serve", list(args))
    return ctx.params, build_config(ctx.params, config_file=ctx.meta.get(RULES_META_KEY))


@pytest.mark.parametrize(("name", "raw", "field", "expected"), ENVIRONMENT)
def test_every_flag_is_also_an_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, raw: str, field: str, expected: Any
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([RULE]), encoding="utf-8")
    config_file = tmp_path / "mock.toml"
    config_file.write_text("journal_size = 7\n", encoding="utf-8")
    monkeypatch.setenv(f"FREEPIK_MOCK_{name.upper()}", raw.format(rules=rules, config=config_file))
    params, config = parsed_config()
    if field is None:
        assert params[name] == expected
    else:
        assert getattr(config, field) == expected


def test_help_names_every_environment_variable() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for param in OPTIONS:
        if param.name != "help":
            assert f"FREEPIK_MOCK_{param.name.upper()}" in result.output, param.name


# -- bad values ----------------------------------------------------------------------------------
BAD_VALUES = [
    ("--clock", "sideways"),
    ("--speed", "0"),
    ("--speed", "1e12"),
    ("--speed", "nan"),
    ("--speed", "inf"),
    ("--created-seconds", "-1"),
    ("--created-seconds", "1e300"),
    ("--processing-seconds", "nan"),
    ("--processing-seconds", "100000"),
    ("--webhook-timeout", "0"),
    ("--webhook-timeout", "-1"),
    ("--webhook-backoff", "inf"),
    ("--webhook-retry-schedule", "5,300"),
    ("--webhook-retry-schedule", "0,soon"),
    ("--webhook-retry-schedule", "0,-5"),
    ("--threads", "0"),
    ("--journal-size", "0"),
    ("--max-tasks", "0"),
    ("--api-key", ""),
    ("--api-key", "   "),
    ("--admin-token", ""),
    ("--webhook-secret", ""),
    ("--webhook-secret", "whsec_***"),
    ("--webhook-allow", "not a host!"),
    ("--webhook-allow", ""),
    ("--public-url", "example.com:8080"),
    ("--public-url", "not a url"),
    ("--public-url", "ftp://mock.example/"),
    ("--public-url", "http://[::1"),
    ("--public-url", "http://mock.example:99999"),
    ("--public-url", "http://mock.example/?x=1"),
    ("--public-url", "/results"),
]


@pytest.mark.parametrize(("flag", "value"), BAD_VALUES)
@pytest.mark.usefixtures("no_server")
def test_bad_values_are_one_line_usage_errors(flag: str, value: str) -> None:
    assert_usage_error(invoke_serve(flag, value), names=flag)


@pytest.mark.usefixtures("no_server")
def test_a_second_bad_secret_is_named_too() -> None:
    result = invoke_serve("--webhook-secret", "fine", "--webhook-secret", "whsec_not*base64")
    assert_usage_error(result, names="--webhook-secret")
    assert "base64" in result.output


@pytest.mark.parametrize(
    "url", ["http://mock.example:8080", "https://mock.example/base/", "http://[::1]:9000"]
)
def test_absolute_http_urls_are_public_urls(url: str) -> None:
    assert build_config(serve.make_context("serve", ["--public-url", url]).params).public_url == url


@pytest.mark.parametrize("speed", ["0.001", "10000"])
def test_the_speed_range_is_inclusive_of_its_ends(speed: str) -> None:
    config = build_config(serve.make_context("serve", ["--speed", speed]).params)
    assert config.speed == float(speed)


@pytest.mark.usefixtures("no_server")
def test_a_rules_file_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(b"- match: {prompt_contains: \xff\xfe}\n")
    result = invoke_serve("--scenarios", str(rules))
    assert_usage_error(result, names="not UTF-8")


def test_a_taken_port_is_one_clear_line() -> None:
    # A real process: nothing is stubbed, and if it did start it is killed by the timeout.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [sys.executable, "-m", "freepik_mock", "serve", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: cannot listen on 127.0.0.1 port {port}: Address already in use"
    )
