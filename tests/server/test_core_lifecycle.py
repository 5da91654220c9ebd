"""The framework-free core on the manual clock: lifecycle, timing, rules, keys, ids."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC

import pytest

from freepik_mock.server.core import (
    ControlInputError,
    InvalidApiKey,
    ManualClock,
    MissingApiKey,
    MockConfig,
    MockEngine,
    NotFound,
    RealClock,
    Task,
    TaskAlreadyFinished,
    TaskStatus,
)

KEY = "key-a"


@pytest.fixture
def engine() -> Iterator[MockEngine]:
    engine = MockEngine(config=MockConfig(clock="manual"))
    yield engine
    engine.close()


class Recorder:
    def __init__(self) -> None:
        self.heard: list[tuple[str, TaskStatus]] = []

    def on_status_change(self, task: Task, status: TaskStatus) -> None:
        self.heard.append((task.task_id, status))


def create(
    engine: MockEngine, prompt: str = "calm piano", key: str = KEY, length: int = 30
) -> Task:
    return engine.create_task(
        api_key=key,
        prompt=prompt,
        music_length_seconds=length,
        webhook_url=None,
        result_base_url="http://mock.test/",
    )


def status(engine: MockEngine, task: Task) -> TaskStatus:
    return engine.get_task(api_key=task.api_key, task_id=task.task_id).status_at(engine.clock.now())


def test_default_lifecycle_changes_exactly_when_the_clock_reaches_each_instant(
    engine: MockEngine,
) -> None:
    task = create(engine)
    assert status(engine, task) is TaskStatus.CREATED
    engine.advance(0.999)
    assert status(engine, task) is TaskStatus.CREATED
    engine.advance(0.001)
    assert status(engine, task) is TaskStatus.IN_PROGRESS
    engine.advance(3.5)
    assert status(engine, task) is TaskStatus.IN_PROGRESS
    assert task.generated_at(engine.clock.now()) == []
    engine.advance(0.5)
    assert status(engine, task) is TaskStatus.COMPLETED
    assert task.generated_at(engine.clock.now()) == [f"http://mock.test/results/{task.task_id}.mp3"]


def test_status_is_derived_from_the_clock_even_when_nothing_runs_in_the_background() -> None:
    engine = MockEngine(config=MockConfig(clock="manual"))
    engine.close()  # no scheduler thread at all
    task = create(engine)
    engine.clock.advance(10)
    assert status(engine, task) is TaskStatus.COMPLETED


def test_configured_durations_are_used() -> None:
    engine = MockEngine(config=MockConfig(clock="manual", created_seconds=0, processing_seconds=60))
    try:
        task = create(engine)
        assert status(engine, task) is TaskStatus.IN_PROGRESS
        engine.advance(59.9)
        assert status(engine, task) is TaskStatus.IN_PROGRESS
        engine.advance(0.1)
        assert status(engine, task) is TaskStatus.COMPLETED
    finally:
        engine.close()


def test_realistic_timing_follows_the_vendor_30_to_90_seconds_growing_with_length() -> None:
    engine = MockEngine(config=MockConfig(clock="manual", realistic=True))
    try:
        totals = [
            (task.finished_at - task.created_at)
            for task in (create(engine, length=n) for n in (10, 60, 120, 240))
        ]
        assert totals[0] == pytest.approx(30)
        assert totals[-1] == pytest.approx(90)
        assert totals == sorted(totals)
    finally:
        engine.close()


def test_listeners_hear_every_change_once_and_in_order_even_after_a_big_jump(
    engine: MockEngine,
) -> None:
    recorder = Recorder()
    engine.add_listener(recorder)
    task = create(engine)
    engine.settle()
    engine.advance(100)
    engine.advance(100)
    assert recorder.heard == [
        (task.task_id, TaskStatus.CREATED),
        (task.task_id, TaskStatus.IN_PROGRESS),
        (task.task_id, TaskStatus.COMPLETED),
    ]


def test_forcing_an_outcome_passes_through_in_progress_and_is_heard_at_once(
    engine: MockEngine,
) -> None:
    recorder = Recorder()
    engine.add_listener(recorder)
    task = create(engine)
    engine.finish_now(task.task_id, outcome=TaskStatus.FAILED)
    engine.settle()
    assert status(engine, task) is TaskStatus.FAILED
    assert [s for _, s in recorder.heard] == [
        TaskStatus.CREATED,
        TaskStatus.IN_PROGRESS,
        TaskStatus.FAILED,
    ]
    with pytest.raises(TaskAlreadyFinished):
        engine.finish_now(task.task_id, outcome=TaskStatus.COMPLETED)
    engine.advance(10)  # the originally scheduled completion must not be heard
    assert len(recorder.heard) == 3


def test_tasks_are_scoped_to_the_key_that_created_them(engine: MockEngine) -> None:
    mine = create(engine, key="key-a")
    theirs = create(engine, key="key-b")
    assert [t.task_id for t in engine.list_tasks(api_key="key-a")] == [mine.task_id]
    with pytest.raises(NotFound):
        engine.get_task(api_key="key-a", task_id=theirs.task_id)
    with pytest.raises(NotFound):
        engine.get_task(api_key="key-a", task_id="not-a-task")


def test_keys_any_non_empty_key_by_default_or_only_the_configured_ones() -> None:
    open_engine = MockEngine(config=MockConfig(clock="manual"))
    closed_engine = MockEngine(config=MockConfig(clock="manual", api_keys=("k1",)))
    try:
        assert open_engine.authenticate("anything") == "anything"
        with pytest.raises(MissingApiKey):
            open_engine.authenticate("")
        with pytest.raises(MissingApiKey):
            open_engine.authenticate(None)
        assert closed_engine.authenticate("k1") == "k1"
        with pytest.raises(InvalidApiKey):
            closed_engine.authenticate("k2")
    finally:
        open_engine.close()
        closed_engine.close()


def test_a_seed_makes_ids_reproducible_and_reset_restarts_the_sequence() -> None:
    first = MockEngine(config=MockConfig(clock="manual", seed=7))
    second = MockEngine(config=MockConfig(clock="manual", seed=7))
    other = MockEngine(config=MockConfig(clock="manual", seed=8))
    try:
        ids = [create(first).task_id for _ in range(3)]
        assert [create(second).task_id for _ in range(3)] == ids
        assert create(other).task_id != ids[0]
        first.reset()
        assert create(first).task_id == ids[0]
        assert len(set(ids)) == 3
    finally:
        for engine in (first, second, other):
            engine.close()


def test_reset_forgets_tasks_and_restarts_the_clock(engine: MockEngine) -> None:
    task = create(engine)
    engine.advance(3)
    engine.reset()
    assert engine.clock.now() == 0
    with pytest.raises(NotFound):
        engine.find_task(task.task_id)


def test_scenario_rules_form_a_queue_and_first_match_wins(engine: MockEngine) -> None:
    engine.scenarios.add({"match": {"prompt_contains": "doom"}, "outcome": "FAILED", "times": 1})
    engine.scenarios.add({"match": {}, "processing_seconds": 100})
    failing = create(engine, prompt="Doom metal")
    slow = create(engine, prompt="doom again")
    engine.advance(5)
    assert status(engine, failing) is TaskStatus.FAILED
    assert status(engine, slow) is TaskStatus.IN_PROGRESS
    assert failing.scenario_id != slow.scenario_id


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf"), 1e12])
def test_advance_rejects_nonsense(engine: MockEngine, seconds: float) -> None:
    with pytest.raises(ControlInputError):
        engine.advance(seconds)
    assert engine.clock.now() == 0


def test_the_real_clock_runs_speed_times_faster_and_can_jump_ahead() -> None:
    clock = RealClock(speed=1000)
    time.sleep(0.01)
    assert clock.now() >= 10
    before = clock.now()
    clock.advance(500)
    assert clock.now() >= before + 500


def test_the_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock()
    time.sleep(0.01)
    assert clock.now() == 0
    clock.advance(1.25)
    assert clock.now() == 1.25
    assert clock.wall_time(1.25) > clock.wall_time(0)


@pytest.mark.parametrize("outcome", [TaskStatus.FAILED, TaskStatus.COMPLETED])
def test_a_reader_never_sees_the_old_outcome_while_a_forced_change_is_written(
    engine: MockEngine, outcome: TaskStatus
) -> None:
    """Readers take no lock: after each field ``finish_now`` writes, what would one see?"""
    task = create(engine)
    if outcome is TaskStatus.COMPLETED:
        task.outcome = TaskStatus.FAILED  # a scenario had decided FAILED; forcing COMPLETED
    seen: list[TaskStatus] = []

    class Watched(Task):
        __slots__ = ()  # the same layout as Task's, so that the class can be swapped

        def __setattr__(self, name: str, value: object) -> None:
            super().__setattr__(name, value)
            seen.append(self.status_at(engine.clock.now()))

    task.__class__ = Watched
    engine.finish_now(task.task_id, outcome=outcome)
    assert seen[-1] is outcome
    assert set(seen) <= {TaskStatus.CREATED, TaskStatus.IN_PROGRESS, outcome}


def test_mock_time_is_bounded_to_a_century_in_all(engine: MockEngine) -> None:
    century = 100 * 365 * 24 * 3600
    engine.advance(century - 10)
    with pytest.raises(ControlInputError, match="100 years"):
        engine.advance(11)
    engine.advance(10)
    assert engine.clock.now() == century
    with pytest.raises(ControlInputError):
        engine.advance(0.5)


@pytest.mark.parametrize("at", [1e12, 1e300, float("inf")])
def test_wall_time_stops_at_the_end_of_the_calendar_instead_of_raising(at: float) -> None:
    for clock in (ManualClock(), RealClock()):
        shown = clock.wall_time(at)
        assert (shown.year, shown.tzinfo) == (9999, UTC)


def test_the_vendor_view_reads_the_status_once() -> None:
    from freepik_mock.server.core.tasks import Task

    # A forced finish on another thread lands between two reads of the status.
    readings = iter([TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED])

    class Racing(Task):
        __slots__ = ()

        def status_at(self, now: float) -> TaskStatus:
            return next(readings)

    task = Racing(
        task_id="t", api_key="k", prompt="p", music_length_seconds=10, webhook_url=None,
        result_base="http://mock", created_at=0, in_progress_at=1, finished_at=5,
        outcome=TaskStatus.COMPLETED,
    )  # fmt: skip
    view = task.vendor_view(2.0)
    assert (view["status"], view["generated"]) == ("IN_PROGRESS", [])
