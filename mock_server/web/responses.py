"""JSON in and out for the HTTP layer, in the vendor's formats, never a traceback."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..core import ControlInputError, InvalidParam, MockError, RequestValidationFailed
from ..core.faults import is_control_path
from ..core.journal import json_depth
from .state import get_state

__all__ = [
    "MAX_CONTROL_DEPTH",
    "install_error_handlers",
    "install_options_answer",
    "json_response",
    "read_body",
    "read_control_json",
]

log = logging.getLogger(__name__)

#: How deeply a control call's JSON may nest; rules need three levels, a fault's body a few more.
MAX_CONTROL_DEPTH = 32

_STATUS_MESSAGES = {
    400: "Bad Request",
    404: "Not found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable. Please try again later.",
}

#: How much a body without a Content-Length (chunked) is read at a time.
_CHUNK = 64 * 1024

#: Headers of werkzeug's own error answers that are not kept on the JSON answer.
_BODY_HEADERS = frozenset({"content-type", "content-length"})


def json_response(
    body: Any, *, status: int = 200, content_type: str = "application/json"
) -> Response:
    """A compact JSON response.

    Non-ASCII characters are escaped (``\\u00e9``): JSON parsers read the same text, and any
    string can be sent, even one holding a lone surrogate that UTF-8 cannot encode.
    """
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=True)
    return Response(payload.encode("ascii"), status=status, content_type=content_type)


def error_response(error: MockError) -> Response:
    """The vendor-format response for one of the mock's errors."""
    response = json_response(error.body(), status=error.status, content_type=error.content_type)
    response.headers.extend(error.headers)
    return response


def read_body(*, limit: int) -> bytes:
    """The raw body, refused with the vendor's 400 when it is larger than ``limit`` bytes."""
    length = request.content_length
    if length is not None and length > limit:
        raise _too_large(limit)
    # A read may return less than asked (granian hands over the body as it arrives): read on
    # to the limit or the end, and no further. With a Content-Length the stream ends there
    # (werkzeug limits it): ask for exactly that, so the read that fills it is the last. A read
    # of ``limit + 1`` bytes would allocate a buffer that large (1 MiB by default) for every
    # POST, which halved create throughput; without a length, reads go in chunks for the same
    # reason.
    chunks: list[bytes] = []
    wanted = limit + 1 if length is None else length
    while wanted > 0:
        chunk = request.stream.read(wanted if length is not None else min(wanted, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _too_large(limit: int) -> MockError:
    if is_control_path(request.path):
        return ControlInputError(f"the body must not be larger than {limit} bytes")
    return RequestValidationFailed(
        [InvalidParam("body", f"Request body must not be larger than {limit} bytes")]
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def read_control_json(*, required: bool = True) -> dict[str, Any]:
    """A control call's JSON object; a clear 400 when it is missing or not an object."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ControlInputError("a JSON object body is required")
        return {}
    try:
        # NaN and Infinity are not JSON (RFC 8259); kept in a rule, they would make every
        # answer that shows the rule invalid JSON.
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlInputError(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ControlInputError(_too_deep()) from None
    if not isinstance(value, dict):
        raise ControlInputError("the body must be a JSON object")
    if json_depth(value) > MAX_CONTROL_DEPTH:
        raise ControlInputError(_too_deep())
    return value


def _too_deep() -> str:
    return f"the body nests arrays and objects too deeply (at most {MAX_CONTROL_DEPTH} levels)"


def install_error_handlers(app: Flask) -> None:
    """Every error, expected or not, answers in the vendor's JSON format; OPTIONS answers 204."""

    @app.errorhandler(MockError)
    def _mock_error(error: MockError) -> Response:
        return error_response(error)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large_error(error: RequestEntityTooLarge) -> Response:
        return error_response(_too_large(app.config["MAX_CONTENT_LENGTH"]))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = _STATUS_MESSAGES.get(status, error.name)
        response = json_response({"message": message}, status=status)
        # What werkzeug's own answer says besides its HTML: Allow on a 405, Content-Range on a
        # 416, Retry-After, and so on.
        for name, value in error.get_response().headers.items():
            if name.lower() not in _BODY_HEADERS:
                response.headers.add(name, value)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        get_state(app).record_unexpected(error, where=f"{request.method} {request.path}")
        return json_response({"message": "Internal Server Error"}, status=500)

    install_options_answer(app)


def install_options_answer(app: Flask) -> None:
    """``OPTIONS`` on any route answers 204 with ``Allow``, instead of Flask's empty HTML 200.

    An ``after_request`` hook rather than a ``before_request`` one, so that guards that answer
    first (the admin token) keep answering OPTIONS too.
    """

    @app.after_request
    def _options_no_content(response: Response) -> Response:
        rule = request.url_rule
        if (
            request.method == "OPTIONS"
            and response.status_code == 200
            and rule is not None
            and getattr(rule, "provide_automatic_options", False)
        ):
            allowed = sorted({m.strip() for m in response.headers.get("Allow", "").split(",")})
            answer = Response(status=204)
            del answer.headers["Content-Type"]
            answer.headers["Allow"] = ", ".join(m for m in allowed if m)
            return answer
        return response
