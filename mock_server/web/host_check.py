"""Requests with an invalid ``Host`` header get a 400, before any route sees them.

The mock builds result URLs (in answers and in webhooks) from the request's host when no
``--public-url`` is set. A Host such as ``evil.example/abc?`` would otherwise become the result URL
``http:/results/<id>.mp3``: RFC 9110 makes such a request invalid, and it is answered as one, in
the vendor's error format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["HostCheck", "is_valid_host"]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(
    # A name (RFC 1123: no underscores; a container named my_mock needs --public-url).
    rf"^(?:{_LABEL}(?:\.{_LABEL})*\.?"
    r"|\[[0-9A-Fa-f:.]+(?:%25[A-Za-z0-9._~-]+)?\])"  # an IPv6 literal (dotted IPv4 is a name)
    r"(?::[0-9]{1,5})?$"
)
_BODY = json.dumps(
    {
        "message": "Bad Request: the Host header is not a valid host[:port] "
        "(a name without underscores, an IPv4 address or an [IPv6] address)"
    }
).encode()


def is_valid_host(value: str) -> bool:
    """Whether ``value`` is a valid ``Host`` header: ``name[:port]`` or ``[IPv6][:port]``."""
    if len(value) > 255 or not _HOST.match(value):
        return False
    _, _, port = value.rpartition("]")[2].partition(":")
    return not port or int(port) <= 65535


class HostCheck:
    """WSGI middleware: a request whose ``Host`` header is invalid is answered 400."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if host is None or is_valid_host(host):
            return self.app(environ, start_response)
        start_response(
            "400 Bad Request",
            [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))],
        )
        return [_BODY]
