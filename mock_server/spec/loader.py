"""The specs shipped inside the package, read with :mod:`importlib.resources`.

PyYAML is imported only to parse a spec (serving ``/_mock/openapi.yaml`` needs the text only).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

__all__ = [
    "CONTROL_SPEC_FILE",
    "EXTENDED_SPEC_FILE",
    "VENDOR_SPEC_FILE",
    "load_control_spec",
    "load_control_spec_text",
    "load_extended_spec",
    "load_extended_spec_text",
    "load_vendor_spec",
    "load_vendor_spec_text",
]

VENDOR_SPEC_FILE = "vendor-openapi.yaml"
EXTENDED_SPEC_FILE = "extended-openapi.yaml"
CONTROL_SPEC_FILE = "control-openapi.yaml"


def _read(name: str) -> str:
    return resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")


def _parse(text: str) -> dict[str, Any]:
    import yaml

    # libyaml's loader, when PyYAML was built with it, reads the same YAML several times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: dict[str, Any] = yaml.load(text, Loader=loader)
    return spec


def load_vendor_spec_text() -> str:
    """The vendor's OpenAPI YAML for the create call, byte for byte as the vendor publishes it."""
    return _read(VENDOR_SPEC_FILE)


def load_vendor_spec() -> dict[str, Any]:
    """The vendor's spec, parsed."""
    return _parse(load_vendor_spec_text())


def load_extended_spec_text() -> str:
    """The extended spec (vendor spec + the mock's marked additions) as shipped, in YAML."""
    return _read(EXTENDED_SPEC_FILE)


def load_extended_spec() -> dict[str, Any]:
    """The extended spec, parsed."""
    return _parse(load_extended_spec_text())


def load_control_spec_text() -> str:
    """The control API's OpenAPI 3.1 document (``/_mock``), in YAML, as shipped."""
    return _read(CONTROL_SPEC_FILE)


def load_control_spec() -> dict[str, Any]:
    """The control API's document, parsed."""
    return _parse(load_control_spec_text())
