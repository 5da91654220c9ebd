"""Kept-alive connections to receivers, so that a burst of messages does not connect per attempt.

A connection is kept per receiver (scheme, host, port) and the checked address it is connected
to: an attempt reuses one only if that address is among the ones its own check allowed, so a
new DNS answer can never be sent to over an old connection, and no check is skipped. At most
``per_key`` idle connections are kept per receiver (the lane's workers), each for ``expiry``
seconds of real time (below the 5 s idle timeout common to servers, such as Node's) or until
the receiver closes it; the outbox closes a receiver's idle connections as soon as its lane has
had no work for a moment, and all of them on reset, so a receiver that stops is not kept
waiting for them. A connection is only ever used by one attempt at a time: an attempt
takes it out of the pool and gives it back when the answer was read to its end.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field

__all__ = ["ConnectionPool", "PoolKey", "PooledConnection"]

PoolKey = tuple[str, str, int]


@dataclass(eq=False)
class PooledConnection:
    """An HTTP/1.1 connection over ``sock`` (plain or TLS), connected to ``address``; it is
    only ever given back to the pool between exchanges, when nothing is left to read."""

    sock: socket.socket
    address: str
    idle_since: float = field(default_factory=time.monotonic)

    def reusable(self, *, expiry: float) -> bool:
        """Not expired, and not closed (or half-closed) by the receiver.

        An idle connection has nothing to read: if it is readable, the receiver closed it (or
        sent something unasked for), and it must not carry another request.
        """
        if time.monotonic() - self.idle_since > expiry or self.sock.fileno() < 0:
            return False
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return False
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return not poller.poll(0)

    def close(self) -> None:
        """Close the connection (errors on a connection already broken do not matter)."""
        # Closing a socket the receiver already broke may raise; it is gone either way.
        with contextlib.suppress(OSError):
            self.sock.close()


class ConnectionPool:
    """Idle connections by receiver; thread-safe (its own lock, never held while sending)."""

    def __init__(self, *, per_key: int, expiry: float = 4.0) -> None:
        self.per_key = per_key
        self.expiry = expiry
        self._lock = threading.Lock()
        self._idle: dict[PoolKey, deque[PooledConnection]] = {}
        self._closed = False

    def take(self, key: PoolKey, *, addresses: tuple[str, ...]) -> PooledConnection | None:
        """A reusable idle connection to one of ``addresses``, taken out of the pool."""
        stale: list[PooledConnection] = []
        found: PooledConnection | None = None
        with self._lock:
            idle = self._idle.get(key)
            while idle and found is None:
                connection = idle.pop()  # the most recently used: the least likely to be stale
                if connection.address in addresses and connection.reusable(expiry=self.expiry):
                    found = connection
                else:
                    stale.append(connection)
            if idle is not None and not idle:
                del self._idle[key]
        for connection in stale:
            connection.close()
        return found

    def give(self, key: PoolKey, connection: PooledConnection) -> None:
        """Keep ``connection`` for a later attempt, or close it (not idle, pool full or closed)."""
        connection.idle_since = time.monotonic()
        with self._lock:
            idle = self._idle.setdefault(key, deque())
            keep = not self._closed and len(idle) < self.per_key
            if keep:
                idle.append(connection)
            elif not idle:
                del self._idle[key]
        if not keep:
            connection.close()

    def idle(self, key: PoolKey) -> int:
        """How many idle connections to ``key`` are kept."""
        with self._lock:
            return len(self._idle.get(key, ()))

    def discard(self, key: object | None = None) -> None:
        """Close the idle connections to ``key`` (to every receiver when None)."""
        with self._lock:
            keys = list(self._idle) if key is None else [key] if key in self._idle else []
            connections = [connection for k in keys for connection in self._idle.pop(k)]
        for connection in connections:
            connection.close()

    def close(self) -> None:
        """Close every idle connection; connections given back later are closed too."""
        with self._lock:
            self._closed = True
        self.discard()
