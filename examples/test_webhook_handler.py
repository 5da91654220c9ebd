"""Example: testing a webhook handler with real, signed deliveries from the mock.

``WebhookHandler`` stands for your endpoint's logic. The ``webhook_receiver`` fixture collects
what the mock sends (and checks every signature); the tests replay those deliveries, byte for
byte, into the handler.
"""

from __future__ import annotations

from collections.abc import Mapping

from freepik_mock.client import WebhookVerificationError, verify_webhook


# -- your code -------------------------------------------------------------------------------
class WebhookHandler:
    """Verifies each delivery, ignores duplicates, remembers the latest status of each task."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.seen: set[str] = set()
        self.status: dict[str, str] = {}

    def __call__(self, body: bytes, headers: Mapping[str, str]) -> int:
        """The HTTP status your endpoint would answer."""
        try:
            event = verify_webhook(body, headers, self.secret)
        except WebhookVerificationError:
            return 400
        if event.webhook_id not in self.seen:
            self.seen.add(event.webhook_id)
            self.status[event.task.task_id] = event.task.status.value
        return 204


# -- your tests ------------------------------------------------------------------------------
def test_the_handler_follows_a_task_to_completion(freepik_mock, webhook_receiver):
    handler = WebhookHandler(freepik_mock.webhook_secrets[0])
    with freepik_mock.client() as music:
        task = music.create("Calm lo-fi piano", 10, webhook_url=webhook_receiver.url)
    webhook_receiver.wait_for(status="COMPLETED", task_id=task.task_id)
    answers = [handler(d.body, d.headers) for d in webhook_receiver.deliveries]
    assert answers == [204, 204, 204]  # CREATED, IN_PROGRESS, COMPLETED
    assert handler.status == {task.task_id: "COMPLETED"}


def test_a_replayed_delivery_is_ignored(freepik_mock, webhook_receiver):
    handler = WebhookHandler(freepik_mock.webhook_secrets[0])
    freepik_mock.send_webhook(url=webhook_receiver.url, status="COMPLETED")
    (message,) = freepik_mock.webhooks()
    freepik_mock.replay(message["webhook_id"])
    first, again = webhook_receiver.wait_for(2)
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert handler(first.body, first.headers) == handler(again.body, again.headers) == 204
    assert len(handler.seen) == 1


def test_a_forged_delivery_is_refused(freepik_mock, webhook_receiver):
    handler = WebhookHandler(freepik_mock.webhook_secrets[0])
    freepik_mock.send_webhook(url=webhook_receiver.url, status="FAILED")
    (delivery,) = webhook_receiver.wait_for(1)
    forged = delivery.body.replace(b"FAILED", b"COMPLETED")
    assert handler(forged, delivery.headers) == 400
