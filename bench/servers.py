"""The servers compared: the mock (``freepik-mock serve``, and its ``--store``/``--workers``
variants when the command offers them), Prism validating on the vendor document, and a bare
Flask app behind the same WSGI server as the mock.

A :class:`ServerSpec` says how to start one and how to ask it for the create and get requests
the load is made of; :func:`start_server` starts it and times it to its first 200.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .procs import Process, Processes, free_port, tree_pids, wait_for_200

__all__ = [
    "API_KEY",
    "CREATE_BODY",
    "HEADERS",
    "RunningServer",
    "ServerSpec",
    "bare_flask",
    "imports_granian",
    "mock",
    "prism",
    "running_backend",
    "serve_backend",
    "serve_options",
    "start_server",
]

API_KEY = "bench-key"
HEADERS = {"x-freepik-api-key": API_KEY, "Content-Type": "application/json"}
CREATE_BODY = json.dumps({"prompt": "bench: a calm piano loop", "music_length_seconds": 10})
_CREATE_PATH = "/v1/ai/music-generation"
#: ``import granian``, ``from granian.http import ...``, ``from ..granian_server import ...``.
_GRANIAN_IMPORT = re.compile(r"^\s*(?:from|import)\s+[\w.]*granian", re.MULTILINE)


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server on a given port."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    def command(self, port: int) -> list[str]:
        """The argv with ``{port}`` filled in."""
        return [part.replace("{port}", str(port)) for part in self.argv]


@dataclass
class RunningServer:
    """A started server: its process, URL, start-up time and one task id for GET."""

    spec: ServerSpec
    process: Process
    url: str
    startup_seconds: float
    task_id: str = ""
    #: Another server answering this one's GETs (Prism on a document that has the GET).
    get_via: RunningServer | None = None

    @property
    def create_url(self) -> str:
        """Where POST (create) goes."""
        return self.url + _CREATE_PATH

    @property
    def get_url(self) -> str:
        """Where GET (one task by id) goes."""
        if self.get_via is not None:
            return self.get_via.get_url
        return f"{self.url}{_CREATE_PATH}/{self.task_id}"


def _freepik_mock() -> list[str]:
    return [sys.executable, "-m", "freepik_mock"]


def serve_options() -> str:
    """``freepik-mock serve --help``: which options this version offers."""
    done = subprocess.run(
        [*_freepik_mock(), "serve", "--help"], capture_output=True, text=True, check=True
    )
    return done.stdout


def imports_granian(source: str) -> bool:
    """Whether Python ``source`` imports granian (or a module named for it) on some line."""
    return _GRANIAN_IMPORT.search(source) is not None


def serve_backend() -> str:
    """The WSGI server ``freepik-mock serve`` uses: ``granian`` if importable and the serve
    command's modules import it (or a module of theirs named for it), else ``waitress``."""
    if importlib.util.find_spec("granian") is None:
        return "waitress"
    for module in ("freepik_mock.server.live", "freepik_mock.server.cli.serve"):
        found = importlib.util.find_spec(module)
        if found is not None and found.origin and imports_granian(Path(found.origin).read_text()):
            return "granian"
    return "waitress"


def running_backend(pid: int) -> str:
    """The WSGI server a running ``serve`` process tree has loaded (granian is a native module)."""
    for member in tree_pids(pid):
        try:
            if "granian" in Path(f"/proc/{member}/maps").read_text():
                return "granian"
        except OSError:
            continue
    return "waitress"


def mock(name: str = "mock", *extra: str) -> ServerSpec:
    """``freepik-mock serve`` with its defaults (real clock), a known key, and ``extra`` flags."""
    argv = (*_freepik_mock(), "serve", "--port", "{port}", "--api-key", API_KEY, *extra)
    return ServerSpec(name, argv, {"PYTHONUNBUFFERED": "1"})


def prism(executable: Path, spec_file: Path, *, name: str = "prism") -> ServerSpec:
    """Prism's mock server on ``spec_file``; ``--errors`` answers request violations as errors."""
    argv = (str(executable), "mock", "--errors", "-h", "127.0.0.1", "-p", "{port}", str(spec_file))
    return ServerSpec(name, argv)


def bare_flask(backend: str) -> ServerSpec:
    """The bare Flask app behind ``backend`` (``waitress`` or ``granian``)."""
    argv = (sys.executable, "-m", "bench.bare_app", "--port", "{port}", "--server", backend)
    return ServerSpec(f"flask/{backend}", argv, {"PYTHONPATH": str(Path(__file__).parents[1])})


def _create(http: httpx.Client, url: str) -> httpx.Response:
    return http.post(url + _CREATE_PATH, content=CREATE_BODY, headers=HEADERS)


def start_server(procs: Processes, spec: ServerSpec, *, timeout: float = 90.0) -> RunningServer:
    """Start ``spec``; return once a create answered 200 (the start-up time is up to that)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = procs.start(spec.name, spec.command(port), env=spec.env)
    try:
        wait_for_200(lambda http: _create(http, url), alive=process.alive, timeout=timeout)
    except BaseException:
        procs.stop(process)
        raise
    server = RunningServer(spec, process, url, time.perf_counter() - started)
    with httpx.Client(timeout=10.0) as http:
        answer = _create(http, url)
        task_id = answer.json().get("data", {}).get("task_id")
    # Prism answers the example's id, the bare app a random one: any id is "one task" there.
    server.task_id = str(task_id or uuid.uuid4())
    return server
