"""The result renderer: real MP3s of the asked length whose tempo and tune follow the task.

Tracks are checked with miniaudio (dr_mp3), a decoder independent of the LAME encoder that made
them, the way a user would check a file: does it play, for how long, is it audible, how fast.
"""

from __future__ import annotations

import itertools
import math
import statistics
from concurrent.futures import ThreadPoolExecutor

import miniaudio
import pytest

from freepik_mock.server.audio import TrackRenderer
from freepik_mock.server.audio.frames import Mp3FormatError, parse_header, split_frames
from freepik_mock.server.audio.style import MODES, style_for_prompt


@pytest.fixture(scope="module")
def renderer() -> TrackRenderer:
    """One renderer for the module: its segments are made once (no track depends on it)."""
    return TrackRenderer()


def decode(track: bytes) -> miniaudio.DecodedSoundFile:
    return miniaudio.mp3_read_s16(track)


def one_frame_seconds(decoded: miniaudio.DecodedSoundFile) -> float:
    samples_per_frame = 1152 if decoded.sample_rate >= 32000 else 576
    return samples_per_frame / decoded.sample_rate


def onset_times(decoded: miniaudio.DecodedSoundFile) -> list[float]:
    """When sound starts after a near-silence, from the energy in 10 ms windows."""
    samples, rate = decoded.samples, decoded.sample_rate * decoded.nchannels
    width = rate // 100
    energy = [
        math.sqrt(sum(s * s for s in samples[i : i + width]) / width)
        for i in range(0, len(samples) - width + 1, width)
    ]
    loudest = max(energy)
    onsets: list[float] = []
    quiet = True
    for index, level in enumerate(energy):
        if quiet and level > 0.1 * loudest:
            onsets.append(index / 100)
            quiet = False
        elif level < 0.02 * loudest:
            quiet = True
    return onsets


def measured_bpm(track: bytes) -> float:
    onsets = onset_times(decode(track))
    return 60 / statistics.median(b - a for a, b in itertools.pairwise(onsets))


@pytest.mark.parametrize("length", [10, 11, 37, 240])
def test_the_track_decodes_to_the_requested_length_within_one_frame(
    renderer: TrackRenderer, length: int
) -> None:
    track = renderer.render(task_id="task-1", prompt="upbeat funk", length_seconds=length)
    decoded = decode(track)
    assert decoded.nchannels >= 1
    assert decoded.duration == pytest.approx(length, abs=one_frame_seconds(decoded))


def test_the_track_is_clearly_audible_and_not_clipped_to_noise(renderer: TrackRenderer) -> None:
    decoded = decode(renderer.render(task_id="t", prompt="calm piano", length_seconds=20))
    samples = decoded.samples
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    assert rms > 0.05 * 32768
    assert max(abs(s) for s in samples) < 32767
    # music, not a constant tone or noise: sound comes in separate notes
    assert len(onset_times(decoded)) >= 10


def test_the_same_task_gives_the_same_bytes_from_any_renderer() -> None:
    first = TrackRenderer().render(task_id="abc", prompt="lofi beats", length_seconds=15)
    second = TrackRenderer().render(task_id="abc", prompt="lofi beats", length_seconds=15)
    assert first == second


def test_a_cleared_renderer_renders_the_same_bytes_again(renderer: TrackRenderer) -> None:
    before = renderer.render(task_id="abc", prompt="jazz organ", length_seconds=12)
    renderer.clear()
    assert renderer.render(task_id="abc", prompt="jazz organ", length_seconds=12) == before


def test_an_uncached_renderer_still_renders_consistently() -> None:
    renderer = TrackRenderer(cache_size=0)
    first = renderer.render(task_id="abc", prompt="guitar", length_seconds=10)
    assert renderer.render(task_id="abc", prompt="guitar", length_seconds=10) == first


@pytest.mark.parametrize(
    ("prompt", "other"),
    [
        ("upbeat funk", "upbeat funk!"),
        ("calm piano", "sad piano"),
        ("epic orchestral trailer", "retro synthwave"),
    ],
)
def test_different_prompts_give_different_tracks(
    renderer: TrackRenderer, prompt: str, other: str
) -> None:
    one = renderer.render(task_id="same-id", prompt=prompt, length_seconds=10)
    two = renderer.render(task_id="same-id", prompt=other, length_seconds=10)
    assert one != two


def test_different_tasks_with_one_prompt_get_different_melodies(renderer: TrackRenderer) -> None:
    one = renderer.render(task_id="task-a", prompt="happy ukulele", length_seconds=10)
    two = renderer.render(task_id="task-b", prompt="happy ukulele", length_seconds=10)
    assert one != two


@pytest.mark.parametrize("bpm", [60, 90, 120, 160])
def test_an_explicit_tempo_in_the_prompt_sets_the_beat(renderer: TrackRenderer, bpm: int) -> None:
    track = renderer.render(task_id="t", prompt=f"{bpm}bpm organ groove", length_seconds=30)
    assert measured_bpm(track) == pytest.approx(bpm, rel=0.06)


def test_tempo_is_also_understood_written_apart(renderer: TrackRenderer) -> None:
    track = renderer.render(task_id="t", prompt="house track at 128 BPM", length_seconds=30)
    assert measured_bpm(track) == pytest.approx(128, rel=0.06)


@pytest.mark.parametrize("style", ["piano", "ambient guitar", "a song about the sea"])
def test_fast_words_make_a_faster_track_than_slow_words(
    renderer: TrackRenderer, style: str
) -> None:
    slow = renderer.render(task_id="t", prompt=f"slow {style}", length_seconds=30)
    fast = renderer.render(task_id="t", prompt=f"fast energetic {style}", length_seconds=30)
    slow_onsets = len(onset_times(decode(slow)))
    fast_onsets = len(onset_times(decode(fast)))
    assert fast_onsets > 1.5 * slow_onsets
    assert measured_bpm(fast) > 1.5 * measured_bpm(slow)


def test_concurrent_renders_of_one_task_agree() -> None:
    renderer = TrackRenderer(cache_size=1)
    prompts = ["chill lofi", "chill lofi", "fast techno", "chill lofi"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        tracks = list(
            pool.map(
                lambda prompt: renderer.render(task_id="x", prompt=prompt, length_seconds=10),
                prompts,
            )
        )
    assert tracks[0] == tracks[1] == tracks[3] != tracks[2]


def test_non_positive_lengths_are_refused(renderer: TrackRenderer) -> None:
    with pytest.raises(ValueError, match="positive"):
        renderer.render(task_id="t", prompt="x", length_seconds=0)


def test_frames_split_back_into_headers_of_one_format(renderer: TrackRenderer) -> None:
    track = renderer.render(task_id="t", prompt="bells", length_seconds=10)
    frames = split_frames(track)
    headers = {parse_header(frame) for frame in frames}
    assert len(headers) == 1
    (header,) = headers
    decoded = decode(track)
    assert header.sample_rate == decoded.sample_rate
    assert len(frames) * header.samples_per_frame == decoded.num_frames


def test_the_frame_parser_rejects_what_is_not_a_layer_iii_frame() -> None:
    header = parse_header(bytes.fromhex("fff364c4"))
    assert (header.version, header.sample_rate, header.bitrate_kbps, header.channels) == (
        "2",
        24000,
        48,
        1,
    )
    assert header.frame_length == 144
    with pytest.raises(Mp3FormatError, match="sync"):
        parse_header(b"ID3\x04\x00\x00\x00\x00")
    with pytest.raises(Mp3FormatError, match="Layer III"):
        parse_header(bytes.fromhex("fff564c4"))  # Layer II
    with pytest.raises(Mp3FormatError, match="truncated"):
        split_frames(bytes.fromhex("fff364c4") + bytes(10))


def sounding_share(track: bytes) -> float:
    """The share of 10 ms windows louder than a quarter of the loudest: how long notes ring."""
    samples = decode(track).samples
    width = 240
    energy = [
        math.sqrt(sum(s * s for s in samples[i : i + width]) / width)
        for i in range(0, len(samples) - width + 1, width)
    ]
    loudest = max(energy)
    return sum(1 for level in energy if level > 0.25 * loudest) / len(energy)


@pytest.mark.parametrize("task_id", ["task-a", "task-b"])
def test_the_instrument_named_shapes_the_sound(renderer: TrackRenderer, task_id: str) -> None:
    # Same tempo, key and (no) drums: only the instrument differs. An organ holds its notes,
    # a marimba's die away, so more of the organ's track sounds loud.
    organ = renderer.render(
        task_id=task_id, prompt="120 bpm calm organ in C major", length_seconds=20
    )
    marimba = renderer.render(
        task_id=task_id, prompt="120 bpm calm marimba in C major", length_seconds=20
    )
    assert sounding_share(organ) > sounding_share(marimba) + 0.08


def level_at(samples: list[int], frequency: float, rate: int) -> float:
    """The amplitude of one frequency in ``samples`` (the Goertzel algorithm)."""
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    power = previous * previous + before * before - coefficient * previous * before
    return math.sqrt(max(0.0, power)) / len(samples)


@pytest.mark.parametrize(
    "prompt", ["calm piano in C major", "120 bpm techno in A minor", "sad strings"]
)
def test_the_opening_bar_sounds_the_first_chord_of_the_style(
    renderer: TrackRenderer, prompt: str
) -> None:
    # A track long enough opens with a bar of the chord alone: its bass root sounds, and a
    # semitone either side of it (in no triad with that root) does not.
    style = style_for_prompt(prompt)
    root = (style.key + MODES[style.mode][style.progression[0]]) % 12
    bass = 440.0 * 2 ** ((36 + root - 69) / 12)
    decoded = decode(renderer.render(task_id="t", prompt=prompt, length_seconds=30))
    rate = decoded.sample_rate
    # Within the first beat (the bass starts afresh on each beat), past the encoder's delay.
    start = 1105 + int(0.05 * rate)
    opening = list(decoded.samples[start : start + int(0.7 * 60 / style.bpm * rate)])
    in_chord = level_at(opening, bass, rate)
    for off_chord in (bass * 2 ** (-1 / 12), bass * 2 ** (1 / 12)):
        assert in_chord > 4 * level_at(opening, off_chord, rate)
