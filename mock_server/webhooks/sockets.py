"""The sockets of an attempt: pinned to the checked addresses, held to one deadline, abortable.

``connect_pinned`` connects only to a target's checked addresses (so no second DNS lookup can
happen), ``DeadlineReader`` holds every read to the attempt's one deadline (the whole timeout,
not a per-read one: a receiver that drips its answer a byte at a time still ends by it; a
kept-alive connection is re-armed for each attempt), and ``Cancellation`` lets the outbox abort
an attempt from another thread (it lives in its own module, which the outbox imports from
start-up on).
"""

from __future__ import annotations

import io
import socket
import ssl
import time

from .cancellation import Cancellation
from .targets import Target

__all__ = ["Cancellation", "DeadlineReader", "connect_pinned", "send_by"]


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("deadline reached")
    return remaining


class DeadlineReader(io.RawIOBase):
    """The reading side of a socket, every read ending by one deadline (``TimeoutError``).

    ``http.client`` reads an answer through ``makefile``: this is what it gets, so that the
    deadline bounds the whole answer rather than each read.
    """

    def __init__(self, sock: socket.socket, *, deadline: float) -> None:
        super().__init__()
        self.sock = sock
        self.deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        self.sock.settimeout(_remaining(self.deadline))
        return self.sock.recv_into(buffer)

    def makefile(self, mode: str = "rb", buffering: int = -1) -> io.BufferedReader:
        """A buffered reader over this one (what ``http.client.HTTPResponse`` asks for)."""
        return io.BufferedReader(self, buffer_size=io.DEFAULT_BUFFER_SIZE)

    def close(self) -> None:
        """Closing the reader leaves the socket alone: the connection may be kept alive."""
        super().close()


def send_by(sock: socket.socket, data: bytes, *, deadline: float) -> None:
    """Send ``data`` whole, by ``deadline`` (``TimeoutError`` after it)."""
    sock.settimeout(_remaining(deadline))
    sock.sendall(data)


def connect_pinned(
    target: Target,
    *,
    deadline: float,
    cancellation: Cancellation,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[socket.socket, str]:
    """A socket connected to one of the target's checked addresses, and that address.

    The URL's host is never looked up again; with ``ssl_context`` the TLS handshake (to the URL's
    host name) is part of the same deadline. Raises ``OSError`` (``TimeoutError`` past the
    deadline, ``ConnectionError`` once cancelled).
    """
    error: OSError = ConnectionError("no address to connect to")
    for address in target.addresses:
        if cancellation.cancelled:
            raise ConnectionAbortedError("attempt cancelled")
        try:
            sock = socket.create_connection((address, target.port), timeout=_remaining(deadline))
        except TimeoutError:
            raise
        except OSError as exc:
            error = exc
            continue
        try:
            # A request is one small write: send it without waiting for an earlier ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            cancellation.register(sock)
            if ssl_context is not None:
                sock = ssl_context.wrap_socket(
                    sock, server_hostname=target.host, do_handshake_on_connect=False
                )
                cancellation.register(sock)
                sock.settimeout(_remaining(deadline))
                sock.do_handshake()
        except BaseException:
            sock.close()
            raise
        return sock, address
    raise error
