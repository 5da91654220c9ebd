"""Contract suites for the mock and the client, and the pytest plugin integrators install.

The plugin (``freepik_mock.contract.plugin``, loaded by pytest on its own) gives tests the fixtures
``freepik_mock``, ``freepik_mock_app``, ``freepik_respx``, ``webhook_receiver`` and
``music_client``. The names below are for tests that want the same tools without a fixture;
they are imported on first use, so that loading the plugin imports nothing else.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .control import MockControl, MockControlError
    from .live_mock import LiveMock
    from .loopback import LoopbackGuard
    from .receiver import GARBAGE, HANG, RESET, Delivery, Reply, WebhookReceiver
    from .routing import API_HOSTS, pass_loopback, route_api_hosts

_HOMES = {
    "API_HOSTS": "routing",
    "GARBAGE": "receiver",
    "HANG": "receiver",
    "RESET": "receiver",
    "Delivery": "receiver",
    "LiveMock": "live_mock",
    "LoopbackGuard": "loopback",
    "MockControl": "control",
    "MockControlError": "control",
    "Reply": "receiver",
    "WebhookReceiver": "receiver",
    "pass_loopback": "routing",
    "route_api_hosts": "routing",
}

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
    "pass_loopback",
    "route_api_hosts",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)
