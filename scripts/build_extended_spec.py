"""Write mock_server/spec/data/extended-openapi.yaml (and its JSON copy) from the vendor spec.

Usage: ``python scripts/build_extended_spec.py [--check] [--path FILE]``. The JSON copy goes next
to ``FILE``, with the suffix ``.json``: the server reads that one (``json`` parses it in well under
a millisecond; PyYAML would cost tens of milliseconds at start-up), the YAML is what people read
and what ``/_mock/openapi.yaml`` serves. With ``--check`` nothing is written, and the exit status
is 1 when either file differs from what the builder produces.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "mock_server" / "spec" / "data" / "extended-openapi.yaml"

# Runs from a clone without the package installed.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from freepik_mock.server.spec import (  # noqa: E402
    build_extended_spec,
    load_vendor_spec,
    render_spec_yaml,
)

__all__ = ["json_copy_path", "main", "render_spec_json"]


def render_spec_json(spec: dict[str, Any]) -> str:
    """``spec`` as the JSON copy the server loads: stable bytes, keys in the YAML's order."""
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def json_copy_path(yaml_path: Path) -> Path:
    """Where the JSON copy of the spec at ``yaml_path`` goes."""
    return yaml_path.with_suffix(".json")


def main(argv: list[str] | None = None) -> int:
    """Build the extended spec (or with ``--check``, compare it); returns the exit status."""
    parser = argparse.ArgumentParser(description="Build the mock's extended OpenAPI spec.")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the file is out of date"
    )
    parser.add_argument("--path", type=Path, default=SHIPPED, help="the file (default: shipped)")
    args = parser.parse_args(argv)
    target: Path = args.path
    spec = build_extended_spec(load_vendor_spec())
    files = {
        target: render_spec_yaml(spec).encode("utf-8"),
        json_copy_path(target): render_spec_json(spec).encode("utf-8"),
    }
    if args.check:
        stale = [path for path, expected in files.items() if _current(path) != expected]
        for path in stale:
            print(f"{path} is out of date: run scripts/build_extended_spec.py", file=sys.stderr)
        if stale:
            return 1
        print(f"{target} and its JSON copy are up to date")
        return 0
    for path, expected in files.items():
        path.write_bytes(expected)
        print(f"wrote {path}")
    return 0


def _current(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
