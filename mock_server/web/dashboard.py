"""The dashboard: a page at ``/_mock/ui/`` that shows and steers the mock in a browser.

The page is static HTML, CSS and JavaScript shipped inside the package (``web/ui/``): no build
step, no CDN, nothing fetched from elsewhere. It reads and drives the mock only through the
control API's JSON, so it works with every store and every worker process, and it adds nothing
to the vendor API's path. ``GET /_mock`` redirects to it.

The files are served without the admin token (they hold no data, and a browser cannot send a
bearer header when it navigates); the page asks for the token and sends it on every data call.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from flask import Blueprint, Response, redirect

from ..core.errors import MockError
from ..core.faults import is_control_path

__all__ = [
    "OPEN_PATHS",
    "OPEN_PREFIX",
    "POLL_ENVIRON_KEY",
    "UI_PATH",
    "AssetNotFound",
    "dashboard",
    "is_background_read",
    "ui_files",
]

#: Where the page lives.
UI_PATH = "/_mock/ui/"
#: Paths served without the admin token (the guard reads them): the redirect and the files.
OPEN_PATHS = frozenset({"/_mock", "/_mock/ui"})
OPEN_PREFIX = UI_PATH
#: The page marks its background reads with ``X-Freepik-Mock-Dashboard: poll`` (this is that
#: header in the WSGI environ): ``serve``'s console log leaves them out, since polling would
#: print a few lines every second. The page's actions (advance, reset, replay...) are logged.
POLL_ENVIRON_KEY = "HTTP_X_FREEPIK_MOCK_DASHBOARD"

#: What the page is made of, by suffix; anything else in the folder is not served.
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}

# Only the page's own files run and load; result files may come from ``--public-url``, so audio
# may come from anywhere. Nothing can frame the page (it has buttons that change the mock).
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src *; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The files change with the installed version; revalidate instead of running a stale page.
    "Cache-Control": "no-cache",
}

dashboard = Blueprint("dashboard", __name__)


class AssetNotFound(MockError):
    """A file the dashboard does not have."""

    status = 404


def is_background_read(environ: Mapping[str, Any]) -> bool:
    """Whether a request is the page polling: a marked GET of the control API."""
    return (
        environ.get(POLL_ENVIRON_KEY) == "poll"
        and environ.get("REQUEST_METHOD") == "GET"
        and is_control_path(environ.get("PATH_INFO", ""))
    )


def _ui_folder() -> Traversable:
    return files(__package__ or "freepik_mock.server.web").joinpath("ui")


def ui_files() -> dict[str, str]:
    """The files the page is made of: name to content type (what a wheel must ship)."""
    return {
        entry.name: _CONTENT_TYPES[suffix]
        for entry in _ui_folder().iterdir()
        if entry.is_file()
        and not entry.name.startswith(".")
        and (suffix := "." + entry.name.rpartition(".")[2]) in _CONTENT_TYPES
    }


def _serve(name: str) -> Response:
    content_type = ui_files().get(name)
    if content_type is None:
        raise AssetNotFound(f"the dashboard has no file {name!r}")
    body = _ui_folder().joinpath(name).read_bytes()
    return Response(body, content_type=content_type, headers=_SECURITY_HEADERS)


@dashboard.get("/_mock")
def to_dashboard() -> Response:
    """``GET /_mock`` is the dashboard."""
    return redirect(UI_PATH, code=302)  # type: ignore[return-value]


@dashboard.get(UI_PATH)
def page() -> Response:
    """The dashboard's page."""
    return _serve("index.html")


@dashboard.get(UI_PATH + "<asset>")
def asset(asset: str) -> Response:
    """One of the page's files (its script, its style sheet)."""
    return _serve(asset)
