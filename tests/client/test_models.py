"""Parsing tasks leniently where the API varies, strictly where a guess would mislead."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from freepik_mock.client import Task, TaskStatus
from freepik_mock.client._retry import RetryPolicy, parse_retry_after

TASK = {"task_id": "t1", "status": "COMPLETED", "generated": ["https://x.test/a.mp3"]}


@pytest.mark.parametrize("payload", [{"data": TASK}, TASK], ids=["wrapped", "unwrapped"])
def test_a_task_parses_with_or_without_the_envelope(payload: Any) -> None:
    task = Task.from_payload(payload)
    assert task == Task(
        task_id="t1", status=TaskStatus.COMPLETED, generated=("https://x.test/a.mp3",)
    )
    assert task.is_terminal
    assert task.to_dict() == TASK


def test_missing_or_null_generated_means_no_results() -> None:
    assert Task.from_payload({"task_id": "t", "status": "CREATED"}).generated == ()
    assert (
        Task.from_payload({"task_id": "t", "status": "CREATED", "generated": None}).generated == ()
    )


def test_status_is_a_string_valued_enum() -> None:
    task = Task.from_payload({"task_id": "t", "status": "in_progress"})
    assert task.status is TaskStatus.IN_PROGRESS
    assert task.status == "IN_PROGRESS"
    assert not task.is_terminal
    assert [s.value for s in TaskStatus] == ["CREATED", "IN_PROGRESS", "COMPLETED", "FAILED"]
    assert {s for s in TaskStatus if s.is_terminal} == {TaskStatus.COMPLETED, TaskStatus.FAILED}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"status": "CREATED"}, "task_id"),
        ({"task_id": "", "status": "CREATED"}, "task_id"),
        ({"task_id": "t"}, "status"),
        ({"task_id": "t", "status": "DONE"}, "unknown status 'DONE'"),
        ({"task_id": "t", "status": "CREATED", "generated": "x"}, "generated"),
        ({"task_id": "t", "status": "CREATED", "generated": [1]}, "generated"),
        ("nonsense", "expected a task object"),
        ({"data": None}, "expected a task object"),
    ],
)
def test_what_is_not_a_task_is_refused_with_a_reason(payload: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Task.from_payload(payload)


@pytest.mark.parametrize(
    "payload",
    [
        {"data": TASK, "task_id": "x"},
        {"data": TASK, "task_id": "x", "status": "FAILED", "generated": []},
        {"data": TASK, "meta": {"request_id": "r1"}},
        {**TASK, "data": {"note": "not a task"}},
        {**TASK, "data": None},
        {**TASK, "data": [1, 2]},
    ],
    ids=[
        "envelope-stray-task_id",
        "envelope-stray-task-fields",
        "envelope-other-extras",
        "unwrapped-object-data",
        "unwrapped-null-data",
        "unwrapped-list-data",
    ],
)
def test_the_envelope_is_found_despite_extra_properties(payload: Any) -> None:
    assert Task.from_payload(payload).to_dict() == TASK


def test_a_task_shaped_data_wins_over_the_outer_object() -> None:
    inner = {"task_id": "inner", "status": "CREATED"}
    assert Task.from_payload({"data": inner, "task_id": "outer"}).task_id == "inner"
    with pytest.raises(ValueError, match="expected a task object, got list"):
        Task.from_payload({"data": [TASK]})


def test_a_list_envelope_is_unwrapped_despite_extra_properties() -> None:
    expected = Task.list_from_payload([TASK])
    assert Task.list_from_payload({"data": [TASK], "task_id": "x"}) == expected
    assert Task.list_from_payload({"data": [TASK], "task_id": "x", "status": "OK"}) == expected
    with pytest.raises(ValueError, match="expected a list of tasks, got dict"):
        Task.list_from_payload({"task_id": "x", "status": "CREATED"})


def test_lists_parse_with_or_without_the_envelope() -> None:
    items = [{"task_id": "a", "status": "CREATED"}, TASK]
    assert Task.list_from_payload({"data": items}) == Task.list_from_payload(items)
    assert [t.task_id for t in Task.list_from_payload(items)] == ["a", "t1"]
    with pytest.raises(ValueError, match="list"):
        Task.list_from_payload({"data": {"task_id": "a"}})


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_delay=0.5, multiplier=2, max_delay=3, jitter=0.5)
    assert [policy.backoff(n, random_fraction=0.0) for n in range(5)] == [0.5, 1, 2, 3, 3]
    assert policy.backoff(2, random_fraction=0.999) == pytest.approx(1.001)
    assert policy.backoff(10_000, random_fraction=0.0) == 3


@pytest.mark.parametrize(
    "options",
    [{"initial_delay": -1}, {"multiplier": 0.5}, {"jitter": 1.5}, {"max_retry_after": -2}],
)
def test_a_nonsense_policy_is_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**options)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "120"}, 120.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 60.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:26:00 GMT"}, 0.0),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "tomorrow"}, None),
        ({}, None),
    ],
)
def test_retry_after_in_both_forms(headers: dict[str, str], expected: float | None) -> None:
    now = 1445412420.0  # Wed, 21 Oct 2015 07:27:00 GMT
    assert parse_retry_after(httpx.Headers(headers), now=now) == expected
