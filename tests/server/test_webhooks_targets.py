"""Only allowed targets get webhooks; tricky URL forms are blocked and never receive a byte."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from freepik_mock.contract.loopback import LoopbackGuard
from freepik_mock.contract.receiver import WebhookReceiver
from freepik_mock.server.web import get_state
from freepik_mock.server.webhooks import AllowList, TargetBlocked, TargetPolicy, TargetUnresolved


@pytest.fixture
def guard() -> Iterator[LoopbackGuard]:
    with LoopbackGuard() as active:
        yield active


def to_elsewhere(host: str, port: int) -> list[str]:
    """A resolver under which every name points off this machine."""
    return ["10.0.0.7"]


# Each URL reaches the receiver's port if a broken check let it through (0.0.0.0, ::, and a name
# re-resolved by the system all land on 127.0.0.1), or an address off this machine otherwise.
BLOCKED = [
    ("http://167772161:{port}/webhook", "10.0.0.1"),  # decimal
    ("http://012.0.0.1:{port}/webhook", "10.0.0.1"),  # octal
    ("http://0x0a000001:{port}/webhook", "10.0.0.1"),  # hex
    ("http://10.1:{port}/webhook", "10.0.0.1"),  # short form
    ("http://[::ffff:10.0.0.1]:{port}/webhook", "10.0.0.1"),  # IPv4-mapped IPv6
    ("http://[::ffff:a00:1]:{port}/webhook", "10.0.0.1"),  # the same, in hex
    ("http://0.0.0.0:{port}/webhook", "unspecified"),
    ("http://[::]:{port}/webhook", "unspecified"),
    ("http://127.0.0.1@10.0.0.1:{port}/webhook", "credentials"),  # userinfo trick
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # link-local metadata
    ("ftp://127.0.0.1:{port}/webhook", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://127.0.0.1:{port}/_POST", "only http and https"),
    ("http://localhost:{port}/webhook", "localhost resolves to 10.0.0.7"),  # name elsewhere
]


@pytest.mark.parametrize(("template", "reason"), BLOCKED)
def test_blocked_targets_are_logged_with_the_reason_and_never_sent_a_byte(
    make_app: Callable[..., Flask],
    receiver: WebhookReceiver,
    guard: LoopbackGuard,
    template: str,
    reason: str,
) -> None:
    app = make_app()
    outbox = get_state(app).webhooks
    assert outbox is not None
    outbox.sender.targets = TargetPolicy(resolver=to_elsewhere)
    client = app.test_client()
    url = template.format(port=receiver.port)
    answer = client.post("/_mock/webhooks/send", json={"url": url})
    assert answer.status_code == 201
    message = answer.get_json()
    assert message["state"] == "blocked"
    assert reason in message["blocked_reason"]
    assert message["attempts"] == []
    client.post("/_mock/clock/advance", json={"seconds": 1000})
    assert client.get("/_mock/webhooks").get_json()["data"][0]["state"] == "blocked"
    assert receiver.connections == 0
    assert receiver.deliveries == []
    assert guard.refused == []


def test_a_task_with_a_blocked_webhook_url_sends_nothing_but_logs_every_status(
    make_app: Callable[..., Flask], receiver: WebhookReceiver, guard: LoopbackGuard
) -> None:
    client = make_app().test_client()
    url = f"http://167772161:{receiver.port}/webhook"
    body = {"prompt": "x", "music_length_seconds": 10, "webhook_url": url}
    created = client.post("/v1/ai/music-generation", json=body, headers={"x-freepik-api-key": "k"})
    assert created.status_code == 200
    client.post("/_mock/clock/advance", json={"seconds": 10})
    messages = client.get("/_mock/webhooks").get_json()["data"]
    assert [(m["status"], m["state"]) for m in messages] == [
        ("CREATED", "blocked"),
        ("IN_PROGRESS", "blocked"),
        ("COMPLETED", "blocked"),
    ]
    assert receiver.connections == 0
    assert guard.refused == []


def test_narrowing_the_allow_list_to_one_address_blocks_other_loopback_addresses(
    make_app: Callable[..., Flask], receiver: WebhookReceiver, guard: LoopbackGuard
) -> None:
    client = make_app(webhook_allow=("127.0.0.1",)).test_client()
    for url in (receiver.url_for(host="127.0.0.2"), receiver.url_for(host="[::1]")):
        message = client.post("/_mock/webhooks/send", json={"url": url}).get_json()
        assert message["state"] == "blocked"
    assert client.post("/_mock/webhooks/send", json={"url": receiver.url}).get_json()["state"] == (
        "delivered"
    )
    assert receiver.connections == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433:{port}/webhook",  # decimal 127.0.0.1
        "http://0177.0.0.1:{port}/webhook",  # octal
        "http://0x7f.1:{port}/webhook",  # hex, short
        "http://[::ffff:127.0.0.1]:{port}/webhook",  # IPv4-mapped loopback
        "http://localhost:{port}/webhook",
    ],
)
def test_loopback_in_any_spelling_is_allowed_by_default(
    make_app: Callable[..., Flask], receiver: WebhookReceiver, url: str
) -> None:
    client = make_app().test_client()
    message = client.post("/_mock/webhooks/send", json={"url": url.format(port=receiver.port)})
    assert message.get_json()["state"] == "delivered"
    assert len(receiver.deliveries) == 1


# -- the policy itself (no network) ------------------------------------------------------------
def test_every_resolved_address_must_be_allowed() -> None:
    policy = TargetPolicy(resolver=lambda host, port: ["127.0.0.1", "10.0.0.1"])
    with pytest.raises(TargetBlocked, match=r"resolves to 10\.0\.0\.1"):
        policy.check("http://receiver.test/hook")


def test_the_checked_addresses_are_the_ones_to_connect_to() -> None:
    calls: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return ["::ffff:127.0.0.1", "::1"]

    target = TargetPolicy(resolver=resolver).check("https://receiver.test:8443/a?b=c")
    assert target.addresses == ("127.0.0.1", "::1")
    assert (target.host_header, target.path, target.port) == ("receiver.test:8443", "/a?b=c", 8443)
    assert calls == [("receiver.test", 8443)]


def test_a_name_that_does_not_resolve_is_a_failed_attempt_not_a_block() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(TargetUnresolved, match=r"cannot resolve nowhere\.test"):
        TargetPolicy(resolver=resolver).check("http://nowhere.test/")


def test_allow_list_entries_cidrs_and_names() -> None:
    policy = TargetPolicy(allow=("10.0.0.0/8", "receiver.internal"), resolver=to_elsewhere)
    assert policy.check("http://10.1.2.3/").addresses == ("10.1.2.3",)
    assert policy.check("http://[::ffff:10.1.2.3]/").addresses == ("10.1.2.3",)
    assert policy.check("http://receiver.internal:9000/").addresses == ("10.0.0.7",)
    with pytest.raises(TargetBlocked):
        policy.check("http://127.0.0.1/")
    with pytest.raises(TargetBlocked, match="unspecified"):
        TargetPolicy(allow=("0.0.0.0/0",)).check("http://0.0.0.0/")


@pytest.mark.parametrize(
    "entry", ["10.0.0.0/33", "not a host", "", "http://host", "300.1.2.3", "1.2.3.4.5"]
)
def test_bad_allow_list_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="allow-list entry"):
        AllowList.parse([entry])
