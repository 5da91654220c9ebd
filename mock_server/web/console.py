"""The console log of ``freepik-mock serve``: one line per request, as text or as JSON.

Text, for a person watching a terminal::

    19:40:01.123  POST /v1/ai/music-generation  200  3.2 ms
    19:40:02.871  GET /v1/ai/music-generation/3c1e…  503  0.4 ms  fault flt_2
    19:40:03.004  GET /results/3c1e….mp3  dropped  0.1 ms  fault flt_3

JSON (``--log-format json``), one object per line for a log collector: ``time`` (UTC, ISO 8601),
``method``, ``path``, ``query``, ``status`` (``null`` when the connection was dropped),
``dropped``, ``duration_ms`` and ``fault`` (the id of the fault rule that fired, or ``null``).

It wraps the whole app, control API included, so what the console shows is every request the
server answered (but the dashboard's background reads, which would fill the terminal while
the page is open). The fault label comes from the fault injector, which marks the WSGI environ.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO

from ..core.clock import iso_utc
from .dashboard import is_background_read
from .guards import FAULT_LABEL_KEY

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ConsoleLog", "LogFormat"]

LogFormat = Literal["text", "json"]


def _wsgi_text(value: str) -> str:
    """A WSGI string (bytes held as latin-1) as the UTF-8 text the client sent."""
    if value.isascii():  # nearly always: nothing to decode
        return value
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def _printable(text: str) -> str:
    """``text`` with control characters escaped: a request must not steer the terminal."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in text)


class ConsoleLog:
    """WSGI middleware: writes one line to ``stream`` for every request, once it is answered."""

    def __init__(self, app: WSGIApplication, *, log_format: LogFormat, stream: TextIO) -> None:
        self.app = app
        self.log_format = log_format
        self.stream = stream
        # Requests are answered on many threads; each line is written whole.
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if is_background_read(environ):
            # The dashboard polling: a few lines a second. Its actions are logged.
            return self.app(environ, start_response)
        started = time.perf_counter()
        statuses: list[int] = []

        def noting_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            statuses.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, noting_start_response)
        except BaseException:
            # Errors become the vendor's 500 inside the app; what escapes is a dropped connection.
            self._write(environ, status=None, started=started)
            raise
        self._write(environ, status=statuses[-1] if statuses else None, started=started)
        return body

    def _write(self, environ: WSGIEnvironment, *, status: int | None, started: float) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        now = datetime.now(UTC)
        method = _printable(environ.get("REQUEST_METHOD", ""))
        path = _printable(_wsgi_text(environ.get("PATH_INFO", "")))
        query = _printable(_wsgi_text(environ.get("QUERY_STRING", "")))
        fault = environ.get(FAULT_LABEL_KEY)
        if self.log_format == "json":
            line = json.dumps(
                {
                    "time": iso_utc(now, timespec="milliseconds"),
                    "method": method,
                    "path": path,
                    "query": query,
                    "status": status,
                    "dropped": status is None,
                    "duration_ms": round(duration_ms, 3),
                    "fault": fault,
                },
                ensure_ascii=False,
            )
        else:
            target = f"{path}?{query}" if query else path
            answer = "dropped" if status is None else str(status)
            line = f"{now:%H:%M:%S}.{now.microsecond // 1000:03d}  {method} {target}  {answer}"
            line += f"  {duration_ms:.1f} ms"
            if fault:
                line += f"  fault {fault}"
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                # A closed or broken terminal must not turn answers into errors.
                pass
