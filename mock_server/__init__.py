"""A stateful, offline fake of the Freepik (Magnific) music-generation API."""

__version__ = "0.1.0"

from .core import MockConfig
from .web import close_app, create_app

__all__ = ["MockConfig", "__version__", "close_app", "create_app"]
