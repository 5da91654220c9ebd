"""Contract suites for the mock and the client, and the pytest plugin integrators install.

The plugin (``contract_tests.plugin``, loaded by pytest on its own) gives tests the fixtures
``freepik_mock``, ``freepik_mock_app``, ``freepik_respx``, ``webhook_receiver`` and
``music_client``. The names below are for tests that want the same tools without a fixture.
"""

from .control import MockControl, MockControlError
from .live_mock import LiveMock
from .loopback import LoopbackGuard
from .receiver import GARBAGE, HANG, RESET, Delivery, Reply, WebhookReceiver
from .routing import API_HOSTS, route_api_hosts

__all__ = [
    "API_HOSTS",
    "GARBAGE",
    "HANG",
    "RESET",
    "Delivery",
    "LiveMock",
    "LoopbackGuard",
    "MockControl",
    "MockControlError",
    "Reply",
    "WebhookReceiver",
    "route_api_hosts",
]
