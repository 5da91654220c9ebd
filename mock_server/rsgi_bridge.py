"""A WSGI app served through granian's RSGI interface, its body read on the event loop first.

granian's WSGI worker hands the app a ``wsgi.input`` whose reads block a Python thread until the
client sends, and granian has a deadline for a request's head but none for its body: a client
that sends a head and part of a body holds a thread for as long as it likes, and ``threads``
such clients lock everyone out (issue 13). Here the body is read asynchronously on one event
loop, where a trickling body costs a suspended coroutine, not a thread, and must be complete
within :data:`BODY_TIMEOUT_SECONDS` or it gets a 408 and the connection is closed. Only then
does the app run, on a bounded thread pool, with the whole body in memory.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["BODY_TIMEOUT_SECONDS", "rsgi_bridge"]

#: A request body (every byte of it) must arrive within this many seconds of its head, like the
#: head's own deadline; otherwise the answer is a 408 and the connection is closed.
BODY_TIMEOUT_SECONDS = 10

_TIMEOUT_BODY = b'{"message":"Request Timeout: the request body did not arrive in time"}'
_TIMEOUT_HEADERS = [("content-type", "application/json"), ("connection", "close")]
_DROP_HEADERS = [("content-length", "2")]
#: Header names WSGI puts in the environ without the ``HTTP_`` prefix.
_UNPREFIXED = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


class _Answer:
    """The WSGI ``start_response``: keeps the status code and headers for granian."""

    __slots__ = ("headers", "status")

    def __init__(self) -> None:
        self.status = 200
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers


def _split_address(address: str) -> tuple[str, str]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port


async def _read_body(proto: Any, *, limit: int) -> bytes:
    """The body, but no more than ``limit + 1`` bytes of it: the app refuses a longer one
    anyway, and the rest need not be waited for."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in proto:
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)


def rsgi_bridge(
    app: WSGIApplication, *, executor: Executor, limit: int, may_block: Callable[[str], bool]
) -> Callable[[Any, Any], Awaitable[None]]:
    """granian's RSGI callback running the WSGI ``app``.

    The app runs on the loop's own thread while ``may_block(path)`` is false (such requests are
    short and hold the GIL anyway: a hop to another thread and back would cost about 40% of the
    requests per second), and on ``executor`` while it is true (a request that may wait, such as
    an advance waiting for webhook attempts or one held by a delay fault, must not hold the loop,
    nor the bodies and answers of everyone else).
    ``limit`` is the app's body limit in bytes: a body announced larger is not read (the app
    refuses it unread), a chunked one is read only to just past it. The environ carries only
    what WSGI requires (no copy of the process environment: an ``HTTP_PROXY`` variable of the
    process must not look like a header the client sent).
    """
    base: dict[str, Any] = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SCRIPT_NAME": "",
        "SERVER_SOFTWARE": "Granian",
        "wsgi.errors": sys.stderr,
        # Not in PEP 3333, but werkzeug reads it: the whole body is in the BytesIO.
        "wsgi.input_terminated": True,
        "wsgi.multiprocess": False,
        "wsgi.multithread": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }

    def environ_of(scope: Any, body: bytes) -> dict[str, Any]:
        server_name, server_port = _split_address(scope.server)
        environ = base | {
            "REQUEST_METHOD": scope.method,
            # WSGI's PATH_INFO: the percent-decoded bytes, one character per byte.
            "PATH_INFO": unquote_to_bytes(scope.path).decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": server_name,
            "SERVER_PORT": server_port,
            "SERVER_PROTOCOL": "HTTP/" + scope.http_version,
            "REMOTE_ADDR": _split_address(scope.client)[0],
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
        }
        for name, value in scope.headers.items():
            key = _UNPREFIXED.get(name) or "HTTP_" + name.upper().replace("-", "_")
            environ[key] = environ[key] + "," + value if key in environ else value
        return environ

    def run(scope: Any, proto: Any, body: bytes) -> None:
        answer = _Answer()
        chunks: Iterable[bytes] = app(environ_of(scope, body), answer)
        try:
            # Every answer of this app is small and already in memory: joined, it goes out in
            # one write (head and body in separate writes make a keep-alive client wait out
            # Nagle's algorithm against its delayed ACK, 40 ms a GET).
            whole = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        # Sent from the thread that ran the app: the answer leaves without waiting for the loop.
        proto.response_bytes(answer.status, answer.headers, whole)

    async def handle(scope: Any, proto: Any) -> None:
        headers = scope.headers
        body = b""
        chunked = "transfer-encoding" in headers
        if chunked or _announced(headers.get("content-length"), limit):
            try:
                async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
                    body = await (_read_body(proto, limit=limit) if chunked else proto())
            except TimeoutError:
                proto.response_bytes(408, _TIMEOUT_HEADERS, _TIMEOUT_BODY)
                return
        try:
            if may_block(scope.path):
                await asyncio.get_running_loop().run_in_executor(executor, run, scope, proto, body)
            else:
                run(scope, proto, body)
        except Exception:
            # A drop fault. granian answers a failed call with a 500 and ends a stream cleanly;
            # only a stream that falls short of its announced length makes it close the
            # connection: the client gets a head and one byte of two, no complete answer. (The
            # byte is awaited: a stream that ends before its head is written gets a length 0.)
            await proto.response_stream(200, _DROP_HEADERS).send_bytes(b"{")
            raise

    return handle


def _announced(length: str | None, limit: int) -> bool:
    """Whether a body of this Content-Length is to be read (present, positive, within limit)."""
    if not length:
        return False
    try:
        return 0 < int(length) <= limit
    except ValueError:
        return False
