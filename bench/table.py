"""The one table the peer benchmark prints: each figure, its target, and its ratio to the target.

A target is either a floor (``>=``: throughput) or a ceiling (``<=``: latency, start-up, memory),
fixed or relative to a peer's figure (``>= 2x Prism``). The ratio is always figure / target, so
a floor is met at a ratio of 1 or more and a ceiling at 1 or less; the last column says which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Row", "Target", "format_table", "format_value", "resolve_target"]

Bound = Literal[">=", "<="]


@dataclass(frozen=True)
class Target:
    """``figure {bound} factor * (peer's figure, or 1 when peer is None)``."""

    bound: Bound
    factor: float
    peer: str | None = None

    def label(self) -> str:
        """How the table names it, e.g. ``>= 2x prism`` or ``<= 4``."""
        if self.peer is None:
            return f"{self.bound} {_number(self.factor)}"
        inverse = 1 / self.factor
        if self.factor < 1 and abs(inverse - round(inverse)) < 1e-9:
            return f"{self.bound} 1/{round(inverse)} {self.peer}"  # "<= 1/3 prism"
        return f"{self.bound} {_number(self.factor)}x {self.peer}"


@dataclass(frozen=True)
class Row:
    """One figure across the servers (``None``: not measured there), and the target it has."""

    name: str
    unit: str
    values: Mapping[str, float | None]
    target: Target | None = None
    #: The column the target applies to.
    subject: str = "mock"
    notes: Sequence[str] = field(default=())


def resolve_target(row: Row) -> float | None:
    """The target's value for ``row`` (``None`` when the peer it refers to was not measured)."""
    if row.target is None:
        return None
    if row.target.peer is None:
        return row.target.factor
    peer = row.values.get(row.target.peer)
    return None if peer is None else peer * row.target.factor


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_value(value: float | None, unit: str) -> str:
    """``value`` with its unit, compactly (``-`` when it was not measured)."""
    if value is None:
        return "-"
    return f"{_number(value)} {unit}".rstrip()


def _verdict(row: Row, ratio: float) -> str:
    assert row.target is not None
    met = ratio >= 1 if row.target.bound == ">=" else ratio <= 1
    return "met" if met else "MISSED"


def _cells(row: Row, columns: Sequence[str]) -> list[str]:
    cells = [row.name] + [format_value(row.values.get(column), row.unit) for column in columns]
    target = resolve_target(row)
    subject = row.values.get(row.subject)
    if row.target is None:
        return [*cells, "", "", ""]
    label = row.target.label()
    if target is None or subject is None:
        return [*cells, label, "-", "not measured"]
    if target == 0:
        ratio = 1.0 if subject == 0 else float("inf")
        met = "met" if subject == 0 or row.target.bound == ">=" else "MISSED"
        return [*cells, label, "-" if subject == 0 else "inf", met]
    ratio = subject / target
    return [*cells, label, f"{ratio:.2f}", _verdict(row, ratio)]


def format_table(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """The rows as an aligned text table: figure, one column per server, target, ratio, verdict."""
    header = ["figure", *columns, "target", "ratio", "verdict"]
    lines = [header, *(_cells(row, columns) for row in rows)]
    widths = [max(len(line[index]) for line in lines) for index in range(len(header))]

    def render(line: Sequence[str]) -> str:
        first = line[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * width for width in widths)
    out = [render(header), rule, *(render(line) for line in lines[1:])]
    notes = [f"  * {note}" for row in rows for note in row.notes]
    if notes:
        out += ["", *notes]
    return "\n".join(out)
