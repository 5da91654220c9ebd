"""verify_webhook reads only the three webhook headers, from whatever a receiver has at hand.

Receivers pass every header of the request, decoded by their framework: Flask/werkzeug (text
decoded as latin-1), ``http.server`` (an ``email.message.Message``), ASGI (bytes), plain dicts.
An unrelated header must never stop a genuine delivery, and nothing but a ``MusicAPIError`` may
come out for headers that cannot be read.
"""

from __future__ import annotations

import http.client
import io
import json
from typing import Any

import httpx
import pytest
from flask import Flask, request
from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.test import EnvironBuilder

from freepik_mock.client import (
    InvalidArgumentError,
    MusicAPIError,
    WebhookEvent,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
)
from tests.client.helpers import LiveMock, WebhookReceiver, signed_headers

SECRET = "receiver-secret"
NOW = 1_760_000_000
BODY = b'{"task_id":"t1","status":"COMPLETED","generated":["https://x.test/t1.mp3"]}'
GOOD = signed_headers(BODY, SECRET, at=NOW)


def verify(headers: Any, body: Any = BODY) -> WebhookEvent:
    return verify_webhook(body, headers, SECRET, now=NOW)


def test_the_reported_environ_headers_give_a_verification_error() -> None:
    headers = EnvironHeaders(
        {
            "HTTP_X_OTHER": "\xe9",
            "HTTP_WEBHOOK_ID": "a",
            "HTTP_WEBHOOK_TIMESTAMP": "1",
            "HTTP_WEBHOOK_SIGNATURE": "v1,AA==",
        }
    )
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(b"{}", headers, "s")


@pytest.mark.parametrize("other", ["\xe9t\xe9", "\xff\x00", "caf\u00e9 \u2603"])
def test_werkzeug_environ_headers_with_a_non_ascii_unrelated_header(other: str) -> None:
    headers = Headers([*GOOD.items(), ("X-Other", other)])
    environ = EnvironBuilder(method="POST", data=BODY, headers=headers).get_environ()
    assert verify(EnvironHeaders(environ)).task.task_id == "t1"


def test_werkzeug_headers() -> None:
    headers = Headers([*GOOD.items(), ("X-Other", "\xe9"), ("X-Other", "again")])
    assert verify(headers).webhook_id == GOOD["webhook-id"]


def _flask_receiver() -> Flask:
    app = Flask(__name__)

    @app.post("/hook")
    def hook() -> tuple[dict[str, str], int]:
        try:
            event = verify_webhook(request.get_data(), request.headers, SECRET, now=NOW)
        except WebhookVerificationError as error:
            return {"error": str(error)}, 400
        return {"task_id": event.task.task_id}, 200

    return app


def test_a_flask_receiver_accepts_a_delivery_with_a_non_ascii_header() -> None:
    client = _flask_receiver().test_client()
    answer = client.post("/hook", data=BODY, headers={**GOOD, "X-Other": "\xe9"})
    assert (answer.status_code, answer.json) == (200, {"task_id": "t1"})
    forged = {**GOOD, "webhook-signature": "v1,AAAA", "X-Other": "\xe9"}
    answer = client.post("/hook", data=BODY, headers=forged)
    assert answer.status_code == 400
    assert answer.json is not None
    assert "no signature matches" in answer.json["error"]


def _parsed(raw: bytes) -> http.client.HTTPMessage:
    """Headers parsed exactly as ``http.server`` parses a request's."""
    return http.client.parse_headers(io.BytesIO(raw + b"\r\n"))


def test_http_server_headers() -> None:
    raw = b"".join(f"{name}: {value}\r\n".encode() for name, value in GOOD.items())
    message = _parsed(b"Host: 127.0.0.1\r\nX-Other: \xe9\xff\r\n" + raw)
    assert verify(message).task.task_id == "t1"


def test_dicts_with_unrelated_values_of_any_type() -> None:
    headers = {**GOOD, "X-Other": "\xe9", "X-Count": 3, "X-None": None, "X-List": ["a", "b"]}
    assert verify(headers).task.task_id == "t1"


def test_pairs_of_bytes_as_asgi_servers_give_them() -> None:
    pairs = [(name.encode(), value.encode()) for name, value in GOOD.items()]
    pairs.append((b"x-other", b"\xff\xfe not utf-8"))
    assert verify(pairs).task.task_id == "t1"
    mixed = [(name.upper(), bytearray(value.encode())) for name, value in GOOD.items()]
    assert verify(mixed).task.task_id == "t1"


def test_the_body_may_be_a_bytearray_or_memoryview() -> None:
    assert verify(GOOD, bytearray(BODY)).task.task_id == "t1"
    assert verify(GOOD, memoryview(BODY)).task.task_id == "t1"


def test_a_repeated_signature_header_counts_every_entry() -> None:
    wrong = sign_webhook(BODY, webhook_id=GOOD["webhook-id"], timestamp=NOW, secret="other")
    pairs = [*GOOD.items(), ("webhook-signature", wrong)]
    assert verify(pairs).task.task_id == "t1"
    # httpx.Headers.items() joins the repeated header as "right, wrong": both must still count.
    assert verify(httpx.Headers(pairs)).task.task_id == "t1"
    joined = {**GOOD, "webhook-signature": f"{GOOD['webhook-signature']}, {wrong}"}
    assert verify(joined).task.task_id == "t1"


def test_a_repeated_id_must_agree() -> None:
    assert verify([*GOOD.items(), ("Webhook-Id", GOOD["webhook-id"])]).task.task_id == "t1"
    with pytest.raises(WebhookVerificationError, match="webhook-id header is given twice"):
        verify([*GOOD.items(), ("Webhook-Id", "msg_other")])


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([*GOOD.items(), ("X-Broken",)], "not a \\(name, value\\) pair"),
        ([*GOOD.items(), ("a", "b", "c")], "not a \\(name, value\\) pair"),
        ([*GOOD.items(), "ab"], "not a \\(name, value\\) pair"),
        ([*GOOD.items(), 7], "not a \\(name, value\\) pair"),
        ({**GOOD, "webhook-timestamp": NOW}, "webhook-timestamp header is not text"),
        ({**GOOD, "webhook-id": None}, "webhook-id header is not text"),
        ({**GOOD, "webhook-signature": b"\xff"}, "webhook-signature header is not UTF-8"),
        ({**GOOD, "webhook-id": "   "}, "webhook-id header is missing"),
    ],
    ids=["short-pair", "long-pair", "string", "number", "int", "none", "bad-bytes", "blank"],
)
def test_unreadable_webhook_headers_are_verification_errors(headers: Any, reason: str) -> None:
    with pytest.raises(WebhookVerificationError, match=reason):
        verify(headers)


@pytest.mark.parametrize(
    "headers", [None, 42, "webhook-id: x", b"webhook-id: x"], ids=["none", "int", "str", "bytes"]
)
def test_headers_that_are_no_collection_are_argument_errors(headers: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="headers must be"):
        verify(headers)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (None, InvalidArgumentError),
        (42, InvalidArgumentError),
        ("\ud800", WebhookVerificationError),
    ],
    ids=["none", "int", "lone-surrogate"],
)
def test_an_unusable_body_is_a_family_error(body: Any, error: type[MusicAPIError]) -> None:
    with pytest.raises(error):
        verify_webhook(body, GOOD, SECRET, now=NOW)


def test_secrets_that_are_not_iterable_are_argument_errors() -> None:
    with pytest.raises(InvalidArgumentError, match="secrets"):
        verify_webhook(BODY, GOOD, 42, now=NOW)  # type: ignore[arg-type]


# A real delivery, from the live mock to an http.server receiver ------------------------------


def test_an_http_server_receiver_verifies_a_real_delivery(
    live_mock: LiveMock, webhook_receiver: WebhookReceiver
) -> None:
    sent = live_mock.post("/_mock/webhooks/send", {"url": webhook_receiver.url})
    # The mock answers once its attempt is over, so the receiver has already decided.
    assert sent["attempts"][-1]["status_code"] == 204, json.dumps(sent)
    [delivery] = webhook_receiver.deliveries
    assert delivery.outcome == f"verified: {sent['task_id']} COMPLETED"
