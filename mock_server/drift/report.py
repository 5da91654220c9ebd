"""The drift report: one row per probe, the exit code, and the report as a table or as JSON.

A :class:`ProbeResult` says what the target and the reference mock answered to one probe and
whether the target differs from the spec or from the mock (with each difference in
``details``). A :class:`DriftReport` holds the rows of one run; :attr:`DriftReport.exit_code`
is :data:`EXIT_OK` when nothing differs, :data:`EXIT_DIFFERENCES` when something does and
:data:`EXIT_UNREACHABLE` when the target could not be reached. :func:`render_table` and
:func:`render_json` show it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "EXIT_DIFFERENCES",
    "EXIT_KEY_REFUSED",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "DriftReport",
    "ProbeResult",
    "render_json",
    "render_table",
]

EXIT_OK = 0
EXIT_DIFFERENCES = 1
EXIT_UNREACHABLE = 2
EXIT_KEY_REFUSED = 3


@dataclass(frozen=True, kw_only=True)
class ProbeResult:
    """One row of the report. Verdicts are ``ok``, ``differs`` or ``n/a``."""

    probe: str
    request: str
    target_status: int | None
    mock_status: int | None
    spec_verdict: str
    mock_verdict: str
    details: tuple[str, ...] = ()

    @property
    def differs(self) -> bool:
        """Whether the target disagrees with the spec or with the mock here."""
        return "differs" in (self.spec_verdict, self.mock_verdict)

    def to_json(self) -> dict[str, Any]:
        """The row as plain JSON data (its fields, ``details`` as a list)."""
        return {**asdict(self), "details": list(self.details)}


@dataclass(frozen=True, kw_only=True)
class DriftReport:
    """The rows of one run; ``error`` says why the target could not be reached (then no rows)."""

    base_url: str
    rows: tuple[ProbeResult, ...] = ()
    error: str | None = None
    #: The target answered 401 to the list with the given key: an expired or wrong key, whose
    #: differences are not drift.
    key_refused: bool = False

    @property
    def differences(self) -> tuple[ProbeResult, ...]:
        """The rows where the target differs from the spec or the mock."""
        return tuple(row for row in self.rows if row.differs)

    @property
    def exit_code(self) -> int:
        """0: no differences; 1: differences; 2: unreachable; 3: the key was refused."""
        if self.error is not None:
            return EXIT_UNREACHABLE
        if self.key_refused:
            return EXIT_KEY_REFUSED
        return EXIT_DIFFERENCES if self.differences else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON data."""
        return {
            "base_url": self.base_url,
            "reachable": self.error is None,
            "error": self.error,
            "key_refused": self.key_refused,
            "probes": [row.to_json() for row in self.rows],
            "differences": len(self.differences),
            "exit_code": self.exit_code,
        }


# -- rendering ---------------------------------------------------------------------------------
_COLUMNS = ("probe", "request", "target", "mock", "spec", "vs mock")


def _cells(row: ProbeResult) -> tuple[str, ...]:
    statuses = ("-" if code is None else str(code) for code in (row.target_status, row.mock_status))
    return (row.probe, row.request, *statuses, row.spec_verdict, row.mock_verdict)


def render_table(report: DriftReport) -> str:
    """The report as a plain-text table, then each difference in full, then a one-line verdict."""
    head = f"freepik-mock contract: {report.base_url} vs the spec and the mock (no credits spent)"
    if report.error is not None:
        return f"{head}\n\nerror: {report.error}\nexit code {report.exit_code}"
    table = [_COLUMNS, *(_cells(row) for row in report.rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(_COLUMNS))]
    lines = [head, ""]
    if report.key_refused:
        # Said first: otherwise the reader wades through every difference before learning why.
        lines += [
            "the target refused the API key (401 to the list): the differences below may "
            "come from the key, not from drift; check --api-key",
            "",
        ]
    for index, cells in enumerate(table):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    differing = report.differences
    if differing:
        lines += ["", "Differences:"]
        for row in differing:
            lines.append(f"  {row.probe}:")
            lines += [f"    - {detail}" for detail in row.details]
        verdict = f"{len(differing)} of {len(report.rows)} probes differ"
    else:
        verdict = f"no differences in {len(report.rows)} probes"
    if report.key_refused:
        verdict += "; the target refused the API key"
    lines += ["", f"{verdict} (exit code {report.exit_code})"]
    return "\n".join(lines)


def render_json(report: DriftReport) -> str:
    """The report as indented JSON (see :meth:`DriftReport.to_json`)."""
    return json.dumps(report.to_json(), indent=2)
