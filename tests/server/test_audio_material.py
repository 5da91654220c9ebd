"""Tracks are joined from encoded segments that all styles share, made on first use.

Tracks are checked as a user would: they split into valid Layer III frames of one format, they
decode (miniaudio's dr_mp3, independent of the LAME encoder) to the asked length within a frame,
and they are the same for the same task whatever was rendered before.
"""

from __future__ import annotations

import dataclasses
import threading
from array import array
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import miniaudio
import pytest
from flask import Flask

from freepik_mock.server.audio import AUDIO_FORMAT_VERSION, TrackRenderer
from freepik_mock.server.audio.frames import parse_header, split_frames
from freepik_mock.server.audio.score import Segment
from freepik_mock.server.audio.style import style_for_prompt
from freepik_mock.server.audio.synth import SegmentSynth
from freepik_mock.server.web import get_state
from freepik_mock.server.web.results import result_etag
from tests.conftest import API_KEY

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}
# The extremes of tempo (the most and fewest frames per beat, so the most and least padding),
# and styles with and without drums.
PROMPTS = ("40 bpm church organ", "240 bpm chiptune", "calm piano lullaby", "upbeat funk")


@pytest.fixture(scope="module")
def renderer() -> TrackRenderer:
    """One renderer for the module, so its segments are made once."""
    return TrackRenderer()


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
    # The module's renderer has made many segments for other styles and tasks.
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


def test_a_task_rendered_again_makes_no_segment() -> None:
    renderer = TrackRenderer(cache_size=0)
    first = renderer.render(task_id="t-0", prompt="dreamy flute", length_seconds=240)
    made = renderer.segments.made
    assert made > 0
    assert renderer.render(task_id="t-0", prompt="dreamy flute", length_seconds=240) == first
    assert renderer.render(task_id="t-0", prompt="dreamy flute", length_seconds=30) != first
    assert renderer.segments.made == made  # a shorter track of it needs nothing new


def test_a_new_style_draws_on_the_segments_other_styles_made() -> None:
    # Other keys, modes and progressions, one instrument and tempo band: the notes are shared.
    renderer = TrackRenderer(cache_size=0)
    for n in range(24):
        renderer.render(task_id="t", prompt=f"120 bpm piano, take {n}", length_seconds=120)
    before = renderer.segments.made
    fresh = TrackRenderer(cache_size=0)
    track = fresh.render(task_id="t", prompt="120 bpm piano, take 99", length_seconds=120)
    needed = fresh.segments.made
    assert renderer.render(task_id="t", prompt="120 bpm piano, take 99", length_seconds=120) == (
        track
    )
    assert renderer.segments.made - before < needed / 4


def test_concurrent_first_downloads_encode_each_segment_once() -> None:
    renderer = TrackRenderer()
    with ThreadPoolExecutor(max_workers=4) as pool:
        tracks = list(
            pool.map(
                lambda n: renderer.render(task_id=f"t-{n}", prompt="jazz", length_seconds=60),
                range(4),
            )
        )
    assert len(set(tracks)) == 4
    assert renderer.segments.made == renderer.segments.held[0]  # none made twice


def test_a_track_whose_segments_are_made_does_not_wait_for_another_tracks_making(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renderer = TrackRenderer(cache_size=0)
    known = renderer.render(task_id="t", prompt="upbeat funk", length_seconds=20)
    making, release = threading.Event(), threading.Event()
    render = SegmentSynth.render

    def held_up(synth: SegmentSynth, segment: Segment) -> array[int]:
        making.set()
        release.wait()
        return render(synth, segment)

    monkeypatch.setattr(SegmentSynth, "render", held_up)
    with ThreadPoolExecutor(max_workers=2) as pool:
        try:
            new = pool.submit(
                renderer.render, task_id="t", prompt="slow sad strings", length_seconds=20
            )
            assert making.wait(timeout=60)  # the other track is stuck making a segment
            again = pool.submit(
                renderer.render, task_id="t", prompt="upbeat funk", length_seconds=20
            )
            assert again.result(timeout=60) == known  # (a guard: it would hang if it waited)
            assert not new.done()
        finally:
            release.set()
        assert len(new.result()) == round(20 * 24000 / 576) * 144


def test_segments_are_bounded_and_a_dropped_one_is_made_again_the_same() -> None:
    renderer = TrackRenderer(cache_size=0, segment_bytes=20_000)
    first = renderer.render(task_id="t", prompt="slow piano", length_seconds=60)
    renderer.render(task_id="t", prompt="fast techno", length_seconds=60)
    held_bytes = renderer.segments.held[1]
    assert 0 < held_bytes <= 20_000
    made = renderer.segments.made
    assert renderer.render(task_id="t", prompt="slow piano", length_seconds=60) == first
    assert renderer.segments.made > made  # it was dropped, and made again


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="cache_size"):
        TrackRenderer(cache_size=-1)
    with pytest.raises(ValueError, match="segment_bytes"):
        TrackRenderer(segment_bytes=-1)


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
    assert renderer.segments.held == (0, 0)  # no render-ahead, on the real clock either
    answer = app.test_client().get(f"/results/{task_id}.mp3")
    assert answer.status_code == 200
    assert answer.mimetype == "audio/mpeg"
    assert frame_format(answer.data) == (24000, 1, 48, "2")
    decoded = miniaudio.mp3_read_s16(answer.data)
    assert decoded.num_frames / decoded.sample_rate == pytest.approx(30, abs=576 / 24000)
    assert renderer.segments.held[0] > 0


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
    # Each task composes another score; every one must use only segments of the alphabet
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


def test_a_copy_from_an_older_audio_format_is_not_revalidated(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(api_keys=(API_KEY,))
    task_id = completed(app, prompt="epic orchestral", length=10)
    task = get_state(app).engine.tasks.get(task_id)
    assert task is not None
    url = f"/results/{task_id}.mp3"
    client = app.test_client()
    current = client.get(url).headers["ETag"]
    assert current == f'"{result_etag(task)}"'
    # A copy cached before the audio format changed (same mock version): a full new file.
    older = f'"{result_etag(task, audio_format=AUDIO_FORMAT_VERSION - 1)}"'
    assert older != current
    stale = client.get(url, headers={"If-None-Match": older})
    assert stale.status_code == 200
    assert stale.data[:2] == b"\xff\xf3"  # an MPEG-2 Layer III frame sync
    assert client.get(url, headers={"If-None-Match": current}).status_code == 304
