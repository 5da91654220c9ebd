"""Load generation with wrk: one cell (method, connections, seconds) against one URL, parsed.

wrk prints its figures as text; :func:`parse_wrk` reads requests/s, the 50th and 99th latency
percentiles (``--latency``), and the errors (non-2xx answers, socket errors) so that a server
answering errors fast is not mistaken for a fast server.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LoadResult", "parse_duration", "parse_wrk", "run_wrk", "wrk_script"]

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^([0-9.]+)(us|ms|s|m|h)$")


@dataclass(frozen=True)
class LoadResult:
    """What one wrk run measured (latencies in seconds)."""

    requests_per_second: float
    p50: float
    p99: float
    requests: int
    errors: int


def parse_duration(text: str) -> float:
    """``"1.23ms"`` → 0.00123 (seconds); ``ValueError`` on anything else."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _field(pattern: str, output: str) -> str:
    match = re.search(pattern, output, flags=re.MULTILINE)
    if match is None:
        raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
    return match.group(1)


def parse_wrk(output: str) -> LoadResult:
    """The figures of one ``wrk --latency`` run from its standard output."""
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(count) for count in socket_errors.groups())
    return LoadResult(
        requests_per_second=float(_field(r"^Requests/sec:\s+([0-9.]+)", output)),
        p50=parse_duration(_field(r"^\s+50%\s+(\S+)", output)),
        p99=parse_duration(_field(r"^\s+99%\s+(\S+)", output)),
        requests=int(_field(r"^\s+(\d+) requests in", output)),
        errors=errors,
    )


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_script(*, method: str, headers: dict[str, str], body: str | None = None) -> str:
    """A wrk Lua script setting the method, headers and body of every request."""
    lines = [f"wrk.method = {_lua_string(method)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    return "\n".join(lines) + "\n"


def run_wrk(
    wrk: str,
    url: str,
    *,
    method: str,
    headers: dict[str, str],
    body: str | None = None,
    connections: int,
    seconds: float,
) -> LoadResult:
    """Load ``url`` with ``connections`` keep-alive connections for ``seconds``."""
    threads = min(connections, 2)  # two cores: more wrk threads only steal from the server
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = Path(folder) / "request.lua"
        script.write_text(wrk_script(method=method, headers=headers, body=body))
        done = subprocess.run(
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
             "--latency", "--timeout", "10s", "-s", str(script), url],
            capture_output=True, text=True, timeout=seconds + 60, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout)
