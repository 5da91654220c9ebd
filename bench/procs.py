"""Processes the benchmark starts: a free loopback port, start-up to the first 200, the resident
memory of a whole process tree, and stopping by PID (the process, then whatever it left behind).

Every process goes through :class:`Processes`, which stops each one it started by its own PID
when the benchmark ends, fails or is interrupted (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

import httpx

__all__ = [
    "Process",
    "Processes",
    "free_port",
    "tree_cpu_seconds",
    "tree_pids",
    "tree_rss_bytes",
    "wait_for_200",
    "wait_quiet",
]

_PROC = Path("/proc")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: split after its last ")".
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks after boot), or None if it is gone."""
    try:
        return int((_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux ``/proc``)."""
    children, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_rss_bytes(pid: int) -> int:
    """The resident memory of ``pid`` and its descendants, summed (bytes)."""
    total = 0
    for member in tree_pids(pid):
        try:
            status = (_PROC / str(member) / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by ``pid`` and its running descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in tree_pids(pid):
        try:
            fields = (_PROC / str(member) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def wait_quiet(pid: int, *, window: float = 0.25, busy: float = 0.05, cap: float = 15.0) -> None:
    """Wait (at most ``cap`` s) until ``pid``'s tree uses under ``busy`` of a core over ``window``.

    After a load the mock keeps working for a while (it renders each task's track while the task
    is IN_PROGRESS): waiting keeps that work out of the next server's measurement.
    """
    deadline = time.monotonic() + cap
    while time.monotonic() < deadline:
        before = tree_cpu_seconds(pid)
        time.sleep(window)
        if tree_cpu_seconds(pid) - before < busy * window:
            return


def wait_for_200(
    request: Callable[[httpx.Client], httpx.Response],
    *,
    alive: Callable[[], bool],
    timeout: float = 60.0,
) -> None:
    """Repeat ``request`` until it answers 200 (``RuntimeError`` if the process dies first)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5.0) as http:
        while True:
            try:
                if request(http).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if not alive():
                raise RuntimeError("the server exited before answering 200")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no 200 within {timeout} s")
            time.sleep(0.005)


class Process:
    """One started process; ``stop`` ends it by its PID, then any descendant still running."""

    def __init__(self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None):
        self.name = name
        self.started = time.perf_counter()
        self.popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.popen.poll() is None

    def rss_bytes(self) -> int:
        """Resident memory of the process and its descendants."""
        return tree_rss_bytes(self.pid)

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM the process by its PID (SIGKILL after ``timeout``), then leftover children."""
        # Each child with its start time: a PID reused after the child ended is not ours.
        family = [(m, _start_time(m)) for m in tree_pids(self.pid)[1:]] if self.alive() else []
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout)
        for member, started in family:  # children the process did not take down with it
            if started is not None and _start_time(member) == started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(member, signal.SIGKILL)


class Processes:
    """``with Processes() as procs: procs.start(...)``: everything started is stopped on exit.

    SIGTERM and SIGINT raise ``KeyboardInterrupt`` meanwhile, so both unwind like Ctrl-C.
    """

    def __init__(self) -> None:
        self._running: list[Process] = []
        self._previous: dict[int, object] = {}

    def start(
        self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None
    ) -> Process:
        """Start ``argv``; it is stopped by :meth:`stop` or when the block ends."""
        process = Process(name, argv, env=env)
        self._running.append(process)
        return process

    def stop(self, process: Process) -> None:
        """Stop one process now."""
        process.stop()
        if process in self._running:
            self._running.remove(process)

    def __enter__(self) -> Processes:
        def interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        # SIGINT too: a shell starts background jobs with it ignored, and Ctrl-C must still work.
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, interrupt)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        while self._running:
            self.stop(self._running[-1])
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]
