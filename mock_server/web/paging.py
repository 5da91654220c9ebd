"""``?limit=`` and ``?since=`` on the control API's lists, and the fields every list answers with.

``limit`` keeps the newest N items (1 to ``MAX_PAGE_LIMIT``; without it, every item, as before
paging existed). ``since`` takes the ``cursor`` of an earlier answer and keeps what was made or
changed after it (see ``core/paging.py``), so a poll costs what changed, not what is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from ..core import ControlInputError
from ..core.paging import MAX_PAGE_LIMIT, Page

__all__ = ["PAGING_PARAMETERS", "page_view", "paging_arguments"]

#: The query parameters this module reads.
PAGING_PARAMETERS = ("limit", "since")

#: Digits enough for any cursor a mock can reach; longer text is refused before it is parsed.
_MAX_DIGITS = 18

T = TypeVar("T")


def _whole_number(name: str, rule: str) -> int | None:
    values = request.args.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ControlInputError(f"'{name}' may be given once")
    text = values[0]
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS:
        raise ControlInputError(f"'{name}' must be {rule}, not {text[:40]!r}")
    return int(text)


def paging_arguments() -> tuple[int | None, int | None]:
    """``(limit, since)`` from the query; a 400 in the control API's format for bad values."""
    rule = f"a whole number from 1 to {MAX_PAGE_LIMIT}"
    limit = _whole_number("limit", rule)
    if limit is not None and not 1 <= limit <= MAX_PAGE_LIMIT:
        raise ControlInputError(f"'limit' must be {rule}, not {limit}")
    since = _whole_number("since", "the 'cursor' of an earlier answer (a whole number >= 0)")
    return limit, since


def page_view(page: Page[T], view: Callable[[T], Any]) -> dict[str, Any]:
    """The answer of a list: ``data`` and the paging fields."""
    return {
        "data": [view(item) for item in page.items],
        "total": page.total,
        "cursor": page.cursor,
        "has_more": page.has_more,
        "restarted": page.restarted,
    }
