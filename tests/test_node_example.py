"""``examples/node/integration.mjs`` runs as the README says, against a live mock on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer
from freepik_mock.server.web import get_state

pytestmark = pytest.mark.live

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "node" / "integration.mjs"
API_KEY = "node-example-key"
ADMIN_TOKEN = "node-example-token"


def test_the_node_example_creates_polls_and_downloads_an_mp3(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the JavaScript example cannot run here")
    config = MockConfig(clock="manual", api_keys=(API_KEY,), admin_token=ADMIN_TOKEN)
    with LiveServer(config=config) as server:
        env = {
            **os.environ,
            "FREEPIK_MOCK_URL": server.url,
            "FREEPIK_API_KEY": API_KEY,
            "FREEPIK_MOCK_ADMIN_TOKEN": ADMIN_TOKEN,
        }
        result = subprocess.run(
            [node, str(EXAMPLE)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        state = get_state(server.app)
        unexpected = state.take_unexpected()
        tasks = state.engine.tasks.all()
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert not unexpected
    assert len(tasks) == 1
    assert f"created {tasks[0].task_id}: CREATED" in result.stdout
    assert "polled: COMPLETED" in result.stdout
    assert "of audio/mpeg: MP3 ok" in result.stdout
