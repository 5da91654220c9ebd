"""The specs shipped inside the package, read with :mod:`importlib.resources`."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

__all__ = [
    "EXTENDED_SPEC_FILE",
    "VENDOR_SPEC_FILE",
    "load_extended_spec",
    "load_extended_spec_text",
    "load_vendor_spec",
    "load_vendor_spec_text",
]

VENDOR_SPEC_FILE = "vendor-openapi.yaml"
EXTENDED_SPEC_FILE = "extended-openapi.yaml"


def _read(name: str) -> str:
    return resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")


def load_vendor_spec_text() -> str:
    """The vendor's OpenAPI YAML for the create call, byte for byte as the vendor publishes it."""
    return _read(VENDOR_SPEC_FILE)


def load_vendor_spec() -> dict[str, Any]:
    """The vendor's spec, parsed."""
    spec: dict[str, Any] = yaml.safe_load(load_vendor_spec_text())
    return spec


def load_extended_spec_text() -> str:
    """The extended spec (vendor spec + the mock's marked additions) as shipped, in YAML."""
    return _read(EXTENDED_SPEC_FILE)


def load_extended_spec() -> dict[str, Any]:
    """The extended spec, parsed."""
    spec: dict[str, Any] = yaml.safe_load(load_extended_spec_text())
    return spec
