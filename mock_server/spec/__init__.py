"""The vendor's OpenAPI spec and the mock's extended spec, shipped as package data, and the
request validation that holds the vendor surface to them."""

from __future__ import annotations

from .builder import build_extended_spec, render_spec_yaml, strip_additions
from .loader import (
    load_extended_spec,
    load_extended_spec_text,
    load_vendor_spec,
    load_vendor_spec_text,
)
from .validation import InvalidParam, RequestValidator, validate_response

__all__ = [
    "InvalidParam",
    "RequestValidator",
    "build_extended_spec",
    "load_extended_spec",
    "load_extended_spec_text",
    "load_vendor_spec",
    "load_vendor_spec_text",
    "render_spec_yaml",
    "strip_additions",
    "validate_response",
]
