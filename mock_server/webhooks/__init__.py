"""Webhooks: signing, the target allow-list, and the outbox that delivers and retries."""

from .delivery import AttemptResult, Cancellation, Deliverer, parse_retry_after
from .messages import Attempt, DeliveryState, MessageRecord, message_body, task_message_body
from .outbox import Outbox
from .retry import RetryPolicy, parse_retry_schedule
from .signing import SECRET_PREFIX, Signer, signing_key
from .targets import (
    LOOPBACK,
    AllowList,
    Resolver,
    Target,
    TargetBlocked,
    TargetPolicy,
    TargetUnresolved,
    system_resolver,
)

__all__ = [
    "LOOPBACK",
    "SECRET_PREFIX",
    "AllowList",
    "Attempt",
    "AttemptResult",
    "Cancellation",
    "Deliverer",
    "DeliveryState",
    "MessageRecord",
    "Outbox",
    "Resolver",
    "RetryPolicy",
    "Signer",
    "Target",
    "TargetBlocked",
    "TargetPolicy",
    "TargetUnresolved",
    "message_body",
    "parse_retry_after",
    "parse_retry_schedule",
    "signing_key",
    "system_resolver",
    "task_message_body",
]
