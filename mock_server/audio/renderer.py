"""``TrackRenderer``: a task's result MP3, assembled from pre-encoded segments and cached."""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict

from .composer import compose
from .encoder import SegmentEncoder
from .palette import Palette
from .style import style_for_prompt
from .timbres import timbre_named

__all__ = ["TrackRenderer"]

_SAMPLE_RATE = 24000
_BITRATE_KBPS = 48
_PALETTES_KEPT = 6


class TrackRenderer:
    """Renders and caches result tracks. One per app (state on the object, no module globals).

    A track is a real MP3 (MPEG-2 Layer III, 24 kHz mono, 48 kbps CBR) lasting
    ``length_seconds`` to within one frame (24 ms). Its tempo, key, mode and instrument follow
    the prompt's words ("slow", "120 bpm", "A minor", "piano", ...); its melody follows a hash
    of the task id and prompt. It is built by concatenating segments (one note over a chord,
    a beat or two long) that were each encoded once, so only the first track at a new tempo
    and instrument pays for synthesis and encoding, and a cached track costs nothing.
    """

    def __init__(self, *, cache_size: int = 16) -> None:
        if cache_size < 0:
            raise ValueError("cache_size must be >= 0")
        self.cache_size = cache_size
        self._encoder = SegmentEncoder(sample_rate=_SAMPLE_RATE, bitrate_kbps=_BITRATE_KBPS)
        self._tracks: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()
        self._palettes: OrderedDict[tuple[str, int], Palette] = OrderedDict()
        self._tracks_lock = threading.Lock()
        # Held while composing: palettes fill lazily and are not safe to fill concurrently.
        self._palettes_lock = threading.Lock()

    def render(self, *, task_id: str, prompt: str, length_seconds: int) -> bytes:
        """The MP3 for a task: the same bytes every time for the same three arguments."""
        if length_seconds <= 0:
            raise ValueError("length_seconds must be positive")
        key = (task_id, prompt, length_seconds)
        with self._tracks_lock:
            if (track := self._tracks.get(key)) is not None:
                self._tracks.move_to_end(key)
                return track
        track = self._assemble(task_id=task_id, prompt=prompt, length_seconds=length_seconds)
        with self._tracks_lock:
            self._tracks[key] = track
            while len(self._tracks) > self.cache_size:
                self._tracks.popitem(last=False)
        return track

    def clear(self) -> None:
        """Forget the cached tracks (encoded segments stay: they depend on no task)."""
        with self._tracks_lock:
            self._tracks.clear()

    def _assemble(self, *, task_id: str, prompt: str, length_seconds: int) -> bytes:
        style = style_for_prompt(prompt)
        sample_rate = self._encoder.sample_rate
        samples_per_frame = self._encoder.samples_per_frame
        frames_per_beat = style.frames_per_beat(
            sample_rate=sample_rate, samples_per_frame=samples_per_frame
        )
        total_frames = round(length_seconds * sample_rate / samples_per_frame)
        beats = total_frames // frames_per_beat
        seed = hashlib.sha256(f"{task_id}\0{prompt}".encode("utf-8", "surrogatepass")).digest()
        score = compose(style, rng=random.Random(seed), beats=beats)
        with self._palettes_lock:
            palette = self._palette(style.timbre.name, frames_per_beat)
            parts = [palette.encoded(segment) for segment in score]
            parts.append(palette.silence(total_frames - beats * frames_per_beat))
        track = b"".join(parts)
        if len(track) != total_frames * self._encoder.frame_length:
            raise RuntimeError("assembled track has the wrong number of frames")
        return track

    def _palette(self, timbre_name: str, frames_per_beat: int) -> Palette:
        key = (timbre_name, frames_per_beat)
        palette = self._palettes.get(key)
        if palette is None:
            palette = Palette(
                encoder=self._encoder,
                timbre=timbre_named(timbre_name),
                frames_per_beat=frames_per_beat,
            )
            self._palettes[key] = palette
            while len(self._palettes) > _PALETTES_KEPT:
                self._palettes.popitem(last=False)
        self._palettes.move_to_end(key)
        return palette
