"""What start-up imports: the command line and the package stay light; the spec validator's
libraries load only when it is first needed. (How fast start-up is: ``make bench``.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Libraries that cost tens to hundreds of milliseconds to import.
HEAVY = (
    "flask", "waitress", "granian", "httpx", "openapi_core", "jsonschema", "jsonschema_rs", "yaml",
    "lameenc",
)  # fmt: skip


def imported_after(code: str) -> list[str]:
    """Which of HEAVY a fresh interpreter has imported after running ``code``."""
    report = f"import json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    script = f"{code}\n{report}"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize(
    "code",
    [
        "import freepik_mock.server",
        "from freepik_mock.server import MockConfig",
        "import freepik_mock.server.cli",
        "from freepik_mock.server.live import LiveServer",
    ],
)
def test_the_package_and_the_command_line_import_no_heavy_library(code: str) -> None:
    assert imported_after(code) == []


def test_parsing_serve_options_imports_no_heavy_library() -> None:
    code = (
        "from freepik_mock.server.cli.serve import serve\n"
        "serve.make_context('serve', ['--clock', 'manual', '--speed', '2'])"
    )
    assert imported_after(code) == []


def test_an_app_answers_control_calls_before_the_spec_validator_is_needed() -> None:
    code = """
from freepik_mock.server import MockConfig, close_app, create_app
app = create_app(MockConfig(clock="manual"))
client = app.test_client()
assert client.get("/_mock/health").status_code == 200
assert client.get("/_mock/tasks").status_code == 200
close_app(app)
"""
    loaded = imported_after(code)
    assert "openapi_core" not in loaded
    assert "jsonschema" not in loaded
    assert "flask" in loaded  # the app itself is built


def test_the_first_vendor_request_compiles_the_validator_without_openapi_core() -> None:
    code = """
from freepik_mock.server import MockConfig, close_app, create_app
app = create_app(MockConfig(clock="manual"))
answer = app.test_client().post(
    "/v1/ai/music-generation", json={"prompt": 5}, headers={"x-freepik-api-key": "k"}
)
assert answer.status_code == 400, answer.get_data(as_text=True)
close_app(app)
"""
    loaded = imported_after(code)
    assert "jsonschema_rs" in loaded  # the spec's validators were compiled
    assert "openapi_core" not in loaded  # the oracle: responses and the differential tests only
    assert "jsonschema" not in loaded
