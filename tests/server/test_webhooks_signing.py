"""Deliveries verify with the standardwebhooks library (whsec_ keys) and the vendor's algorithm.

Both verifications are written independently of the mock's own signing code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from standardwebhooks import Webhook, WebhookVerificationError

from freepik_mock.contract.receiver import Delivery, WebhookReceiver
from freepik_mock.server import MockConfig
from freepik_mock.server.core import DEFAULT_WEBHOOK_SECRET
from freepik_mock.server.webhooks import Signer, signing_key

WHSEC = "whsec_" + base64.b64encode(b"a 24-byte test secret!!!").decode()
RAW = "vendor-style-raw-secret-123"


def deliver_lifecycle(app: Flask, receiver: WebhookReceiver) -> list[Delivery]:
    client = app.test_client()
    body = {"prompt": "x", "music_length_seconds": 10, "webhook_url": receiver.url}
    client.post("/v1/ai/music-generation", json=body, headers={"x-freepik-api-key": "k"})
    # A day of mock time: the timestamps must still be the real clock's.
    client.post("/_mock/clock/advance", json={"seconds": 86_400})
    return receiver.wait_for(3)


def vendor_signature_matches(secret: str, delivery: Delivery) -> bool:
    """The vendor's documented check: HMAC-SHA256 over id.timestamp.body with the raw secret."""
    headers = delivery.headers
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{delivery.body.decode()}"
    digest = hmac.new(secret.encode(), content.encode(), hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    entries = [entry.split(",", 1) for entry in headers["webhook-signature"].split(" ")]
    return any(version == "v1" and hmac.compare_digest(sig, expected) for version, sig in entries)


def test_whsec_secrets_verify_with_the_standardwebhooks_library(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    deliveries = deliver_lifecycle(make_app(webhook_secrets=(WHSEC,)), receiver)
    for delivery in deliveries:
        assert Webhook(WHSEC).verify(delivery.body, dict(delivery.headers)) == delivery.json()
        assert abs(int(delivery.headers["webhook-timestamp"]) - time.time()) < 300
        assert not vendor_signature_matches(WHSEC, delivery)  # the key is decoded, not raw
    other = "whsec_" + base64.b64encode(b"another secret").decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(deliveries[0].body, dict(deliveries[0].headers))


def test_raw_secrets_verify_with_the_vendors_algorithm(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    deliveries = deliver_lifecycle(make_app(webhook_secrets=(RAW,)), receiver)
    for delivery in deliveries:
        assert vendor_signature_matches(RAW, delivery)
        assert not vendor_signature_matches(RAW + "x", delivery)
    # The same key, given to the library as bytes, agrees.
    Webhook(RAW.encode()).verify(deliveries[0].body, dict(deliveries[0].headers))


def test_two_secrets_give_two_signatures_each_verifying_with_its_own_secret(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    deliveries = deliver_lifecycle(make_app(webhook_secrets=(WHSEC, RAW)), receiver)
    for delivery in deliveries:
        assert len(delivery.headers["webhook-signature"].split(" ")) == 2
        Webhook(WHSEC).verify(delivery.body, dict(delivery.headers))
        assert vendor_signature_matches(RAW, delivery)


def test_without_a_configured_secret_the_printed_development_secret_signs(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    assert MockConfig().effective_webhook_secrets == (DEFAULT_WEBHOOK_SECRET,)
    delivery = deliver_lifecycle(make_app(), receiver)[0]
    Webhook(DEFAULT_WEBHOOK_SECRET).verify(delivery.body, dict(delivery.headers))


def test_signer_output_matches_the_standard_webhooks_reference() -> None:
    body = b'{"task_id":"t","status":"COMPLETED","generated":[]}'
    signer = Signer(secrets=[WHSEC])
    headers = signer.headers(webhook_id="msg_1", timestamp=1_700_000_000, body=body)
    reference = Webhook(WHSEC).sign(
        msg_id="msg_1",
        timestamp=datetime.fromtimestamp(1_700_000_000, tz=UTC),
        data=body.decode(),
    )
    assert headers["webhook-signature"] == reference


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_not*base64!"])
def test_unusable_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        signing_key(secret)
