"""Fixtures shared by the project's own tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from freepik_mock.server import MockConfig, close_app, create_app

API_KEY = "test-key-0001"
OTHER_KEY = "test-key-0002"


@pytest.fixture
def make_app() -> Iterator[Callable[..., Flask]]:
    """Build apps from MockConfig keywords; every app built is closed after the test."""
    apps: list[Flask] = []

    def factory(**options: Any) -> Flask:
        options.setdefault("clock", "manual")
        app = create_app(MockConfig(**options))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        close_app(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """A manual-clock mock accepting two keys."""
    return make_app(api_keys=(API_KEY, OTHER_KEY))
