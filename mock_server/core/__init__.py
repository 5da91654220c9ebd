"""The framework-free core of the mock: tasks, lifecycle, clock, rules, errors."""

from .clock import Clock, ManualClock, RealClock
from .config import DEFAULT_WEBHOOK_SECRET, MockConfig
from .engine import MockEngine, StatusListener
from .errors import (
    ControlInputError,
    InvalidApiKey,
    InvalidParam,
    MissingApiKey,
    MockError,
    NotFound,
    RequestValidationFailed,
    TaskAlreadyFinished,
    TaskStoreFull,
)
from .faults import FaultBook, FaultRule
from .journal import JournalEntry, RequestJournal
from .tasks import FINAL_STATUSES, Task, TaskStatus

__all__ = [
    "DEFAULT_WEBHOOK_SECRET",
    "FINAL_STATUSES",
    "Clock",
    "ControlInputError",
    "FaultBook",
    "FaultRule",
    "InvalidApiKey",
    "InvalidParam",
    "JournalEntry",
    "ManualClock",
    "MissingApiKey",
    "MockConfig",
    "MockEngine",
    "MockError",
    "NotFound",
    "RealClock",
    "RequestJournal",
    "RequestValidationFailed",
    "StatusListener",
    "Task",
    "TaskAlreadyFinished",
    "TaskStatus",
    "TaskStoreFull",
]
