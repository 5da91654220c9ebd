"""The error a fault's dropped connection raises in-process (where there is no socket to close).

Its own module so that httpx is imported only when that error is first needed: a served mock
never needs it (granian and waitress close the socket instead), and httpx costs ~100 ms to import.
"""

from __future__ import annotations

import httpx

__all__ = ["DroppedConnection"]


class DroppedConnection(httpx.RemoteProtocolError):
    """A fault dropped the connection (raised in-process, where there is no socket to close).

    It is the error httpx raises when a server hangs up without answering, so a client running on
    ``httpx.WSGITransport`` sees what it would see over the network.
    """
