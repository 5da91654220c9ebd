"""A real mock server on a background thread: for tests, the pytest plugin and benchmarks.

It serves through waitress, which starts in a few milliseconds and needs nothing beyond Python;
``freepik-mock serve`` uses granian instead (:mod:`mock_server.granian_server`), for throughput.
``LiveServer`` is a context manager; leaving it stops the server and the app's threads. Like the
command, it refuses to listen beyond this machine unless an admin token protects the control API
(:func:`check_exposure` is that rule, for both).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .core import MockConfig

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "DEFAULT_THREADS",
    "IDLE_TIMEOUT_SECONDS",
    "MAX_CONNECTIONS",
    "LiveServer",
    "bind_listener",
    "check_exposure",
    "is_loopback_host",
    "open_mock",
]

#: Worker threads (waitress starts them all at once): enough that requests held by delay faults,
#: a few dozen in a test, leave some free for the control API.
DEFAULT_THREADS = 48
#: Open connections the server accepts at once (each costs one socket, not a thread).
MAX_CONNECTIONS = 4096
#: A connection that sends and receives nothing for this long (idle keep-alive, or a request
#: that stopped half-way) is closed.
IDLE_TIMEOUT_SECONDS = 15


def _looks_numeric(host: str) -> bool:
    """Whether ``host`` is meant as an address: IPv6, or a numeric last label (RFC 1123 names
    never end in one), as in ``127.0.0.256``."""
    last = host.rstrip(".").rsplit(".", 1)[-1].lower()
    return ":" in host or last.isdigit() or (last.startswith("0x") and last[2:].isalnum())


def is_loopback_host(host: str) -> bool:
    """Whether binding to ``host`` keeps the server reachable from this machine only.

    An address is read as the system reads it (``127.1`` is ``127.0.0.1``) without any DNS
    lookup; a name other than ``localhost`` counts as reachable from elsewhere. ``ValueError``
    when ``host`` looks like an address but is not one (``127.0.0.256``).
    """
    if host.lower().rstrip(".") == "localhost":
        return True
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        # AI_NUMERICHOST: parse the address only, never ask DNS.
        info = socket.getaddrinfo(bare, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        if _looks_numeric(bare):
            raise ValueError(f"host {host} is not a valid IPv4 or IPv6 address") from None
        return False
    return ipaddress.ip_address(str(info[0][4][0])).is_loopback


def check_exposure(
    *, host: str, admin_token: str | None, how: str = "MockConfig(admin_token=...)"
) -> None:
    """``ValueError`` when ``host`` is reachable from other machines and no admin token is set.

    Without a token anyone who can reach the port could change the mock (``/_mock``). ``how``
    says how to set one, in the caller's terms (the command line says ``--admin-token``).
    ``ValueError`` too when ``host`` is not a valid address (:func:`is_loopback_host`).
    """
    if not is_loopback_host(host) and not admin_token:
        raise ValueError(
            f"host {host} is reachable from other machines: set an admin token ({how}) "
            "to protect the control API (/_mock)"
        )


def bind_listener(host: str, port: int) -> socket.socket:
    """A socket bound to the first address ``host`` resolves to (``OSError`` if it cannot be)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


def open_mock(
    *, config: MockConfig | None, host: str, port: int, threads: int, backlog: int | None = None
) -> tuple[Flask, socket.socket, str]:
    """What both servers do first: refuse an exposed host without a token and ``threads < 1``
    (``ValueError``), bind (``OSError``; listening with ``backlog`` when given), build the app.

    Returns the app, the bound socket and the server's URL; nothing is left open on failure.
    """
    config = config or MockConfig()
    check_exposure(host=host, admin_token=config.admin_token)
    if threads < 1:
        raise ValueError("threads must be at least 1")
    # Imported here: the command line reads its options before paying for Flask.
    from .web.app import create_app

    listener = bind_listener(host, port)
    try:
        if backlog is not None:
            listener.listen(backlog)
        app = create_app(config)
    except BaseException:
        listener.close()
        raise
    shown_host = f"[{host}]" if ":" in host else host
    return app, listener, f"http://{shown_host}:{listener.getsockname()[1]}"


class LiveServer:
    """``with LiveServer(config=...) as server: httpx.get(server.url + "/_mock/health")``.

    The socket is bound (and ``url`` known) on construction, so an unusable ``host`` or ``port``
    raises ``OSError`` there, and a refused configuration ``ValueError``; nothing is left running.
    """

    def __init__(
        self,
        *,
        config: MockConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        # Bound first: waitress starts its worker threads before it binds, and would leave them
        # running when the port is taken.
        self.app: Flask
        self.app, listener, self.url = open_mock(
            config=config, host=host, port=port, threads=threads
        )
        # Imported here: the command line reads its options before paying for waitress.
        from waitress.server import create_server

        from .web.app import close_app

        try:
            self._server: Any = create_server(
                self.app,
                sockets=[listener],
                threads=threads,
                ident=None,
                clear_untrusted_proxy_headers=True,
                # waitress's defaults (100 connections, idle ones closed after 120 s) let 150
                # idle or slow clients lock everyone out: connections only cost a socket here
                # (requests are parsed before a worker thread is used), so allow many, and close
                # idle or incomplete ones soon.
                connection_limit=MAX_CONNECTIONS,
                channel_timeout=IDLE_TIMEOUT_SECONDS,
                cleanup_interval=max(1, IDLE_TIMEOUT_SECONDS // 3),
            )
        except BaseException:
            listener.close()
            close_app(self.app)
            raise
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        """Start serving (returns self); the spec validator is prepared in the background."""
        from .web.app import warm_up

        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.run, name="freepik-mock-live", daemon=True
            )
            self._thread.start()
            warm_up(self.app)
        return self

    def wait(self) -> None:
        """Block until the server stops serving (``stop`` from another thread, or a signal)."""
        thread = self._thread
        if thread is not None:
            thread.join()

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop serving, close every connection and join the threads (idempotent).

        Requests still running end promptly: webhook attempts in flight are aborted first, so a
        request waiting for one (``/_mock/clock/advance``, ``/_mock/webhooks/send``) returns.
        """
        from .web.app import close_app

        thread, self._thread = self._thread, None
        if thread is not None:
            # Closing the channels inside the loop's own thread ends asyncore.loop cleanly.
            self._server.trigger.pull_trigger(self._close_channels)
            thread.join(timeout)
        else:
            self._close_channels()
        # The app first: waitress's shutdown waits for running requests, and a request waiting
        # for a hung webhook receiver would otherwise hold it until the attempt timed out.
        close_app(self.app)
        self._server.task_dispatcher.shutdown(timeout=timeout)
        # Last: a worker finishing a request wakes the loop through this pipe.
        self._server.trigger.close()

    def _close_channels(self) -> None:
        from waitress import wasyncore

        # The wake-up pipe leaves the loop but stays open until ``stop`` closes it:
        # ``pull_trigger`` may run this before it writes its byte, which must not hit a closed
        # (or reused) descriptor. So the listener is closed without its own ``close``, which
        # would close the pipe too.
        trigger = self._server.trigger
        for channel in list(self._server._map.values()):
            if channel is trigger:
                channel.del_channel()
            elif channel is self._server:
                wasyncore.dispatcher.close(channel)
            else:
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
