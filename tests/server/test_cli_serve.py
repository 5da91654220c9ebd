"""`freepik-mock serve`: flags become the config, and a real server on 127.0.0.1 (environment
variables and refused values: test_cli_options.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import miniaudio
import pytest
from click.testing import CliRunner

from freepik_mock.server.cli import main
from freepik_mock.server.cli.serve import banner, build_config, serve


def parse(args: list[str]) -> Any:
    context = serve.make_context("serve", args)
    return build_config(context.params)


def test_help_explains_every_flag() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for flag in (
        "--host", "--port", "--api-key", "--clock", "--speed", "--created-seconds",
        "--processing-seconds", "--realistic", "--seed", "--public-url", "--webhook-secret",
        "--webhook-allow",
    ):  # fmt: skip
        assert flag in result.output


def test_flags_become_the_config() -> None:
    config = parse(
        ["--api-key", "a", "--api-key", "b", "--clock", "manual", "--created-seconds", "0.5",
         "--processing-seconds", "2", "--seed", "3", "--webhook-allow", "127.0.0.1"]
    )  # fmt: skip
    assert config.api_keys == ("a", "b")
    assert config.clock == "manual"
    assert (config.created_seconds, config.processing_seconds) == (0.5, 2)
    assert config.seed == 3
    assert config.webhook_allow == ("127.0.0.1",)


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "freepik_mock", "serve", "--port", "0", "--clock", "manual",
         "--api-key", "live-key"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first + process.stderr.read()
        banner = first
        while "request log" not in banner:
            banner += process.stdout.readline()
        yield process, first.rsplit(" ", 1)[-1].strip(), banner
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.mark.live
def test_a_live_server_runs_the_whole_lifecycle_and_stops_cleanly_on_sigterm(
    served: tuple[subprocess.Popen[str], str, str],
) -> None:
    process, url, _ = served
    headers = {"x-freepik-api-key": "live-key"}
    with httpx.Client(base_url=url, timeout=10) as http:
        created = http.post(
            "/v1/ai/music-generation",
            json={"prompt": "calm lo-fi 80bpm", "music_length_seconds": 10},
            headers=headers,
        )
        assert created.status_code == 200
        task_id = created.json()["data"]["task_id"]
        assert http.post("/_mock/clock/advance", json={"seconds": 5}).status_code == 200
        task = http.get(f"/v1/ai/music-generation/{task_id}", headers=headers).json()["data"]
        assert task["status"] == "COMPLETED"
        audio = httpx.get(task["generated"][0], timeout=10)
        assert audio.headers["content-type"] == "audio/mpeg"
        decoded = miniaudio.decode(audio.content)
        assert decoded.num_frames / decoded.sample_rate == pytest.approx(10, abs=0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "stopped" in out
    assert "Traceback" not in err


@pytest.mark.live
def test_the_start_banner_names_keys_and_the_webhook_secret(
    served: tuple[subprocess.Popen[str], str, str],
) -> None:
    process, url, banner = served
    assert url in banner
    assert "live-key" in banner
    assert "whsec_" in banner
    assert f"dashboard:       {url}/_mock/ui/\n" in banner
    assert "webhook retries: schedule 0, 5, 300, 1800, 7200, 18000, 36000, 36000 s" in banner
    assert "tasks kept:      at most 100,000 (--max-tasks)" in banner
    assert httpx.get(f"{url}/_mock/ui/", timeout=10).status_code == 200
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "stopped" in out
    assert "Traceback" not in err


def test_the_banner_shows_the_backoff_and_task_bound_the_flags_chose() -> None:
    ctx = serve.make_context(
        "serve", ["--webhook-retries", "3", "--webhook-backoff", "2", "--max-tasks", "50"]
    )
    shown = banner(build_config(ctx.params, ctx=ctx), url="http://127.0.0.1:9")
    assert "webhook retries: exponential backoff, 3 retries from 2 s, doubling up to 300 s" in (
        shown
    )
    assert "tasks kept:      at most 50 (--max-tasks)" in shown
    assert "dashboard:       http://127.0.0.1:9/_mock/ui/" in shown
    ctx = serve.make_context("serve", ["--webhook-retry-schedule", "0,1,60"])
    shown = banner(build_config(ctx.params, ctx=ctx), url="http://127.0.0.1:9")
    assert "webhook retries: schedule 0, 1, 60 s (each after the one before)" in shown


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.live
def test_ctrl_c_stops_the_server_even_when_started_with_sigint_ignored() -> None:
    # As from a non-interactive shell's background job: SIGINT arrives ignored.
    process = subprocess.Popen(
        [sys.executable, "-m", "freepik_mock", "serve", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_ignore_sigint,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        banner = ""
        while "request log" not in banner:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            banner += line
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.mark.live
def test_the_served_process_runs_the_real_clock_and_delivers_webhooks() -> None:
    # The scheduler and the webhook lanes are threads of the app: they must run in the process
    # that serves, or a task would never complete and no webhook would leave.
    received: list[dict[str, Any]] = []
    delivered = threading.Event()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if received[-1]["status"] == "COMPLETED":
                delivered.set()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    receiving = threading.Thread(target=receiver.serve_forever)
    receiving.start()
    process = subprocess.Popen(
        [sys.executable, "-m", "freepik_mock", "serve", "--port", "0", "--quiet",
         "--created-seconds", "0.1", "--processing-seconds", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        created = httpx.post(
            url + "/v1/ai/music-generation",
            json={"prompt": "calm piano", "music_length_seconds": 10, "webhook_url": hook},
            headers={"x-freepik-api-key": "k"},
            timeout=10,
        )
        assert created.status_code == 200
        assert delivered.wait(30), received
        task_id = created.json()["data"]["task_id"]
        task = httpx.get(
            f"{url}/v1/ai/music-generation/{task_id}", headers={"x-freepik-api-key": "k"}
        ).json()["data"]
        assert task["status"] == "COMPLETED"
        assert [message["status"] for message in received] == [
            "CREATED",
            "IN_PROGRESS",
            "COMPLETED",
        ]
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
        receiver.shutdown()
        receiving.join()
        receiver.server_close()
