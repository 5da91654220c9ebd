"""Webhook dispatch speed: signed deliveries per second to one local receiver, none lost.

The issue's target: after one ``advance`` over 300 tasks (manual clock, every task reporting to
one fast local receiver), at least 2,500 signed deliveries per second, and every message
arriving (the receiver counts distinct ``webhook-id``\\ s). The receiver runs in a process of its
own (asyncio, HTTP/1.1 keep-alive, 204 at once), so that its work does not share the mock's GIL.

Run alone: ``python -m bench.bench_webhooks [tasks] [runs]``. The second line, deliveries per
CPU second of the mock's process, is the figure to compare on a busy machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import httpx

from freepik_mock.server import MockConfig, close_app, create_app

__all__ = ["RECEIVER_SOURCE", "main", "measure"]

TARGET = 2500.0
TASKS = 300
RUNS = 3
_KEY = {"x-freepik-api-key": "bench-key"}

#: The receiver: ``GET /count`` answers the number of distinct webhook-ids seen so far.
RECEIVER_SOURCE = r"""
import asyncio, sys

seen = set()
deliveries = 0

async def handle(reader, writer):
    global deliveries
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            method = lines[0].split(b" ", 1)[0]
            length, webhook_id, close = 0, None, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"webhook-id":
                    webhook_id = value.strip()
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length:
                await reader.readexactly(length)
            if method == b"GET":
                body = str(len(seen)).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            else:
                deliveries += 1
                if webhook_id is not None:
                    seen.add(webhook_id)
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""


class _Receiver:
    """The receiver process; ``count()`` asks it how many distinct messages it got."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", RECEIVER_SOURCE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        port = int(self._process.stdout.readline())
        self.url = f"http://127.0.0.1:{port}/hook"

    def count(self) -> int:
        return int(httpx.get(self.url).text)

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=10)


def measure(*, tasks: int = TASKS) -> tuple[float, float, int, int]:
    """One run: (deliveries per second and per CPU second of the mock's process during the
    advance, messages expected, distinct ones received)."""
    receiver = _Receiver()
    app = create_app(MockConfig(clock="manual", api_keys=("bench-key",)))
    try:
        client = app.test_client()
        for _ in range(tasks):
            answer = client.post(
                "/v1/ai/music-generation",
                json={"prompt": "bench", "music_length_seconds": 10, "webhook_url": receiver.url},
                headers=_KEY,
            )
            assert answer.status_code == 200, answer.get_json()
        before = receiver.count()
        start, cpu = time.perf_counter(), time.process_time()
        answer = client.post("/_mock/clock/advance", json={"seconds": 10})
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert answer.status_code == 200, answer.get_json()
        received = receiver.count()
        expected = 3 * tasks  # CREATED, IN_PROGRESS and COMPLETED
        return (received - before) / elapsed, (received - before) / cpu, expected, received
    finally:
        close_app(app)
        receiver.close()


def main(tasks: int = TASKS, runs: int = RUNS) -> None:
    """Print the median rate of ``runs`` runs and whether every message arrived."""
    results = [measure(tasks=tasks) for _ in range(runs)]
    rate = statistics.median(result[0] for result in results)
    per_cpu = statistics.median(result[1] for result in results)
    lost = sum(expected - received for *_, expected, received in results)
    print(
        f"webhooks: {tasks} tasks, one advance: {rate:,.0f} signed deliveries/s (median of "
        f"{runs}; target >= {TARGET:,.0f}, ratio {rate / TARGET:.2f}); messages lost: {lost}"
    )
    # Wall-clock rates follow whatever else the machine runs; CPU cost per delivery does not.
    print(
        f"webhooks: {per_cpu:,.0f} deliveries per CPU second of the mock "
        f"({1000 / per_cpu:.2f} ms CPU each)"
    )


if __name__ == "__main__":
    main(*(int(argument) for argument in sys.argv[1:3]))
