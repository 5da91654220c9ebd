"""A real mock server on a background thread: for tests, the pytest plugin and benchmarks.

It serves through waitress, like ``freepik-mock serve``, so what a test sees over the socket is what
users see. ``LiveServer`` is a context manager; leaving it stops the server and the app's threads.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from flask import Flask

from .core import MockConfig
from .web import close_app, create_app

__all__ = ["LiveServer"]


class LiveServer:
    """``with LiveServer(config=...) as server: httpx.get(server.url + "/_mock/health")``."""

    def __init__(
        self,
        *,
        config: MockConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
    ) -> None:
        from waitress.server import create_server

        self.app: Flask = create_app(config or MockConfig())
        self._server: Any = create_server(
            self.app,
            host=host,
            port=port,
            threads=threads,
            ident=None,
            clear_untrusted_proxy_headers=True,
        )
        shown_host = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown_host}:{self._server.effective_port}"
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        """Start serving (returns self)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.run, name="freepik-mock-live", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop serving, close every connection and join the threads (idempotent)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            # Closing the channels inside the loop's own thread ends asyncore.loop cleanly.
            self._server.trigger.pull_trigger(self._close_channels)
            thread.join(timeout)
        else:
            self._close_channels()
        self._server.task_dispatcher.shutdown(timeout=timeout)
        close_app(self.app)

    def _close_channels(self) -> None:
        for channel in list(self._server._map.values()):
            channel.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
