"""The server contract suite: schemathesis holds the mock (or any server) to the extended spec.

Every check is on; the stateful phase follows the create -> get link and, on a mock, moves its
clock between polls so each task is seen CREATED, IN_PROGRESS and then COMPLETED or FAILED.
Run it against a live server with ``--contract-base-url URL [--contract-api-key KEY]``, and with
``--contract-profile thorough`` for thousands of cases (``make contract-thorough``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from freepik_mock.contract.server_suite import (
    MAX_STATEFUL_SCENARIOS,
    POLL_STEP_SECONDS,
    PROFILE,
    ContractTarget,
    build_schema,
    open_target,
    register_profiles,
)

register_profiles()
schema = build_schema()


@pytest.fixture(scope="module")
def contract_target(pytestconfig: pytest.Config) -> Iterator[ContractTarget]:
    """The server under test; afterwards, no generated webhook URL may have been contacted."""
    with open_target(base_url=pytestconfig.getoption("--contract-base-url")) as target:
        target.bind(schema)
        yield target
        never = target.operations_never_accepted()
        assert not never, f"never answered 2xx (is the API key right?): {never}"
        if target.app is not None and target.successes["POST /v1/ai/music-generation"]:
            # Creates were tried with generated webhook URLs off this machine: all blocked.
            assert target.blocked_deliveries() > 0
        contacted = target.off_machine_deliveries()
        assert not contacted, f"webhooks went to generated non-loopback URLs: {contacted}"
        if target.guard is not None:
            assert not target.guard.refused, f"connections off this machine: {target.guard.refused}"


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(settings.get_profile(PROFILE))
def test_every_operation_honours_the_spec(case: Any, contract_target: ContractTarget) -> None:
    """Examples, boundary cases and fuzzed requests: every answer conforms, nothing breaks."""
    contract_target.bind_case(case)
    response = case.call_and_validate(**contract_target.call_kwargs())
    contract_target.record(case, response)


def test_tasks_polled_through_the_create_get_link_honour_the_spec(
    contract_target: ContractTarget,
) -> None:
    """Create, then follow the link to get, again and again while the clock moves."""
    target = contract_target

    class LifecycleMachine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return target.call_kwargs()

        def after_call(self, response: Any, case: Any) -> None:
            target.record(case, response)

        def before_call(self, case: Any) -> None:
            if case.method.upper() == "GET" and "task-id" in (case.path_parameters or {}):
                target.advance(POLL_STEP_SECONDS)

    profile = settings.get_profile(PROFILE)
    # Each example is a whole scenario of up to stateful_step_count calls: fewer are plenty.
    scenarios = min(profile.max_examples, MAX_STATEFUL_SCENARIOS)
    LifecycleMachine.run(settings=settings(profile, max_examples=scenarios))
