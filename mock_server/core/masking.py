"""Keys are never shown in clear: in the control API, the journal or logs."""

from __future__ import annotations

__all__ = ["SENSITIVE_HEADERS", "mask_secret"]

#: Request headers whose values are masked wherever requests are recorded.
SENSITIVE_HEADERS = frozenset(
    {"x-freepik-api-key", "x-magnific-api-key", "authorization", "cookie", "proxy-authorization"}
)


def mask_secret(value: str) -> str:
    """Enough of a key to tell keys apart, never enough to use it."""
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:3]}…{value[-2:]}"
