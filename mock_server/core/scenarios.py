"""Scenario rules: which outcome and timing the next matching tasks get.

A rule ``{"match": {"prompt_contains"?, "prompt_regex"?, "api_key"?}, "outcome"?,
"created_seconds"?, "processing_seconds"?, "times"?}`` applies to tasks created after it. The first
matching rule wins; a rule with ``times`` is used up after that many tasks, so rules with
times form a queue ("the next three tasks: ok, FAILED, ok"). Rule ids are given by the mock.

Matching runs outside the book's lock, so a slow ``prompt_regex`` delays only the task being
created, never other creates or the control API.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import ControlInputError, NotFound
from .rulebook import KeyedRules
from .tasks import TaskStatus

__all__ = ["MAX_REGEX_LENGTH", "ScenarioBook", "ScenarioRule", "parse_rule"]

#: Longer patterns are refused: a prompt is short, and a huge pattern is a mistake or an attack.
MAX_REGEX_LENGTH = 1000

_MATCH_KEYS = {"prompt_contains", "prompt_regex", "api_key"}
#: RE2's memory budget for one compiled pattern (its default is 8 MiB too).
_REGEX_MEMORY = 8 << 20
_RULE_KEYS = {"match", "outcome", "created_seconds", "processing_seconds", "times"}


@dataclass(kw_only=True)
class ScenarioRule:
    """One rule; ``times_left`` is None for a rule that never runs out."""

    rule_id: str
    prompt_contains: str | None = None
    prompt_regex: PromptPattern | None = None
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
        if self.prompt_regex is not None and not self.prompt_regex.search(_utf8_safe(prompt)):
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


def _utf8_safe(text: str) -> str:
    """``text`` with each lone surrogate replaced (U+FFFD): RE2 searches UTF-8, which cannot
    hold one, and a prompt may (JSON lets ``"\\ud800"`` through)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class PromptPattern(Protocol):
    """A compiled ``prompt_regex`` (RE2's, which matches in linear time)."""

    pattern: str

    def search(self, text: str) -> object | None:
        """A match anywhere in ``text``, or None."""


def _compile(text: str) -> PromptPattern:
    """``text`` compiled by RE2: matching takes time linear in the prompt, whatever the pattern.

    Python's ``re`` backtracks (``^(a+)+$`` on 40 characters runs for hours, holding the GIL and
    so freezing every thread); RE2 has no backtracking, and refuses what needs it (backreferences,
    lookaround) with a message, instead of accepting a pattern that could stall the server.
    """
    if len(text) > MAX_REGEX_LENGTH:
        raise ControlInputError(
            f"'match.prompt_regex' must be at most {MAX_REGEX_LENGTH} characters long"
        )
    import re2

    options = re2.Options()
    options.log_errors = False  # the refusal goes to the client, not to the server's stderr
    options.max_mem = _REGEX_MEMORY
    try:
        pattern: PromptPattern = re2.compile(text, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ControlInputError(
            f"'match.prompt_regex' is not a valid regex: {reason} (RE2 syntax: no "
            "backreferences or lookaround, so that matching always takes linear time)"
        ) from None
    except (OverflowError, RecursionError, ValueError, TypeError):
        raise ControlInputError(
            "'match.prompt_regex' is not a valid regex: too large or nested too deeply"
        ) from None
    return pattern


def parse_rule(raw: Any, *, rule_id: str) -> ScenarioRule:
    """Check and convert a rule given as JSON; a clear ``ControlInputError`` when it is wrong."""
    if not isinstance(raw, Mapping):
        raise ControlInputError("a scenario rule must be a JSON object")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ControlInputError(
            f"unknown scenario field(s): {', '.join(sorted(unknown))} (a rule has "
            f"{', '.join(sorted(_RULE_KEYS))}; its id is given by the mock)"
        )
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
    pattern = _compile(match["prompt_regex"]) if "prompt_regex" in match else None
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
    """The ordered rules of one mock instance (indexed by key: see ``rulebook``)."""

    def __init__(self) -> None:
        self._rules: KeyedRules[ScenarioRule] = KeyedRules()
        self._ids = itertools.count(1)

    def add(self, raw: Any) -> ScenarioRule:
        """Append a rule (it applies after the existing ones)."""
        # Checked before taking an id, so a refused rule leaves no gap in the ids.
        rule = parse_rule(raw, rule_id="")
        with self._rules.lock:
            rule.rule_id = f"scn_{next(self._ids)}"
            self._rules.add(rule)
            return rule

    def list(self) -> list[ScenarioRule]:
        """The rules in the order they are tried."""
        return self._rules.all()

    def delete(self, rule_id: str) -> None:
        """Remove one rule; ``NotFound`` for an unknown id."""
        with self._rules.lock:
            if not self._rules.remove(rule_id):
                raise NotFound()

    def clear(self) -> None:
        """Remove every rule. Ids are never handed out again, so an id a test still holds can
        never name somebody else's rule."""
        with self._rules.lock:
            self._rules.clear()

    def take(self, *, prompt: str, api_key: str) -> ScenarioRule | None:
        """The first rule for this task, counting one use of it (used-up rules are dropped).

        Only the rules for this key and those for any key are tried, without a copy.
        """
        for rule in self._rules.candidates(api_key):
            if not rule.matches(prompt=prompt, api_key=api_key):
                continue
            with self._rules.lock:
                # Another create may have used the rule up, or a call deleted it, while this
                # one was matching: then the next rule gets its chance.
                if not self._rules.holds(rule):
                    continue
                rule.used += 1
                if rule.times_left is not None:
                    rule.times_left -= 1
                    if rule.times_left == 0:
                        self._rules.remove(rule.rule_id)
            return rule
        return None
