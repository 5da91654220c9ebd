"""Fault rules: how the next matching requests misbehave (an error answer, a delay, a drop).

A rule ``{"match": {"method"?, "path"?}, "status"?, "delay_seconds"?, "retry_after"?, "body"?,
"headers"?, "times"?, "probability"?, "drop_connection"?}`` applies to requests arriving after it,
on the vendor and result-file URLs (never the control API). ``path`` is exact, or a prefix when
it ends in ``*``. ``headers`` go on the answer (a custom one replaces a default of its name).
The first matching rule that fires wins; a rule with ``probability`` fires on that share of its
matches (drawn from a generator seeded by ``--seed``, so runs repeat), and a rule with ``times`` is
used up after answering that many requests. Rule ids are never reused, not even after a reset.
"""

from __future__ import annotations

import hmac
import itertools
import json
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .errors import ControlInputError, NotFound
from .masking import mask_secret
from .rulebook import KeyedRules

__all__ = [
    "CONTROL_PREFIX",
    "HTTP_METHODS",
    "MAX_DELAY_SECONDS",
    "FaultAnswer",
    "FaultBook",
    "FaultRule",
    "is_control_path",
    "parse_fault",
    "path_matches",
    "vendor_error_body",
]

#: Where the control API lives; faults never apply there.
CONTROL_PREFIX = "/_mock"

#: A longer injected delay is surely a mistake, and would hold a server thread for that long.
MAX_DELAY_SECONDS = 60.0

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_MATCH_KEYS = {"method", "path", "api_key"}
_RULE_KEYS = {
    "match",
    "status",
    "delay_seconds",
    "retry_after",
    "body",
    "headers",
    "times",
    "probability",
    "drop_connection",
}
_EFFECT_KEYS = ("status", "delay_seconds", "drop_connection")
#: A header name is an RFC 9110 token.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: Framing is the server's business: a fault that set these could only break the answer.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_MAX_HEADERS = 32

#: The vendor's answer bodies (API_FACTS.md); other statuses get their HTTP reason phrase.
_VENDOR_MESSAGES = {
    400: "Bad Request",
    401: "Invalid API key",
    404: "Not found",
    429: "Too many requests",
    500: "Internal Server Error",
    503: "Service Unavailable. Please try again later.",
}


def is_control_path(path: str) -> bool:
    """Whether ``path`` belongs to the control API (``/_mock`` and below)."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def path_matches(pattern: str, path: str) -> bool:
    """``pattern`` is an exact path, or a prefix when it ends in ``*`` (``*`` alone: any path)."""
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def vendor_error_body(status: int) -> dict[str, str]:
    """The body the vendor answers ``status`` with (its reason phrase when undocumented)."""
    if status in _VENDOR_MESSAGES:
        return {"message": _VENDOR_MESSAGES[status]}
    try:
        return {"message": HTTPStatus(status).phrase}
    except ValueError:
        return {"message": "Error"}


@dataclass(frozen=True, kw_only=True)
class FaultAnswer:
    """A complete injected answer, ready to send."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(kw_only=True)
class FaultRule:
    """One fault; ``times_left`` is None for a rule that never runs out."""

    rule_id: str
    method: str | None = None
    path: str | None = None
    #: Only requests of this key (a result download counts as its task's key's).
    api_key: str | None = None
    status: int | None = None
    delay_seconds: float = 0.0
    retry_after: int | None = None
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    times_left: int | None = None
    probability: float | None = None
    drop_connection: bool = False
    used: int = 0

    def matches(self, *, method: str, path: str, api_key: str | None = None) -> bool:
        """Whether a request with this method, path and key falls under the rule."""
        if self.method is not None and self.method != method.upper():
            return False
        if self.api_key is not None and not (
            api_key is not None and hmac.compare_digest(self.api_key, api_key)
        ):
            return False
        return self.path is None or path_matches(self.path, path)

    def answer(self) -> FaultAnswer | None:
        """The injected answer, or None when the rule only delays (or drops the connection)."""
        if self.status is None:
            return None
        headers: list[tuple[str, str]] = []
        if self.body is None:
            payload = json.dumps(vendor_error_body(self.status), separators=(",", ":"))
            headers.append(("Content-Type", "application/json"))
        elif isinstance(self.body, str):
            # A string goes out verbatim, like a proxy's HTML error page would.
            payload = self.body
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        else:
            # ASCII-only JSON: any string, a lone surrogate included, can be sent.
            payload = json.dumps(self.body, separators=(",", ":"), ensure_ascii=True)
            headers.append(("Content-Type", "application/json"))
        retry_after = self.retry_after
        if retry_after is None and self.status == 429:
            retry_after = 1
        if retry_after is not None and not any(
            name.lower() == "retry-after" for name, _ in self.headers
        ):
            headers.append(("Retry-After", str(retry_after)))
        custom = {name.lower() for name, _ in self.headers}
        # A custom header replaces the default of the same name (Content-Type, Retry-After).
        headers = [(name, value) for name, value in headers if name.lower() not in custom]
        headers.extend(self.headers)
        return FaultAnswer(status=self.status, headers=tuple(headers), body=payload.encode("utf-8"))

    def to_json(self) -> dict[str, Any]:
        """The rule as the control API shows it."""
        match: dict[str, str] = {}
        if self.method is not None:
            match["method"] = self.method
        if self.path is not None:
            match["path"] = self.path
        if self.api_key is not None:
            match["api_key"] = mask_secret(self.api_key)
        return {
            "id": self.rule_id,
            "match": match,
            "status": self.status,
            "delay_seconds": self.delay_seconds,
            "retry_after": self.retry_after,
            "body": self.body,
            "headers": dict(self.headers),
            "times": self.times_left,
            "probability": self.probability,
            "drop_connection": self.drop_connection,
            "used": self.used,
        }


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True  # any size: math.isfinite would overflow on an integer of 309+ digits
    return isinstance(value, float) and math.isfinite(value)


def _parse_match(raw: Any) -> tuple[str | None, str | None, str | None]:
    if raw is None:
        return None, None, None
    if not isinstance(raw, Mapping):
        raise ControlInputError("'match' must be an object")
    unknown = set(raw) - _MATCH_KEYS
    if unknown:
        raise ControlInputError(f"unknown match field(s): {', '.join(sorted(unknown))}")
    method = raw.get("method")
    if method is not None:
        if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
            raise ControlInputError(
                f"'match.method' must be one of {', '.join(sorted(HTTP_METHODS))}"
            )
        method = method.upper()
    path = raw.get("path")
    if path is not None:
        if not isinstance(path, str) or not (path.startswith("/") or path == "*"):
            raise ControlInputError("'match.path' must be a path starting with '/' (or '*')")
        if "*" in path[:-1]:
            raise ControlInputError("'match.path' may only end in '*' (a prefix), not contain it")
        if is_control_path(path.rstrip("*")):
            raise ControlInputError("faults never apply to the control API (/_mock)")
    api_key = raw.get("api_key")
    if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
        raise ControlInputError("'match.api_key' must be a non-empty key")
    return method, path, api_key


def _parse_status(raw: Mapping[str, Any]) -> int | None:
    status = raw.get("status")
    if status is None:
        return None
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ControlInputError("'status' must be an HTTP error status, a whole number 400-599")
    return status


def _parse_delay(raw: Mapping[str, Any]) -> float:
    delay = raw.get("delay_seconds")
    if delay is None:
        return 0.0
    if not _is_number(delay) or delay < 0:
        raise ControlInputError("'delay_seconds' must be a number of seconds >= 0")
    if delay > MAX_DELAY_SECONDS:
        raise ControlInputError(f"'delay_seconds' must be at most {MAX_DELAY_SECONDS:.0f}")
    return float(delay)


def _parse_retry_after(raw: Mapping[str, Any], status: int | None) -> int | None:
    value = raw.get("retry_after")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 86400:
        raise ControlInputError("'retry_after' must be a whole number of seconds, 0-86400")
    if status is None:
        raise ControlInputError("'retry_after' needs a 'status' to go with (e.g. 429 or 503)")
    return value


def _parse_probability(raw: Mapping[str, Any]) -> float | None:
    value = raw.get("probability")
    if value is None:
        return None
    if not _is_number(value) or not 0 < value <= 1:
        raise ControlInputError("'probability' must be a number with 0 < probability <= 1")
    return float(value)


def _parse_headers(raw: Mapping[str, Any], status: int | None) -> tuple[tuple[str, str], ...]:
    value = raw.get("headers")
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ControlInputError("'headers' must be an object of header names and string values")
    if status is None:
        raise ControlInputError("'headers' needs a 'status' to go with (they go on its answer)")
    if len(value) > _MAX_HEADERS:
        raise ControlInputError(f"'headers' may hold at most {_MAX_HEADERS} headers")
    parsed: list[tuple[str, str]] = []
    for name, text in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ControlInputError(f"'headers': {name!r} is not a valid header name")
        if name.lower() in _FRAMING_HEADERS:
            raise ControlInputError(f"'headers': {name} is set by the server, not by a fault")
        if isinstance(text, bool) or not isinstance(text, str | int):
            raise ControlInputError(f"'headers': the value of {name} must be a string")
        text = str(text)
        if not (text.isascii() and text.isprintable()):
            raise ControlInputError(
                f"'headers': the value of {name} must be printable ASCII on one line"
            )
        parsed.append((name, text))
    return tuple(parsed)


def parse_fault(raw: Any, *, rule_id: str) -> FaultRule:
    """Check and convert a fault given as JSON; a clear ``ControlInputError`` when it is wrong."""
    if not isinstance(raw, Mapping):
        raise ControlInputError("a fault rule must be a JSON object")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ControlInputError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    if all(raw.get(key) in (None, False) for key in _EFFECT_KEYS):
        raise ControlInputError(
            "a fault needs at least one of 'status', 'delay_seconds' or 'drop_connection'"
        )
    method, path, api_key = _parse_match(raw.get("match"))
    status = _parse_status(raw)
    drop = raw.get("drop_connection", False)
    if drop is None:
        drop = False
    if not isinstance(drop, bool):
        raise ControlInputError("'drop_connection' must be true or false")
    if drop and status is not None:
        raise ControlInputError("'drop_connection' sends no answer: it cannot have a 'status'")
    if raw.get("body") is not None and status is None:
        raise ControlInputError("'body' needs a 'status' to go with")
    times = raw.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ControlInputError("'times' must be a whole number >= 1")
    rule = FaultRule(
        rule_id=rule_id,
        method=method,
        path=path,
        api_key=api_key,
        status=status,
        delay_seconds=_parse_delay(raw),
        retry_after=_parse_retry_after(raw, status),
        body=raw.get("body"),
        headers=_parse_headers(raw, status),
        times_left=times,
        probability=_parse_probability(raw),
        drop_connection=drop,
    )
    _check_answerable(rule)
    return rule


def _check_answerable(rule: FaultRule) -> None:
    """Refuse, before it is stored, a rule whose answer could not be sent."""
    try:
        rule.answer()
    except UnicodeEncodeError as exc:
        raise ControlInputError(
            "'body' cannot be sent: a string body goes out as UTF-8 text, and this one holds "
            f"a lone surrogate (U+D800-U+DFFF) at position {exc.start}"
        ) from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise ControlInputError(f"'body' cannot be sent as an answer: {exc}") from None


class FaultBook:
    """The ordered fault rules of one mock instance (indexed by key: see ``rulebook``), and the
    seeded draws for ``probability``."""

    def __init__(self, *, seed: int | None = None) -> None:
        self._seed = seed
        self._rules: KeyedRules[FaultRule] = KeyedRules()
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def add(self, raw: Any) -> FaultRule:
        """Append a rule (it applies after the existing ones)."""
        # Checked before taking an id, so a refused rule leaves no gap in the ids.
        rule = parse_fault(raw, rule_id="")
        with self._rules.lock:
            rule.rule_id = f"flt_{next(self._ids)}"
            self._rules.add(rule)
            return rule

    def list(self) -> list[FaultRule]:
        """The rules in the order they are tried."""
        return self._rules.all()

    def delete(self, rule_id: str) -> None:
        """Remove one rule; ``NotFound`` for an unknown id."""
        with self._rules.lock:
            if not self._rules.remove(rule_id):
                raise NotFound()

    def clear(self) -> None:
        """Remove every rule; the seeded draws start again. Ids are never handed out again, so
        an id a test still holds can never name somebody else's rule."""
        with self._rules.lock:
            self._rules.clear()
            self._random = random.Random(self._seed)

    def take(self, *, method: str, path: str, api_key: str | None = None) -> FaultRule | None:
        """The rule that fires for this request, counting one use of it; None if none fires.

        Only the rules for this key and those for any key are tried (the others cannot match,
        so skipping them changes no seeded draw).
        """
        if is_control_path(path) or not len(self._rules):
            return None
        with self._rules.lock:
            for rule in self._rules.candidates(api_key):
                if not rule.matches(method=method, path=path, api_key=api_key):
                    continue
                if rule.probability is not None and self._random.random() >= rule.probability:
                    continue
                rule.used += 1
                if rule.times_left is not None:
                    rule.times_left -= 1
                    if rule.times_left == 0:
                        self._rules.remove(rule.rule_id)
                return rule
        return None
