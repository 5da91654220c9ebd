"""MockConfig refuses webhook settings that cannot work, saying which setting and why."""

from __future__ import annotations

import math
from typing import Any

import pytest

from freepik_mock.server import MockConfig


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"webhook_timeout": 0}, "webhook_timeout must be a finite number of seconds greater than"),
        ({"webhook_timeout": -1}, "webhook_timeout must be"),
        ({"webhook_timeout": math.nan}, "webhook_timeout must be"),
        ({"webhook_timeout": math.inf}, "webhook_timeout must be"),
        ({"webhook_initial_backoff": 0}, "webhook_initial_backoff must be"),
        ({"webhook_max_backoff": 0}, "webhook_max_backoff must be"),
        (
            {"webhook_initial_backoff": 10, "webhook_max_backoff": 5},
            r"webhook_max_backoff \(5 s\) must not be less than webhook_initial_backoff \(10 s\)",
        ),
        ({"webhook_workers": 0}, "webhook_workers must be at least 1"),
        ({"webhook_response_cap": 0}, "webhook_response_cap must be at least 1 byte"),
        ({"webhook_max_retries": -1}, "webhook_max_retries must not be negative"),
    ],
)
def test_unusable_webhook_settings_are_refused_with_a_clear_message(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        MockConfig(**options)


def test_the_smallest_usable_webhook_settings_are_accepted() -> None:
    config = MockConfig(
        webhook_timeout=0.001,
        webhook_initial_backoff=2,
        webhook_max_backoff=2,
        webhook_workers=1,
        webhook_response_cap=1,
        webhook_max_retries=0,
    )
    assert (config.webhook_timeout, config.webhook_max_backoff) == (0.001, 2)
