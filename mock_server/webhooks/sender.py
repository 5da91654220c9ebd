"""One delivery job: check the target, sign, attempt (twice under the duplicate chaos switch).

Resolving the target's host is part of the first attempt: it counts against that attempt's
timeout, and a lookup that does not answer in time is a failed attempt like a connect timeout.
A URL whose host is an address (no lookup) always checks the same way under the same allow-list:
its check is kept and reused, while a host name is resolved and checked for every job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .delivery import AttemptResult, Cancellation, Deliverer
from .lookups import Lookups
from .messages import Attempt
from .signing import Signer
from .targets import AllowList, Target, TargetBlocked, TargetPolicy, TargetUnresolved

__all__ = ["JobOutcome", "Sender"]

#: How many checked address URLs a sender keeps (a bench or a test suite uses a handful).
_KEPT_CHECKS = 1024


@dataclass(frozen=True)
class JobOutcome:
    """A job's attempts, or why the target was blocked (then nothing was sent)."""

    attempts: tuple[Attempt, ...] = ()
    blocked: str | None = None


class Sender:
    """Makes the attempts of one job; called on a worker thread, holding no lock.

    ``mock_now`` gives the mock instant recorded with each attempt, unless the job names the
    instant it happens at (the manual clock: see ``run``); ``webhook-timestamp`` is always the
    real Unix time of the attempt, read from ``wall_time`` (receivers check it against their own
    clock; tests may replace it).
    """

    def __init__(
        self,
        *,
        targets: TargetPolicy,
        signer: Signer,
        deliverer: Deliverer,
        mock_now: Callable[[], float],
        duplicate: bool = False,
        wall_time: Callable[[], float] = time.time,
    ) -> None:
        self.targets = targets
        self.signer = signer
        self.deliverer = deliverer
        self.duplicate = duplicate
        self.wall_time = wall_time
        self.lookups = Lookups()
        self._mock_now = mock_now
        # Checks that needed no lookup, by policy and URL, with the allow-list they were made
        # under: the same answer every time that list is still the policy's.
        self._checked: dict[tuple[TargetPolicy, str], tuple[AllowList, Target]] = {}

    def run(
        self,
        *,
        webhook_id: str,
        url: str,
        body: bytes,
        trigger: str,
        cancellation: Cancellation,
        at: float | None = None,
    ) -> JobOutcome:
        """Resolve and check ``url`` once, then POST the signed ``body`` to the checked address.

        ``at`` is the mock instant the job's attempts are recorded at (the manual clock, where an
        attempt takes no mock time); None records each one when it starts.
        """
        fixed = at
        at = self._mock_now() if fixed is None else fixed
        started = time.monotonic()
        policy = self.targets
        key, allow = (policy, url), policy.allow
        looked_up = False

        def resolve(host: str, port: int) -> Sequence[str]:
            nonlocal looked_up
            looked_up = True
            return self.lookups.resolve(
                policy.resolver,
                host,
                port,
                started=started,
                timeout=self.deliverer.timeout,
                cancellation=cancellation,
            )

        kept = self._checked.get(key)
        target = kept[1] if kept is not None and kept[0] is allow else None
        if target is None:
            try:
                target = policy.check(url, resolve=resolve)
            except TargetBlocked as exc:
                return JobOutcome(blocked=exc.reason)
            except TargetUnresolved as exc:
                return JobOutcome(attempts=(self.error(trigger, str(exc), at=at, started=started),))
            if not looked_up:
                if len(self._checked) >= _KEPT_CHECKS:
                    self._checked.clear()
                self._checked[key] = allow, target
        attempts: list[Attempt] = []
        for kind in (trigger, "duplicate"):
            timestamp = int(self.wall_time())
            headers = self.signer.headers(webhook_id=webhook_id, timestamp=timestamp, body=body)
            result = self.deliverer.post(
                target, headers=headers, body=body, cancellation=cancellation, started=started
            )
            attempts.append(_attempt(at, kind, timestamp, headers, result))
            if not (result.ok and self.duplicate) or cancellation.cancelled:
                break
            at, started = (self._mock_now() if fixed is None else fixed), time.monotonic()
        return JobOutcome(attempts=tuple(attempts))

    def error(
        self, trigger: str, error: str, *, at: float | None = None, started: float | None = None
    ) -> Attempt:
        """An attempt that ended before anything was sent (begun at ``at``, mock time)."""
        return Attempt(
            at=self._mock_now() if at is None else at,
            trigger=trigger,
            webhook_timestamp=None,
            headers={},
            status_code=None,
            error=error,
            duration_ms=0.0 if started is None else round((time.monotonic() - started) * 1000, 3),
        )


def _attempt(
    at: float, trigger: str, timestamp: int, headers: dict[str, str], result: AttemptResult
) -> Attempt:
    return Attempt(
        at=at,
        trigger=trigger,
        webhook_timestamp=timestamp,
        headers=headers,
        status_code=result.status_code,
        error=result.error,
        duration_ms=result.duration_ms,
        response_body=result.response_body,
        retry_after=result.retry_after,
    )
