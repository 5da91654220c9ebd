"""The specs shipped inside the package, read with :mod:`importlib.resources`.

PyYAML is imported only to parse a YAML spec (serving ``/_mock/openapi.yaml`` needs the text
only). The extended spec, which every served mock compiles, is parsed from its JSON copy (kept
equal to the YAML by ``scripts/build_extended_spec.py`` and a test): ``json`` reads it in well
under a millisecond, where importing PyYAML alone takes tens of milliseconds.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = [
    "CONTROL_SPEC_FILE",
    "EXTENDED_SPEC_FILE",
    "EXTENDED_SPEC_JSON_FILE",
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
#: The same document as JSON, generated next to the YAML.
EXTENDED_SPEC_JSON_FILE = "extended-openapi.json"
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
    """The extended spec, parsed (from its JSON copy: the same document, read faster)."""
    spec: dict[str, Any] = json.loads(_read(EXTENDED_SPEC_JSON_FILE))
    return spec


def load_control_spec_text() -> str:
    """The control API's OpenAPI 3.1 document (``/_mock``), in YAML, as shipped."""
    return _read(CONTROL_SPEC_FILE)


def load_control_spec() -> dict[str, Any]:
    """The control API's document, parsed."""
    return _parse(load_control_spec_text())
