"""The vendor's OpenAPI spec, the mock's extended spec and its control API's document, shipped as
package data, and the request validation that holds the vendor surface to them.

The spec builder (and PyYAML with it) is imported on first use of its functions, so that importing
this package, which the server does at start, stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .loader import (
    load_control_spec,
    load_control_spec_text,
    load_extended_spec,
    load_extended_spec_text,
    load_vendor_spec,
    load_vendor_spec_text,
)
from .validation import InvalidParam, RequestValidator, validate_response

if TYPE_CHECKING:
    from .builder import build_extended_spec, render_spec_yaml, strip_additions

__all__ = [
    "InvalidParam",
    "RequestValidator",
    "build_extended_spec",
    "load_control_spec",
    "load_control_spec_text",
    "load_extended_spec",
    "load_extended_spec_text",
    "load_vendor_spec",
    "load_vendor_spec_text",
    "render_spec_yaml",
    "strip_additions",
    "validate_response",
]

_FROM_BUILDER = frozenset({"build_extended_spec", "render_spec_yaml", "strip_additions"})


def __getattr__(name: str) -> Any:
    if name in _FROM_BUILDER:
        from . import builder

        return getattr(builder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
