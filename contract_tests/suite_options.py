"""How the plugin's ``--contract-*`` options reach the server contract suite.

Through the environment: schemathesis fixes a schema's settings when its module is collected,
before any fixture runs, and the plugin must not need schemathesis or hypothesis itself.
"""

from __future__ import annotations

__all__ = ["CONTRACT_API_KEY_ENV", "CONTRACT_PROFILE_ENV"]

#: ``--contract-api-key``: the key the suite sends.
CONTRACT_API_KEY_ENV = "FREEPIK_CONTRACT_API_KEY"
#: ``--contract-profile``: ``ci`` (default) or ``thorough``.
CONTRACT_PROFILE_ENV = "FREEPIK_CONTRACT_PROFILE"
