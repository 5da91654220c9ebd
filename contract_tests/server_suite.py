"""What the server contract suite (``test_server_contract.py``) runs on: schema, profiles, target.

The suite is schemathesis on the extended spec with every check on. Its target is the mock
in-process (the default) or any live server (``--contract-base-url``, ``--contract-api-key``).
When the target has the mock's control API, the suite moves its clock between calls so tasks
are polled through their lifecycle, makes short prompts fail so both endings are seen, and
afterwards checks that no webhook went to a generated, non-loopback URL.
"""

from __future__ import annotations

import ipaddress
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import schemathesis
from flask import Flask
from hypothesis import settings

from freepik_mock.server import MockConfig, close_app, create_app
from freepik_mock.server.spec import load_extended_spec
from freepik_mock.server.web import get_state
from freepik_mock.server.webhooks import TargetPolicy

from .control import MockControl, MockControlError
from .loopback import LoopbackGuard
from .suite_options import CONTRACT_API_KEY_ENV, CONTRACT_PROFILE_ENV

__all__ = [
    "CONTRACT_API_KEY",
    "MAX_STATEFUL_SCENARIOS",
    "PROFILE",
    "ContractTarget",
    "build_schema",
    "contract_api_key",
    "open_target",
    "register_profiles",
    "resolve_webhook_hosts_offline",
]

#: The hypothesis profile the suite runs under (``register_profiles`` defines it).
PROFILE = "freepik-contract"
#: The key of the in-process target (and the default for a live one).
CONTRACT_API_KEY = "contract-suite-key"
#: Tasks whose prompt is this short fail, so the suite sees FAILED as well as COMPLETED.
FAILING_PROMPT_RULE = {"match": {"prompt_regex": r"^.{0,3}$"}, "outcome": "FAILED"}
#: The most scenarios (create, then polls and more creates) the stateful phase runs.
MAX_STATEFUL_SCENARIOS = 300
#: Mock seconds the clock moves before each poll of a task (done after two or three polls).
POLL_STEP_SECONDS = 2.5
#: Where generated host names "resolve" in-process: TEST-NET-3, never routed, never allowed.
UNROUTABLE_ADDRESS = "203.0.113.7"

_PROFILES = {
    # Deterministic and quick: a fixed seed, bounded examples (CI runs this).
    "ci": settings(max_examples=60, derandomize=True, stateful_step_count=12),
    # Thousands of cases, a new seed each run (`make contract-thorough`).
    "thorough": settings(max_examples=2000, derandomize=False, stateful_step_count=25),
}


def register_profiles() -> None:
    """Define the suite's hypothesis profile from ``--contract-profile`` (``ci``/``thorough``)."""
    profile = os.environ.get(CONTRACT_PROFILE_ENV) or "ci"
    settings.register_profile(PROFILE, _PROFILES[profile], deadline=None, database=None)


def contract_api_key() -> str:
    """The key the suite sends: ``--contract-api-key`` (via the environment) or the default."""
    return os.environ.get(CONTRACT_API_KEY_ENV) or CONTRACT_API_KEY


def build_schema() -> Any:
    """The extended spec as a schemathesis schema: all checks, all phases, stateful included."""
    key = contract_api_key()
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {
            "auth": {
                "openapi": {
                    "apiKey": {"api_key": key},
                    "magnificApiKey": {"api_key": key},
                }
            },
            "checks": {"enabled": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True},
            },
        }
    )
    return schemathesis.openapi.from_dict(load_extended_spec(), config=config)


def _is_loopback_url(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _resolve_offline(host: str, port: int) -> list[str]:
    """No DNS traffic: ``localhost`` is this machine, every other name is unroutable."""
    return ["127.0.0.1"] if host == "localhost" else [UNROUTABLE_ADDRESS]


def resolve_webhook_hosts_offline(app: Flask) -> None:
    """Make ``app`` check generated webhook host names without asking DNS (nothing leaves)."""
    outbox = get_state(app).webhooks
    if outbox is not None:
        outbox.sender.targets = TargetPolicy(
            allow=get_state(app).config.webhook_allow, resolver=_resolve_offline
        )


@dataclass(kw_only=True)
class ContractTarget:
    """Where the suite sends its requests, and the control API when the target has one."""

    api_key: str
    app: Flask | None = None
    base_url: str | None = None
    control: MockControl | None = None
    guard: LoopbackGuard | None = None
    #: How often each operation answered 2xx / anything, as the suite saw it.
    successes: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    _rule_ids: list[str] = field(default_factory=list)

    def bind(self, schema: Any) -> None:
        """Point ``schema`` (and the operations and checks built from it) at this target."""
        if self.app is not None:
            schema.app = self.app
        else:
            schema.config.update(base_url=self.base_url)

    def bind_case(self, case: Any) -> None:
        """Point one generated case (of a schema clone) at this target."""
        self.bind(case.operation.schema)
        case.operation.app = self.app

    def record(self, case: Any, response: Any) -> None:
        """Count one answer, so that the suite can show it reached the happy path."""
        label = case.operation.label
        self.calls[label] += 1
        if 200 <= response.status_code < 300:
            self.successes[label] += 1

    def operations_never_accepted(self) -> list[str]:
        """Operations that were called but never answered 2xx (a wrong key would do that)."""
        return sorted(label for label in self.calls if not self.successes[label])

    def call_kwargs(self) -> dict[str, Any]:
        """The transport arguments for ``case.call``."""
        return {"app": self.app} if self.app is not None else {"base_url": self.base_url}

    def advance(self, seconds: float) -> None:
        """Move the target's clock, when it has the control API."""
        if self.control is not None:
            self.control.advance(seconds)

    def blocked_deliveries(self) -> int:
        """How many webhook messages the target blocked (0 without a control API)."""
        if self.control is None:
            return 0
        self.control.advance(0)  # let the attempts already due finish first
        return sum(message["state"] == "blocked" for message in self.control.webhooks())

    def off_machine_deliveries(self) -> list[dict[str, Any]]:
        """Webhook messages to non-loopback URLs that reached a receiver (delivered or answered).

        A blocked message is never sent; a pending one has not been tried yet (the loopback
        guard would refuse it anyway).
        """
        if self.control is None:
            return []
        return [
            message
            for message in self.control.webhooks()
            if not _is_loopback_url(message["url"])
            and (
                message["state"] == "delivered"
                or any(attempt["status_code"] is not None for attempt in message["attempts"])
            )
        ]


def _live_control(base_url: str) -> MockControl | None:
    """The control API of a live target, or None when it is not a mock."""
    control = MockControl(base_url=base_url)
    try:
        control.health()
    except (MockControlError, httpx.HTTPError, ValueError):
        control.close()
        return None
    return control


@contextmanager
def open_target(*, base_url: str | None) -> Iterator[ContractTarget]:
    """The mock in-process (no ``base_url``), or the live server at ``base_url``."""
    api_key = contract_api_key()
    if base_url is None:
        app = create_app(MockConfig(api_keys=(api_key,), clock="manual"))
        control = MockControl(app=app)
        try:
            resolve_webhook_hosts_offline(app)
            control.advance(0)  # fail fast if the control API is broken
            with LoopbackGuard() as guard:
                control.add_scenario(**FAILING_PROMPT_RULE)
                yield ContractTarget(api_key=api_key, app=app, control=control, guard=guard)
        finally:
            control.close()
            close_app(app)
        return
    live_control = _live_control(base_url)
    target = ContractTarget(api_key=api_key, base_url=base_url.rstrip("/"), control=live_control)
    if live_control is not None:
        target._rule_ids.append(live_control.add_scenario(**FAILING_PROMPT_RULE)["id"])
    try:
        yield target
    finally:
        if live_control is not None:
            for rule_id in target._rule_ids:
                live_control.delete_scenario(rule_id)
            live_control.close()
