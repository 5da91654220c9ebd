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
import time
from collections.abc import Iterable
from typing import Any, Protocol

import httpx

from ._translate import load_json
from .errors import InvalidArgumentError, WebhookVerificationError
from .models import Task, WebhookEvent

__all__ = ["DEFAULT_TOLERANCE", "HeaderItems", "HeadersInput", "sign_webhook", "verify_webhook"]

#: Seconds a delivery's timestamp may be away from now (the Standard Webhooks default).
DEFAULT_TOLERANCE = 300

_WHSEC_PREFIX = "whsec_"
_ID, _TIMESTAMP, _SIGNATURE = "webhook-id", "webhook-timestamp", "webhook-signature"


class HeaderItems(Protocol):
    """Anything with ``items()`` yielding (name, value) pairs.

    A ``dict``, ``httpx.Headers``, Flask's ``request.headers`` (werkzeug ``Headers`` and
    ``EnvironHeaders``), ``http.server``'s ``self.headers`` (an ``email.message.Message``), ...
    """

    def items(self) -> Iterable[tuple[Any, Any]]:
        """The (name, value) pairs, repeated names included."""
        ...


#: What ``verify_webhook`` takes as headers: a mapping-like object, or (name, value) pairs.
HeadersInput = HeaderItems | Iterable[tuple[str | bytes, str | bytes]]


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
    try:
        listed = [secrets] if isinstance(secrets, str) else list(secrets)
    except TypeError:
        raise InvalidArgumentError("secrets must be a string or an iterable of strings") from None
    if not listed:
        raise InvalidArgumentError("no webhook secret given")
    return listed


def _header_pairs(headers: Any) -> Iterable[Any]:
    if isinstance(headers, str | bytes | bytearray):
        raise InvalidArgumentError(
            "headers must be a mapping or (name, value) pairs, not raw text (parse it first)"
        )
    if isinstance(headers, httpx.Headers):
        return headers.multi_items()  # its items() joins repeated headers with ", "
    items = getattr(headers, "items", None)
    try:
        pairs: Iterable[Any] = items() if callable(items) else iter(headers)
    except TypeError:
        raise InvalidArgumentError(
            f"headers must be a mapping or (name, value) pairs, not {type(headers).__name__}"
        ) from None
    return pairs


def _header_text(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8").strip()
        except UnicodeDecodeError:
            raise WebhookVerificationError(f"the {name} header is not UTF-8 text") from None
    raise WebhookVerificationError(f"the {name} header is not text but {type(value).__name__}")


def _webhook_headers(headers: Any) -> dict[str, str]:
    """The three webhook headers, matched case-insensitively; no other header is decoded.

    Receivers hand over every header of the request, and frameworks decode them differently
    (latin-1 text, bytes); an unrelated header must never make a genuine delivery fail.
    """
    found: dict[str, list[str]] = {_ID: [], _TIMESTAMP: [], _SIGNATURE: []}
    for pair in _header_pairs(headers):
        try:
            if isinstance(pair, str | bytes | bytearray):
                raise ValueError  # a two-character string would unpack as a pair
            raw_name, value = pair
        except (TypeError, ValueError):
            raise WebhookVerificationError(
                f"the headers hold an entry that is not a (name, value) pair "
                f"({type(pair).__name__})"
            ) from None
        if isinstance(raw_name, bytes | bytearray):
            raw_name = bytes(raw_name).decode("latin-1")
        if not isinstance(raw_name, str):
            continue
        name = raw_name.strip().lower()
        if name in found:
            found[name].append(_header_text(name, value))
    values: dict[str, str] = {}
    for name, texts in found.items():
        present = [text for text in texts if text]
        if not present:
            raise WebhookVerificationError(f"the {name} header is missing")
        if name == _SIGNATURE:
            values[name] = " ".join(present)  # each header may carry several entries
        elif len(set(present)) > 1:
            raise WebhookVerificationError(f"the {name} header is given twice, differently")
        else:
            values[name] = present[0]
    return values


def _raw_body(body: Any) -> bytes:
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if not isinstance(body, str):
        raise InvalidArgumentError(
            f"body must be the raw request body (bytes or str), not {type(body).__name__}"
        )
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError:
        raise WebhookVerificationError(
            "the body is not valid text: pass the raw bytes of the request"
        ) from None


def _offered_signatures(header: str) -> list[bytes]:
    offered = []
    for entry in header.split():
        # "v1,a= v1,b=" may arrive as "v1,a=, v1,b=" from a framework joining repeated headers.
        version, _, encoded = entry.rstrip(",").partition(",")
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
    ``headers`` may be any mapping, any object with ``items()`` (Flask's ``request.headers``,
    ``http.server``'s ``self.headers``) or (name, value) pairs, with ``str`` or ``bytes`` names
    and values; only the three ``webhook-*`` headers are read, their names case-insensitively.
    ``secrets`` is one secret or several (during a rotation); the delivery is accepted when any
    ``v1`` signature matches any secret, compared in constant time. A timestamp more than
    ``tolerance`` seconds before or after ``now`` (default: the wall clock) is rejected, which
    stops replays; ``tolerance=None`` skips that check (for deliveries saved earlier).
    """
    keys = [_key(secret) for secret in _secrets(secrets)]
    raw = _raw_body(body)
    found = _webhook_headers(headers)
    webhook_id, timestamp_text = found[_ID], found[_TIMESTAMP]
    signature_header = found[_SIGNATURE]
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
        task = Task.from_payload(load_json(raw))
    except ValueError as exc:
        raise WebhookVerificationError(f"the signed body is not a task event: {exc}") from None
    return WebhookEvent(webhook_id=webhook_id, timestamp=timestamp, task=task)
