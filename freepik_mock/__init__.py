"""The Freepik (Magnific) music-generation testing kit, under one import name.

The repository keeps three folders; they are installed (and importable) only as parts of this
package, so that an integrator's own ``client.py`` or ``mock_server/`` never collides with them:

- :mod:`freepik_mock.server`: the mock (``mock_server/``): core, Flask adapter, ``freepik-mock``;
- :mod:`freepik_mock.client`: the reference client (``client/``): ``MusicClient`` and friends;
- :mod:`freepik_mock.contract`: the contract suites and the pytest plugin (``contract_tests/``).

Importing this package imports none of them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
