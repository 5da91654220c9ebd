"""Verifying the API's webhook deliveries (the Standard Webhooks scheme the vendor uses).

A delivery carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(space-separated ``v1,<base64>`` entries, one per secret while a secret is rotated). The signature
is ``base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}"))``, where the key is
the secret base64-decoded after its ``whsec_`` prefix, or, for any other secret, its raw UTF-8
bytes (the vendor's own samples use both conventions).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping, Sequence

import httpx

from .errors import InvalidArgumentError, WebhookVerificationError
from .models import Task, WebhookEvent

__all__ = ["DEFAULT_TOLERANCE", "sign_webhook", "verify_webhook"]

#: Seconds a delivery's timestamp may be away from now (the Standard Webhooks default).
DEFAULT_TOLERANCE = 300

_WHSEC_PREFIX = "whsec_"

HeadersInput = Mapping[str, str] | Sequence[tuple[str, str]] | httpx.Headers


def _key(secret: str) -> bytes:
    if not isinstance(secret, str) or not secret:
        raise InvalidArgumentError("a webhook secret must be a non-empty string")
    if not secret.startswith(_WHSEC_PREFIX):
        return secret.encode("utf-8")
    encoded = secret[len(_WHSEC_PREFIX) :].rstrip("=")
    encoded += "=" * (-len(encoded) % 4)  # unpadded secrets are common
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgumentError("the whsec_ secret is not valid base64") from None
    if not key:
        raise InvalidArgumentError("the whsec_ secret is empty")
    return key


def _signature(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    content = f"{webhook_id}.{timestamp}.".encode() + body
    return hmac.new(key, content, hashlib.sha256).digest()


def sign_webhook(body: bytes | str, *, webhook_id: str, timestamp: int, secret: str) -> str:
    """The ``webhook-signature`` entry (``v1,<base64>``) for one secret, as the API computes it."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    digest = _signature(_key(secret), webhook_id, str(timestamp), raw)
    return "v1," + base64.b64encode(digest).decode("ascii")


def _secrets(secrets: str | Iterable[str]) -> list[str]:
    listed = [secrets] if isinstance(secrets, str) else list(secrets)
    if not listed:
        raise InvalidArgumentError("no webhook secret given")
    return listed


def _required(headers: httpx.Headers, name: str) -> str:
    value = str(headers.get(name, "")).strip()
    if not value:
        raise WebhookVerificationError(f"the {name} header is missing")
    return value


def _offered_signatures(header: str) -> list[bytes]:
    offered = []
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            offered.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return offered


def verify_webhook(
    body: bytes | str,
    headers: HeadersInput,
    secrets: str | Iterable[str],
    *,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """Check a delivery and return its event, or raise ``WebhookVerificationError`` saying why.

    ``body`` must be the raw request body, byte for byte (re-serialised JSON will not verify).
    ``headers`` may be any mapping or list of pairs; names are matched case-insensitively.
    ``secrets`` is one secret or several (during a rotation); the delivery is accepted when any
    ``v1`` signature matches any secret, compared in constant time. A timestamp more than
    ``tolerance`` seconds before or after ``now`` (default: the wall clock) is rejected, which
    stops replays; ``tolerance=None`` skips that check (for deliveries saved earlier).
    """
    keys = [_key(secret) for secret in _secrets(secrets)]
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    found = httpx.Headers(headers)
    webhook_id = _required(found, "webhook-id")
    timestamp_text = _required(found, "webhook-timestamp")
    signature_header = _required(found, "webhook-signature")
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        raise WebhookVerificationError(
            f"the webhook-timestamp header is not Unix seconds: {timestamp_text!r}"
        ) from None
    if tolerance is not None:
        current = time.time() if now is None else now
        if timestamp < current - tolerance:
            raise WebhookVerificationError(
                f"the delivery is too old: signed {current - timestamp:.0f} s ago "
                f"(tolerance {tolerance:g} s)"
            )
        if timestamp > current + tolerance:
            raise WebhookVerificationError(
                f"the delivery's timestamp is {timestamp - current:.0f} s in the future "
                f"(tolerance {tolerance:g} s)"
            )
    offered = _offered_signatures(signature_header)
    if not offered:
        raise WebhookVerificationError("the webhook-signature header has no v1 signature")
    expected = [_signature(key, webhook_id, timestamp_text, raw) for key in keys]
    matched = False
    for candidate in offered:
        for digest in expected:
            # Every pair is compared, so timing does not reveal which one matched.
            matched |= hmac.compare_digest(candidate, digest)
    if not matched:
        raise WebhookVerificationError(
            "no signature matches the secret(s): wrong secret, or the body was altered"
        )
    try:
        task = Task.from_payload(json.loads(raw))
    except ValueError as exc:
        raise WebhookVerificationError(f"the signed body is not a task event: {exc}") from None
    return WebhookEvent(webhook_id=webhook_id, timestamp=timestamp, task=task)
