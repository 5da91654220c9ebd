"""verify_webhook against vectors signed by an independent implementation (standardwebhooks)."""

from __future__ import annotations

import base64
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook

import freepik_mock.client.webhooks
from freepik_mock.client import (
    InvalidArgumentError,
    MusicAPIError,
    TaskStatus,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
)

WHSEC = "whsec_" + base64.b64encode(b"a-32-byte-secret-for-the-tests!!").decode()
RAW_SECRET = "my-plain-webhook-secret"
NOW = 1_760_000_000
MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
BODY = json.dumps(
    {"task_id": "t1", "status": "COMPLETED", "generated": ["https://x.test/t1.mp3"]},
    separators=(",", ":"),
)


def signed(secret: str | bytes, *, body: str = BODY, msg_id: str = MSG_ID, at: int = NOW) -> str:
    """The signature entry computed by the standardwebhooks library.

    The library base64-decodes a string secret (with or without ``whsec_``) and uses bytes as
    they are, so a raw secret is handed over as its UTF-8 bytes.
    """
    key = secret.encode() if isinstance(secret, str) and not secret.startswith("whsec_") else secret
    return Webhook(key).sign(msg_id, datetime.fromtimestamp(at, tz=UTC), body)


def headers_for(signature: str, *, msg_id: str = MSG_ID, at: int = NOW) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}


@pytest.mark.parametrize("secret", [WHSEC, RAW_SECRET], ids=["whsec", "raw"])
def test_a_genuine_delivery_is_accepted(secret: str) -> None:
    event = verify_webhook(BODY.encode(), headers_for(signed(secret)), secret, now=NOW)
    assert event.webhook_id == MSG_ID
    assert event.timestamp == NOW
    assert event.task.task_id == "t1"
    assert event.task.status is TaskStatus.COMPLETED
    assert event.task.generated == ("https://x.test/t1.mp3",)


def test_the_body_may_be_text() -> None:
    assert verify_webhook(BODY, headers_for(signed(WHSEC)), WHSEC, now=NOW).task.task_id == "t1"


def test_an_unpadded_whsec_secret_works() -> None:
    for raw in (b"sixteen-byte-key", b"odd-length-key!", b"seventeen-byte-ke"):
        secret = "whsec_" + base64.b64encode(raw).decode().rstrip("=")
        verify_webhook(BODY, headers_for(signed(secret)), secret, now=NOW)


def test_any_matching_signature_of_several_is_enough() -> None:
    header = " ".join(["v1,bm90LXRoZS1zaWduYXR1cmU=", "v2,whatever", "garbage", signed(WHSEC)])
    assert verify_webhook(BODY, headers_for(header), WHSEC, now=NOW).webhook_id == MSG_ID


def test_any_secret_of_several_may_match_during_a_rotation() -> None:
    headers = headers_for(signed(RAW_SECRET))
    assert verify_webhook(BODY, headers, ["old-secret", RAW_SECRET], now=NOW).task.task_id == "t1"


def test_header_names_are_case_insensitive_and_pairs_work() -> None:
    sent = headers_for(signed(WHSEC))
    pairs = [(name.title(), value) for name, value in sent.items()]
    assert verify_webhook(BODY, pairs, WHSEC, now=NOW).webhook_id == MSG_ID
    upper = {name.upper(): value for name, value in sent.items()}
    assert verify_webhook(BODY, upper, WHSEC, now=NOW).webhook_id == MSG_ID


@pytest.mark.parametrize(
    ("body", "headers", "secret", "reason"),
    [
        (BODY, headers_for(signed(WHSEC)), RAW_SECRET, "no signature matches"),
        (BODY, headers_for(signed(RAW_SECRET)), WHSEC, "no signature matches"),
        (BODY.replace("t1", "t2"), headers_for(signed(WHSEC)), WHSEC, "no signature matches"),
        (BODY, headers_for(signed(WHSEC), msg_id="msg_other"), WHSEC, "no signature matches"),
        (BODY, headers_for(signed(WHSEC, at=NOW - 10), at=NOW), WHSEC, "no signature matches"),
        (BODY, headers_for("v2," + signed(WHSEC)[3:]), WHSEC, "no v1 signature"),
    ],
    ids=["wrong-whsec", "wrong-raw", "altered-body", "other-id", "other-timestamp", "v2-only"],
)
def test_a_forgery_is_rejected(
    body: str, headers: dict[str, str], secret: str, reason: str
) -> None:
    with pytest.raises(WebhookVerificationError, match=reason):
        verify_webhook(body, headers, secret, now=NOW)


@pytest.mark.parametrize(
    ("age", "reason"), [(301, "too old"), (-301, "in the future")], ids=["stale", "future"]
)
def test_timestamps_outside_the_tolerance_are_rejected(age: int, reason: str) -> None:
    at = NOW - age
    with pytest.raises(WebhookVerificationError, match=reason):
        verify_webhook(BODY, headers_for(signed(WHSEC, at=at), at=at), WHSEC, now=NOW)


@pytest.mark.parametrize("age", [300, -300, 0])
def test_timestamps_within_the_tolerance_are_accepted(age: int) -> None:
    at = NOW - age
    verify_webhook(BODY, headers_for(signed(WHSEC, at=at), at=at), WHSEC, now=NOW)


def test_the_tolerance_is_configurable_and_can_be_switched_off() -> None:
    at = NOW - 3600
    headers = headers_for(signed(WHSEC, at=at), at=at)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(BODY, headers, WHSEC, tolerance=60, now=NOW)
    verify_webhook(BODY, headers, WHSEC, tolerance=7200, now=NOW)
    verify_webhook(BODY, headers, WHSEC, tolerance=None, now=NOW)


def test_the_wall_clock_is_the_default_now() -> None:
    at = int(datetime.now(tz=UTC).timestamp())
    verify_webhook(BODY, headers_for(signed(WHSEC, at=at), at=at), WHSEC)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(BODY, headers_for(signed(WHSEC, at=NOW - 10**6), at=NOW - 10**6), WHSEC)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_named(missing: str) -> None:
    headers = headers_for(signed(WHSEC))
    del headers[missing]
    with pytest.raises(WebhookVerificationError, match=missing):
        verify_webhook(BODY, headers, WHSEC, now=NOW)


def test_a_timestamp_that_is_not_unix_seconds_is_rejected() -> None:
    headers = headers_for(signed(WHSEC)) | {"webhook-timestamp": "yesterday"}
    with pytest.raises(WebhookVerificationError, match="Unix seconds"):
        verify_webhook(BODY, headers, WHSEC, now=NOW)


def test_a_signed_body_that_is_not_a_task_is_rejected() -> None:
    body = '{"hello": "world"}'
    with pytest.raises(WebhookVerificationError, match="not a task event"):
        verify_webhook(body, headers_for(signed(WHSEC, body=body)), WHSEC, now=NOW)


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 100_000], ids=["arrays", "objects"])
def test_a_signed_body_nested_too_deeply_is_rejected_not_raised(body: str) -> None:
    with pytest.raises(WebhookVerificationError, match="nested too deeply"):
        verify_webhook(body, headers_for(signed(WHSEC, body=body)), WHSEC, now=NOW)


@pytest.mark.parametrize("secrets", [[], "", "whsec_", "whsec_***"])
def test_unusable_secrets_are_argument_errors(secrets: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        verify_webhook(BODY, headers_for(signed(WHSEC)), secrets, now=NOW)


def test_verification_errors_belong_to_the_family() -> None:
    assert issubclass(WebhookVerificationError, MusicAPIError)


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(freepik_mock.client.webhooks.hmac, "compare_digest", spy)
    header = " ".join([signed("other-secret"), signed(WHSEC)])
    verify_webhook(BODY, headers_for(header), [WHSEC, RAW_SECRET], now=NOW)
    # Every offered signature against every secret, even after a match.
    assert len(compared) == 4


@pytest.mark.parametrize("secret", [WHSEC, RAW_SECRET], ids=["whsec", "raw"])
def test_sign_webhook_agrees_with_the_independent_implementation(secret: str) -> None:
    ours = sign_webhook(BODY, webhook_id=MSG_ID, timestamp=NOW, secret=secret)
    assert ours == signed(secret)
