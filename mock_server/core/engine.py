"""The core: one object that owns the clock, the tasks, the rules and who hears of status changes.

Framework-free: the Flask app and the in-process adapters call it; nothing here knows HTTP.

On the manual clock the engine simulates time exactly: every action happens at the mock instant
it was due. ``advance(s)`` moves the clock, then ``settle`` catches up instant by instant, in order:
each status change, each webhook attempt and each retry due by the new reading happens at its own
instant, and the next instant comes only once the work of the one before is done (an attempt
takes no mock time). So when ``advance`` returns, everything that would have happened by now has
happened, and one ``advance(1000)`` leaves the same history as ten ``advance(100)``. Work that
comes due without the clock moving (a new task's CREATED, a forced change) happens "now". On the
real clock actions happen when real time reaches them.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
from collections.abc import Callable
from functools import partial
from typing import Protocol

from .clock import Clock, make_clock
from .config import MockConfig
from .errors import ControlInputError, InvalidApiKey, MissingApiKey, NotFound, TaskAlreadyFinished
from .scenarios import ScenarioBook, ScenarioRule
from .scheduler import Scheduler
from .store import TaskIdFactory, TaskStore
from .tasks import FINAL_STATUSES, Task, TaskStatus
from .timing import Timing, default_timing

__all__ = ["MAX_ELAPSED_SECONDS", "MockEngine", "StatusListener"]

#: How far ``advance`` may move mock time since start or reset: a century. More is certainly a
#: mistake in a test, and far beyond it the displayed date-times would run out of calendar.
MAX_ELAPSED_SECONDS = 100 * 365 * 24 * 3600.0

log = logging.getLogger(__name__)


class StatusListener(Protocol):
    """Hears every status change once, in order per task (the webhook outbox is one)."""

    def on_status_change(self, task: Task, status: TaskStatus) -> None: ...


class MockEngine:
    """The mock's state and rules. Create one per app; call ``close`` when done."""

    def __init__(self, *, config: MockConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or make_clock(mode=config.clock, speed=config.speed)
        self.scheduler = Scheduler(clock=self.clock)
        self.tasks = TaskStore(max_tasks=config.max_tasks)
        self.scenarios = ScenarioBook()
        self._ids = TaskIdFactory(seed=config.seed)
        self._listeners: list[StatusListener] = []
        self._reset_hooks: list[Callable[[], None]] = []
        self._idle_waiters: list[Callable[[], bool]] = []
        # Held by every change of the state as a whole: announcements, forced finishes, the
        # making of a task, and reset (so that no create straddles a reset).
        self._announce_lock = threading.Lock()
        #: Counts resets: a create that matched its rule before a reset matches again after it.
        self._generation = 0
        self._settle_lock = threading.Lock()
        for rule in config.scenarios:
            self.scenarios.add(rule)
        self.scheduler.start()

    # -- wiring ------------------------------------------------------------------------------
    def add_listener(self, listener: StatusListener) -> None:
        """Tell ``listener`` of every status change from now on."""
        self._listeners.append(listener)

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` on every reset (components forget their state there)."""
        self._reset_hooks.append(hook)

    def add_idle_waiter(self, waiter: Callable[[], bool]) -> None:
        """``waiter`` blocks until its component's due work is done; True if it waited for any."""
        self._idle_waiters.append(waiter)

    # -- keys --------------------------------------------------------------------------------
    def authenticate(self, api_key: str | None) -> str:
        """The key if it is accepted; ``MissingApiKey``/``InvalidApiKey`` otherwise."""
        if not api_key:
            raise MissingApiKey()
        if self.config.api_keys and api_key not in self.config.api_keys:
            raise InvalidApiKey()
        return api_key

    # -- the vendor surface ------------------------------------------------------------------
    def create_task(
        self,
        *,
        api_key: str,
        prompt: str,
        music_length_seconds: int,
        webhook_url: str | None,
        result_base_url: str,
    ) -> Task:
        """A new task, its lifecycle decided now by the first matching rule or the defaults.

        Atomic with respect to ``reset``: the task is made wholly before it (and forgotten by
        it) or wholly after it (with the new clock's instants and the new rules).
        ``TaskStoreFull`` when the store holds ``max_tasks`` running tasks.
        """
        # Interned: every task made through one host shares the string.
        base = sys.intern((self.config.public_url or result_base_url).rstrip("/"))
        while True:
            generation = self._generation
            # Rules are matched outside the lock: a slow match delays only this create.
            rule = self.scenarios.take(prompt=prompt, api_key=api_key)
            timing = self._timing_for(rule, music_length_seconds=music_length_seconds)
            with self._announce_lock:
                if generation != self._generation:
                    continue  # a reset came in between: the rule taken belongs to the old state
                return self._make_task(
                    api_key=api_key,
                    prompt=prompt,
                    music_length_seconds=music_length_seconds,
                    webhook_url=webhook_url,
                    base=base,
                    rule=rule,
                    timing=timing,
                )

    def _make_task(
        self,
        *,
        api_key: str,
        prompt: str,
        music_length_seconds: int,
        webhook_url: str | None,
        base: str,
        rule: ScenarioRule | None,
        timing: Timing,
    ) -> Task:
        """Store the task and schedule its announcements (the caller holds the lock)."""
        now = self.clock.now()
        task_id = self._ids.next_id()
        in_progress_at = now + timing.created_seconds
        task = Task(
            task_id=task_id,
            api_key=api_key,
            prompt=prompt,
            music_length_seconds=music_length_seconds,
            webhook_url=webhook_url,
            result_base=base,
            created_at=now,
            in_progress_at=in_progress_at,
            finished_at=in_progress_at + timing.processing_seconds,
            outcome=(rule.outcome if rule and rule.outcome else TaskStatus.COMPLETED),
            scenario_id=rule.rule_id if rule else None,
        )
        self.tasks.add(task)
        announce = partial(self._announce, task_id)
        # One announcement per distinct instant (with no CREATED time, two changes share one).
        for at in sorted({now, in_progress_at, task.finished_at}):
            self.scheduler.call_at(at, announce)
        return task

    def get_task(self, *, api_key: str, task_id: str) -> Task:
        """The key's task; ``NotFound`` for unknown ids and for other keys' tasks."""
        task = self.tasks.get(task_id)
        if task is None or task.api_key != api_key:
            raise NotFound()
        return task

    def list_tasks(self, *, api_key: str) -> list[Task]:
        """The key's tasks, oldest first."""
        return self.tasks.owned_by(api_key)

    # -- control -----------------------------------------------------------------------------
    def find_task(self, task_id: str) -> Task:
        """Any key's task (the control API is not scoped); ``NotFound`` if unknown."""
        task = self.tasks.get(task_id)
        if task is None:
            raise NotFound()
        return task

    def finish_now(self, task_id: str, *, outcome: TaskStatus) -> Task:
        """Force a task to end now (passing through IN_PROGRESS); its messages go out at once."""
        if outcome not in FINAL_STATUSES:
            raise ValueError("outcome must be COMPLETED or FAILED")
        with self._announce_lock:
            task = self.find_task(task_id)
            now = self.clock.now()
            current = task.status_at(now)
            if current in FINAL_STATUSES:
                raise TaskAlreadyFinished(current.value)
            # Readers derive the status without the lock: the outcome goes in before the instant
            # that reveals it, so no reader sees the old outcome at the new instant.
            task.in_progress_at = min(task.in_progress_at, now)
            task.outcome = outcome
            task.forced = True
            task.finished_at = now
        self.scheduler.call_soon(lambda: self._announce(task_id))
        return task

    def advance(self, seconds: float) -> None:
        """Move the clock; returns once everything due by the new reading has happened.

        That is every status change and every webhook attempt and retry due by then, each at
        the mock instant it was due, in order (on the real clock: what is due now, see
        ``settle``). Concurrent calls take turns.
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise ControlInputError("'seconds' must be a finite number >= 0")
        now = self.clock.now()
        if now + seconds > MAX_ELAPSED_SECONDS:
            left = max(0.0, MAX_ELAPSED_SECONDS - now)
            raise ControlInputError(
                f"'seconds' would move mock time past its limit of {MAX_ELAPSED_SECONDS:.0f} s "
                f"(100 years) since start or reset: it is at {now:g} s, so at most {left:g} s "
                "more (POST /_mock/reset starts it again)"
            )
        with self._settle_lock:
            self.clock.advance(seconds)
            self.scheduler.wake()
            self._settle()

    def settle(self, *, rounds: int = 1000) -> None:
        """Run everything due now and wait for the work it starts, until nothing more is due.

        On the manual clock this catches up instant by instant (see the module's docstring):
        at each instant that has something due, in order, it runs that instant's actions and
        waits for the work they start (webhook attempts, whose retries and following messages
        are scheduled from that instant) before it moves to the next. ``rounds`` bounds the
        rounds of waiting at one instant, a guard against work that never stops scheduling more.
        """
        with self._settle_lock:
            self._settle(rounds=rounds)

    def _settle(self, *, rounds: int = 1000) -> None:
        with self.scheduler.catching_up():
            self._drain(rounds=rounds)
            while self.scheduler.step():
                self._drain(rounds=rounds)

    def _drain(self, *, rounds: int) -> None:
        """Run what is due at the scheduler's instant and wait for what it starts, until quiet."""
        for _ in range(rounds):
            self.scheduler.run_due()
            self.scheduler.wait_idle()
            waited = [waiter() for waiter in self._idle_waiters]
            if not any(waited) and not self.scheduler.has_due():
                return
        log.warning(
            "work at mock instant %g still came after %d rounds", self.scheduler.now(), rounds
        )

    def reset(self) -> None:
        """Forget tasks and rules, restart the clock and the id sequence, reset every component."""
        with self._announce_lock:
            self._generation += 1
            self.scheduler.clear()
            self.tasks.clear()
            self.scenarios.clear()
            self._ids.reset()
            self.clock.reset()
            self.scheduler.clear()  # again: simulated time starts from the clock's new reading
            for rule in self.config.scenarios:
                self.scenarios.add(rule)
            for hook in self._reset_hooks:
                hook()
        self.scheduler.wake()

    def close(self) -> None:
        """Stop background work (idempotent)."""
        self.scheduler.stop()

    # -- internals ---------------------------------------------------------------------------
    def _timing_for(self, rule: ScenarioRule | None, *, music_length_seconds: int) -> Timing:
        timing = default_timing(self.config, music_length_seconds=music_length_seconds)
        if rule is None:
            return timing
        return Timing(
            created_seconds=(
                timing.created_seconds if rule.created_seconds is None else rule.created_seconds
            ),
            processing_seconds=(
                timing.processing_seconds
                if rule.processing_seconds is None
                else rule.processing_seconds
            ),
        )

    def _announce(self, task_id: str) -> None:
        """Tell listeners of every change of the task that the clock has reached, once each."""
        with self._announce_lock:
            task = self.tasks.get(task_id)
            if task is None:
                return
            # The scheduler's instant: while advance catches up, a later change is not reached yet.
            now = self.scheduler.now()
            changes = task.changes_until(now)
            reached = changes[task.announced :]
            if not reached:
                return
            if len(changes) > max(task.announced, 1):
                # A status after CREATED (which the store counted when it took the task):
                # readers polling "since" see the change.
                self.tasks.touch(task)
            task.announced = len(changes)
            for status, _ in reached:
                for listener in self._listeners:
                    listener.on_status_change(task, status)
            if task.fully_announced:
                self.tasks.mark_finished(task)
