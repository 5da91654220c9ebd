"""Fixtures of the server tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from freepik_mock.contract.receiver import WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on 127.0.0.1 (answering 200), stopped after the test."""
    with WebhookReceiver() as started:
        yield started
