"""One delivery attempt: a POST to a checked target, bounded in time and in what is read back.

httpcore does the HTTP; a network backend pinned to the target's checked addresses does the
connecting, so no second DNS lookup can happen, and it holds every socket to one deadline (the
attempt's whole timeout, not a per-read one) and lets the outbox abort the attempt from another
thread. Redirects are never followed: httpcore does not follow them.

Connections are kept alive (see ``pool``): a burst of messages to one receiver reuses a few
connections instead of connecting for every attempt. Each attempt re-arms the reused
connection's deadline and cancellation. When a kept-alive connection turns out to have been
closed by the receiver before it answered anything, the attempt connects afresh once, within
its own deadline: that is what the connection's idleness cost, not the receiver's answer.
"""

from __future__ import annotations

import email.utils
import functools
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .cancellation import Cancellation
from .pool import ConnectionPool, PooledConnection
from .targets import Target

if TYPE_CHECKING:
    import httpcore

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


def _describe(exc: Exception, *, timeout: float) -> str:
    import httpcore

    if isinstance(exc, httpcore.TimeoutException):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, httpcore.ConnectError):
        return f"connection failed: {exc}" if str(exc) else "connection failed"
    if isinstance(exc, httpcore.RemoteProtocolError):
        return f"invalid HTTP answer: {exc}" if str(exc) else "invalid HTTP answer"
    if isinstance(exc, httpcore.ReadError | httpcore.WriteError):
        return f"connection lost: {exc}" if str(exc) else "connection lost"
    return f"{type(exc).__name__}: {exc}"


def _stale(exc: Exception) -> bool:
    """A failure that, on a kept-alive connection, means the receiver had closed it while idle."""
    import httpcore

    return isinstance(exc, httpcore.RemoteProtocolError | httpcore.ReadError | httpcore.WriteError)


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
        import httpcore

        with self._ssl_lock:
            if self._ssl_context is None:
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
        # Imported on the first attempt: httpcore (with what it pulls in) costs ~100 ms at start-up.
        import httpcore

        started = time.monotonic() if started is None else started
        deadline = started + self.timeout
        url = httpcore.URL(
            scheme=target.scheme, host=target.host, port=target.port, target=target.path
        )
        request_headers = [
            ("Host", target.host_header),
            ("User-Agent", self.user_agent),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            *headers.items(),
        ]
        exchange = functools.partial(
            self._exchange,
            target=target,
            url=url,
            headers=request_headers,
            body=body,
            cancellation=cancellation,
            deadline=deadline,
            started=started,
        )
        reused = self.pool.take(_pool_key(target), addresses=target.addresses)
        if reused is not None:
            result = exchange(reused, reused=True)
            if result is not None:
                return result
        try:
            connection = self._connect(
                target, url=url, deadline=deadline, cancellation=cancellation
            )
        except Exception as exc:  # every network failure is a failed attempt
            failure = (
                "cancelled" if cancellation.cancelled else _describe(exc, timeout=self.timeout)
            )
            return AttemptResult(status_code=None, error=failure, duration_ms=_ms(started))
        result = exchange(connection, reused=False)
        if result is None:  # pragma: no cover - only a reused connection can be stale
            return AttemptResult(
                status_code=None, error="connection lost", duration_ms=_ms(started)
            )
        return result

    def _connect(
        self, target: Target, *, url: httpcore.URL, deadline: float, cancellation: Cancellation
    ) -> PooledConnection:
        """A new connection to one of the target's checked addresses (TLS for https)."""
        import httpcore

        from .sockets import PinnedBackend

        backend = PinnedBackend(target=target, deadline=deadline, cancellation=cancellation)
        stream: httpcore.NetworkStream = backend.connect_tcp(target.host, target.port)
        if target.scheme == "https":
            try:
                stream = stream.start_tls(self._ssl(), server_hostname=target.host)
            except BaseException:
                stream.close()
                raise
        address = stream.get_extra_info("server_addr")
        http = httpcore.HTTP11Connection(
            origin=url.origin, stream=stream, keepalive_expiry=self.pool.expiry
        )
        peer = str(address[0]) if isinstance(address, tuple) else target.addresses[0]
        return PooledConnection(http=http, stream=stream, address=peer)

    def _exchange(
        self,
        connection: PooledConnection,
        *,
        reused: bool,
        target: Target,
        url: httpcore.URL,
        headers: list[tuple[str, str]],
        body: bytes,
        cancellation: Cancellation,
        deadline: float,
        started: float,
    ) -> AttemptResult | None:
        """The request and its answer over ``connection``; None when a reused one was stale."""
        from .sockets import DeadlineStream

        stream = connection.stream
        if isinstance(stream, DeadlineStream):
            stream.arm(deadline=deadline, cancellation=cancellation)
        limit = {"connect": self.timeout, "read": self.timeout, "write": self.timeout}
        status: int | None = None
        retry_after: float | None = None
        location: str | None = None
        excerpt = b""
        try:
            with connection.http.stream(
                "POST",
                url,
                headers=headers,
                content=body,
                extensions={"timeout": {**limit, "pool": self.timeout}},
            ) as response:
                status = response.status
                retry_after = parse_retry_after(_header(response.headers, b"retry-after"))
                location = _header(response.headers, b"location")
                excerpt = self._read_capped(response)
        except Exception as exc:  # every network or protocol failure is a failed attempt
            connection.close()
            if status is None:
                if cancellation.cancelled:
                    return AttemptResult(
                        status_code=None, error="cancelled", duration_ms=_ms(started)
                    )
                if reused and _stale(exc) and time.monotonic() < deadline:
                    return None
                failure = _describe(exc, timeout=self.timeout)
                return AttemptResult(status_code=None, error=failure, duration_ms=_ms(started))
            # The status line is the answer; a failure after it only shortens the log's excerpt.
        else:
            self.pool.give(_pool_key(target), connection)
        if status is None:  # pragma: no cover - the stream always yields a status or raises
            return AttemptResult(status_code=None, error="no answer", duration_ms=_ms(started))
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

    def _read_capped(self, response: httpcore.Response) -> bytes:
        """Up to ``response_cap`` bytes of the answer; the rest is never read."""
        import httpcore

        data = bytearray()
        try:
            for chunk in response.iter_stream():
                data += chunk
                if len(data) >= self.response_cap:
                    break
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException):
            pass  # a body cut short still leaves the status, which is what counts
        return bytes(data[: self.response_cap])


def _pool_key(target: Target) -> tuple[str, str, int]:
    return target.scheme, target.host, target.port


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
