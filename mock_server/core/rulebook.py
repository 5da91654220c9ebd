"""Ordered rules indexed by the key they are for: a request sees only its key's rules and the
rules for any key, so the cost of matching does not grow with other keys' rules.

Parallel tests each use their own key and add rules for it; with one list, every create and every
vendor request would walk every test's rules. Here the rules of one key (and those for any key)
are kept as an immutable tuple per key, replaced on each change (copy on write): a reader takes
the tuple without a lock and without copying, and a change costs the size of that key's rules.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

__all__ = ["KeyedRule", "KeyedRules"]


class KeyedRule(Protocol):
    """What the index needs of a rule: its id and the key it is for (None: any key)."""

    @property
    def rule_id(self) -> str: ...

    @property
    def api_key(self) -> str | None: ...


R = TypeVar("R", bound=KeyedRule)

_Entry = tuple[int, R]  # (position in the order of addition, rule)


class KeyedRules(Generic[R]):
    """Rules in the order they were added, with the candidates for one key at hand.

    Thread-safe: changes take the lock; ``candidates`` takes none (it reads two tuples, each
    replaced whole). A rule is in force while ``holds(rule)``.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._order = itertools.count()
        self._rules: dict[str, _Entry[R]] = {}
        # A dict key is looked up by its hash, not compared character by character, so the
        # index tells nothing of a key's characters through timing (rules still compare keys
        # in constant time when they match).
        self._by_key: dict[str | None, tuple[_Entry[R], ...]] = {}

    def add(self, rule: R) -> None:
        """Append ``rule`` (it is tried after the existing ones). The caller holds ``lock``."""
        entry = (next(self._order), rule)
        self._rules[rule.rule_id] = entry
        self._by_key[rule.api_key] = (*self._by_key.get(rule.api_key, ()), entry)

    def remove(self, rule_id: str) -> bool:
        """Remove one rule; False if there is none with that id. The caller holds ``lock``."""
        entry = self._rules.pop(rule_id, None)
        if entry is None:
            return False
        key = entry[1].api_key
        kept = tuple(other for other in self._by_key.get(key, ()) if other is not entry)
        if kept:
            self._by_key[key] = kept
        else:
            self._by_key.pop(key, None)
        return True

    def clear(self) -> None:
        """Remove every rule. The caller holds ``lock``."""
        self._rules.clear()
        self._by_key.clear()

    def holds(self, rule: R) -> bool:
        """Whether ``rule`` is still in force (not removed or used up since it was read)."""
        entry = self._rules.get(rule.rule_id)
        return entry is not None and entry[1] is rule

    def all(self) -> list[R]:
        """Every rule, in order."""
        with self.lock:
            return [rule for _, rule in self._rules.values()]

    def candidates(self, api_key: str | None) -> Iterator[R]:
        """The rules that may apply to a request of ``api_key``, in order (no lock needed)."""
        anyone = self._by_key.get(None, ())
        own = self._by_key.get(api_key, ()) if api_key is not None else ()
        if not own:
            return (rule for _, rule in anyone)
        if not anyone:
            return (rule for _, rule in own)
        return (rule for _, rule in heapq.merge(own, anyone, key=lambda entry: entry[0]))

    def __len__(self) -> int:
        return len(self._rules)
