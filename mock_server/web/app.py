"""``create_app(config)``: wires the core to Flask. Only wiring; all state lives on the app."""

from __future__ import annotations

from flask import Flask

from ..audio import TrackRenderer
from ..core import MockConfig, MockEngine
from ..spec import RequestValidator
from . import rules_routes, webhook_routes
from .control import control
from .responses import install_error_handlers
from .results import results
from .state import EXTENSION_KEY, MockState, get_state
from .vendor import vendor

__all__ = ["close_app", "create_app"]


def create_app(config: MockConfig | None = None) -> Flask:
    """A new, independent mock. Call ``close_app(app)`` when done to stop its background work."""
    config = config or MockConfig()
    app = Flask("mock_server")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    engine = MockEngine(config=config)
    state = MockState(
        config=config,
        engine=engine,
        validator=RequestValidator(),
        renderer=TrackRenderer(),
    )
    engine.on_reset(state.renderer.clear)
    app.extensions[EXTENSION_KEY] = state
    install_error_handlers(app)
    app.register_blueprint(vendor)
    app.register_blueprint(results)
    app.register_blueprint(control)
    webhook_routes.register(app, state)
    rules_routes.register(app, state)
    return app


def close_app(app: Flask) -> None:
    """Stop the app's background threads (idempotent)."""
    get_state(app).close()
