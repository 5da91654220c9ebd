"""The outbox: one signed message per status change, delivered off the request path.

Messages of one task go out one at a time, in status order: the next is sent once the one before
it is delivered or given up (the out-of-order chaos switch breaks this on purpose). Attempts run
on a bounded pool of worker threads; a failed attempt is retried on the mock's clock through the
engine's scheduler. ``wait_idle`` (an idle waiter of the engine) blocks until no attempt is due or
in flight, which makes ``POST /_mock/clock/advance`` return only after every due attempt was made.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from .. import __version__
from ..core import FINAL_STATUSES, Clock, MockConfig, MockEngine, NotFound, Task, TaskStatus
from ..core.scheduler import Scheduler
from .delivery import Cancellation, Deliverer
from .messages import (
    Attempt,
    DeliveryState,
    IdFactory,
    Message,
    MessageRecord,
    message_body,
    task_message_body,
)
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
    ) -> None:
        self.config = config
        self.retry = retry or RetryPolicy(
            max_retries=config.webhook_max_retries,
            initial_backoff=config.webhook_initial_backoff,
            max_backoff=config.webhook_max_backoff,
            seed=config.seed,
        )
        self.sender = Sender(
            targets=targets or TargetPolicy(allow=config.webhook_allow),
            signer=Signer(secrets=config.effective_webhook_secrets),
            deliverer=Deliverer(
                timeout=config.webhook_timeout,
                response_cap=config.webhook_response_cap,
                user_agent=f"freepik-mock/{__version__} (webhooks)",
            ),
            mock_now=clock.now,
            duplicate=config.chaos_duplicate,
        )
        self._clock = clock
        self._scheduler = scheduler
        self._max_log = max_log
        self._ids = IdFactory(seed=config.seed)
        self._cond = threading.Condition()
        self._log: dict[str, Message] = {}
        self._queues: dict[str, deque[Message]] = {}
        self._held: dict[str, list[Message]] = {}
        self._cancellations: set[Cancellation] = set()
        self._busy = 0
        self._generation = 0
        self._closed = False
        self._idle_timeout = max(30.0, 4 * config.webhook_timeout)
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, config.webhook_workers), thread_name_prefix="freepik-mock-webhook"
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
            batch = [message]
            if self.config.chaos_out_of_order:
                if status not in FINAL_STATUSES:
                    message.held = True
                    self._held.setdefault(task.task_id, []).append(message)
                    return
                held = self._held.pop(task.task_id, [])
                for earlier in held:
                    earlier.held = False
                batch.extend(reversed(held))
            self._queues.setdefault(task.task_id, deque()).extend(batch)
            self._advance_queue(task.task_id)

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
            target = message.jobs_done + 1
            self._dispatch(message, trigger="first")
        return self._wait_jobs(message, target) if wait else message.record()

    def replay(self, webhook_id: str, *, wait: bool = True) -> MessageRecord:
        """Send a logged message again: same webhook-id, new timestamp and signature.

        Its retries start over. ``NotFound`` for an unknown id.
        """
        with self._cond:
            message = self._find(webhook_id)
            target = message.jobs_done + (2 if message.in_flight else 1)
            message.state = DeliveryState.PENDING
            message.blocked_reason = None
            message.retries = 0
            message.next_attempt_at = None
            message.token += 1  # a retry already scheduled is void
            if message.in_flight:
                message.rerun = True
            else:
                self._dispatch(message, trigger="replay")
        return self._wait_jobs(message, target) if wait else message.record()

    def get(self, webhook_id: str) -> MessageRecord:
        """One logged message; ``NotFound`` for an unknown id."""
        with self._cond:
            return self._find(webhook_id).record()

    def messages(self, *, task_id: str | None = None) -> list[MessageRecord]:
        """The log, oldest first, optionally of one task only."""
        with self._cond:
            return [
                message.record()
                for message in self._log.values()
                if task_id is None or message.task_id == task_id
            ]

    def make_task_id(self) -> str:
        """A task id for an ad-hoc message that names none (repeatable under ``--seed``)."""
        with self._cond:
            return self._ids.task_id()

    # -- lifecycle -----------------------------------------------------------------------------
    def wait_idle(self) -> bool:
        """Block until no attempt is queued or in flight; True if there was any to wait for."""
        with self._cond:
            if self._busy == 0 or self._closed:
                return False
            done = self._cond.wait_for(
                lambda: self._busy == 0 or self._closed, timeout=self._idle_timeout
            )
            if not done:
                log.warning("webhook attempts still running after %.0f s", self._idle_timeout)
            return done

    def reset(self) -> None:
        """Forget every message, pending or not; attempts in flight are aborted and not logged."""
        with self._cond:
            self._generation += 1
            for cancellation in self._cancellations:
                cancellation.cancel()
            self._log.clear()
            self._queues.clear()
            self._held.clear()
            self._ids.reset()
            self._cond.notify_all()

    def close(self) -> None:
        """Abort attempts in flight and stop the worker threads, waiting for them (idempotent)."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            for cancellation in self._cancellations:
                cancellation.cancel()
            self._cond.notify_all()
        self._executor.shutdown(wait=True, cancel_futures=True)

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
            created_at=self._clock.now(),
        )
        self._log[message.webhook_id] = message
        if len(self._log) > self._max_log:
            self._trim_log()
        return message

    def _trim_log(self) -> None:
        for webhook_id in [k for k, m in self._log.items() if m.state is not DeliveryState.PENDING]:
            del self._log[webhook_id]
            if len(self._log) <= self._max_log:
                return

    def _find(self, webhook_id: str) -> Message:
        message = self._log.get(webhook_id)
        if message is None:
            raise NotFound()
        return message

    def _advance_queue(self, task_id: str) -> None:
        """Send the task's oldest unfinished message, unless it is already under way."""
        queue = self._queues.get(task_id)
        while queue:
            head = queue[0]
            if head.state is not DeliveryState.PENDING:
                queue.popleft()
                continue
            if not head.in_flight and head.next_attempt_at is None:
                self._dispatch(head, trigger="first" if not head.attempts else "replay")
            return
        self._queues.pop(task_id, None)

    def _dispatch(self, message: Message, *, trigger: str) -> None:
        if self._closed:
            return
        if message.in_flight:
            message.rerun = True
            return
        message.in_flight = True
        message.next_attempt_at = None
        message.token += 1
        cancellation = Cancellation()
        self._cancellations.add(cancellation)
        self._busy += 1
        self._executor.submit(
            self._work, message, self._generation, cancellation, trigger, message.body
        )

    def _retry_due(self, message: Message, token: int, generation: int) -> None:
        """A scheduled retry's time came (scheduler thread or ``advance``)."""
        with self._cond:
            if (
                generation == self._generation
                and message.token == token
                and message.state is DeliveryState.PENDING
                and not message.in_flight
            ):
                self._dispatch(message, trigger="retry")

    def _work(
        self,
        message: Message,
        generation: int,
        cancellation: Cancellation,
        trigger: str,
        body: bytes,
    ) -> None:
        """One job on a worker thread (no lock held while sending)."""
        outcome = JobOutcome()
        try:
            if generation == self._generation and not self._closed:
                outcome = self.sender.run(
                    webhook_id=message.webhook_id,
                    url=message.url,
                    body=body,
                    trigger=trigger,
                    cancellation=cancellation,
                )
        except Exception as exc:  # a bug here must not kill the worker or leave a job counted
            log.exception("webhook delivery failed unexpectedly")
            outcome = JobOutcome(attempts=(self.sender.error(trigger, f"internal error: {exc}"),))
        finally:
            with self._cond:
                self._cancellations.discard(cancellation)
                try:
                    if generation == self._generation and not self._closed:
                        self._finish(message, outcome)
                finally:
                    self._busy -= 1
                    self._cond.notify_all()

    def _finish(self, message: Message, outcome: JobOutcome) -> None:
        message.attempts.extend(outcome.attempts)
        message.in_flight = False
        message.jobs_done += 1
        if outcome.blocked is not None:
            message.state = DeliveryState.BLOCKED
            message.blocked_reason = outcome.blocked
        elif outcome.attempts:
            self._judge(message, outcome.attempts[0])
        if message.rerun:
            message.rerun = False
            message.state = DeliveryState.PENDING
            message.blocked_reason = None
            message.retries = 0
            message.token += 1
            self._dispatch(message, trigger="replay")
        elif message.origin == _TASK:
            self._advance_queue(message.task_id)

    def _judge(self, message: Message, attempt: Attempt) -> None:
        """Delivered, given up, or retried later (410 stops retries; Retry-After is honoured)."""
        if attempt.status_code is not None and 200 <= attempt.status_code < 300:
            message.state = DeliveryState.DELIVERED
        elif attempt.status_code == 410 or message.retries >= self.retry.max_retries:
            message.state = DeliveryState.FAILED
        else:
            message.retries += 1
            delay = self.retry.delay(
                retry=message.retries, key=message.webhook_id, retry_after=attempt.retry_after
            )
            at = self._clock.now() + delay
            message.next_attempt_at = at
            message.token += 1
            self._scheduler.call_at(
                at, functools.partial(self._retry_due, message, message.token, self._generation)
            )

    def _wait_jobs(self, message: Message, jobs: int) -> MessageRecord:
        """Wait (no lock held on entry) until ``message`` has finished ``jobs`` jobs."""
        generation = self._generation
        with self._cond:
            self._cond.wait_for(
                lambda: message.jobs_done >= jobs or generation != self._generation or self._closed,
                timeout=self._idle_timeout,
            )
            return message.record()
