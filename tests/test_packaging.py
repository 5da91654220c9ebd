"""What a plain install gets: the runtime dependencies cover every import of the product, and the
product runs without the test toolchain (issue 14, item 11)."""

from __future__ import annotations

import ast
import re
import socket
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
#: What the product is: the mock and the reference client. The plugin's fixtures live in
#: contract_tests/ and import pytest and respx only when the test run asks for them.
RUNTIME_FOLDERS = ("mock_server", "client")
TEST_PACKAGES = ("pytest", "respx", "hypothesis", "schemathesis", "miniaudio", "standardwebhooks")


def _distribution(requirement: str) -> str:
    name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _third_party_imports(folder: Path) -> dict[str, set[str]]:
    """Top-level modules imported outside ``if TYPE_CHECKING:``, with the files importing them."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for statement in block.body
            for node in ast.walk(statement)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".", 1)[0]
                if top not in sys.stdlib_module_names and top not in ("freepik_mock", "__future__"):
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _declared(*groups: list[str]) -> set[str]:
    return {_distribution(requirement) for group in groups for requirement in group}


def _undeclared(folders: tuple[str, ...], declared: set[str]) -> dict[str, set[str]]:
    distributions = packages_distributions()
    missing: dict[str, set[str]] = {}
    for folder in folders:
        for module, files in _third_party_imports(ROOT / folder).items():
            names = {_distribution(name) for name in distributions.get(module, [module])}
            if not names & declared:
                missing.setdefault(module, set()).update(files)
    return missing


def test_every_import_of_the_product_is_a_runtime_dependency() -> None:
    assert _undeclared(RUNTIME_FOLDERS, _declared(PYPROJECT["project"]["dependencies"])) == {}


def test_the_runtime_needs_no_test_package() -> None:
    runtime = _declared(PYPROJECT["project"]["dependencies"])
    assert runtime.isdisjoint(TEST_PACKAGES)


def test_the_test_extra_covers_what_the_contract_suites_import() -> None:
    project = PYPROJECT["project"]
    declared = _declared(project["dependencies"], project["optional-dependencies"]["test"])
    assert _undeclared(("contract_tests",), declared) == {}
    assert "freepik-music-mock[test]" in project["optional-dependencies"]["dev"]


def test_the_licence_is_shipped() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert "LICENSE" in PYPROJECT["project"]["license-files"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


# Run in a fresh interpreter where importing any test package fails, as on a plain install.
_WITHOUT_TEST_PACKAGES = f"""
import pkgutil, sys, importlib
for name in {TEST_PACKAGES!r}:
    sys.modules[name] = None
import freepik_mock.server, freepik_mock.client
for package in (freepik_mock.server, freepik_mock.client):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
assert not any(name.startswith("freepik_mock.contract") for name in sys.modules)
from freepik_mock.server.cli import main
sys.argv = ["freepik-mock", *sys.argv[1:]]
main()
"""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        (["serve", "--help"], 0, "--config"),
        (["contract", "--base-url", "http://127.0.0.1:{port}", "--api-key", "k"], 2, "reach"),
        (["webhook", "list", "--mock-url", "http://127.0.0.1:{port}"], None, "127.0.0.1"),
    ],
)
def test_the_product_runs_without_the_test_packages(
    args: list[str], exit_code: int | None, words: str
) -> None:
    port = _closed_port()
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TEST_PACKAGES, *(a.format(port=port) for a in args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "ModuleNotFoundError" not in output
    if exit_code is not None:
        assert result.returncode == exit_code, output
    else:
        assert result.returncode != 0, output
    assert words in output


def test_importing_the_webhook_outbox_loads_no_web_framework() -> None:
    code = (
        "import sys, freepik_mock.server.webhooks.outbox, freepik_mock.server.cli\n"
        "assert 'flask' not in sys.modules and 'werkzeug' not in sys.modules, 'heavy import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
