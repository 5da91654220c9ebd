"""Run every ``bench_*`` module in this package, in name order, each through its ``main()``.

``--quick`` (or ``FREEPIK_MOCK_BENCH_QUICK=1``) runs 1 s per load cell, enough to check that the
benchmarks work; ``--only NAME`` runs the named module(s) only (``--only peers``).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import sys

import bench

__all__ = ["run_all"]


def run_all(argv: list[str] | None = None) -> int:
    """Run the benchmarks; the exit status is 1 if any of them raised, 130 on Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="1 s per cell: check it works")
    parser.add_argument("--only", action="append", default=[], help="run bench_NAME only")
    options = parser.parse_args(argv)
    quick = options.quick or os.environ.get("FREEPIK_MOCK_BENCH_QUICK", "") not in ("", "0")
    failed = []
    names = sorted(
        info.name for info in pkgutil.iter_modules(bench.__path__) if info.name.startswith("bench_")
    )
    if options.only:
        names = [name for name in names if name.removeprefix("bench_") in options.only]
    for name in names:
        print(f"== {name}", flush=True)
        try:
            main = importlib.import_module(f"bench.{name}").main
            if "quick" in inspect.signature(main).parameters:
                main(quick=quick)
            else:
                main()
        except KeyboardInterrupt:
            print(f"!! {name} interrupted: every process it started was stopped", flush=True)
            return 130
        except Exception as error:  # one broken benchmark should not hide the others' figures
            print(f"!! {name} failed: {error!r}", flush=True)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_all())
