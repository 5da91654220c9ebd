"""Scenario rules: which outcome and timing the next matching tasks get.

A rule ``{"match": {"prompt_contains"?, "prompt_regex"?, "api_key"?}, "outcome"?,
"created_seconds"?, "processing_seconds"?, "times"?}`` applies to tasks created after it. The first
matching rule wins; a rule with ``times`` is used up after that many tasks, so rules with
times form a queue ("the next three tasks: ok, FAILED, ok").
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ControlInputError, NotFound
from .tasks import TaskStatus

__all__ = ["ScenarioBook", "ScenarioRule", "parse_rule"]

_MATCH_KEYS = {"prompt_contains", "prompt_regex", "api_key"}
_RULE_KEYS = {"id", "match", "outcome", "created_seconds", "processing_seconds", "times"}


@dataclass(kw_only=True)
class ScenarioRule:
    """One rule; ``times_left`` is None for a rule that never runs out."""

    rule_id: str
    prompt_contains: str | None = None
    prompt_regex: re.Pattern[str] | None = None
    api_key: str | None = None
    outcome: TaskStatus | None = None
    created_seconds: float | None = None
    processing_seconds: float | None = None
    times_left: int | None = None
    used: int = 0

    def matches(self, *, prompt: str, api_key: str) -> bool:
        """Whether a task with this prompt and key falls under the rule."""
        if self.prompt_contains is not None and self.prompt_contains.lower() not in prompt.lower():
            return False
        if self.prompt_regex is not None and not self.prompt_regex.search(prompt):
            return False
        return self.api_key is None or self.api_key == api_key

    def to_json(self) -> dict[str, Any]:
        """The rule as the control API shows it."""
        match: dict[str, str] = {}
        if self.prompt_contains is not None:
            match["prompt_contains"] = self.prompt_contains
        if self.prompt_regex is not None:
            match["prompt_regex"] = self.prompt_regex.pattern
        if self.api_key is not None:
            match["api_key"] = self.api_key
        return {
            "id": self.rule_id,
            "match": match,
            "outcome": self.outcome.value if self.outcome else None,
            "created_seconds": self.created_seconds,
            "processing_seconds": self.processing_seconds,
            "times": self.times_left,
            "used": self.used,
        }


def _number(raw: Mapping[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ControlInputError(f"'{key}' must be a number of seconds >= 0")
    if value > 10**9:
        raise ControlInputError(f"'{key}' must be at most 1000000000")
    return float(value)


def parse_rule(raw: Any, *, rule_id: str) -> ScenarioRule:
    """Check and convert a rule given as JSON; a clear ``ControlInputError`` when it is wrong."""
    if not isinstance(raw, Mapping):
        raise ControlInputError("a scenario rule must be a JSON object")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ControlInputError(f"unknown scenario field(s): {', '.join(sorted(unknown))}")
    match = raw.get("match", {})
    if match is None:
        match = {}
    if not isinstance(match, Mapping):
        raise ControlInputError("'match' must be an object")
    unknown = set(match) - _MATCH_KEYS
    if unknown:
        raise ControlInputError(f"unknown match field(s): {', '.join(sorted(unknown))}")
    for key in _MATCH_KEYS:
        if key in match and not isinstance(match[key], str):
            raise ControlInputError(f"'match.{key}' must be a string")
    pattern = None
    if "prompt_regex" in match:
        try:
            pattern = re.compile(match["prompt_regex"])
        except re.error as exc:
            raise ControlInputError(f"'match.prompt_regex' is not a valid regex: {exc}") from None
    outcome = raw.get("outcome")
    if outcome is not None and outcome not in ("COMPLETED", "FAILED"):
        raise ControlInputError("'outcome' must be COMPLETED or FAILED")
    times = raw.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ControlInputError("'times' must be a whole number >= 1")
    return ScenarioRule(
        rule_id=rule_id,
        prompt_contains=match.get("prompt_contains"),
        prompt_regex=pattern,
        api_key=match.get("api_key"),
        outcome=TaskStatus(outcome) if outcome else None,
        created_seconds=_number(raw, "created_seconds"),
        processing_seconds=_number(raw, "processing_seconds"),
        times_left=times,
    )


class ScenarioBook:
    """The ordered rules of one mock instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[ScenarioRule] = []
        self._ids = itertools.count(1)

    def add(self, raw: Any) -> ScenarioRule:
        """Append a rule (it applies after the existing ones)."""
        with self._lock:
            rule = parse_rule(raw, rule_id=f"scn_{next(self._ids)}")
            self._rules.append(rule)
            return rule

    def list(self) -> list[ScenarioRule]:
        """The rules in the order they are tried."""
        with self._lock:
            return list(self._rules)

    def delete(self, rule_id: str) -> None:
        """Remove one rule; ``NotFound`` for an unknown id."""
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.rule_id == rule_id:
                    del self._rules[index]
                    return
        raise NotFound()

    def clear(self) -> None:
        """Remove every rule; ids start again."""
        with self._lock:
            self._rules.clear()
            self._ids = itertools.count(1)

    def take(self, *, prompt: str, api_key: str) -> ScenarioRule | None:
        """The first rule for this task, counting one use of it (used-up rules are dropped)."""
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not rule.matches(prompt=prompt, api_key=api_key):
                    continue
                rule.used += 1
                if rule.times_left is not None:
                    rule.times_left -= 1
                    if rule.times_left == 0:
                        del self._rules[index]
                return rule
        return None
