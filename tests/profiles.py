"""How many generated cases the project's own property-based tests run.

``make test`` runs a bounded number (``ci``); ``make test-thorough`` sets
``FREEPIK_MOCK_TEST_PROFILE=thorough`` for thousands. A test asks for its count with
:func:`examples`, naming both figures, so the two profiles stay visible where they are used.
"""

from __future__ import annotations

import os

__all__ = ["PROFILE_ENV", "THOROUGH", "examples"]

#: The environment variable choosing the profile: ``ci`` (default) or ``thorough``.
PROFILE_ENV = "FREEPIK_MOCK_TEST_PROFILE"

#: Whether this run is the thorough one.
THOROUGH = os.environ.get(PROFILE_ENV, "ci") == "thorough"


def examples(*, ci: int, thorough: int) -> int:
    """The number of cases for this run: ``ci`` under ``make test``, ``thorough`` otherwise."""
    return thorough if THOROUGH else ci
