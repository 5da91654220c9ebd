"""The route fuzz's figures: cases tried per target, statuses seen with counts, findings.

Both fuzz modules count into one ``Figures`` per session (kept on the pytest config, not in a
module global); a plugin registered with it writes them at the end of the terminal summary, and
appends the line to the file named by ``FREEPIK_MOCK_FUZZ_FIGURES`` when that is set (under
xdist, whose workers' summaries are not shown).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

__all__ = ["FIGURES_FILE_ENV", "FigureReport", "Figures", "session_figures"]

#: Where the figures line is also appended, when set.
FIGURES_FILE_ENV = "FREEPIK_MOCK_FUZZ_FIGURES"


@dataclass
class Figures:
    """What the fuzz tried and saw: cases per target, statuses with counts, findings."""

    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, *, target: str, status: int | str) -> None:
        """Count one case sent to ``target`` and what it answered."""
        with self._lock:
            self.cases[target] += 1
            self.statuses[str(status)] += 1

    def finding(self, text: str) -> None:
        """Keep a 500, hang or failed health check (the test fails with it too)."""
        with self._lock:
            self.findings.append(text)

    def summary(self) -> str:
        """One line: cases per target, statuses seen, findings."""
        targets = ", ".join(f"{name} {count}" for name, count in sorted(self.cases.items()))
        statuses = ", ".join(f"{s}x{n}" for s, n in sorted(self.statuses.items()))
        fives = self.statuses.get("500", 0)
        return (
            f"route fuzz: {sum(self.cases.values())} cases ({targets}); statuses: {statuses}; "
            f"500s: {fives}; findings: {len(self.findings)}"
        )


class FigureReport:
    """A pytest plugin writing the figures at the end of the session's terminal summary."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Write the summary line (and each finding) under its own heading."""
        terminalreporter.section("route fuzz figures")
        terminalreporter.write_line(self.figures.summary())
        for text in self.figures.findings:
            terminalreporter.write_line(f"  finding: {text[:500]}")

    @pytest.hookimpl
    def pytest_sessionfinish(self) -> None:
        """Append the summary line to ``FREEPIK_MOCK_FUZZ_FIGURES``, when set."""
        target = os.environ.get(FIGURES_FILE_ENV)
        if target and self.figures.cases:
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(self.figures.summary() + "\n")


_FIGURES_KEY = pytest.StashKey[Figures]()


def session_figures(config: pytest.Config) -> Figures:
    """The session's figures (created, with their report plugin, on first use)."""
    figures = config.stash.get(_FIGURES_KEY, None)
    if figures is None:
        figures = config.stash[_FIGURES_KEY] = Figures()
        config.pluginmanager.register(FigureReport(figures), "route-fuzz-figures")
    return figures
