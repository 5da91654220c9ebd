"""A style's material is made once; every track of the style is joined from it, on the request.

Tracks are checked as a user would: they split into valid Layer III frames of one format, they
decode (miniaudio's dr_mp3, independent of the LAME encoder) to the asked length within a frame,
and they are the same for the same task whatever was rendered before.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import miniaudio
import pytest
from flask import Flask

from freepik_mock.server.audio import TrackRenderer
from freepik_mock.server.audio import renderer as renderer_module
from freepik_mock.server.audio.frames import parse_header, split_frames
from freepik_mock.server.audio.material import StyleMaterial
from freepik_mock.server.audio.style import style_for_prompt
from freepik_mock.server.web import get_state
from tests.conftest import API_KEY

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}
# The extremes of tempo (the most and fewest frames per beat, so the most and least padding),
# and styles with and without drums.
PROMPTS = ("40 bpm church organ", "240 bpm chiptune", "calm piano lullaby", "upbeat funk")


@pytest.fixture(scope="module")
def renderer() -> TrackRenderer:
    """One renderer for the module, so each style's material is made once."""
    return TrackRenderer()


class MaterialCount:
    """Counts the materials a renderer makes (the class is swapped for a counting subclass)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made = 0
        lock = threading.Lock()
        count = self

        class Counted(StyleMaterial):
            def __init__(self, **arguments: object) -> None:
                super().__init__(**arguments)  # type: ignore[arg-type]
                with lock:
                    count.made += 1

        monkeypatch.setattr(renderer_module, "StyleMaterial", Counted)


def frame_format(track: bytes) -> tuple[int, int, int, str]:
    frames = split_frames(track)  # raises on anything but whole, valid Layer III frames
    headers = {parse_header(frame) for frame in frames}
    assert len(headers) == 1
    (header,) = headers
    return header.sample_rate, header.channels, header.bitrate_kbps, header.version


@pytest.mark.parametrize("prompt", PROMPTS)
@pytest.mark.parametrize("length", [10, 13, 59, 121, 240])
def test_every_track_is_a_valid_mp3_of_the_asked_length_within_one_frame(
    renderer: TrackRenderer, prompt: str, length: int
) -> None:
    track = renderer.render(task_id=f"task-{length}", prompt=prompt, length_seconds=length)
    assert frame_format(track) == (24000, 1, 48, "2")  # MPEG-2 Layer III, 24 kHz mono, 48 kbps
    decoded = miniaudio.mp3_read_s16(track)
    assert decoded.sample_rate == 24000
    assert decoded.num_frames / decoded.sample_rate == pytest.approx(length, abs=576 / 24000)


def test_a_track_does_not_depend_on_what_was_rendered_before(renderer: TrackRenderer) -> None:
    # The module's renderer has made several styles' materials and served other tasks.
    renderer.render(task_id="warm-up", prompt="upbeat funk", length_seconds=30)
    seasoned = renderer.render(task_id="task-x", prompt="upbeat funk", length_seconds=45)
    fresh = TrackRenderer().render(task_id="task-x", prompt="upbeat funk", length_seconds=45)
    assert seasoned == fresh


def test_tasks_of_one_style_differ_from_each_other(renderer: TrackRenderer) -> None:
    tracks = {
        renderer.render(task_id=f"task-{n}", prompt="upbeat funk", length_seconds=20)
        for n in range(6)
    }
    assert len(tracks) == 6


def test_a_style_is_made_once_however_many_tasks_and_lengths_use_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count = MaterialCount(monkeypatch)
    renderer = TrackRenderer(cache_size=0)
    for n, length in enumerate((10, 240, 77, 10)):
        renderer.render(task_id=f"t-{n}", prompt="dreamy flute", length_seconds=length)
    assert count.made == 1
    assert renderer.materials_held[0] == 1
    renderer.render(task_id="t-0", prompt="fast techno", length_seconds=10)
    assert count.made == 2


def test_concurrent_first_downloads_of_a_style_make_its_material_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count = MaterialCount(monkeypatch)
    renderer = TrackRenderer()
    with ThreadPoolExecutor(max_workers=4) as pool:
        tracks = list(
            pool.map(
                lambda n: renderer.render(task_id=f"t-{n}", prompt="jazz", length_seconds=10),
                range(4),
            )
        )
    assert count.made == 1
    assert len(set(tracks)) == 4


def test_materials_are_bounded_and_a_dropped_one_is_made_again_the_same() -> None:
    renderer = TrackRenderer(cache_size=0, material_bytes=1)  # room for the newest only
    first = renderer.render(task_id="t", prompt="slow piano", length_seconds=12)
    renderer.render(task_id="t", prompt="fast techno", length_seconds=12)
    held, held_bytes = renderer.materials_held
    assert held == 1
    assert held_bytes > 0
    assert renderer.render(task_id="t", prompt="slow piano", length_seconds=12) == first


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="cache_size"):
        TrackRenderer(cache_size=-1)
    with pytest.raises(ValueError, match="material_bytes"):
        TrackRenderer(material_bytes=-1)


def completed(app: Flask, *, prompt: str, length: int) -> str:
    client = app.test_client()
    answer = client.post(
        PATH, json={"prompt": prompt, "music_length_seconds": length}, headers=AUTH
    )
    task_id: str = answer.get_json()["data"]["task_id"]
    assert client.post(f"/_mock/tasks/{task_id}/complete").status_code == 200
    return task_id


@pytest.mark.parametrize("clock", ["manual", "real"])
def test_nothing_is_rendered_until_the_first_download_which_works_on_either_clock(
    make_app: Callable[..., Flask], clock: str
) -> None:
    app = make_app(clock=clock, api_keys=(API_KEY,))
    renderer = get_state(app).renderer
    task_id = completed(app, prompt="happy marimba", length=30)
    assert renderer.materials_held == (0, 0)  # no render-ahead, on the real clock either
    answer = app.test_client().get(f"/results/{task_id}.mp3")
    assert answer.status_code == 200
    assert answer.mimetype == "audio/mpeg"
    assert frame_format(answer.data) == (24000, 1, 48, "2")
    decoded = miniaudio.mp3_read_s16(answer.data)
    assert decoded.num_frames / decoded.sample_rate == pytest.approx(30, abs=576 / 24000)
    assert renderer.materials_held[0] == 1


def test_head_and_ranges_of_a_track_never_downloaded_in_full(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(api_keys=(API_KEY,))
    task_id = completed(app, prompt="epic orchestral", length=40)
    client = app.test_client()
    head = client.head(f"/results/{task_id}.mp3")  # the first request for the file
    assert head.status_code == 200
    length = int(head.headers["Content-Length"])
    assert length == round(40 * 24000 / 576) * 144
    tail = client.get(f"/results/{task_id}.mp3", headers={"Range": "bytes=-144"})
    assert tail.status_code == 206
    assert parse_header(tail.data).frame_length == 144  # the last whole frame
    full = client.get(f"/results/{task_id}.mp3", headers={"If-None-Match": '"other"'})
    assert full.data[-144:] == tail.data
    assert full.headers["ETag"] == head.headers["ETag"]


@pytest.mark.parametrize("prompt", [*PROMPTS, "zen pentatonic flute", "dark minor strings"])
def test_many_tasks_of_a_style_all_come_out_whole(renderer: TrackRenderer, prompt: str) -> None:
    # Each task composes another score; every one must use only segments the material holds
    # (one that did not would come out short, and the renderer refuses to serve it).
    lengths = {
        len(renderer.render(task_id=f"many-{n}", prompt=prompt, length_seconds=240))
        for n in range(60)
    }
    assert lengths == {round(240 * 24000 / 576) * 144}


def test_styles_alike_but_for_the_order_of_their_chords_keep_their_own_order() -> None:
    # Find two prompts whose styles differ only in the order of one set of chords.
    by_rest: dict[object, tuple[str, tuple[int, ...]]] = {}
    pair: tuple[str, str] | None = None
    for n in range(400):
        prompt = f"120 bpm piano in C major with drums, take {n}"
        style = style_for_prompt(prompt)
        rest = dataclasses.replace(style, progression=tuple(sorted(set(style.progression))))
        seen = by_rest.setdefault(rest, (prompt, style.progression))
        if seen[1] != style.progression:
            pair = (seen[0], prompt)
            break
    assert pair is not None
    first, second = pair
    fresh = TrackRenderer().render(task_id="t", prompt=second, length_seconds=30)
    renderer = TrackRenderer()
    renderer.render(task_id="t", prompt=first, length_seconds=30)
    assert renderer.render(task_id="t", prompt=second, length_seconds=30) == fresh
