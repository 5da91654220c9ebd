"""The sockets of an attempt: pinned to the checked addresses, held to one deadline, abortable.

``PinnedBackend`` connects only to a target's checked addresses (so no second DNS lookup can
happen), ``DeadlineStream`` holds every read and write to the attempt's one deadline (the whole
timeout, not a per-read one; a kept-alive connection is re-armed for each attempt), and
``Cancellation`` (its own module, free of httpcore) lets the outbox abort an attempt from another
thread. This module subclasses httpcore's classes, so ``delivery`` imports it on the first attempt.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore

from .cancellation import Cancellation
from .targets import Target

__all__ = ["Cancellation", "DeadlineStream", "PinnedBackend"]


#: Writes are gathered up to this size before they are sent (a webhook request is far smaller).
_GATHER = 64 * 1024
#: Sent without waiting for the previous segment's ACK: a request is one small write.
_NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


class DeadlineStream(httpcore.NetworkStream):
    """A stream whose every read and write ends by one deadline.

    httpcore writes a request's head and body separately; the stream gathers the writes and
    sends them together when the answer is read, so that a request is one segment (one system
    call, and no wait for an ACK between the two halves).
    """

    def __init__(self, inner: httpcore.NetworkStream, *, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline
        self._pending = bytearray()

    def arm(self, *, deadline: float, cancellation: Cancellation) -> None:
        """Hold the stream to a new attempt's deadline and let that attempt abort it."""
        self._deadline = deadline
        sock = self._inner.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            cancellation.register(sock)

    def _remaining(self, error: type[Exception]) -> float:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise error("deadline reached")
        return remaining

    def _flush(self) -> None:
        if self._pending:
            data = bytes(self._pending)
            self._pending.clear()
            self._inner.write(data, self._remaining(httpcore.WriteTimeout))

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._flush()
        return self._inner.read(max_bytes, self._remaining(httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._pending += buffer
        if len(self._pending) >= _GATHER:
            self._flush()

    def close(self) -> None:
        self._pending.clear()
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, self._remaining(httpcore.ConnectTimeout)
        )
        return DeadlineStream(inner, deadline=self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects to the target's checked addresses only, whatever host the URL names."""

    def __init__(self, *, target: Target, deadline: float, cancellation: Cancellation) -> None:
        self._target = target
        self._deadline = deadline
        self._cancellation = cancellation
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        if self._cancellation.cancelled:
            raise httpcore.ConnectError("attempt cancelled")
        error: Exception = httpcore.ConnectError("no address to connect to")
        for address in self._target.addresses:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise httpcore.ConnectTimeout("deadline reached")
            try:
                stream = self._backend.connect_tcp(
                    address,
                    self._target.port,
                    timeout=remaining,
                    socket_options=[*(socket_options or ()), *_NO_DELAY],
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            sock = stream.get_extra_info("socket")
            if isinstance(sock, socket.socket):
                self._cancellation.register(sock)
            return DeadlineStream(stream, deadline=self._deadline)
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not webhook targets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
