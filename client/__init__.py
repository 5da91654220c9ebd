"""A reference client for the Freepik (Magnific) music-generation API, sync and async.

::

    from freepik_mock.client import MusicClient, MusicAPIError

    with MusicClient() as music:  # FREEPIK_API_KEY, FREEPIK_API_BASE_URL
        try:
            task = music.generate("Calm lo-fi piano with soft rain", 10)
            path = music.download(task, "track.mp3")
        except MusicAPIError as error:
            raise SystemExit(f"failed: {error}")
    print(task.task_id, task.status.value, "->", path)

Every error it raises is a ``MusicAPIError`` (see ``client.errors`` for the tree).
"""

from ._async import AsyncMusicClient
from ._base import API_KEY_HEADER, DEFAULT_BASE_URL, VERSION
from ._retry import RetryEvent, RetryPolicy
from ._sync import MusicClient
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    InvalidArgumentError,
    InvalidResponseError,
    MusicAPIError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TaskFailedError,
    TransportError,
    ValidationError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from .models import InvalidParam, Task, TaskStatus, WebhookEvent
from .webhooks import sign_webhook, verify_webhook

__version__ = VERSION

__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncMusicClient",
    "AuthenticationError",
    "ClientClosedError",
    "InvalidArgumentError",
    "InvalidParam",
    "InvalidResponseError",
    "MusicAPIError",
    "MusicClient",
    "NotFoundError",
    "RateLimitError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "Task",
    "TaskFailedError",
    "TaskStatus",
    "TransportError",
    "ValidationError",
    "WaitTimeoutError",
    "WebhookEvent",
    "WebhookVerificationError",
    "__version__",
    "sign_webhook",
    "verify_webhook",
]
