"""The outbox: one signed message per status change, delivered off the request path.

Messages of one task go out one at a time, in status order: the next is sent once the one before
it is delivered or given up (see ``order``; the out-of-order chaos switch breaks this on purpose;
a replay, an explicit request to send one message now, is outside the order too). Attempts run in
a lane per receiver (see ``lanes``), so a receiver that hangs holds up only its own messages; a
failed attempt is retried on the mock's clock through the engine's scheduler. ``wait_idle`` (an
idle waiter of the engine) blocks until no attempt is due or in flight, which makes
``POST /_mock/clock/advance`` return only after every due attempt was made.

When things happen, in mock time. Every attempt has the instant it was due: the instant of the
status change for a message's first attempt, of the retry for a retry, and, for a message that
waited for an earlier one of its task, the instant that one was settled. On the manual clock an
attempt is recorded at that instant (an attempt takes no mock time) and its retry is due that
instant plus the retry schedule's wait (see ``retry``) or the receiver's ``Retry-After``, in
mock seconds; the engine catches up instant by instant, so one big ``advance`` makes every
attempt and retry due by then, at the same instants as many small ones. On the real clock an
attempt is recorded when it starts and its retry is due the wait after it ends. Replays and
ad-hoc sends happen "now" (the scheduler's instant).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import threading

from .. import __version__
from ..core import FINAL_STATUSES, Clock, MockConfig, MockEngine, Task, TaskStatus
from ..core.paging import Page
from ..core.scheduler import Scheduler
from .delivery import Cancellation, Deliverer
from .lanes import Lanes, lane_key
from .messages import (
    Attempt,
    DeliveryState,
    IdFactory,
    Message,
    MessageLog,
    MessageRecord,
    message_body,
    task_message_body,
)
from .order import TaskOrder
from .progress import JobCounter, StallWatch, StallWatches
from .retry import RetryPolicy
from .sender import JobOutcome, Sender
from .signing import Signer
from .targets import TargetPolicy

__all__ = ["Outbox"]

log = logging.getLogger(__name__)

_TASK = "task"
_AD_HOC = "ad-hoc"


class Outbox:
    """Queues, signs, delivers and retries webhook messages; keeps the delivery log.

    ``targets`` (the allow-list and resolver) and ``retry`` default to what ``config`` says.
    Call ``attach(engine)`` to hear the engine's status changes, ``close()`` when done.
    """

    def __init__(
        self,
        *,
        config: MockConfig,
        clock: Clock,
        scheduler: Scheduler,
        targets: TargetPolicy | None = None,
        retry: RetryPolicy | None = None,
        max_log: int = 10_000,
        max_log_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.config = config
        self.retry = retry or RetryPolicy.from_config(config)
        self.sender = Sender(
            targets=targets or TargetPolicy(allow=config.webhook_allow),
            signer=Signer(secrets=config.effective_webhook_secrets),
            deliverer=Deliverer(
                timeout=config.webhook_timeout,
                response_cap=config.webhook_response_cap,
                user_agent=f"freepik-mock/{__version__} (webhooks)",
                keep_alive=config.webhook_workers,
            ),
            mock_now=clock.now,
            duplicate=config.chaos_duplicate,
        )
        self._clock = clock
        self._scheduler = scheduler
        self._ids = IdFactory(seed=config.seed)
        self._cond = threading.Condition()
        #: The delivery log (``max_log`` messages, finished ones within ``max_log_bytes``).
        self.delivery_log = MessageLog(limit=max_log, max_bytes=max_log_bytes)
        self._order = TaskOrder(out_of_order=config.chaos_out_of_order)
        self._cancellations: set[Cancellation] = set()
        self._generation = 0
        self._closed = False
        # A job makes at most two attempts (the duplicate switch), each ending by its timeout.
        self._jobs = JobCounter(self._cond, stall_timeout=2 * config.webhook_timeout + 30.0)
        #: How often ``wait_idle`` gave up: each time, an ``advance`` returned before its attempts.
        self.stalls = 0
        self._stall_watches = StallWatches()
        # A receiver's kept-alive connections are closed once its lane has had no work for a
        # moment (the lane's threads linger that long), so a receiver that stops is not kept
        # waiting for connections the mock no longer needs.
        self.lanes = Lanes(
            per_target=config.webhook_workers, on_drained=self.sender.deliverer.pool.discard
        )

    # -- wiring --------------------------------------------------------------------------------
    def attach(self, engine: MockEngine) -> None:
        """Hear ``engine``'s status changes, let its ``advance`` wait for us, reset with it."""
        engine.add_listener(self)
        engine.add_idle_waiter(self.wait_idle)
        engine.on_reset(self.reset)

    def on_status_change(self, task: Task, status: TaskStatus) -> None:
        """Queue the message of ``task`` taking ``status`` (no I/O: the engine's lock is held)."""
        if task.webhook_url is None:
            return
        if status is TaskStatus.CREATED and not self.config.webhook_on_created:
            return
        with self._cond:
            if self._closed:
                return
            message = self._new_message(
                task_id=task.task_id,
                status=status.value,
                url=task.webhook_url,
                body=task_message_body(task, status),
                origin=_TASK,
            )
            self._order.add(message, final=status in FINAL_STATUSES)
            self._advance_queue(task.task_id, at=message.created_at)

    # -- the control API's operations ----------------------------------------------------------
    def send(
        self,
        *,
        url: str,
        status: str,
        task_id: str | None = None,
        generated: list[str] | None = None,
        wait: bool = True,
    ) -> MessageRecord:
        """Send an ad-hoc message (a new webhook-id); with ``wait``, answer after its attempt."""
        with self._cond:
            message = self._new_message(
                task_id=task_id or self._ids.task_id(),
                status=status,
                url=url,
                body=b"",
                origin=_AD_HOC,
            )
            message.body = message_body(
                task_id=message.task_id, status=status, generated=list(generated or [])
            )
            target, generation = message.jobs_done + 1, self._generation
            self._dispatch(message, trigger="first", at=message.created_at)
        return self._wait_jobs(message, target, generation) if wait else message.record()

    def replay(self, webhook_id: str, *, wait: bool = True) -> MessageRecord:
        """Send a logged message again, now: same webhook-id, new timestamp and signature.

        Like ``stripe events resend``, this is an explicit request to send that message, so it
        goes out at once, outside its task's order: it does not wait for an earlier message of
        the task still pending, and the task's other messages keep their own order. Its retries
        start over (one already scheduled is void). ``NotFound`` for an unknown id.
        """
        with self._cond:
            message = self.delivery_log.find(webhook_id)
            target = message.jobs_done + (2 if message.in_flight else 1)
            generation = self._generation
            message.state = DeliveryState.PENDING
            message.blocked_reason = None
            message.retries = 0
            message.next_attempt_at = None
            message.token += 1  # a retry already scheduled is void
            self.delivery_log.update(message)  # pending again: never dropped until it is settled
            if message.in_flight:
                message.rerun = True
            else:
                self._dispatch(message, trigger="replay", at=self._scheduler.now())
        return self._wait_jobs(message, target, generation) if wait else message.record()

    def get(self, webhook_id: str) -> MessageRecord:
        """One logged message; ``NotFound`` for an unknown id."""
        with self._cond:
            return self.delivery_log.find(webhook_id).record()

    def messages(self, *, task_id: str | None = None) -> list[MessageRecord]:
        """The log, oldest first, optionally of one task only."""
        with self._cond:
            return self.delivery_log.records(task_id=task_id)

    def page(
        self,
        *,
        task_ids: frozenset[str] | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> Page[MessageRecord]:
        """A page of the log (see ``MessageLog.page``), read under the outbox's lock."""
        with self._cond:
            return self.delivery_log.page(task_ids=task_ids, since=since, limit=limit)

    def make_task_id(self) -> str:
        """A task id for an ad-hoc message that names none (repeatable under ``--seed``)."""
        with self._cond:
            return self._ids.task_id()

    # -- lifecycle -----------------------------------------------------------------------------
    def wait_idle(self) -> bool:
        """Block until no attempt is queued or in flight; True if there was any to wait for.

        It waits as long as jobs keep finishing (see ``progress``) and gives up, False, only when
        none finished for a stall's time.
        """
        with self._cond:
            if self._jobs.busy == 0 or self._closed:
                return False
            done = self._jobs.wait(lambda: self._jobs.busy == 0 or self._closed)
            if not done:
                self.record_stall()
                log.warning(
                    "gave up waiting for webhook attempts: %d job(s) made no progress in %.0f s",
                    self._jobs.busy,
                    self._jobs.stall_timeout,
                )
            return done

    def watch_stalls(self) -> contextlib.AbstractContextManager[StallWatch]:
        """``with outbox.watch_stalls() as watch: engine.advance(...)``; then ``watch.stalled``
        says whether a wait for attempts gave up *on this thread* inside the block (race-free:
        a concurrent advance's stall is its own)."""
        return self._stall_watches.watch()

    def record_stall(self) -> None:
        """What ``wait_idle`` does when attempts made no progress for too long (on its thread)."""
        self.stalls += 1
        self._stall_watches.record()

    def reset(self) -> None:
        """Forget every message, pending or not; attempts in flight are aborted and not logged."""
        with self._cond:
            self._generation += 1
            for cancellation in self._cancellations:
                cancellation.cancel()
            self.delivery_log.clear()
            self._order.clear()
            self._ids.reset()
            self._cond.notify_all()
        self.sender.deliverer.pool.discard()

    def close(self) -> None:
        """Abort attempts in flight and stop the worker threads, waiting for them (idempotent)."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            for cancellation in self._cancellations:
                cancellation.cancel()
            self._cond.notify_all()
        self.lanes.close()
        self.sender.lookups.close()
        self.sender.deliverer.close()

    # -- internals (the lock is held unless said otherwise) ------------------------------------
    def _new_message(
        self, *, task_id: str, status: str, url: str, body: bytes, origin: str
    ) -> Message:
        message = Message(
            webhook_id=self._ids.message_id(),
            task_id=task_id,
            status=status,
            url=url,
            body=body,
            origin=origin,
            created_at=self._scheduler.now(),
        )
        self.delivery_log.add(message)
        return message

    def _advance_queue(self, task_id: str, *, at: float) -> None:
        """Send the task's oldest unsettled message at ``at``, unless it is already under way."""
        head = self._order.head(task_id)
        if head is not None and not head.in_flight and head.next_attempt_at is None:
            trigger = "first" if not head.attempts else "replay"
            self._dispatch(head, trigger=trigger, at=max(at, head.created_at))

    def _dispatch(self, message: Message, *, trigger: str, at: float) -> None:
        """Start a job for ``message``, due at mock instant ``at``."""
        if self._closed:
            return
        if message.in_flight:
            message.rerun = True
            return
        cancellation = Cancellation()
        job = functools.partial(
            self._work, message, self._generation, cancellation, trigger, message.body, at
        )
        if not self.lanes.submit(lane_key(message.url), job):
            return
        message.in_flight = True
        message.next_attempt_at = None
        message.token += 1
        self._cancellations.add(cancellation)
        self._jobs.start()

    def _retry_due(self, message: Message, token: int, generation: int, at: float) -> None:
        """The retry due at mock instant ``at`` came due (scheduler thread or ``advance``)."""
        with self._cond:
            if (
                generation == self._generation
                and message.token == token
                and message.state is DeliveryState.PENDING
                and not message.in_flight
            ):
                self._dispatch(message, trigger="retry", at=at)

    def _work(
        self,
        message: Message,
        generation: int,
        cancellation: Cancellation,
        trigger: str,
        body: bytes,
        due: float,
    ) -> None:
        """One job, due at mock instant ``due``, on a worker thread (no lock held while sending).

        On the manual clock its attempts are recorded at ``due``; on the real clock, when they
        start.
        """
        at = due if self._scheduler.simulated else None
        outcome = JobOutcome()
        try:
            if generation == self._generation and not self._closed:
                outcome = self.sender.run(
                    webhook_id=message.webhook_id,
                    url=message.url,
                    body=body,
                    trigger=trigger,
                    cancellation=cancellation,
                    at=at,
                )
        except Exception as exc:  # a bug here must not kill the worker or leave a job counted
            log.exception("webhook delivery failed unexpectedly")
            failure = self.sender.error(trigger, f"internal error: {exc}", at=at)
            outcome = JobOutcome(attempts=(failure,))
        finally:
            with self._cond:
                self._cancellations.discard(cancellation)
                try:
                    if generation == self._generation and not self._closed:
                        self._finish(message, outcome, due=due)
                finally:
                    self._jobs.finish()

    def _finish(self, message: Message, outcome: JobOutcome, *, due: float) -> None:
        """Record a job's attempts and decide what comes next, at the instant the job ended."""
        # An attempt takes no mock time on the manual clock: the job ends at its due instant.
        now = due if self._scheduler.simulated else self._scheduler.now()
        attempts = list(outcome.attempts)
        message.in_flight = False
        message.jobs_done += 1
        if outcome.blocked is not None:
            message.state = DeliveryState.BLOCKED
            message.blocked_reason = outcome.blocked
        elif attempts:
            retry_at = self._judge(message, attempts[0])
            attempts[0] = dataclasses.replace(attempts[0], next_attempt_at=retry_at)
        message.attempts.extend(attempts)
        if message.rerun:
            message.rerun = False
            message.state = DeliveryState.PENDING
            message.blocked_reason = None
            message.retries = 0
            message.token += 1
            self._dispatch(message, trigger="replay", at=max(now, self._scheduler.now()))
        elif message.origin == _TASK:
            self._advance_queue(message.task_id, at=now)
        self.delivery_log.update(message)  # settled: counted (and maybe trimmed) from now on

    def _judge(self, message: Message, attempt: Attempt) -> float | None:
        """Delivered, given up, or retried later (410 stops retries; Retry-After is honoured).

        Answers when the retry is due, None when there is none. The delay (the schedule's next
        wait, or ``Retry-After``) counts in mock seconds from the attempt's instant on the manual
        clock (its due instant), from now (the attempt's end) on the real clock.
        """
        if attempt.status_code is not None and 200 <= attempt.status_code < 300:
            message.state = DeliveryState.DELIVERED
            return None
        if attempt.status_code == 410 or message.retries >= self.retry.max_retries:
            message.state = DeliveryState.FAILED
            return None
        message.retries += 1
        delay = self.retry.delay(
            retry=message.retries, key=message.webhook_id, retry_after=attempt.retry_after
        )
        at = (attempt.at if self._scheduler.simulated else self._clock.now()) + delay
        message.next_attempt_at = at
        message.token += 1
        self._scheduler.call_at(
            at, functools.partial(self._retry_due, message, message.token, self._generation, at)
        )
        return at

    def _wait_jobs(self, message: Message, jobs: int, generation: int) -> MessageRecord:
        """Wait until ``message`` has finished ``jobs`` jobs, or a reset (after ``generation``,
        read when the job was dispatched) or close made them moot."""
        with self._cond:
            self._jobs.wait(
                lambda: message.jobs_done >= jobs or generation != self._generation or self._closed
            )
            return message.record()
