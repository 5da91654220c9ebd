"""Run every ``bench_*`` module in this package, in name order, each through its ``main()``."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench

__all__ = ["run_all"]


def run_all() -> int:
    """Run the benchmarks; the exit status is 1 if any of them raised."""
    failed = []
    names = sorted(
        info.name for info in pkgutil.iter_modules(bench.__path__) if info.name.startswith("bench_")
    )
    for name in names:
        print(f"== {name}", flush=True)
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception as error:  # one broken benchmark should not hide the others' figures
            print(f"!! {name} failed: {error!r}", flush=True)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_all())
