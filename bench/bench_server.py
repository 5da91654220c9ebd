"""Server figures: start-up to first answer, and requests/s under waitress vs Werkzeug's server.

The issue's targets: start-up well under half a second; waitress serving about 2-5x what a bare
Flask app gets from Werkzeug's development server (~1,000 requests/s on this kind of machine).

Start-up is timed end to end, as a user sees it: from launching ``python -m freepik_mock serve
--port 0`` to the first answered ``GET /_mock/health``, then to the first answered create (which
needs the spec validator, prepared in the background once the server listens). The import time
of the package and of the command line, each in a fresh interpreter, shows where start-up goes.
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import threading
import time

import httpx
from werkzeug.serving import make_server

from freepik_mock.server import MockConfig, close_app, create_app
from freepik_mock.server.live import LiveServer

__all__ = ["main"]

_REQUESTS = 2000
_CLIENT_THREADS = 4
_KEY = {"x-freepik-api-key": "bench-key"}
_STARTUP_TARGET = 0.5
_STARTUP_RUNS = 7
_IMPORT_RUNS = 5


def _hammer(url: str, *, requests: int = _REQUESTS) -> float:
    """Requests per second for GET list + GET task, over keep-alive connections."""
    with httpx.Client() as http:
        created = http.post(
            f"{url}/v1/ai/music-generation",
            json={"prompt": "bench", "music_length_seconds": 10},
            headers=_KEY,
        )
        task_url = f"{url}/v1/ai/music-generation/{created.json()['data']['task_id']}"

    def worker(count: int) -> None:
        with httpx.Client() as http:
            for index in range(count):
                http.get(task_url if index % 2 else f"{url}/_mock/health", headers=_KEY)

    per_thread = requests // _CLIENT_THREADS
    threads = [threading.Thread(target=worker, args=(per_thread,)) for _ in range(_CLIENT_THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_thread * _CLIENT_THREADS / (time.perf_counter() - start)


def _werkzeug_rate() -> float:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(MockConfig(clock="manual"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        return _hammer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join()
        close_app(app)


def _startup_seconds() -> tuple[float, float]:
    """Seconds from launching ``serve`` to its first health answer, and to its first create."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "freepik_mock", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        with httpx.Client(base_url=url) as http:
            http.get("/_mock/health").raise_for_status()
            health = time.perf_counter() - start
            http.post(
                "/v1/ai/music-generation",
                json={"prompt": "bench", "music_length_seconds": 10},
                headers=_KEY,
            ).raise_for_status()
            create = time.perf_counter() - start
        return health, create
    finally:
        process.terminate()
        process.wait(timeout=10)


def _import_seconds(module: str) -> float:
    """Median seconds to import ``module`` in a fresh interpreter (start-up itself excluded)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
        for _ in range(_IMPORT_RUNS)
    ]
    return statistics.median(runs)


def _startup_figures() -> None:
    runs = [_startup_seconds() for _ in range(_STARTUP_RUNS)]
    health = statistics.median(run[0] for run in runs)
    fastest = min(run[0] for run in runs)
    create = statistics.median(run[1] for run in runs)
    target_ms, ratio = _STARTUP_TARGET * 1000, health / _STARTUP_TARGET
    print(f"server: start-up to first answer (GET /_mock/health), median of {_STARTUP_RUNS}: "
          f"{health * 1000:.0f} ms, fastest {fastest * 1000:.0f} ms "
          f"(target < {target_ms:.0f} ms, ratio {ratio:.2f})")  # fmt: skip
    print(f"server: start-up to first create (POST, validated), median: {create * 1000:.0f} ms")
    for module in ("freepik_mock.server", "freepik_mock.server.cli", "freepik_mock.server.web"):
        print(f"server: import {module}: {_import_seconds(module) * 1000:.0f} ms (median)")


def main() -> None:
    """Print the server figures."""
    _startup_figures()
    with LiveServer(config=MockConfig(clock="manual")) as server:
        waitress_rate = _hammer(server.url)
    werkzeug_rate = _werkzeug_rate()
    print(f"server: waitress {waitress_rate:,.0f} req/s, werkzeug dev server "
          f"{werkzeug_rate:,.0f} req/s, ratio {waitress_rate / werkzeug_rate:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
