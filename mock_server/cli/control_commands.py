"""``freepik-mock clock``, ``reset`` and ``tasks``: mock time and the tasks of a running mock.

``freepik-mock clock`` shows the clock, ``clock advance 5`` moves it (and returns once everything
due by then happened), ``reset`` forgets what the tests did, ``tasks`` lists every task of every
key (keys masked), ``tasks ID`` shows one with its timeline, and ``tasks complete ID`` /
``tasks fail ID`` end one now.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from .control_http import (
    ControlCommand,
    DefaultGroup,
    MockConnection,
    connection_options,
    echo_answer,
    expect_list,
    expect_object,
    path_segment,
)
from .options import FiniteFloatRange

__all__ = ["clock", "reset", "tasks"]

_CLOCK_FIELDS = ("mode", "now", "elapsed_seconds")
_TASK_FIELDS = ("task_id", "status", "api_key", "prompt", "timeline")
_PROMPT_SHOWN = 60


def describe_clock(view: Mapping[str, Any]) -> str:
    """``manual clock: now 2026-01-01T00:00:05Z, 5.0 s since start or reset``."""
    return (
        f"{view['mode']} clock: now {view['now']}, {view['elapsed_seconds']} s since start or reset"
    )


def _prompt(task: Mapping[str, Any]) -> str:
    text = str(task.get("prompt") or "")
    if len(text) > _PROMPT_SHOWN:
        text = text[: _PROMPT_SHOWN - 3] + "..."
    return json.dumps(text, ensure_ascii=False)


def _task_line(task: Mapping[str, Any]) -> str:
    return (
        f"{task['task_id']}  {task['status']}  key {task['api_key']}  "
        f"{task.get('music_length_seconds')} s  {_prompt(task)}"
    )


def _task_details(task: Mapping[str, Any]) -> str:
    forced = " (forced)" if task.get("forced") else ""
    lines = [
        f"task {task['task_id']}: {task['status']}",
        f"  prompt: {_prompt(task)}",
        f"  length: {task.get('music_length_seconds')} s",
        f"  key: {task['api_key']}",
        f"  outcome: {task.get('outcome')}{forced}",
        f"  scenario: {task.get('scenario_id') or 'none'}",
        f"  webhook: {task.get('webhook_url') or 'none'}",
        f"  result: {task.get('result_url') or 'none'}",
        "  timeline:",
    ]
    for change in task["timeline"]:
        when = "reached" if change.get("reached") else "to come"
        lines.append(
            f"    {change.get('status')} at {change.get('at')} "
            f"({change.get('elapsed_seconds')} s, {when})"
        )
    return "\n".join(lines)


# -- the clock -------------------------------------------------------------------------------------
@click.group(cls=DefaultGroup, default="show")
def clock() -> None:
    """Show the running mock's clock (clock) or move it (clock advance SECONDS)."""


@clock.command(name="show")
@connection_options
def show_clock(*, mock_url: str, admin_token: str | None, as_json: bool) -> None:
    """The clock's mode, the mock's now, and mock seconds since start or reset."""
    with MockConnection(mock_url=mock_url, admin_token=admin_token, as_json=as_json) as mock:
        view = expect_object(mock, mock.call("GET", "/clock"), "GET /_mock/clock", *_CLOCK_FIELDS)
    echo_answer(view, as_json=as_json, human=lambda: describe_clock(view))


@clock.command()
@click.argument("seconds", type=FiniteFloatRange(min=0))
@connection_options
def advance(*, seconds: float, mock_url: str, admin_token: str | None, as_json: bool) -> None:
    """Move mock time SECONDS ahead; returns once everything due by then happened."""
    # Advancing runs every due webhook attempt before it answers: no read timeout.
    with MockConnection(
        mock_url=mock_url, admin_token=admin_token, as_json=as_json, timeout=None
    ) as mock:
        answer = mock.call("POST", "/clock/advance", json={"seconds": seconds})
        view = expect_object(mock, answer, "POST /_mock/clock/advance", *_CLOCK_FIELDS)
    echo_answer(view, as_json=as_json, human=lambda: describe_clock(view))


# -- reset -----------------------------------------------------------------------------------------
@click.command(cls=ControlCommand)
@connection_options
def reset(*, mock_url: str, admin_token: str | None, as_json: bool) -> None:
    """Forget tasks, deliveries, the journal, rules and faults; the clock starts again."""
    with MockConnection(mock_url=mock_url, admin_token=admin_token, as_json=as_json) as mock:
        answer = expect_object(mock, mock.call("POST", "/reset"), "POST /_mock/reset", "clock")
        view = expect_object(mock, answer["clock"], "POST /_mock/reset", *_CLOCK_FIELDS)
    echo_answer(answer, as_json=as_json, human=lambda: f"reset; {describe_clock(view)}")


# -- tasks -----------------------------------------------------------------------------------------
@click.group(cls=DefaultGroup, default="list", id_command="show")
def tasks() -> None:
    """List the running mock's tasks (tasks), show one (tasks ID) or end one now."""


@tasks.command(name="list")
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=None, help="Only the newest N (1 to 1000)."
)
@connection_options
def list_tasks(*, limit: int | None, mock_url: str, admin_token: str | None, as_json: bool) -> None:
    """Every task of every key, oldest first (keys masked); --limit N: the newest N."""
    params = {"limit": limit} if limit is not None else {}
    with MockConnection(mock_url=mock_url, admin_token=admin_token, as_json=as_json) as mock:
        answer = mock.call("GET", "/tasks", params=params)
        data = expect_list(mock, answer, "GET /_mock/tasks", *_TASK_FIELDS)

    def human() -> str:
        lines = [_task_line(task) for task in data] or ["no tasks yet"]
        if answer.get("has_more"):
            lines.append(f"(the newest {len(data)} of {answer.get('total')} tasks)")
        return "\n".join(lines)

    echo_answer(answer, as_json=as_json, human=human)


def _one_task(method: str, suffix: str, *, task_id: str, as_json: bool, **connection: Any) -> None:
    path = f"/tasks/{path_segment(task_id)}{suffix}"
    with MockConnection(**connection, as_json=as_json, timeout=None) as mock:
        task = expect_object(mock, mock.call(method, path), f"{method} /_mock{path}", *_TASK_FIELDS)
    echo_answer(task, as_json=as_json, human=lambda: _task_details(task))


def _where(mock_url: str, admin_token: str | None) -> dict[str, Any]:
    return {"mock_url": mock_url, "admin_token": admin_token}


_task_id = click.argument("task_id", metavar="ID")


@tasks.command(name="show")
@_task_id
@connection_options
def show_task(*, task_id: str, mock_url: str, admin_token: str | None, as_json: bool) -> None:
    """One task with its timeline (tasks ID for short)."""
    _one_task("GET", "", task_id=task_id, as_json=as_json, **_where(mock_url, admin_token))


@tasks.command()
@_task_id
@connection_options
def complete(*, task_id: str, mock_url: str, admin_token: str | None, as_json: bool) -> None:
    """End the task now with COMPLETED; its webhooks go out at once."""
    where = _where(mock_url, admin_token)
    _one_task("POST", "/complete", task_id=task_id, as_json=as_json, **where)


@tasks.command()
@_task_id
@connection_options
def fail(*, task_id: str, mock_url: str, admin_token: str | None, as_json: bool) -> None:
    """End the task now with FAILED; its webhooks go out at once."""
    _one_task("POST", "/fail", task_id=task_id, as_json=as_json, **_where(mock_url, admin_token))
