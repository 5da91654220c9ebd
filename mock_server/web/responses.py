"""JSON in and out for the HTTP layer, in the vendor's formats, never a traceback."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..core import ControlInputError, InvalidParam, MockError, RequestValidationFailed

__all__ = ["install_error_handlers", "json_response", "read_body", "read_control_json"]

log = logging.getLogger(__name__)

_STATUS_MESSAGES = {
    400: "Bad Request",
    404: "Not found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable. Please try again later.",
}


def json_response(
    body: Any, *, status: int = 200, content_type: str = "application/json"
) -> Response:
    """A compact JSON response."""
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(payload, status=status, content_type=content_type)


def error_response(error: MockError) -> Response:
    """The vendor-format response for one of the mock's errors."""
    return json_response(error.body(), status=error.status, content_type=error.content_type)


def read_body(*, limit: int) -> bytes:
    """The raw body, refused with the vendor's 400 when it is larger than ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _too_large(limit: int) -> RequestValidationFailed:
    return RequestValidationFailed(
        [InvalidParam("body", f"Request body must not be larger than {limit} bytes")]
    )


def read_control_json(*, required: bool = True) -> dict[str, Any]:
    """A control call's JSON object; a clear 400 when it is missing or not an object."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ControlInputError("a JSON object body is required")
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlInputError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ControlInputError("the body must be a JSON object")
    return value


def install_error_handlers(app: Flask) -> None:
    """Every error, expected or not, answers in the vendor's JSON format."""

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
        if status == 405 and isinstance(error, HTTPException):
            allowed = error.get_response().headers.get("Allow")
            if allowed:
                response.headers["Allow"] = allowed
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return json_response({"message": "Internal Server Error"}, status=500)
