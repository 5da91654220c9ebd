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

from freepik_mock.client import MusicClient, RetryPolicy

from .control import MockControl, MockControlError

__all__ = ["TEST_POLL_INTERVAL", "LiveMock"]

#: How often clients made by ``LiveMock.client`` poll, in seconds.
TEST_POLL_INTERVAL = 0.05


class LiveMock(MockControl):
    """A mock on a URL, with the key and secrets a test needs, and its control API."""

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        webhook_secrets: tuple[str, ...],
        admin_token: str | None = None,
        shared: bool = False,
    ) -> None:
        super().__init__(base_url=url, admin_token=admin_token)
        #: A mock other tests use at the same time (``--freepik-mock-url``): scenarios and
        #: faults match only this key; tasks, webhooks and the journal are read for this key;
        #: rules are removed afterwards.
        self.shared = shared
        self._own_rules: list[tuple[str, str]] = []
        #: The ad-hoc messages this handle sent (they belong to no key's task).
        self._sent_webhooks: set[str] = set()
        #: The mock's base URL, e.g. ``http://127.0.0.1:53211``; point your code's base URL here.
        self.url = url
        #: The API key for this test (send it as ``x-freepik-api-key``).
        self.api_key = api_key
        #: The secrets webhook deliveries are signed with (verify with any of them).
        self.webhook_secrets = webhook_secrets

    def add_scenario(self, **rule: Any) -> dict[str, Any]:
        """Add a scenario rule; on a shared mock it matches only this test's key."""
        if self.shared:
            rule["match"] = {"api_key": self.api_key, **rule.get("match", {})}
        added = super().add_scenario(**rule)
        self._own_rules.append(("scenario", added["id"]))
        return added

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule; on a shared mock it matches only this test's key (its requests, and
        the downloads of its tasks' results), so parallel tests cannot use up each other's."""
        if self.shared:
            rule["match"] = {"api_key": self.api_key, **rule.get("match", {})}
        added = super().add_fault(**rule)
        self._own_rules.append(("fault", added["id"]))
        return added

    def requests(
        self, *, method: str | None = None, path: str | None = None, api_key: str | None = None
    ) -> list[dict[str, Any]]:
        """The request journal; on a shared mock, only this test's key's requests by default."""
        if self.shared and api_key is None:
            api_key = self.api_key
        return super().requests(method=method, path=path, api_key=api_key)

    def tasks(self, *, api_key: str | None = None) -> list[dict[str, Any]]:
        """Every task, oldest first; on a shared mock, only this test's key's by default."""
        if self.shared and api_key is None:
            api_key = self.api_key
        return super().tasks(api_key=api_key)

    def webhooks(
        self, *, task_id: str | None = None, api_key: str | None = None
    ) -> list[dict[str, Any]]:
        """The delivery log; on a shared mock, by default only the messages of this test's
        key's tasks and the ad-hoc messages this handle sent."""
        if not self.shared or api_key is not None:
            return super().webhooks(task_id=task_id, api_key=api_key)
        own = super().webhooks(task_id=task_id, api_key=self.api_key)
        if not self._sent_webhooks:
            return own
        own_ids = {message["webhook_id"] for message in own}
        return [
            message
            for message in super().webhooks(task_id=task_id)
            if message["webhook_id"] in own_ids or message["webhook_id"] in self._sent_webhooks
        ]

    def send_webhook(
        self, *, url: str, task_id: str | None = None, status: str | None = None
    ) -> dict[str, Any]:
        """A signed ad-hoc delivery to ``url``; remembered, so ``webhooks()`` shows it."""
        sent = super().send_webhook(url=url, task_id=task_id, status=status)
        self._sent_webhooks.add(sent["webhook_id"])
        return sent

    def reset(self) -> None:
        """Reset the mock; refused on a shared mock, where it would wipe other tests' work."""
        if self.shared:
            raise MockControlError(
                "reset() would wipe every test's tasks on a shared mock (--freepik-mock-url); "
                "tasks are already scoped to this test's key",
                status_code=None,
            )
        super().reset()

    def clear_scenarios(self) -> None:
        """Delete every scenario rule (on a shared mock: those this test added)."""
        if self.shared:
            self._remove_own("scenario")
        else:
            super().clear_scenarios()

    def clear_faults(self) -> None:
        """Delete every fault rule (on a shared mock: those this test added)."""
        if self.shared:
            self._remove_own("fault")
        else:
            super().clear_faults()

    def remove_own_rules(self) -> None:
        """Delete the scenarios and faults this handle added (those still there)."""
        self._remove_own("scenario")
        self._remove_own("fault")

    def _remove_own(self, kind: str) -> None:
        for rule_kind, rule_id in reversed(self._own_rules):
            if rule_kind != kind:
                continue
            try:
                if kind == "scenario":
                    self.delete_scenario(rule_id)
                else:
                    self.delete_fault(rule_id)
            except MockControlError:
                pass  # used up (``times``) or already deleted
        self._own_rules = [rule for rule in self._own_rules if rule[0] != kind]

    def client(self, **options: Any) -> MusicClient:
        """A reference client for this mock and key, polling and retrying at a test's pace.

        Options go to ``MusicClient``; by default it polls every 50 ms (the fixtures' tasks are
        done in half a second) and retries after 10-50 ms (an injected ``Retry-After`` still
        counts).
        """
        options.setdefault("api_key", self.api_key)
        options.setdefault("base_url", self.url)
        options.setdefault("poll_interval", TEST_POLL_INTERVAL)
        options.setdefault("max_poll_interval", TEST_POLL_INTERVAL * 4)
        options.setdefault("retry_policy", RetryPolicy(initial_delay=0.01, max_delay=0.05))
        return MusicClient(**options)

    def __repr__(self) -> str:
        return f"LiveMock(url={self.url!r})"
