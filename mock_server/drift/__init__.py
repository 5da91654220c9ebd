"""Drift mode (``freepik-mock contract``): ask any server the questions that cost nothing.

Part of the runtime install, not the test kit: it needs only the mock and httpx. The probes are
in :mod:`.probes`, the report in :mod:`.report`, the run in :mod:`.runner`.
"""

from __future__ import annotations

from .probes import COLLECTION, PROBES, UNKNOWN_TASK_ID, Probe
from .report import (
    EXIT_DIFFERENCES,
    EXIT_KEY_REFUSED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    DriftReport,
    ProbeResult,
    render_json,
    render_table,
)
from .runner import run_drift

__all__ = [
    "COLLECTION",
    "EXIT_DIFFERENCES",
    "EXIT_KEY_REFUSED",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "PROBES",
    "UNKNOWN_TASK_ID",
    "DriftReport",
    "Probe",
    "ProbeResult",
    "render_json",
    "render_table",
    "run_drift",
]
