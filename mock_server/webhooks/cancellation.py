"""Lets the outbox abort a delivery attempt from another thread: its sockets shut, its waits end.

Apart from the sockets module (which needs httpcore): the outbox holds one per attempt from
start-up on, and httpcore is imported only when a webhook is first sent.
"""

from __future__ import annotations

import contextlib
import socket
import threading

__all__ = ["Cancellation"]


class Cancellation:
    """Lets another thread abort an attempt: its sockets are shut down, its waits end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._wakers: list[threading.Event] = []
        self.cancelled = False

    def register(self, sock: socket.socket) -> None:
        """Track a socket of the attempt (shut at once if already cancelled)."""
        with self._lock:
            self._sockets.add(sock)
            if not self.cancelled:
                return
        _shutdown(sock)

    def wake_on_cancel(self, event: threading.Event) -> None:
        """Set ``event`` when the attempt is cancelled (at once if it already is)."""
        with self._lock:
            self._wakers.append(event)
            if not self.cancelled:
                return
        event.set()

    def cancel(self) -> None:
        """Abort the attempt (idempotent)."""
        with self._lock:
            self.cancelled = True
            sockets = list(self._sockets)
            wakers = list(self._wakers)
        for sock in sockets:
            _shutdown(sock)
        for event in wakers:
            event.set()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed or never connected: nothing to abort
        sock.shutdown(socket.SHUT_RDWR)
