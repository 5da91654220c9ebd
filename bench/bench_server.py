"""Server figures: start-up to first answer, and requests/s under waitress vs Werkzeug's server.

The issue's targets: start-up well under half a second; waitress serving about 2-5x what a bare
Flask app gets from Werkzeug's development server (~1,000 requests/s on this kind of machine).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

import httpx
from werkzeug.serving import make_server

from mock_server import MockConfig, close_app, create_app
from mock_server.live import LiveServer

__all__ = ["main"]

_REQUESTS = 2000
_CLIENT_THREADS = 4
_KEY = {"x-freepik-api-key": "bench-key"}


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


def _startup_seconds() -> float:
    """Wall time from `python -m mock_server serve` to its first answered health check."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        httpx.get(f"{url}/_mock/health").raise_for_status()
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    """Print the server figures."""
    startups = sorted(_startup_seconds() for _ in range(3))
    print(f"server: start-up to first answer, median of 3: {startups[1] * 1000:.0f} ms "
          f"(target < 500 ms, ratio {startups[1] / 0.5:.2f})")  # fmt: skip
    with LiveServer(config=MockConfig(clock="manual")) as server:
        waitress_rate = _hammer(server.url)
    werkzeug_rate = _werkzeug_rate()
    print(f"server: waitress {waitress_rate:,.0f} req/s, werkzeug dev server "
          f"{werkzeug_rate:,.0f} req/s, ratio {waitress_rate / werkzeug_rate:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
