"""The task store is bounded (``max_tasks``) and indexed per key; reset and create never mix."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from freepik_mock.contract.receiver import WebhookReceiver
from freepik_mock.server.cli.config_file import RULES_META_KEY
from freepik_mock.server.cli.serve import build_config, serve
from freepik_mock.server.core import (
    ManualClock,
    MockConfig,
    MockEngine,
    Task,
    TaskStatus,
    TaskStoreFull,
)

from .webhook_support import AUTH, PATH, advance, create, log


def make(engine: MockEngine, key: str, prompt: str = "calm piano") -> Task:
    return engine.create_task(
        api_key=key,
        prompt=prompt,
        music_length_seconds=10,
        webhook_url=None,
        result_base_url="http://mock.test/",
    )


@pytest.fixture
def small() -> Iterator[MockEngine]:
    engine = MockEngine(config=MockConfig(clock="manual", max_tasks=4))
    yield engine
    engine.close()


def ids(tasks: list[Task]) -> list[str]:
    return [task.task_id for task in tasks]


# -- eviction ----------------------------------------------------------------------------------
def test_the_oldest_finished_tasks_go_first_and_lists_keep_each_keys_order(
    small: MockEngine,
) -> None:
    a1, b1, a2 = make(small, "a"), make(small, "b"), make(small, "a")
    small.advance(5)  # all three finished
    running = make(small, "a")
    a3 = make(small, "b")  # a fifth task: the oldest finished (a1) goes
    assert small.tasks.get(a1.task_id) is None
    assert ids(small.list_tasks(api_key="a")) == ids([a2, running])
    assert ids(small.list_tasks(api_key="b")) == ids([b1, a3])
    b2 = make(small, "b")  # then b1, though a2 is of another key
    assert ids(small.list_tasks(api_key="b")) == ids([a3, b2])
    assert ids(small.list_tasks(api_key="a")) == ids([a2, running])
    assert len(small.tasks) == 4
    assert small.tasks.evicted == 2


def test_a_task_is_kept_until_its_final_status_was_announced(small: MockEngine) -> None:
    tasks = [make(small, "a") for _ in range(4)]
    small.advance(1)  # all IN_PROGRESS: nothing may go
    with pytest.raises(TaskStoreFull) as refused:
        make(small, "a")
    assert refused.value.status == 429
    small.finish_now(tasks[2].task_id, outcome=TaskStatus.FAILED)
    small.settle()  # the forced change is announced: now it may go
    newest = make(small, "a")
    assert ids(small.list_tasks(api_key="a")) == ids([tasks[0], tasks[1], tasks[3], newest])


def test_a_store_full_of_running_tasks_refuses_a_create_with_a_vendor_429(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(max_tasks=2).test_client()
    body = {"prompt": "calm piano", "music_length_seconds": 10}
    for _ in range(2):
        assert client.post(PATH, json=body, headers=AUTH).status_code == 200
    refused = client.post(PATH, json=body, headers=AUTH)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"  # as the spec's 429 has it
    assert set(refused.get_json()) == {"message"}
    assert "--max-tasks" in refused.get_json()["message"]
    advance(client, 5)
    assert client.post(PATH, json=body, headers=AUTH).status_code == 200


def test_an_evicted_task_and_its_file_answer_404_like_unknown_ones(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(max_tasks=1).test_client()
    old = create(client, None)
    advance(client, 5)
    result = client.get(f"/results/{old}.mp3")
    assert result.status_code == 200
    create(client, None)
    unknown = client.get(f"{PATH}/00000000-0000-4000-8000-000000000000", headers=AUTH)
    gone = client.get(f"{PATH}/{old}", headers=AUTH)
    assert (gone.status_code, gone.get_json()) == (404, unknown.get_json())
    assert client.get(f"/results/{old}.mp3").status_code == 404
    assert [t["task_id"] for t in client.get(PATH, headers=AUTH).get_json()["data"]] != [old]


def test_an_evicted_tasks_pending_webhook_retry_still_goes_out(
    make_app: Callable[..., Flask], receiver: WebhookReceiver
) -> None:
    client = make_app(max_tasks=1).test_client()
    receiver.script(200, 200, 500, 200)  # the COMPLETED message's first attempt fails
    old = create(client, receiver.url)
    advance(client, 5)
    completed = [m for m in log(client, old) if m["status"] == "COMPLETED"]
    assert [m["state"] for m in completed] != ["delivered"]
    create(client, None)  # the finished task is forgotten to make room
    assert client.get(f"{PATH}/{old}", headers=AUTH).status_code == 404
    advance(client, 60)
    last = receiver.deliveries[-1].json()
    assert (last["task_id"], last["status"]) == (old, "COMPLETED")
    assert [m["state"] for m in log(client, old)] == ["delivered"] * 3


def test_max_tasks_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="max_tasks"):
        MockConfig(max_tasks=0)


@pytest.mark.parametrize("text", ["max_tasks: 250\n", "max-tasks: 250\n"])
def test_a_config_file_sets_max_tasks_and_the_flag_overrides_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "mock.yaml"
    path.write_text(text, encoding="utf-8")
    for args, expected in (
        (["--config", str(path)], 250),
        (["--config", str(path), "--max-tasks", "9"], 9),
    ):
        ctx = serve.make_context("serve", args)
        config = build_config(ctx.params, config_file=ctx.meta.get(RULES_META_KEY))
        assert config.max_tasks == expected
    assert MockConfig().max_tasks == 100_000


# -- reset against create ------------------------------------------------------------------------
class _PausingClock(ManualClock):
    """Holds back the first reading taken on ``armed_for``'s thread until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.armed_for: str | None = None
        self.paused = threading.Event()
        self.release = threading.Event()

    def now(self) -> float:
        reading = super().now()
        if self.armed_for is not None and threading.current_thread().name == self.armed_for:
            self.armed_for = None
            self.paused.set()
            self.release.wait()
        return reading


class _WatchedLock:
    """The engine's lock, telling when a thread had to wait for it."""

    def __init__(self, inner: Any, waiting: threading.Event) -> None:
        self._inner = inner
        self._waiting = waiting

    def __enter__(self) -> bool:
        if not self._inner.acquire(blocking=False):
            self._waiting.set()
            self._inner.acquire()
        return True

    def __exit__(self, *exc: object) -> None:
        self._inner.release()


def test_a_create_racing_a_reset_keeps_no_instant_from_before_it() -> None:
    """The create reads the clock, then a reset runs to the end (or waits), then the create
    goes on: no task with pre-reset instants may survive into the new state."""
    clock = _PausingClock()
    engine = MockEngine(config=MockConfig(clock="manual"), clock=clock)
    try:
        engine.advance(100)
        reset_progressed = threading.Event()  # the reset ended, or had to wait for the create
        engine._announce_lock = _WatchedLock(engine._announce_lock, reset_progressed)  # type: ignore[assignment]
        created: list[Task] = []
        clock.armed_for = "creator"
        creator = threading.Thread(target=lambda: created.append(make(engine, "a")), name="creator")

        def do_reset() -> None:
            engine.reset()
            reset_progressed.set()

        resetter = threading.Thread(target=do_reset, name="resetter")
        creator.start()
        clock.paused.wait()
        resetter.start()
        reset_progressed.wait()
        clock.release.set()
        creator.join()
        resetter.join()
        assert created
        assert engine.clock.now() == 0
        # Either the task was made before the reset (and forgotten by it) or after it.
        survivors = engine.tasks.all()
        assert all(task.created_at <= engine.clock.now() for task in survivors)
        assert engine.list_tasks(api_key="a") == survivors
    finally:
        clock.release.set()
        engine.close()
