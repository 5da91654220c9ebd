"""Signing webhook messages the Standard Webhooks way, with the vendor's two kinds of secret.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the signature is
``base64(HMAC-SHA256(key, content))``, sent as ``v1,<signature>``, one entry per secret (space
separated) so that receivers can rotate secrets. A secret starting with ``whsec_`` is
base64-decoded after the prefix (Standard Webhooks); any other secret is used as its raw UTF-8
bytes (the vendor's Python, JavaScript and Java samples).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

__all__ = ["SECRET_PREFIX", "Signer", "signing_key"]

#: Standard Webhooks' marker of a base64-encoded secret.
SECRET_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The HMAC key of ``secret``; ``ValueError`` if it is empty or bad base64 after ``whsec_``."""
    if secret.startswith(SECRET_PREFIX):
        encoded = secret[len(SECRET_PREFIX) :]
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(
                f"webhook secret {secret[:10]}... starts with {SECRET_PREFIX!r} "
                "but the rest is not valid base64"
            ) from None
    else:
        key = secret.encode("utf-8")
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


class Signer:
    """Signs messages with every configured secret (keys are decoded once, here)."""

    def __init__(self, *, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("at least one webhook secret is needed")
        self._keys = tuple(signing_key(secret) for secret in secrets)

    def signature(self, *, webhook_id: str, timestamp: int, body: bytes) -> str:
        """The ``webhook-signature`` value: ``v1,<base64>`` per secret, space separated."""
        content = b"%s.%d.%s" % (webhook_id.encode("utf-8"), timestamp, body)
        return " ".join(
            "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
            for key in self._keys
        )

    def headers(self, *, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        """The three Standard Webhooks headers of one attempt."""
        return {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": self.signature(
                webhook_id=webhook_id, timestamp=timestamp, body=body
            ),
        }
