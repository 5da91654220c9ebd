"""``LiveMock``: what the ``freepik_mock`` fixture hands a test.

A running mock's URL, the API key this test should use, the webhook secrets deliveries are signed
with, and the whole control API (it is a ``MockControl``)::

    def test_slow_generation(freepik_mock):
        freepik_mock.add_scenario(match={"prompt_contains": "slow"}, processing_seconds=60)
        with freepik_mock.client() as music:
            task = music.create("slow piano", 30)
        assert freepik_mock.task(task.task_id)["status"] == "CREATED"
"""

from __future__ import annotations

from typing import Any

from client import MusicClient

from .control import MockControl

__all__ = ["LiveMock"]


class LiveMock(MockControl):
    """A mock on a URL, with the key and secrets a test needs, and its control API."""

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        webhook_secrets: tuple[str, ...],
        admin_token: str | None = None,
    ) -> None:
        super().__init__(base_url=url, admin_token=admin_token)
        #: The mock's base URL, e.g. ``http://127.0.0.1:53211``; point your code's base URL here.
        self.url = url
        #: The API key for this test (send it as ``x-freepik-api-key``).
        self.api_key = api_key
        #: The secrets webhook deliveries are signed with (verify with any of them).
        self.webhook_secrets = webhook_secrets

    def client(self, **options: Any) -> MusicClient:
        """A reference client for this mock and key (options go to ``MusicClient``)."""
        options.setdefault("api_key", self.api_key)
        options.setdefault("base_url", self.url)
        return MusicClient(**options)

    def __repr__(self) -> str:
        return f"LiveMock(url={self.url!r})"
