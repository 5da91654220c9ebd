"""The request journal: what clients sent to the vendor and file URLs, and what they got back.

Bounded (the oldest entries are dropped first). Key headers are masked when an entry is made, and
the key itself is kept only as a digest, so a key never sits in the journal in clear; filtering by
key compares digests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .clock import iso_utc
from .faults import path_matches
from .masking import SENSITIVE_HEADERS, mask_secret
from .paging import Page, first_changes, since_start

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "JournalEntry",
    "RecordedBody",
    "RequestJournal",
    "answer_summary",
    "journal_body",
    "json_depth",
    "masked_headers",
]

#: Bodies are kept up to this many bytes; the rest is cut (and said to be).
MAX_BODY_BYTES = 64 * 1024

#: A JSON body nested deeper is kept as text: showing it again must not exhaust the stack.
MAX_JSON_DEPTH = 64


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (0 for a scalar).

    Iterative, so it is safe on any value ``json.loads`` returned.
    """
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _digest(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode("utf-8", "surrogateescape")).digest()


def masked_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers as recorded: key and credential headers masked."""
    return {
        name: (mask_secret(value) if name.lower() in SENSITIVE_HEADERS else value)
        for name, value in headers
    }


def _render(raw: bytes, *, content_type: str | None, total_length: int | None) -> Any:
    """Parsed JSON when ``raw`` is JSON, else text; None when empty (see :func:`journal_body`)."""
    if not raw:
        return None
    cut = raw[:MAX_BODY_BYTES]
    truncated = len(raw) > MAX_BODY_BYTES or (total_length or 0) > len(cut)
    if not truncated and content_type and "json" in content_type.lower():
        try:
            # NaN and Infinity are refused: the journal's own answer must stay valid JSON.
            value = json.loads(cut, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            pass
        else:
            if json_depth(value) <= MAX_JSON_DEPTH:
                return value
    text = cut.decode("utf-8", "replace")
    if truncated:
        text += f"… [truncated, {total_length or len(raw)} bytes in all]"
    return text


class RecordedBody:
    """A body as the journal keeps it: its first bytes, rendered (parsed) only when read.

    Requests are many and reads of the journal few, so the request path only keeps the bytes;
    ``GET /_mock/requests`` parses them (once) with the rules of :func:`journal_body`.
    """

    __slots__ = ("_content_type", "_raw", "_rendered", "_total_length")

    def __init__(self, raw: bytes, *, content_type: str | None, total_length: int | None) -> None:
        # One byte more than is shown tells that the body was cut.
        self._raw = raw if len(raw) <= MAX_BODY_BYTES else raw[: MAX_BODY_BYTES + 1]
        self._content_type = content_type
        self._total_length = max(total_length or 0, len(raw)) or None
        self._rendered: Any = _UNRENDERED

    @property
    def size(self) -> int:
        """Roughly the memory the body holds."""
        return len(self._raw)

    def rendered(self) -> Any:
        """Parsed JSON when it is JSON, else text (cut, and said to be, beyond the limit)."""
        if self._rendered is _UNRENDERED:
            self._rendered = _render(
                self._raw, content_type=self._content_type, total_length=self._total_length
            )
        return self._rendered


_UNRENDERED = object()


def journal_body(
    raw: bytes, *, content_type: str | None, total_length: int | None = None
) -> RecordedBody | None:
    """The body as recorded (None when empty): shown as parsed JSON when it is JSON, else as
    text, rendered when the journal is read.

    ``raw`` may be the first ``MAX_BODY_BYTES`` bytes only; ``total_length`` is the full size.
    """
    if not raw:
        return None
    return RecordedBody(raw, content_type=content_type, total_length=total_length)


def answer_summary(raw: bytes | None, *, content_type: str | None) -> Any:
    """The answer's body as recorded: JSON or text as :func:`journal_body` keeps it; a binary
    body (an MP3) as a note of its size, never its bytes."""
    if raw is None:
        return None
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind and not (kind.startswith("text/") or "json" in kind or kind.endswith("+xml")):
        return f"[{len(raw)} bytes of {kind}]"
    return journal_body(raw, content_type=content_type)


def _shown(value: Any) -> Any:
    return value.rendered() if isinstance(value, RecordedBody) else value


@dataclass(frozen=True, kw_only=True)
class JournalEntry:
    """One request and its answer. ``status`` is None (and ``dropped`` true) when the
    connection was dropped; ``time`` is the wall-clock moment the request arrived (UTC, ISO
    8601) and ``mock_time`` the mock clock's reading then, in the same form.

    The moments are kept as ``arrived_at`` and ``mock_at`` and written out when read: requests
    are many and reads of the journal few.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int | None
    duration_ms: float
    fault: str | None
    arrived_at: datetime | None = None
    mock_at: datetime | None = None
    answer_body: Any = None
    api_key_digest: bytes | None = None

    @property
    def time(self) -> str:
        """When the request arrived (wall clock, UTC, ISO 8601 to the ms); "" if unknown."""
        return iso_utc(self.arrived_at, timespec="milliseconds") if self.arrived_at else ""

    @property
    def mock_time(self) -> str:
        """The mock clock's reading when the request arrived (UTC, ISO 8601); "" if unknown."""
        return iso_utc(self.mock_at) if self.mock_at else ""

    @property
    def dropped(self) -> bool:
        """Whether the connection was closed without an answer (a fault's drop)."""
        return self.status is None

    def to_json(self) -> dict[str, Any]:
        """The entry as the control API shows it (never the key in clear)."""
        return {
            "time": self.time,
            "mock_time": self.mock_time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": _shown(self.body),
            "status": self.status,
            "dropped": self.dropped,
            "answer_body": _shown(self.answer_body),
            "duration_ms": self.duration_ms,
            "fault": self.fault,
        }


#: What the journal's bodies may hold in all, by default: 1,000 entries with 64 KiB bodies both
#: ways would otherwise hold 128 MiB.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


def _recorded_size(value: Any) -> int:
    """Roughly the memory a recorded body holds (its length as text)."""
    if value is None:
        return 0
    if isinstance(value, RecordedBody):
        return value.size
    if isinstance(value, str):
        return len(value)
    return len(json.dumps(value, ensure_ascii=False, default=str))


class RequestJournal:
    """The last ``capacity`` requests, oldest first, their bodies at most ``max_bytes`` in all
    (the oldest entries go first; the newest is always kept)."""

    def __init__(self, *, capacity: int = 1000, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        # (entry, bytes its bodies hold, its number in the change counter of core/paging.py)
        self._entries: deque[tuple[JournalEntry, int, int]] = deque()
        self._bytes = 0
        self._sequence = 0
        self._cleared_at = 0

    def record(
        self,
        *,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Iterable[tuple[str, str]],
        body: Any,
        status: int | None,
        duration_ms: float,
        fault: str | None,
        api_key: str | None,
        arrived_at: datetime | None = None,
        mock_at: datetime | None = None,
        answer_body: Any = None,
    ) -> JournalEntry:
        """Add one request (the oldest entry goes when the journal is full).

        ``arrived_at`` is the wall-clock moment it arrived, ``mock_at`` the mock clock's then
        (both UTC).
        """
        entry = JournalEntry(
            arrived_at=arrived_at,
            mock_at=mock_at,
            answer_body=answer_body,
            method=method,
            path=path,
            query=dict(query),
            headers=masked_headers(headers),
            body=body,
            status=status,
            duration_ms=round(duration_ms, 3),
            fault=fault,
            api_key_digest=_digest(api_key) if api_key else None,
        )
        size = _recorded_size(entry.body) + _recorded_size(entry.answer_body)
        with self._lock:
            self._sequence += 1
            self._entries.append((entry, size, self._sequence))
            self._bytes += size
            while len(self._entries) > 1 and (
                len(self._entries) > self.capacity or self._bytes > self.max_bytes
            ):
                _, dropped, _ = self._entries.popleft()
                self._bytes -= dropped
        return entry

    def entries(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        api_key: str | None = None,
    ) -> list[JournalEntry]:
        """The entries, oldest first, that match every filter given.

        ``path`` is exact, or a prefix when it ends in ``*``; ``api_key`` is the key in clear.
        """
        return self.page(method=method, path=path, api_key=api_key).items

    def page(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        api_key: str | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> Page[JournalEntry]:
        """The newest ``limit`` matching entries (all without it), oldest first; with ``since``,
        the first ``limit`` matching entries journaled after that cursor.

        Reads newest first only as far as it needs (``since``, or ``limit`` matches).
        """
        wanted_method = method.upper() if method else None
        wanted_key = _digest(api_key) if api_key else None

        def matches(entry: JournalEntry) -> bool:
            if wanted_method and entry.method != wanted_method:
                return False
            if path and not path_matches(path, entry.path):
                return False
            return wanted_key is None or (
                entry.api_key_digest is not None
                and hmac.compare_digest(entry.api_key_digest, wanted_key)
            )

        with self._lock:
            total = len(self._entries)
            cursor = self._sequence
            since, restarted = since_start(
                since, sequence=self._sequence, cleared_at=self._cleared_at
            )
            # Newest first, as far back as the cursor; the filters cost no more than that.
            recent: list[tuple[JournalEntry, int]] = []
            for entry, _, sequence in reversed(self._entries):
                if since is not None and sequence <= since:
                    break
                recent.append((entry, sequence))
        if since is None:
            taken = [entry for entry, _ in recent if matches(entry)]
            more = limit is not None and len(taken) > limit
            items = taken[:limit] if limit is not None else taken
            items.reverse()
            return Page(items=items, total=total, cursor=cursor, has_more=more)
        items, cursor, more = first_changes(
            ((entry, n) for entry, n in reversed(recent) if matches(entry)),
            limit=limit,
            sequence=cursor,
        )
        return Page(items=items, total=total, cursor=cursor, has_more=more, restarted=restarted)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            # The clear is a change: a cursor from before it differs from one read just after.
            self._sequence += 1
            self._cleared_at = self._sequence  # the counter goes on (see core/paging.py)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
