"""CPU cost of rendering result MP3s: first render (cold and warm palette) and cached serve.

The requirement: serving a 240 s track costs at most a few tens of milliseconds of CPU. A
cached serve is what every request after the first gets; the first render of a tune whose
palette is warm is what a new task with a familiar style costs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from freepik_mock.server.audio import TrackRenderer

__all__ = ["main"]

TARGET_MS = 30.0
""""A few tens of milliseconds", taken as 30 ms."""
LENGTH = 240
PROMPTS = ("slow calm piano", "upbeat funk", "fast energetic techno 160bpm")
CACHED_REPEATS = 1000


def cpu_ms(action: Callable[[], object], *, repeats: int = 1) -> float:
    """Mean CPU milliseconds (this process, all threads) per call of ``action``."""
    start = time.process_time()
    for _ in range(repeats):
        action()
    return (time.process_time() - start) * 1000 / repeats


def main() -> None:
    """Print, per prompt, the CPU time of each kind of render of a 240 s track."""
    print(f"240 s tracks; target for a served track: {TARGET_MS:.0f} ms CPU")
    header = f"{'prompt':30} {'cold':>9} {'warm/new':>9} {'warm/same':>9} {'cached':>9}"
    print(header + f" {'cached/target':>14} {'warm-new/target':>15} {'MB':>5}")
    for prompt in PROMPTS:
        renderer = TrackRenderer()

        def render(
            task_id: str,
            length: int = LENGTH,
            prompt: str = prompt,
            renderer: TrackRenderer = renderer,
        ) -> bytes:
            return renderer.render(task_id=task_id, prompt=prompt, length_seconds=length)

        # cold: nothing encoded yet for this tempo and instrument
        cold = cpu_ms(lambda: render("task-1"))
        # warm palette, a new task: a new melody, so some new segments
        warm_new = cpu_ms(lambda: render("task-2"))
        # warm palette, a tune already heard at another length: only assembly
        warm_same = cpu_ms(lambda: render("task-1", LENGTH - 1))
        cached = cpu_ms(lambda: render("task-1"), repeats=CACHED_REPEATS)
        size_mb = len(render("task-1")) / 1e6
        print(
            f"{prompt:30} {cold:7.1f}ms {warm_new:7.1f}ms {warm_same:7.1f}ms {cached:7.4f}ms"
            f" {cached / TARGET_MS:14.5f} {warm_new / TARGET_MS:15.2f} {size_mb:5.2f}"
        )
    print(
        "On the real clock a track is rendered while its task is IN_PROGRESS, so its download\n"
        "costs the 'cached' figure on the request path; on the manual clock the first download\n"
        "of a task costs 'warm/new' (or 'cold' for the first track of a tempo and instrument)."
    )
