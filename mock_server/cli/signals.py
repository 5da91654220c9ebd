"""Ctrl-C and SIGTERM stop a long-running command, however it was started.

A process started from a non-interactive shell's background job inherits SIGINT *ignored*, and
Python then installs no KeyboardInterrupt handler: Ctrl-C (or a test's ``send_signal(SIGINT)``)
would do nothing. The long-running commands (``serve``, ``requests --follow``) therefore install
their own handlers for both signals while they run.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["stopped_by_signals"]

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise KeyboardInterrupt in the main thread."""
    previous = {number: signal.signal(number, _interrupt) for number in _STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
