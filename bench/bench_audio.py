"""CPU cost of result MP3s: making a style's material, and the first download of a task's track.

The requirement: once a style's material exists, the first download of any task's track (any
prompt of that style, any length up to 240 s) costs at most 5 ms of CPU; the material is made
once per style, not per task. Figures are CPU time of this process (``time.process_time``),
the median over new tasks (each one's first render: no track cache involved).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from freepik_mock.server.audio import TrackRenderer
from freepik_mock.server.core import MockConfig
from freepik_mock.server.web import close_app, create_app

__all__ = ["main"]

TARGET_MS = 5.0
LENGTHS = (10, 30, 60, 120, 240)
# The tempo extremes (40 bpm: the longest segments; 240 bpm: the most notes per track), with
# and without drums, and a prompt whose words name nothing (its hash picks the style).
PROMPTS = (
    "40 bpm church organ",
    "slow calm piano",
    "upbeat funk",
    "fast energetic techno 160bpm",
    "240 bpm chiptune",
    "a song about the sea",
)
TASKS = 15
FILL_STYLES = 16
KEY = "bench-key"


def cpu_ms(action: Callable[[], object]) -> float:
    """CPU milliseconds (this process, all threads) of one call of ``action``."""
    start = time.process_time()
    action()
    return (time.process_time() - start) * 1000


def rss_mb() -> float:
    """Resident set size now (Linux), or 0 where /proc is missing."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def first_downloads(renderer: TrackRenderer, prompt: str, length: int) -> float:
    """Median CPU ms of the first render of ``TASKS`` new tasks' tracks."""
    return statistics.median(
        cpu_ms(
            lambda n=n: renderer.render(
                task_id=f"task-{length}-{n}", prompt=prompt, length_seconds=length
            )
        )
        for n in range(TASKS)
    )


def request_ms(prompt: str) -> float:
    """Median CPU ms of a whole first GET of a 240 s result through the app (manual clock)."""
    app = create_app(MockConfig(clock="manual", api_keys=(KEY,)))
    try:
        client = app.test_client()
        urls = []
        for _ in range(TASKS + 1):
            answer = client.post(
                "/v1/ai/music-generation",
                json={"prompt": prompt, "music_length_seconds": 240},
                headers={"x-freepik-api-key": KEY},
            )
            task_id = answer.get_json()["data"]["task_id"]
            client.post(f"/_mock/tasks/{task_id}/complete")
            urls.append(f"/results/{task_id}.mp3")
        client.get(urls[0])  # makes the style's material
        return statistics.median(cpu_ms(lambda url=url: client.get(url)) for url in urls[1:])
    finally:
        close_app(app)


def fill(renderer: TrackRenderer, styles: int) -> str:
    """Make ``styles`` styles' materials; say what they cost and what is kept."""
    before = rss_mb()
    made = [
        cpu_ms(lambda n=n: renderer.render(task_id="t", prompt=f"style {n}", length_seconds=1))
        for n in range(styles)
    ]
    held, held_bytes = renderer.materials_held
    return (
        f"{styles} styles ('style N'): material made in median {statistics.median(made):.0f} ms,"
        f" max {max(made):.0f} ms CPU; {held} kept, {held_bytes / 1e6:.1f} MB of MP3 (budget"
        f" {renderer.material_bytes / 1e6:.0f} MB); RSS +{rss_mb() - before:.0f} MB"
    )


def main() -> None:
    """Print memory per style, the material cost per style and first-download CPU per length."""
    print(f"RSS at start {rss_mb():.0f} MB")
    print(fill(TrackRenderer(cache_size=0), FILL_STYLES))
    print(fill(TrackRenderer(cache_size=0, material_bytes=3_000_000), FILL_STYLES))
    renderer = TrackRenderer(cache_size=0)
    print(f"first download of a new task's track, CPU ms (median of {TASKS}); target {TARGET_MS}")
    lengths = "".join(f"{f'{n} s':>8}" for n in LENGTHS)
    print(f"{'prompt':30} {'material':>9} {'KB':>6}{lengths} {'worst/target':>13}")
    worst_overall = 0.0
    for prompt in PROMPTS:
        before = renderer.materials_held[1]
        material = cpu_ms(lambda p=prompt: renderer.render(task_id="m", prompt=p, length_seconds=1))
        kilobytes = (renderer.materials_held[1] - before) / 1000
        figures = [first_downloads(renderer, prompt, length) for length in LENGTHS]
        worst_overall = max(worst_overall, *figures)
        cells = "".join(f"{figure:8.2f}" for figure in figures)
        print(
            f"{prompt:30} {material:7.0f}ms {kilobytes:6.0f}{cells}"
            f" {max(figures) / TARGET_MS:13.2f}"
        )
    print(
        f"worst first download: {worst_overall:.2f} ms CPU"
        f" ({worst_overall / TARGET_MS:.2f} of target)"
    )
    for prompt in ("upbeat funk", "240 bpm chiptune"):
        print(f"whole first GET of a 240 s result, {prompt!r}: {request_ms(prompt):.2f} ms CPU")
