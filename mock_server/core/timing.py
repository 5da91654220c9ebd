"""When a new task changes status: the configured defaults, or the vendor's realistic times."""

from __future__ import annotations

from dataclasses import dataclass

from .config import MockConfig

__all__ = ["Timing", "default_timing"]

# The vendor: "typically 30-90 seconds"; under a minute for short tracks, 1-2 min for 4-minute ones.
_REALISTIC_CREATED_SECONDS = 2.0
_REALISTIC_MIN_TOTAL = 30.0
_REALISTIC_MAX_TOTAL = 90.0


@dataclass(frozen=True, kw_only=True)
class Timing:
    """Seconds spent in CREATED, then in IN_PROGRESS."""

    created_seconds: float
    processing_seconds: float


def default_timing(config: MockConfig, *, music_length_seconds: int) -> Timing:
    """The timing of a task no scenario rule speaks for."""
    if not config.realistic:
        return Timing(
            created_seconds=config.created_seconds,
            processing_seconds=config.processing_seconds,
        )
    fraction = (min(max(music_length_seconds, 10), 240) - 10) / 230
    total = _REALISTIC_MIN_TOTAL + fraction * (_REALISTIC_MAX_TOTAL - _REALISTIC_MIN_TOTAL)
    return Timing(
        created_seconds=_REALISTIC_CREATED_SECONDS,
        processing_seconds=total - _REALISTIC_CREATED_SECONDS,
    )
