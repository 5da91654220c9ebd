"""Keys are never shown in clear: in the control API, the journal or logs."""

from __future__ import annotations

__all__ = ["MAX_SHOWN", "MAX_SHOWN_SHARE", "SENSITIVE_HEADERS", "mask_secret"]

#: Request headers whose values are masked wherever requests are recorded.
SENSITIVE_HEADERS = frozenset(
    {"x-freepik-api-key", "x-magnific-api-key", "authorization", "cookie", "proxy-authorization"}
)


#: At most this many characters of a key are ever shown...
MAX_SHOWN = 4
#: ...and never more than this share of it.
MAX_SHOWN_SHARE = 1 / 3


def mask_secret(value: str) -> str:
    """Enough of a key to tell keys apart, never enough to use it: at most 4 characters and at
    most a third of the key are shown (its first and last), the rest is one ``…``."""
    shown = min(MAX_SHOWN, int(len(value) * MAX_SHOWN_SHARE))
    if shown < 2:
        return "*" * len(value)
    head = (shown + 1) // 2
    return f"{value[:head]}…{value[len(value) - (shown - head) :]}"
