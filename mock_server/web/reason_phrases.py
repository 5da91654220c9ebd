"""Status lines as the vendor's servers write them: ``400 Bad Request``, not ``400 BAD REQUEST``.

Werkzeug upper-cases its reason phrases; clients print the status line in verbose output, so the
mock writes the standard phrases of :class:`http.HTTPStatus` (RFC 9110's wording), the ones the
real API's servers send. A code without a standard phrase keeps whatever phrase it came with.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["StandardReasonPhrases", "status_line"]

_PHRASES = {status.value: status.phrase for status in HTTPStatus}
#: Werkzeug's status lines (``"404 NOT FOUND"``) mapped to the standard ones, so the common case
#: is one lookup rather than a parse.
_STANDARD_LINES = {
    f"{status.value} {status.phrase.upper()}": f"{status.value} {status.phrase}"
    for status in HTTPStatus
}


def status_line(status: str) -> str:
    """``status`` (``"400 BAD REQUEST"``) with the standard phrase for its code."""
    standard_line = _STANDARD_LINES.get(status)
    if standard_line is not None:
        return standard_line
    code = status.partition(" ")[0]
    try:
        standard = _PHRASES.get(int(code))
    except ValueError:
        return status
    return f"{code} {standard}" if standard else status


class StandardReasonPhrases:
    """WSGI middleware: every answer's status line carries the standard reason phrase."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def rewritten(status: str, headers: Any, exc_info: Any = None) -> Any:
            return start_response(status_line(status), headers, exc_info)

        return self.app(environ, rewritten)
