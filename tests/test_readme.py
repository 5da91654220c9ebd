"""The README's examples run as printed, against a live mock on 127.0.0.1.

Every ``sh`` and ``python`` block is run in order in one shell session, as a reader would type
them: a ``python FILE`` block is saved as FILE, any other python block is run. ``console`` and
``yaml`` blocks are illustrations and are not run. The README's ``127.0.0.1:8080`` and the
receiver's port 9000 are replaced by free ports, and ``.venv/bin/`` by this interpreter's folder.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from freepik_mock.server import MockConfig
from freepik_mock.server.live import LiveServer
from freepik_mock.server.web import get_state

pytestmark = [pytest.mark.live, pytest.mark.slow]

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```(\w+)[ \t]*([^\n`]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def readme_script() -> str:
    """The runnable blocks of the README as one bash script."""
    parts = []
    for language, name, body in BLOCK.findall(README.read_text(encoding="utf-8")):
        if language == "sh":
            parts.append(body)
        elif language == "python" and name.strip():
            parts.append(f"cat > {name.strip()} <<'PYTHON'\n{body}PYTHON\n")
        elif language == "python":
            parts.append(f"python - <<'PYTHON'\n{body}PYTHON\n")
    return "\n".join(parts)


def test_the_readme_has_the_two_commands_first() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = BLOCK.search(text)
    assert first_block is not None
    assert "make serve" in first_block.group(3)
    assert "make test" in first_block.group(3)
    for section in ("Offline development", "In CI", "Testing your webhook receiver"):
        assert f"## {section}" in text
    assert text.index("## Fidelity") < text.index("## Limitations")


def test_every_runnable_example_in_the_readme_works(tmp_path: Path) -> None:
    receiver_port = free_port()
    with LiveServer(config=MockConfig(speed=5.0)) as server:
        address = server.url.removeprefix("http://")
        script = (
            readme_script()
            .replace("127.0.0.1:8080", address)
            .replace('127.0.0.1", 9000', f'127.0.0.1", {receiver_port}')
            .replace("127.0.0.1:9000", f"127.0.0.1:{receiver_port}")
            .replace(".venv/bin/", f"{Path(sys.executable).parent}/")
        )
        bin_dir = Path(sys.executable).parent
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        env.pop("FREEPIK_API_BASE_URL", None)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        unexpected = get_state(server.app).take_unexpected()
    output = result.stdout
    assert result.returncode == 0, f"stdout:\n{output}\nstderr:\n{result.stderr}"
    assert not unexpected
    # What the README says the examples print.
    assert '"status":"COMPLETED","generated":["http://' in output
    assert "Parameter 'music_length_seconds' is required" in output
    assert '{"message":"Missing API key"}' in output
    assert "COMPLETED -> track.mp3" in output
    assert "verified" in output
    assert '["COMPLETED","delivered",1]' in output
    assert '"status":"FAILED"' in output
    assert '["FAILED","COMPLETED","FAILED","COMPLETED"]' in output
    assert "503 503 503 200" in output
    assert "Retry-After: 5" in output
    assert "dropped, as asked" in output
    assert "'probability' must be a number" in output
    for mp3 in ("track.mp3", "synthwave.mp3"):
        data = (tmp_path / mp3).read_bytes()
        assert len(data) > 50_000
        assert data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
