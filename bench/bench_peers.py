"""The mock against its peers, in one interleaved run on 127.0.0.1: Prism (validating mock mode),
a bare Flask app behind the same WSGI server, and the mock's ``--store``/``--workers`` variants
when ``freepik-mock serve`` offers them. Prints one table: each figure, its target, the ratio.

Servers are measured in alternation (each load cell visits every server in turn, round after
round), so a burst of load from elsewhere on the machine hits them all alike. Every process is
stopped by its PID at the end, on failure and on Ctrl-C.
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .dispatch import measure_dispatch
from .lifecycle import lifecycle_http, lifecycle_in_process
from .load import LoadResult, run_wrk
from .procs import Processes, free_port, wait_quiet
from .receiver import Receiver
from .servers import (
    CREATE_BODY,
    HEADERS,
    RunningServer,
    ServerSpec,
    bare_flask,
    mock,
    prism,
    running_backend,
    serve_backend,
    serve_options,
    start_server,
)
from .table import Row, Target, format_table
from .tools import ensure_prism, ensure_wrk, find_redis_server

__all__ = ["Settings", "main"]

_SPEC = Path(__file__).resolve().parents[1] / "mock_server" / "spec" / "data"
_CONNECTIONS = (1, 8, 64)
_METHODS = ("POST", "GET")
_SECRET = "whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldA=="
_MIB = 1024 * 1024
_GET_HEADERS = {"x-freepik-api-key": HEADERS["x-freepik-api-key"]}


@dataclass(frozen=True)
class Settings:
    """How long each part runs."""

    seconds: float
    rounds: int
    startup_runs: int
    lifecycle_runs: int
    dispatch_tasks: int = 300

    @classmethod
    def for_mode(cls, *, quick: bool) -> Settings:
        """Quick: 1 s per cell, one round (checks that it works); full: 3 rounds of 3 s."""
        if quick:
            return cls(seconds=1, rounds=1, startup_runs=1, lifecycle_runs=20)
        return cls(seconds=3, rounds=3, startup_runs=3, lifecycle_runs=200)


def _start_redis(procs: Processes, redis: str) -> str:
    """A throw-away redis-server on a free loopback port (no persistence); its URL base."""
    port = free_port()
    server = procs.start(
        "redis",
        [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    )
    deadline = time.monotonic() + 10
    while server.alive() and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not answer PING")


def _variants(procs: Processes, folder: Path) -> list[ServerSpec]:
    """``--store sqlite/redis`` and each with ``--workers 2``, when ``serve`` offers them.

    Each column has a store of its own (file, or redis database), so none reads another's tasks.
    """
    options = serve_options()
    if "--store" not in options or "--workers" not in options:
        print("(serve has no --store/--workers: their columns are skipped)")
        return []
    # (column, the store URL for the n-th column using that store)
    stores: list[tuple[str, Callable[[int], str]]] = [
        ("sqlite", lambda n: f"sqlite:///{folder / f'bench-{n}.db'}")
    ]
    redis = find_redis_server()
    if redis is None:
        print("(no redis-server on the PATH: the redis columns are skipped)")
    else:
        base = _start_redis(procs, redis)
        stores.append(("redis", lambda n: f"{base}/{n}"))
    specs = [mock(f"mock {name}", "--store", url(0)) for name, url in stores]
    specs += [mock(f"mock {name} w2", "--store", url(1), "--workers", "2") for name, url in stores]
    return specs


def _startup(
    procs: Processes, specs: list[ServerSpec], runs: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Median start-up (s) and idle RSS (bytes) of each spec, the specs started in alternation."""
    startups: dict[str, list[float]] = {spec.name: [] for spec in specs}
    memory: dict[str, list[float]] = {spec.name: [] for spec in specs}
    for _ in range(runs):
        for spec in specs:
            server = start_server(procs, spec)
            startups[spec.name].append(server.startup_seconds)
            time.sleep(1.0)  # idle: background warm-up done, nothing in flight
            memory[spec.name].append(server.process.rss_bytes())
            procs.stop(server.process)
    return (
        {name: statistics.median(values) for name, values in startups.items()},
        {name: statistics.median(values) for name, values in memory.items()},
    )


def _load(
    wrk: str, servers: list[RunningServer], settings: Settings
) -> dict[tuple[str, int, str], LoadResult]:
    """Every cell (method, connections), each server in turn, ``rounds`` times; medians."""
    runs: dict[tuple[str, int, str], list[LoadResult]] = {}
    for method in _METHODS:
        for connections in _CONNECTIONS:
            for _ in range(settings.rounds):
                for server in servers:
                    post = method == "POST"
                    result = run_wrk(
                        wrk, server.create_url if post else server.get_url, method=method,
                        headers=HEADERS if post else _GET_HEADERS,
                        body=CREATE_BODY if post else None,
                        connections=connections, seconds=settings.seconds,
                    )  # fmt: skip
                    runs.setdefault((method, connections, server.spec.name), []).append(result)
                    for each in servers:  # its after-work must not land on the next one
                        wait_quiet(each.process.pid)
                    print(f"  {method} x{connections} {server.spec.name}: "
                          f"{result.requests_per_second:,.0f} req/s", flush=True)  # fmt: skip
    return {
        key: LoadResult(
            requests_per_second=statistics.median(r.requests_per_second for r in results),
            p50=statistics.median(r.p50 for r in results),
            p99=statistics.median(r.p99 for r in results),
            requests=sum(r.requests for r in results),
            errors=sum(r.errors for r in results),
        )
        for key, results in runs.items()
    }


def _load_rows(loads: dict[tuple[str, int, str], LoadResult], names: list[str]) -> list[Row]:
    rows = []
    for method in _METHODS:
        for connections in _CONNECTIONS:
            cell = {name: loads.get((method, connections, name)) for name in names}
            rates = {n: r.requests_per_second if r else None for n, r in cell.items()}
            p50s = {n: r.p50 * 1000 if r else None for n, r in cell.items()}
            p99s = {n: r.p99 * 1000 if r else None for n, r in cell.items()}
            notes = [
                f"{name} {method} x{connections}: {result.errors:,} of {result.requests:,} "
                "answers were errors (non-2xx or socket)"
                for name, result in cell.items()
                if result is not None and result.errors
            ]
            rate_target = Target(">=", 2, "prism") if connections > 1 else None
            p99_target = Target("<=", 0.1, "prism") if connections == 64 else None
            rows += [
                Row(f"{method} req/s x{connections}", "/s", rates, rate_target, notes=notes),
                Row(f"{method} p50 x{connections}", "ms", p50s),
                Row(f"{method} p99 x{connections}", "ms", p99s, p99_target),
            ]
    return rows


def _lifecycle_rows(procs: Processes, settings: Settings) -> list[Row]:
    manual = mock("mock manual", "--clock", "manual", "--webhook-secret", _SECRET, "--quiet")
    with Receiver() as receiver:
        server = start_server(procs, manual)
        try:
            http_median = lifecycle_http(server.url, receiver, runs=settings.lifecycle_runs)
            dispatch = measure_dispatch(
                server.url, receiver, tasks=settings.dispatch_tasks, secret=_SECRET
            )
        finally:
            procs.stop(server.process)
    in_process = lifecycle_in_process(runs=settings.lifecycle_runs)
    runs = settings.lifecycle_runs
    return [
        Row(f"lifecycle HTTP + webhook, median of {runs}", "ms", {"mock": http_median * 1000},
            Target("<=", 4)),
        Row(f"lifecycle in-process, median of {runs}", "ms", {"mock": in_process * 1000},
            Target("<=", 0.6)),
        Row(f"webhook dispatch, {dispatch.expected // 3} tasks", "/s",
            {"mock": dispatch.per_second}, Target(">=", 2500)),
        Row("webhook messages lost", "", {"mock": float(dispatch.lost)}, Target("<=", 0),
            notes=[f"dispatch: {dispatch.received} of {dispatch.expected} webhook-ids arrived"]),
        Row("webhook bad signatures", "", {"mock": float(dispatch.bad_signatures)},
            Target("<=", 0)),
    ]  # fmt: skip


def main(*, quick: bool = False) -> None:
    """Run everything and print the table."""
    settings = Settings.for_mode(quick=quick)
    wrk, prism_executable = ensure_wrk(), ensure_prism()
    backend = serve_backend()
    with Processes() as procs, tempfile.TemporaryDirectory(prefix="bench-") as folder:
        specs = [
            mock(),
            prism(prism_executable, _SPEC / "vendor-openapi.yaml"),
            bare_flask(backend),
        ]
        specs += _variants(procs, Path(folder))
        names = [spec.name for spec in specs]
        print(f"servers: {', '.join(names)}; {settings}", flush=True)
        startups, memory = _startup(procs, specs, settings.startup_runs)
        servers = [start_server(procs, spec) for spec in specs]
        # The vendor's document has no GET (Prism would answer 404): Prism's GET column is a
        # second Prism on the extended document, the vendor's byte for byte plus that GET.
        prism_get = start_server(procs, prism(prism_executable, _SPEC / "extended-openapi.yaml",
                                              name="prism (extended document)"))  # fmt: skip
        servers[1].get_via = prism_get
        detected = running_backend(servers[0].process.pid)
        if detected != backend:
            print(f"!! serve runs {detected}, but the bare Flask app ran {backend}")
        loads = _load(wrk, servers, settings)
        for server in [*servers, prism_get]:
            procs.stop(server.process)
        rows = [
            Row("start-up to first 200 (create)", "ms",
                {n: v * 1000 for n, v in startups.items()}, Target("<=", 0.2, "prism")),
            Row("idle RSS, process tree", "MiB",
                {n: v / _MIB for n, v in memory.items()}, Target("<=", 1 / 3, "prism")),
            *_load_rows(loads, names),
            *_lifecycle_rows(procs, settings),
        ]  # fmt: skip
    print()
    print(format_table(rows, names))
    print("ratio = figure / target: a >= target is met at 1 or more, a <= target at 1 or less.")
    print("prism: the vendor's document for create, start-up and memory; its GET figures come")
    print("from a second Prism on the extended document (the vendor's has no GET operation).")


if __name__ == "__main__":
    main()
