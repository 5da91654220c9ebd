"""Benchmarks: ``python -m bench`` runs every ``bench/bench_*.py`` module's ``main()``.

They print figures and ratios to targets; nothing here asserts on time.
"""

__all__: list[str] = []
