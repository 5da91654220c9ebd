"""What stands in front of the routes: fault injection, the request journal, the admin token.

Faults and the journal sit in a WSGI middleware around the Flask app, so they see every request to
the vendor and result-file URLs exactly as the server does (the body included, before any view
reads it) and can answer, delay or drop a request before Flask runs. The control API (``/_mock``)
passes through untouched: it is neither faulted nor journaled. The admin token is a Flask
``before_request`` hook on the control API.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from flask import Flask, Response, request
from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WerkzeugResponse

from ..core.errors import MockError
from ..core.faults import FaultRule, is_control_path
from ..core.journal import MAX_BODY_BYTES, answer_summary, journal_body
from .dashboard import OPEN_PATHS as DASHBOARD_PATHS
from .dashboard import OPEN_PREFIX as DASHBOARD_PREFIX
from .responses import json_response
from .state import MockState
from .vendor import API_KEY_HEADERS

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "FAULT_LABEL_KEY",
    "FaultHangup",
    "FaultInjector",
    "install_admin_guard",
    "install_answer_capture",
]


#: The WSGI environ key naming the fault rule that fired on a request (for the console log).
FAULT_LABEL_KEY = "freepik_mock.fault"
_RESULTS_PREFIX = "/results/"
#: Where the app leaves its answer's body for the journal (see ``install_answer_capture``).
_ANSWER_KEY = "freepik_mock.answer"

#: waitress puts this in every environ; it closes a connection silently on ``ClientDisconnected``.
_WAITRESS_MARK = "waitress.client_disconnected"

log = logging.getLogger(__name__)


class FaultHangup(ConnectionAbortedError):
    """Raised from the answer's body under granian, which then closes the connection.

    granian has no equivalent of waitress's ``ClientDisconnected``;
    :mod:`mock_server.rsgi_bridge` turns this failure into an answer cut short: a ``200 OK``
    head announcing two bytes, one byte, then the connection closes. The client never gets a
    complete answer (httpx raises ``RemoteProtocolError``); a client that retries on a broken
    connection retries it.
    """


def _hang_up(path: str) -> Iterable[bytes]:
    raise FaultHangup(f"fault: connection dropped on {path}")
    yield b""  # pragma: no cover - makes this a generator: it raises on the first chunk


class _ReplayedInput(io.RawIOBase):
    """The request body: the bytes already read for the journal, then the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        target = memoryview(buffer).cast("B")
        if self._head:
            size = min(len(target), len(self._head))
            target[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(target))
        target[: len(data)] = data
        return len(data)


def _peek_body(environ: WSGIEnvironment, *, limit: int) -> tuple[bytes, int | None]:
    """Up to ``MAX_BODY_BYTES + 1`` bytes of the body, leaving the whole body for the app.

    Nothing is read from a body announced larger than ``limit``: the app refuses it unread, and
    a client announcing gigabytes must not hold a thread while it sends them.
    """
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b"", None
    if length <= 0 or length > limit:
        return b"", None if length <= 0 else length
    stream: IO[bytes] = environ["wsgi.input"]
    chunks: list[bytes] = []
    wanted = min(length, MAX_BODY_BYTES + 1)
    while wanted > 0:
        data = stream.read(wanted)
        if not data:
            break
        chunks.append(data)
        wanted -= len(data)
    head = b"".join(chunks)
    environ["wsgi.input"] = io.BufferedReader(_ReplayedInput(head, stream))
    return head, length


def _query(environ: WSGIEnvironment) -> dict[str, list[str]]:
    """The query's parameters, each with all its values (nothing to parse without a query)."""
    if not environ.get("QUERY_STRING"):
        return {}
    args = Request(environ, shallow=True).args
    return {name: args.getlist(name) for name in args}


def _path(environ: WSGIEnvironment) -> str:
    """The path as werkzeug's ``Request.path`` has it (UTF-8 from the WSGI string, one slash
    first), without building a request object Flask builds again right after."""
    raw: str = environ.get("PATH_INFO") or ""
    return "/" + raw.encode("latin-1").decode(errors="replace").lstrip("/")


def _api_key(headers: Headers) -> str | None:
    return next((headers[h] for h in API_KEY_HEADERS if headers.get(h)), None)


class FaultInjector:
    """WSGI middleware: applies the first fault that fires; journals every non-control request."""

    def __init__(self, app: WSGIApplication, *, state: MockState) -> None:
        self.app = app
        self.state = state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The control API is neither faulted nor journaled: it passes before any Request object
        # is made. (Werkzeug's path is PATH_INFO with its leading slashes made one; the prefix is
        # ASCII, so its UTF-8 decoding cannot change the answer.)
        if is_control_path("/" + environ.get("PATH_INFO", "").lstrip("/")):
            return self.app(environ, start_response)
        # What the journal and the fault rules need, read from the environ: Flask makes its own
        # request object next, and a second one here cost more than all of this.
        method: str = environ.get("REQUEST_METHOD", "GET").upper()
        path = _path(environ)
        headers = EnvironHeaders(environ)
        started = time.perf_counter()
        # Kept as moments; the journal writes them out when it is read.
        arrived = datetime.now(UTC)
        clock = self.state.engine.clock
        mock_at = clock.wall_time(clock.now())
        head, length = _peek_body(environ, limit=self.state.config.max_body_bytes)
        api_key = _api_key(headers)
        rule = self.state.faults.take(
            method=method, path=path, api_key=self._rule_key(path, api_key)
        )
        if rule is not None:
            environ[FAULT_LABEL_KEY] = rule.rule_id
        statuses: list[int] = []

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            statuses.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        def record(status: int | None, answer: tuple[bytes, str | None] | None = None) -> None:
            answer = answer or environ.get(_ANSWER_KEY)
            self.state.journal.record(
                arrived_at=arrived,
                mock_at=mock_at,
                answer_body=answer_summary(*answer[:1], content_type=answer[1]) if answer else None,
                method=method,
                path=path,
                query=_query(environ),
                headers=headers.items(),
                body=journal_body(
                    head, content_type=headers.get("Content-Type"), total_length=length
                ),
                status=status,
                duration_ms=(time.perf_counter() - started) * 1000,
                fault=rule.rule_id if rule else None,
                api_key=api_key,
            )

        if rule is not None and rule.delay_seconds > 0:
            self.state.pause(rule.delay_seconds)
        if rule is not None and rule.drop_connection:
            record(None)
            return self._drop(environ, path)
        try:
            answer = self._injected_response(rule, where=f"{method} {path}")
            if answer is not None:
                environ[_ANSWER_KEY] = (answer.get_data(), answer.content_type)
                body = answer(environ, recording_start_response)
            else:
                body = self.app(environ, recording_start_response)
        except BaseException:
            record(statuses[-1] if statuses else 500)
            raise
        # Recorded before the body goes out, so a client that has its answer finds it journaled.
        record(statuses[-1] if statuses else None)
        return body

    def _rule_key(self, path: str, key: str | None) -> str | None:
        """The key fault rules see: the request's, or for a result download its task's (a
        download sends none)."""
        if key is not None or not path.startswith(_RESULTS_PREFIX):
            return key
        task_id = path.removeprefix(_RESULTS_PREFIX).removesuffix(".mp3")
        try:
            return self.state.engine.find_task(task_id).api_key
        except MockError:
            return None

    @staticmethod
    def _drop(environ: WSGIEnvironment, path: str) -> Iterable[bytes]:
        if _WAITRESS_MARK in environ:
            # waitress closes the socket without writing a byte, and logs one INFO line.
            from waitress.channel import ClientDisconnected

            raise ClientDisconnected(f"fault: connection dropped on {path}")
        if environ.get("SERVER_SOFTWARE") == "Granian":
            return _hang_up(path)
        # Imported here: httpx is needed only in-process (a served mock never gets this far).
        from .dropped import DroppedConnection

        raise DroppedConnection("Server disconnected without sending a response (mock fault).")

    def _injected_response(self, rule: FaultRule | None, *, where: str) -> WerkzeugResponse | None:
        """The fault's answer; a vendor-format 500 (and a logged error) if it cannot be made."""
        try:
            answer = rule.answer() if rule is not None else None
        except Exception as error:
            # parse_fault refuses rules it cannot answer; should one slip through anyway, the
            # client gets the vendor's 500 and the journal its entry, not the server's own page.
            log.exception("fault %s cannot be answered on %s", rule and rule.rule_id, where)
            self.state.record_unexpected(error, where=where)
            return json_response({"message": "Internal Server Error"}, status=500)
        if answer is None:
            return None
        return WerkzeugResponse(answer.body, status=answer.status, headers=list(answer.headers))


def install_answer_capture(app: Flask) -> None:
    """Leave each journaled answer's body where the journal finds it (the WSGI environ)."""

    def capture(response: Response) -> Response:
        if not is_control_path(request.path) and not response.is_streamed:
            request.environ[_ANSWER_KEY] = (response.get_data(), response.content_type)
        return response

    # First in the list, so it runs last (Flask runs after_request hooks in reverse) and sees
    # the answer as it goes out, after every other hook changed it.
    app.after_request_funcs.setdefault(None, []).insert(0, capture)


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


def _bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


#: Open without the admin token: a container's health check must not need a secret, and it
#: tells nothing but the version.
_OPEN_CONTROL_PATHS = frozenset({"/_mock/health"})


def install_admin_guard(app: Flask, state: MockState) -> None:
    """With ``config.admin_token`` set, every ``/_mock`` call but health needs ``Bearer``."""
    expected = state.config.admin_token
    if not expected:
        return
    expected_digest = _digest(expected)

    @app.before_request
    def _require_admin_token() -> Response | None:
        if not is_control_path(request.path) or request.path in _OPEN_CONTROL_PATHS:
            return None
        # The dashboard's files hold no data; the page asks for the token and sends it.
        if request.path in DASHBOARD_PATHS or request.path.startswith(DASHBOARD_PREFIX):
            return None
        given = _bearer_token(request.headers.get("Authorization"))
        # Digests of equal length, compared in constant time: neither the token nor its length
        # leaks through timing.
        if given is not None and hmac.compare_digest(_digest(given), expected_digest):
            return None
        message = "Missing admin token" if given is None else "Invalid admin token"
        response = json_response({"message": message}, status=401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="freepik-mock control API"'
        return response
