"""Engine figures: the cost of a create, a get and a lifecycle does not grow with the mock's state.

In process, through the Flask app (the whole request path: auth, validation, journal, engine),
on the manual clock. The median CPU time (of the request's thread: see ``_median_ms``) of a
``POST`` (create) and a ``GET`` (one task) with 0, 10k and 100k tasks stored, with 0 and 1,000
scenario and fault rules (for other keys, as parallel tests add them), with a full journal; the
median of a full lifecycle (create, advance 5 s, get COMPLETED); and the process's resident
memory with ``--max-tasks`` (100,000) tasks stored.

``python -m bench.bench_engine [--quick]`` (quick: up to 10k tasks only).
"""

from __future__ import annotations

import gc
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from freepik_mock.server import MockConfig, close_app, create_app
from freepik_mock.server.web.state import get_state

__all__ = ["main"]

_KEY = "bench-key"
_HEADERS = {"x-freepik-api-key": _KEY}
_BODY = {"prompt": "calm piano", "music_length_seconds": 10}
_SAMPLES = 400
_COLLECTION = "/v1/ai/music-generation"


def _median_ms(action: Callable[[], Any], *, samples: int = _SAMPLES) -> float:
    """The median, in ms, of the calling thread's CPU time per call.

    CPU time rather than wall time: on a shared machine another process's burst would
    otherwise be counted as the mock's cost (the scheduler thread's share of a create, the
    CREATED announcement, is left out; it is a few microseconds).
    """
    for _ in range(20):  # warm caches (validator, routes) before timing
        action()
    times = []
    for _ in range(samples):
        started = time.thread_time()
        action()
        times.append(time.thread_time() - started)
    return statistics.median(times) * 1000


def _fill(app: Any, count: int) -> None:
    """``count`` finished tasks of other keys, created straight on the engine (fast)."""
    engine = get_state(app).engine
    for index in range(count):
        engine.create_task(
            api_key=f"other-{index % 50}",
            prompt="filler",
            music_length_seconds=10,
            webhook_url=None,
            result_base_url="http://localhost/",
        )
    engine.advance(10)


def _create_and_get(client: FlaskClient) -> tuple[float, float]:
    def create() -> None:
        assert client.post(_COLLECTION, json=_BODY, headers=_HEADERS).status_code == 200

    task_id = client.post(_COLLECTION, json=_BODY, headers=_HEADERS).get_json()["data"]["task_id"]

    def get() -> None:
        assert client.get(f"{_COLLECTION}/{task_id}", headers=_HEADERS).status_code == 200

    return _median_ms(create), _median_ms(get)


def _lifecycle(client: FlaskClient) -> float:
    def lifecycle() -> None:
        created = client.post(_COLLECTION, json=_BODY, headers=_HEADERS).get_json()
        client.post("/_mock/clock/advance", json={"seconds": 5})
        task = client.get(f"{_COLLECTION}/{created['data']['task_id']}", headers=_HEADERS)
        assert task.get_json()["data"]["status"] == "COMPLETED"

    return _median_ms(lifecycle, samples=_SAMPLES // 2)


def _rss_mb() -> float:
    """The current resident set size, from /proc (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(label: str, *, tasks: int = 0, rules: int = 0, journal: bool = False) -> None:
    app = create_app(MockConfig(clock="manual", max_tasks=max(100_000, tasks + 10_000)))
    try:
        state = get_state(app)
        _fill(app, tasks)
        for index in range(rules):
            other = {"api_key": f"other-{index}"}
            state.engine.scenarios.add({"match": other, "outcome": "FAILED"})
            state.faults.add({"match": other, "status": 503})
        client = app.test_client()
        if journal:
            for _ in range(state.journal.capacity):
                client.get(f"{_COLLECTION}/unknown", headers=_HEADERS)
        create_ms, get_ms = _create_and_get(client)
        print(f"{label:<28} create {create_ms:6.3f} ms   get {get_ms:6.3f} ms", flush=True)
    finally:
        close_app(app)


def _get_ratio(count: int, *, rounds: int = 10, per_round: int = 100) -> float:
    """Median GET cost with ``count`` tasks over that of an empty mock, measured in alternating
    rounds so that a burst of load on the machine weighs on both alike."""
    apps = [create_app(MockConfig(clock="manual")) for _ in range(2)]
    try:
        _fill(apps[1], count)
        gets = []
        for app in apps:
            client = app.test_client()
            created = client.post(_COLLECTION, json=_BODY, headers=_HEADERS).get_json()
            url = f"{_COLLECTION}/{created['data']['task_id']}"
            gets.append(lambda client=client, url=url: client.get(url, headers=_HEADERS))
        samples: list[list[float]] = [[], []]
        for _ in range(rounds):
            for get, times in zip(gets, samples, strict=True):
                for _ in range(per_round):
                    started = time.thread_time()
                    get()
                    times.append(time.thread_time() - started)
        empty, full = (statistics.median(times) for times in samples)
        return full / empty
    finally:
        for app in apps:
            close_app(app)


def _memory(count: int) -> None:
    gc.collect()
    before = _rss_mb()
    app = create_app(MockConfig(clock="manual"))
    try:
        _fill(app, count)
        gc.collect()
        print(
            f"RSS with {count:,} tasks: {_rss_mb():.0f} MB (process; {before:.0f} MB before the "
            "app)",
            flush=True,
        )
    finally:
        close_app(app)


def main(argv: list[str] | None = None) -> None:
    """Print the figures."""
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    app = create_app(MockConfig(clock="manual"))
    try:
        print(f"lifecycle (create, advance 5 s, get): {_lifecycle(app.test_client()):.3f} ms")
    finally:
        close_app(app)
    _run("empty")
    _run("10k tasks", tasks=10_000)
    if not quick:
        _run("100k tasks", tasks=100_000)
        ratio = _get_ratio(100_000)
        print(f"GET with 100k tasks / empty, alternating rounds: {ratio:.2f} (target <= 1.10)")
    _run("1,000 scenario+fault rules", rules=1000)
    _run("full journal", journal=True)
    if not quick:
        _memory(100_000)


if __name__ == "__main__":
    main()
