"""What start-up imports: the command line and the package stay light; the spec validator's
libraries load only when it is first needed. (How fast start-up is: ``make bench``.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Libraries that cost tens to hundreds of milliseconds (or megabytes) to import. ``httpcore``
#: pulls in trio and anyio where installed; ``rich`` comes with httpx's command line;
#: ``granian.server`` is granian's process supervisor (multiprocessing, anyio, dotenv).
HEAVY = (
    "flask", "waitress", "granian", "httpx", "httpcore", "rich", "openapi_core", "jsonschema",
    "jsonschema_rs", "yaml", "lameenc", "granian.server", "anyio",
)  # fmt: skip
#: What a served mock needs for neither its start nor its first create: the webhooks' HTTP
#: client (only once a webhook is sent), the in-process dropped-connection error's httpx, the
#: oracle, PyYAML (the extended spec is read from its JSON copy), granian's supervisor.
NOT_FOR_A_CREATE = (
    "httpx", "httpcore", "rich", "openapi_core", "jsonschema", "yaml", "granian.server", "anyio",
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
    assert "yaml" not in loaded  # the spec's JSON copy is what is parsed
    assert "httpx" not in loaded


def test_a_served_mock_answers_its_first_create_without_the_libraries_it_does_not_need() -> None:
    code = """
import http.client, json
from freepik_mock.server import MockConfig
from freepik_mock.server.granian_server import GranianServer
with GranianServer(config=MockConfig(api_keys=("k",))) as server:
    port = int(server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"prompt": "calm piano", "music_length_seconds": 10})
    headers = {"x-freepik-api-key": "k", "content-type": "application/json"}
    connection.request("POST", "/v1/ai/music-generation", body=body, headers=headers)
    answer = connection.getresponse()
    assert answer.status == 200, answer.read()
    assert json.loads(answer.read())["data"]["status"] == "CREATED"
    connection.close()
"""
    loaded = imported_after(code)
    assert {"granian", "flask", "jsonschema_rs"} <= set(loaded)
    assert [name for name in NOT_FOR_A_CREATE if name in loaded] == []


def test_granian_s_own_package_still_loads_fully_when_it_is_asked_for() -> None:
    code = """
from freepik_mock.server import MockConfig
from freepik_mock.server.granian_server import GranianServer
server = GranianServer(config=MockConfig())
server.stop()
import granian
assert "granian.server" not in __import__("sys").modules
from granian import Granian  # runs granian's own __init__ only now
assert Granian.__name__ and granian.__version__ and granian.loops
"""
    loaded = imported_after(code)
    assert "granian.server" in loaded
