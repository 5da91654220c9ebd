"""``create_app(config)``: wires the core to Flask. Only wiring; all state lives on the app."""

from __future__ import annotations

import sys

from flask import Flask

from ..audio import TrackRenderer
from ..core import MockConfig, MockEngine
from ..spec import RequestValidator
from . import rules_routes, webhook_routes
from .console import ConsoleLog
from .control import control
from .dashboard import dashboard
from .host_check import HostCheck
from .reason_phrases import StandardReasonPhrases
from .responses import install_error_handlers
from .results import results
from .state import EXTENSION_KEY, MockState, get_state
from .vendor import vendor

__all__ = ["close_app", "create_app", "warm_up"]


def create_app(config: MockConfig | None = None) -> Flask:
    """A new, independent mock. Call ``close_app(app)`` when done to stop its background work.

    A configuration the mock cannot run with (a webhook secret that is not valid base64 after
    ``whsec_``, an allow-list entry that is no host, address or network) raises ``ValueError``,
    and whatever was started by then is stopped first.
    """
    config = config or MockConfig()
    # No static folder: Flask's default /static/<path> route would answer for a folder that
    # does not exist (the dashboard serves its own files).
    app = Flask("freepik_mock.server", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    validator, renderer = RequestValidator(), TrackRenderer()
    # The engine starts its scheduler thread at once; from here on a failure must stop it.
    state = MockState(
        config=config, engine=MockEngine(config=config), validator=validator, renderer=renderer
    )
    try:
        state.engine.on_reset(state.renderer.clear)
        app.extensions[EXTENSION_KEY] = state
        install_error_handlers(app)
        app.register_blueprint(vendor)
        app.register_blueprint(results)
        app.register_blueprint(control)
        app.register_blueprint(dashboard)
        webhook_routes.register(app, state)
        rules_routes.register(app, state)
        # Before faults and the journal: a request with an invalid Host is not a request.
        app.wsgi_app = HostCheck(app.wsgi_app)  # type: ignore[method-assign]
        # Outermost, so the status line and the console see every answer, faults' included.
        app.wsgi_app = StandardReasonPhrases(app.wsgi_app)  # type: ignore[method-assign]
        if config.request_log != "off":
            app.wsgi_app = ConsoleLog(  # type: ignore[method-assign]
                app.wsgi_app, log_format=config.request_log, stream=sys.stdout
            )
    except BaseException:
        state.close()
        raise
    return app


def warm_up(app: Flask) -> None:
    """Prepare, on a background thread, what the first vendor request would otherwise wait for.

    Servers call it once they listen: start-up does not wait for it, and a request that comes
    before it is done waits only for the rest. ``close_app`` waits for it to end.
    """
    get_state(app).validator.prepare_in_background()


def close_app(app: Flask) -> None:
    """Stop the app's background threads and wait for them (idempotent)."""
    state = get_state(app)
    state.close()
    state.validator.close()
