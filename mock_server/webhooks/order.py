"""The order of a task's messages: one goes out only after the earlier ones are settled.

A message is settled when it is delivered, given up (failed) or blocked. The out-of-order chaos
switch breaks the order on purpose: it holds back a task's messages until its final status, then
queues that one first and the held ones after it, newest first.
"""

from __future__ import annotations

from collections import deque

from .messages import DeliveryState, Message

__all__ = ["TaskOrder"]


class TaskOrder:
    """The queue of each task's unsettled messages; the outbox's lock guards it."""

    def __init__(self, *, out_of_order: bool = False) -> None:
        self.out_of_order = out_of_order
        self._queues: dict[str, deque[Message]] = {}
        self._held: dict[str, list[Message]] = {}

    def add(self, message: Message, *, final: bool) -> None:
        """Queue a task's new message (``final``: its status ends the task)."""
        task_id = message.task_id
        batch = [message]
        if self.out_of_order:
            if not final:
                message.held = True
                self._held.setdefault(task_id, []).append(message)
                return
            held = self._held.pop(task_id, [])
            for earlier in held:
                earlier.held = False
            batch.extend(reversed(held))
        self._queues.setdefault(task_id, deque()).extend(batch)

    def head(self, task_id: str) -> Message | None:
        """The task's oldest unsettled message (settled ones are dropped), None when none is."""
        queue = self._queues.get(task_id)
        while queue:
            if queue[0].state is DeliveryState.PENDING:
                return queue[0]
            queue.popleft()
        self._queues.pop(task_id, None)
        return None

    def clear(self) -> None:
        """Forget every queue (used by reset)."""
        self._queues.clear()
        self._held.clear()
