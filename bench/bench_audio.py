"""CPU cost of result MP3s: the first download of a task's track, for new styles and known ones.

The requirement: the first download of any task's track (any length up to 240 s) costs a few ms
of CPU, also in a new style. A track joins encoded segments that all styles share (a note of an
instrument, or a chord, with a drum hit, in a few lengths), each made the first time any track
needs it: so the cost of a new style falls as the renderer has seen more styles. Figures are
CPU time of this process (``time.process_time``) of each task's first render (no track cache).
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
NEW_STYLES = 400
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
        client.get(urls[0])  # makes the segments most tasks of the style use
        return statistics.median(cpu_ms(lambda url=url: client.get(url)) for url in urls[1:])
    finally:
        close_app(app)


def new_styles(renderer: TrackRenderer, count: int, *, length: int = 240) -> list[float]:
    """CPU ms of the first download of ``count`` tasks, each with a prompt never seen before."""
    return [
        cpu_ms(
            lambda n=n: renderer.render(
                task_id=f"new-{n}", prompt=f"a new song, number {n}", length_seconds=length
            )
        )
        for n in range(count)
    ]


def new_style_report(renderer: TrackRenderer) -> None:
    """A load test with a new prompt per task: cost by how many styles came before."""
    before = rss_mb()
    costs = new_styles(renderer, NEW_STYLES)
    print("a new prompt (so a new style) per task, 240 s tracks, CPU ms per first download:")
    for start in range(0, NEW_STYLES, NEW_STYLES // 8):
        window = sorted(costs[start : start + NEW_STYLES // 8])
        median = statistics.median(window)
        print(
            f"  tasks {start:4}-{start + len(window) - 1:4}: median {median:7.2f}"
            f"  90th {window[int(0.9 * (len(window) - 1))]:7.2f}  max {window[-1]:7.2f}"
        )
    held, held_bytes = renderer.segments.held
    print(
        f"  total {sum(costs) / 1000:.1f} s CPU for {NEW_STYLES} tasks; {held} segments kept,"
        f" {held_bytes / 1e6:.1f} MB of MP3 (budget {renderer.segments.byte_budget / 1e6:.0f} MB);"
        f" RSS +{rss_mb() - before:.0f} MB"
    )


def main() -> None:
    """Print the cost of new styles, then of new tasks of known styles, by length."""
    print(f"RSS at start {rss_mb():.0f} MB")
    new_style_report(TrackRenderer(cache_size=0))
    # A fresh renderer: the "first" column is the first 240 s track of each prompt (its segments
    # made, bar those earlier prompts made), and the lengths are further tasks of the prompt.
    renderer = TrackRenderer(cache_size=0)
    print(f"first download of a new task's track, CPU ms (median of {TASKS}); target {TARGET_MS}")
    lengths = "".join(f"{f'{n} s':>8}" for n in LENGTHS)
    print(f"{'prompt':30} {'first':>9} {'KB':>6}{lengths} {'worst/target':>13}")
    worst_overall = 0.0
    for prompt in PROMPTS:
        before = renderer.segments.held[1]
        first = cpu_ms(lambda p=prompt: renderer.render(task_id="m", prompt=p, length_seconds=240))
        kilobytes = (renderer.segments.held[1] - before) / 1000
        figures = [first_downloads(renderer, prompt, length) for length in LENGTHS]
        worst_overall = max(worst_overall, *figures)
        cells = "".join(f"{figure:8.2f}" for figure in figures)
        print(
            f"{prompt:30} {first:7.0f}ms {kilobytes:6.0f}{cells} {max(figures) / TARGET_MS:13.2f}"
        )
    print(
        f"worst first download: {worst_overall:.2f} ms CPU"
        f" ({worst_overall / TARGET_MS:.2f} of target)"
    )
    for prompt in ("upbeat funk", "240 bpm chiptune"):
        print(f"whole first GET of a 240 s result, {prompt!r}: {request_ms(prompt):.2f} ms CPU")
