"""What one app instance owns; it lives on ``app.extensions``, never in module globals."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

from ..audio import TrackRenderer
from ..core import MockConfig, MockEngine
from ..core.faults import FaultBook
from ..core.journal import RequestJournal
from ..spec import RequestValidator
from ..webhooks import Outbox

__all__ = ["EXTENSION_KEY", "MockState", "get_state"]

EXTENSION_KEY = "freepik_mock"


@dataclass(kw_only=True)
class MockState:
    """The core and the services the HTTP layer needs, for one app."""

    config: MockConfig
    engine: MockEngine
    validator: RequestValidator
    renderer: TrackRenderer
    #: Fault rules and the request journal (``rules_routes.register`` sizes them from config).
    faults: FaultBook = field(default_factory=FaultBook)
    journal: RequestJournal = field(default_factory=RequestJournal)
    #: How injected delays wait (real seconds); tests may swap it.
    sleep: Callable[[float], None] = time.sleep
    #: The webhook outbox (``webhook_routes.register`` creates and attaches it).
    webhooks: Outbox | None = None

    def close(self) -> None:
        """Stop background work."""
        self.engine.close()
        if self.webhooks is not None:
            self.webhooks.close()


def get_state(app: Flask | None = None) -> MockState:
    """The state of ``app`` (default: the current app)."""
    state: MockState = (app or current_app).extensions[EXTENSION_KEY]
    return state
