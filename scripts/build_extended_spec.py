"""Write mock_server/spec/data/extended-openapi.yaml from the vendor spec shipped in the package.

Usage: ``python scripts/build_extended_spec.py [--check] [--path FILE]``. With ``--check`` nothing
is written, and the exit status is 1 when the file differs from what the builder produces.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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


def main(argv: list[str] | None = None) -> int:
    """Build the extended spec (or with ``--check``, compare it); returns the exit status."""
    parser = argparse.ArgumentParser(description="Build the mock's extended OpenAPI spec.")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the file is out of date"
    )
    parser.add_argument("--path", type=Path, default=SHIPPED, help="the file (default: shipped)")
    args = parser.parse_args(argv)
    target: Path = args.path
    expected = render_spec_yaml(build_extended_spec(load_vendor_spec())).encode("utf-8")
    if args.check:
        current = target.read_bytes() if target.exists() else None
        if current != expected:
            print(f"{target} is out of date: run scripts/build_extended_spec.py", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    target.write_bytes(expected)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
