"""A stateful, offline fake of the Freepik (Magnific) music-generation API.

``create_app`` and ``close_app`` (the Flask adapter) are imported on first use, so that the
command line and code that only needs the core do not pay for importing Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .core import MockConfig

if TYPE_CHECKING:
    from .web import close_app, create_app

__all__ = ["MockConfig", "__version__", "close_app", "create_app"]

_FROM_WEB = frozenset({"close_app", "create_app"})


def __getattr__(name: str) -> Any:
    if name in _FROM_WEB:
        from . import web

        return getattr(web, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
