"""The dashboard's files: where they are served, who may read them, and that a wheel ships them.

What the page shows and does is checked in a real browser (test_dashboard_browser.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from freepik_mock.server.web.dashboard import ui_files
from tests.conftest import API_KEY

ROOT = Path(__file__).resolve().parents[2]
UI_FOLDER = ROOT / "mock_server" / "web" / "ui"
TOKEN = "dashboard-admin-token"
#: ``import ... from "./x.js"`` in the page's modules.
_IMPORT = re.compile(r"""^import\s[^;]*?from\s+"\./([^"]+)";""", re.MULTILINE | re.DOTALL)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_mock_root_redirects_to_the_dashboard(client: FlaskClient) -> None:
    response = client.get("/_mock")
    assert response.status_code == 302
    assert response.headers["Location"] == "/_mock/ui/"
    assert client.get("/_mock/ui").status_code in (301, 308)


def test_the_page_loads_only_files_the_mock_serves(client: FlaskClient) -> None:
    page = client.get("/_mock/ui/")
    assert page.status_code == 200
    assert page.content_type == "text/html; charset=utf-8"
    html = page.get_data(as_text=True)
    referenced = set(re.findall(r'(?:src|href)="([^"#][^"]*)"', html)) - {"data:,"}
    assert referenced == {"dashboard.css", "app.js"}
    # Every module the page imports, and every module those import, is served as JavaScript.
    pending, seen = ["app.js"], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        response = client.get(f"/_mock/ui/{name}")
        assert response.status_code == 200, name
        assert response.content_type == "text/javascript; charset=utf-8"
        pending.extend(_IMPORT.findall(response.get_data(as_text=True)))
    assert seen == {name for name in ui_files() if name.endswith(".js")}
    style = client.get("/_mock/ui/dashboard.css")
    assert style.status_code == 200
    assert style.content_type == "text/css; charset=utf-8"


def test_the_page_runs_only_its_own_code_and_cannot_be_framed(client: FlaskClient) -> None:
    policy = client.get("/_mock/ui/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert client.get("/_mock/ui/app.js").headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/_mock/ui/dashboard.py",
        "/_mock/ui/__init__.py",
        "/_mock/ui/..%2Fdashboard.py",
        "/_mock/ui/../control.py",
        "/_mock/ui/no-such.js",
    ],
)
def test_nothing_but_the_pages_files_is_served(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.is_json
    assert "message" in response.get_json()


def test_with_an_admin_token_the_files_are_open_but_the_data_is_not(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(api_keys=(API_KEY,), admin_token=TOKEN).test_client()
    assert client.get("/_mock").status_code == 302
    assert client.get("/_mock/ui/").status_code == 200
    assert client.get("/_mock/ui/app.js").status_code == 200
    for data in ("/_mock/tasks", "/_mock/clock", "/_mock/webhooks", "/_mock/requests"):
        refused = client.get(data)
        assert refused.status_code == 401, data
        assert refused.get_json() == {"message": "Missing admin token"}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/_mock/tasks", headers=auth).status_code == 200
    # The open paths are only the dashboard's: a look-alike prefix still needs the token.
    assert client.get("/_mock/uix").status_code == 401


def test_the_pages_polling_stays_out_of_the_console_log_but_its_actions_do_not(
    make_app: Callable[..., Flask], capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_app(api_keys=(API_KEY,), request_log="text").test_client()
    capsys.readouterr()
    polling = {"X-Freepik-Mock-Dashboard": "poll"}
    assert client.get("/_mock/tasks", headers=polling).status_code == 200
    assert client.get("/_mock/clock", headers=polling).status_code == 200
    assert capsys.readouterr().out == ""
    assert (
        client.post("/_mock/clock/advance", json={"seconds": 5}, headers=polling).status_code == 200
    )
    client.get("/v1/ai/music-generation", headers={**polling, "x-freepik-api-key": API_KEY})
    client.get("/_mock/tasks")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[1] for line in lines] == [
        "POST /_mock/clock/advance",
        "GET /v1/ai/music-generation",
        "GET /_mock/tasks",
    ]


def test_the_page_never_writes_text_as_html() -> None:
    """Prompts, URLs, headers and bodies come from clients: the page only ever adds text."""
    for path in UI_FOLDER.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{path.name} uses {sink}"


@pytest.mark.slow
def test_a_wheel_ships_every_file_of_the_page(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("freepik_mock", "mock_server", "client", "contract_tests"):
        shutil.copytree(
            ROOT / folder,
            source / folder,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    built = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(built), "."],
        cwd=source,
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = built.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name.rsplit("/", 1)[1]
            for name in archive.namelist()
            if name.startswith("freepik_mock/server/web/ui/")
        }
    on_disk = {path.name for path in UI_FOLDER.iterdir() if path.is_file()}
    assert on_disk, "the page has no files"
    assert shipped == on_disk
    assert set(ui_files()) == on_disk
