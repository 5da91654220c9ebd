"""The server side's one error family: each error knows its HTTP status and vendor-format body."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ControlInputError",
    "InvalidApiKey",
    "InvalidParam",
    "MissingApiKey",
    "MockError",
    "NotFound",
    "RequestValidationFailed",
    "TaskAlreadyFinished",
    "TaskStoreFull",
]


@dataclass(frozen=True)
class InvalidParam:
    """One parameter the spec rejects, and why."""

    name: str
    reason: str


class MockError(Exception):
    """Base of every error the mock answers with. ``status`` and ``body()`` make the response."""

    status: int = 500
    content_type: str = "application/json"
    #: Headers the answer carries besides its body (a 429's ``Retry-After``).
    headers: tuple[tuple[str, str], ...] = ()

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body, in the vendor's format."""
        return {"message": self.message}


class MissingApiKey(MockError):
    """No key header, or an empty one."""

    status = 401

    def __init__(self) -> None:
        super().__init__("Missing API key")


class InvalidApiKey(MockError):
    """A key that is not among the accepted ones."""

    status = 401

    def __init__(self) -> None:
        super().__init__("Invalid API key")


class NotFound(MockError):
    """An unknown task, or one that belongs to another key."""

    status = 404

    def __init__(self) -> None:
        super().__init__("Not found")


class RequestValidationFailed(MockError):
    """The request breaks the spec: the vendor's problem+json answer, naming each parameter."""

    status = 400
    content_type = "application/problem+json"

    def __init__(self, invalid_params: Sequence[InvalidParam]) -> None:
        super().__init__("Your request parameters didn't validate.")
        self.invalid_params = tuple(invalid_params)

    def body(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "invalid_params": [{"name": p.name, "reason": p.reason} for p in self.invalid_params],
        }


class ControlInputError(MockError):
    """Bad input to the control API (``/_mock``): a 400 with a clear message."""

    status = 400


class TaskAlreadyFinished(MockError):
    """A forced change asked of a task that has already ended."""

    status = 409

    def __init__(self, status: str) -> None:
        super().__init__(f"Task already finished with status {status}")


class TaskStoreFull(MockError):
    """A create when the store holds ``--max-tasks`` tasks and none of them has finished.

    A 429 with the vendor's body: clients back off and retry, and by then tasks may have
    finished (their room is then reused).
    """

    status = 429
    headers = (("Retry-After", "1"),)

    def __init__(self, max_tasks: int) -> None:
        super().__init__(
            f"Too many requests: the mock holds {max_tasks} tasks (--max-tasks) and none has "
            "finished yet; let tasks finish (advance the clock), reset, or raise --max-tasks"
        )
