"""The Flask adapter over the core."""

from .app import close_app, create_app
from .state import MockState, get_state

__all__ = ["MockState", "close_app", "create_app", "get_state"]
