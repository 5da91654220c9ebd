"""Benchmarks: ``make bench`` (``python -m bench``) runs every ``bench/bench_*.py`` module's
``main()``. They print figures and ratios to targets; nothing here asserts on time.

``bench_peers`` is the mock against its peers, in one interleaved run: ``tools`` installs Prism
and finds wrk, ``servers`` starts each server (``procs``: ports, first 200, memory, stopping by
PID), ``load`` drives wrk, ``lifecycle`` and ``dispatch`` (with ``receiver``) time the mock's own
work, ``table`` prints the figures with their targets. ``bare_app`` is the bare Flask peer.
"""

__all__: list[str] = []
