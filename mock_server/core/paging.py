"""One page of a control list: the items, how many the list holds, and the cursor for the next poll.

The lists of the control API (tasks, webhook messages, journaled requests) number every change in
one counter of their own: a task counts as changed when it is made and at each status it reaches,
a message when it is logged and whenever its state or attempts change, a request when it is
journaled. The count of the last change is the *cursor*: ``since=<cursor>`` answers only what
changed after it, so a poll costs what changed, not what is stored. The counter is never started
again (not even by reset), so an old cursor never matches newer changes by mistake; a ``since``
from before the list was last emptied (a reset), or from another run of the mock (beyond the
counter), answers ``restarted``: what the reader holds is gone, and the answer holds everything
there is now (the first ``limit`` of it), as read from the start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["MAX_PAGE_LIMIT", "Page", "first_changes", "since_start"]

#: The most items one answer may hold when ``limit`` is given.
MAX_PAGE_LIMIT = 1000

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    """``items`` oldest first (by creation, or by change under ``since``); ``total`` is how many
    items the list holds (of the key, where a key was given); ``cursor`` is what to pass as
    ``since`` next time; ``has_more`` says that more items matched than ``limit`` let through;
    ``restarted`` that the list was emptied after ``since`` (see the module's docstring)."""

    items: list[T]
    total: int
    cursor: int
    has_more: bool
    restarted: bool = False


def since_start(since: int | None, *, sequence: int, cleared_at: int) -> tuple[int | None, bool]:
    """The cursor to read from and whether the list restarted after ``since``: a cursor from
    before the last clear, or beyond the counter (another run), reads from the start."""
    if since is None:
        return None, False
    if since < cleared_at or since > sequence:
        return 0, True
    return since, False


def first_changes(
    changes: Iterable[tuple[T, int]], *, limit: int | None, sequence: int
) -> tuple[list[T], int, bool]:
    """The first ``limit`` items of ``changes`` (each with its change number, in change order,
    already filtered; read lazily, so no more than ``limit + 1`` are drawn), the cursor for the
    next read, and whether more were left: the cursor is then the last item's number, so the next
    read goes on after it; otherwise it is ``sequence``, the list's newest change."""
    items: list[T] = []
    last = sequence
    for item, number in changes:
        if limit is not None and len(items) >= limit:
            return items, last, True
        items.append(item)
        last = number
    return items, sequence, False
