"""One delivery attempt: a POST to a checked target, bounded in time and in what is read back.

The standard library's ``http.client`` does the HTTP (writing the request in one send, parsing
the answer); the socket under it is connected only to the target's checked addresses, so no
second DNS lookup can happen, every read and write ends by one deadline (the attempt's whole
timeout, not a per-read one), and the outbox can abort the attempt from another thread (see
``sockets``). Redirects are never followed: ``http.client`` does not follow them.

Connections are kept alive (see ``pool``): a burst of messages to one receiver reuses a few
connections instead of connecting for every attempt. Each attempt re-arms the reused
connection's deadline and cancellation. When a kept-alive connection turns out to have been
closed by the receiver before it answered anything, the attempt connects afresh once, within
its own deadline: that is what the connection's idleness cost, not the receiver's answer.
"""

from __future__ import annotations

import email.utils
import http.client
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from .pool import ConnectionPool, PooledConnection
from .sockets import Cancellation, DeadlineReader, connect_pinned, send_by
from .targets import Target

__all__ = ["AttemptResult", "Cancellation", "Deliverer", "parse_retry_after"]


@dataclass(frozen=True, kw_only=True)
class AttemptResult:
    """What one attempt got: an HTTP status, or an error (connection, timeout, protocol)."""

    status_code: int | None
    error: str | None
    duration_ms: float
    retry_after: float | None = None
    response_body: str = ""

    @property
    def ok(self) -> bool:
        """A 2xx answer: the message is delivered."""
        return self.status_code is not None and 200 <= self.status_code < 300


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def _with(kind: str, exc: BaseException) -> str:
    return f"{kind}: {exc}" if str(exc) else kind


def _describe(exc: BaseException, *, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, http.client.RemoteDisconnected):  # before HTTPException: it is both
        return _with("connection lost", exc)
    if isinstance(exc, http.client.HTTPException):
        return _with("invalid HTTP answer", exc)
    if isinstance(exc, OSError):
        return _with("connection lost", exc)
    return f"{type(exc).__name__}: {exc}"


#: A failure that, on a kept-alive connection, means the receiver had closed it while idle.
_STALE_ERRORS = (http.client.HTTPException, ConnectionError)

#: Read at most this much of an answer at once (the cap may be larger).
_READ = 64 * 1024


class _Wire:
    """What ``http.client.HTTPConnection`` writes to and ``HTTPResponse`` reads from: the
    connection's socket, held to the attempt's deadline. Closing it is the deliverer's call.

    http.client sends a request's head and body in two writes; the wire gathers them and sends
    them together when the answer is read, so that a request is one segment (one system call,
    and no wait for an ACK between the two halves).
    """

    def __init__(self, connection: PooledConnection, *, deadline: float) -> None:
        self._sock = connection.sock
        self._deadline = deadline
        self._pending: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self._pending.append(data)

    def makefile(self, mode: str = "rb") -> object:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            send_by(self._sock, data, deadline=self._deadline)
        return DeadlineReader(self._sock, deadline=self._deadline).makefile(mode)

    def close(self) -> None:
        """http.client closes its side after an answer that ends the connection: the socket
        stays open until the deliverer read what it wanted and closes it itself."""


class Deliverer:
    """Makes single attempts: ``timeout`` bounds the whole attempt, ``response_cap`` the read.

    ``keep_alive`` idle connections are kept per receiver (0: a new connection per attempt).
    """

    def __init__(
        self, *, timeout: float, response_cap: int, user_agent: str, keep_alive: int = 8
    ) -> None:
        self.timeout = timeout
        self.response_cap = response_cap
        self.user_agent = user_agent
        self.pool = ConnectionPool(per_key=keep_alive)
        self._ssl_lock = threading.Lock()
        self._ssl_context: ssl.SSLContext | None = None

    def _ssl(self) -> ssl.SSLContext:
        with self._ssl_lock:
            if self._ssl_context is None:
                # httpcore's context (certifi's CA store, as before), imported only for https.
                import httpcore

                self._ssl_context = httpcore.default_ssl_context()
            return self._ssl_context

    def close(self) -> None:
        """Close the kept-alive connections (later attempts still work, without keeping any)."""
        self.pool.close()

    def post(
        self,
        target: Target,
        *,
        headers: Mapping[str, str],
        body: bytes,
        cancellation: Cancellation,
        started: float | None = None,
    ) -> AttemptResult:
        """POST ``body`` to ``target``; never raises for network or protocol trouble.

        ``started`` (``time.monotonic()``) is when the attempt began, when that was before this
        call (resolving the host is part of the attempt): the deadline and the duration count
        from it.
        """
        started = time.monotonic() if started is None else started
        deadline = started + self.timeout
        request_headers = {
            "Host": target.host_header,
            "User-Agent": self.user_agent,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            **headers,
        }
        key = _pool_key(target)
        reused = self.pool.take(key, addresses=target.addresses)
        if reused is not None:
            cancellation.register(reused.sock)
            result = self._exchange(
                reused, target, request_headers, body, reused=True, deadline=deadline,
                cancellation=cancellation, started=started,
            )  # fmt: skip
            if result is not None:
                return result
        try:
            context = self._ssl() if target.scheme == "https" else None
            sock, address = connect_pinned(
                target, deadline=deadline, cancellation=cancellation, ssl_context=context
            )
        except Exception as exc:  # every network failure is a failed attempt
            if cancellation.cancelled:
                failure = "cancelled"
            elif isinstance(exc, TimeoutError):
                failure = _describe(exc, timeout=self.timeout)
            else:
                failure = _with("connection failed", exc)
            return AttemptResult(status_code=None, error=failure, duration_ms=_ms(started))
        result = self._exchange(
            PooledConnection(sock=sock, address=address), target, request_headers, body,
            reused=False, deadline=deadline, cancellation=cancellation, started=started,
        )  # fmt: skip
        if result is None:  # pragma: no cover - only a reused connection can be stale
            return AttemptResult(
                status_code=None, error="connection lost", duration_ms=_ms(started)
            )
        return result

    def _exchange(
        self,
        connection: PooledConnection,
        target: Target,
        headers: Mapping[str, str],
        body: bytes,
        *,
        reused: bool,
        cancellation: Cancellation,
        deadline: float,
        started: float,
    ) -> AttemptResult | None:
        """The request and its answer over ``connection``; None when a reused one was stale."""
        http_connection = http.client.HTTPConnection(target.host, target.port)
        # The socket is already connected (to a checked address): http.client never connects.
        http_connection.sock = _Wire(connection, deadline=deadline)
        try:
            http_connection.putrequest(
                "POST", target.path, skip_host=True, skip_accept_encoding=True
            )
            for name, value in headers.items():
                http_connection.putheader(name, value)
            # The body goes with the head: one write, one segment.
            http_connection.endheaders(message_body=body)
            response = http_connection.getresponse()
        except Exception as exc:  # every network or protocol failure is a failed attempt
            connection.close()
            if cancellation.cancelled:
                return AttemptResult(status_code=None, error="cancelled", duration_ms=_ms(started))
            if reused and isinstance(exc, _STALE_ERRORS) and time.monotonic() < deadline:
                return None
            failure = _describe(exc, timeout=self.timeout)
            return AttemptResult(status_code=None, error=failure, duration_ms=_ms(started))
        status = response.status
        retry_after = parse_retry_after(response.getheader("Retry-After"))
        location = response.getheader("Location")
        excerpt, complete = self._read_capped(response)
        # Kept only when the answer was read to its end and the receiver keeps the connection.
        if complete and not response.will_close:
            self.pool.give(_pool_key(target), connection)
        else:
            connection.close()
        error: str | None = None
        if 300 <= status < 400:
            error = f"redirects are not followed (Location: {location or 'none'})"
        return AttemptResult(
            status_code=status,
            error=error,
            duration_ms=_ms(started),
            retry_after=retry_after,
            response_body=excerpt.decode("utf-8", errors="replace"),
        )

    def _read_capped(self, response: http.client.HTTPResponse) -> tuple[bytes, bool]:
        """Up to ``response_cap`` bytes of the answer (the rest is never read), and whether
        that was the whole answer."""
        data = bytearray()
        try:
            while len(data) < self.response_cap:
                chunk = response.read(min(_READ, self.response_cap - len(data)))
                if not chunk:
                    break
                data += chunk
            if not response.isclosed() and response.length == 0:
                response.read(0)  # a body that ended exactly at the cap: mark it read
        except (OSError, http.client.HTTPException):
            # A body cut short still leaves the status, which is what counts.
            return bytes(data), False
        complete = response.isclosed() and not response.length
        return bytes(data), complete


def _pool_key(target: Target) -> tuple[str, str, int]:
    return target.scheme, target.host, target.port


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
