"""What one app instance owns; it lives on ``app.extensions``, never in module globals."""

from __future__ import annotations

import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

from ..audio import TrackRenderer
from ..core import MockConfig, MockEngine
from ..core.faults import FaultBook
from ..core.journal import RequestJournal
from ..spec import RequestValidator
from ..webhooks import Outbox

__all__ = ["EXTENSION_KEY", "MAX_UNEXPECTED", "MockState", "get_state"]

EXTENSION_KEY = "freepik_mock"

#: How many unexpected errors are kept until taken; a long-running ``serve`` keeps the latest.
MAX_UNEXPECTED = 100


def _unexpected_log() -> deque[str]:
    return deque(maxlen=MAX_UNEXPECTED)


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
    #: How injected delays wait (real seconds); tests may set it. None: a wait that ends early
    #: when the app closes, so that stopping a server does not wait for an injected delay.
    sleep: Callable[[float], None] | None = None
    _closing: threading.Event = field(default_factory=threading.Event)
    #: The webhook outbox (``webhook_routes.register`` creates and attaches it).
    webhooks: Outbox | None = None
    #: Tracebacks of errors no handler expected (each answered 500), the latest
    #: ``MAX_UNEXPECTED``; see ``take_unexpected``.
    _unexpected: deque[str] = field(default_factory=_unexpected_log)
    _unexpected_lock: threading.Lock = field(default_factory=threading.Lock)

    def record_unexpected(self, error: BaseException, *, where: str) -> None:
        """Keep an unexpected error so that the test that caused it can be failed with it."""
        text = "".join(traceback.format_exception(error))
        with self._unexpected_lock:
            self._unexpected.append(f"{where}\n{text}")

    def take_unexpected(self) -> list[str]:
        """The unexpected errors since the last call (each with where and its traceback).

        At most the latest ``MAX_UNEXPECTED``, oldest first.
        """
        with self._unexpected_lock:
            taken = list(self._unexpected)
            self._unexpected.clear()
        return taken

    def pause(self, seconds: float) -> None:
        """Wait an injected delay (see ``sleep``)."""
        if self.sleep is not None:
            self.sleep(seconds)
        else:
            self._closing.wait(seconds)

    def close(self) -> None:
        """Stop background work."""
        self._closing.set()
        self.engine.close()
        if self.webhooks is not None:
            self.webhooks.close()


def get_state(app: Flask | None = None) -> MockState:
    """The state of ``app`` (default: the current app)."""
    state: MockState = (app or current_app).extensions[EXTENSION_KEY]
    return state
