"""``TrackRenderer``: a task's result MP3, joined from encoded segments all styles share."""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict
from collections.abc import Hashable

from .composer import Alphabet, alphabet_of, compose
from .encoder import SegmentEncoder
from .material import SegmentBank, alphabet_key, assemble
from .style import Style, style_for_prompt

__all__ = ["AUDIO_FORMAT_VERSION", "BITRATE_KBPS", "SAMPLE_RATE", "TrackRenderer"]

SAMPLE_RATE = 24000
BITRATE_KBPS = 48
AUDIO_FORMAT_VERSION = 2
"""Bumped whenever the bytes of a task's track change (the result ETag includes it).

1: a style's whole material encoded at once (segments mixing melody, chord and drums).
2: segments shared by all styles: a note or a chord, with a drum hit, in a few lengths.
"""
# Every segment there is (all instruments, pitches, lengths, drums) is about 20 MB.
_DEFAULT_SEGMENT_BYTES = 32_000_000
_KEPT_ALPHABETS = 64

#: A track is fixed by its task id, prompt and length.
TrackKey = tuple[str, str, int]


class TrackRenderer:
    """Renders and caches result tracks. One per app (state on the object, no module globals).

    A track is a real MP3 (MPEG-2 Layer III, 24 kHz mono, 48 kbps CBR) lasting
    ``length_seconds`` to within one frame (24 ms). Its tempo, key, mode, chords, drums and
    instrument follow the prompt (its words, then its hash); its melody follows a hash of the
    task id and prompt.

    A track is composed and joined from encoded segments (``material.py``): notes of an
    instrument and chords, each encoded the first time any track needs it and shared by every
    style. A join costs a few milliseconds for 240 s; a segment not yet made costs about 0.2 ms
    of CPU per frame. Segments are kept newest-used first within ``segment_bytes``; the last
    ``cache_size`` tracks are kept whole, for the Range requests of a player.
    """

    def __init__(self, *, cache_size: int = 8, segment_bytes: int = _DEFAULT_SEGMENT_BYTES) -> None:
        if cache_size < 0:
            raise ValueError("cache_size must be >= 0")
        if segment_bytes < 0:
            raise ValueError("segment_bytes must be >= 0")
        self.cache_size = cache_size
        self._encoder = SegmentEncoder(sample_rate=SAMPLE_RATE, bitrate_kbps=BITRATE_KBPS)
        self.segments = SegmentBank(encoder=self._encoder, byte_budget=segment_bytes)
        """The encoded segments, shared by all styles."""
        self._tracks: OrderedDict[TrackKey, bytes] = OrderedDict()
        self._alphabets: OrderedDict[Hashable, Alphabet] = OrderedDict()
        self._lock = threading.Lock()

    def render(self, *, task_id: str, prompt: str, length_seconds: int) -> bytes:
        """The MP3 for a task: the same bytes every time for the same three arguments."""
        if length_seconds <= 0:
            raise ValueError("length_seconds must be positive")
        key = (task_id, prompt, length_seconds)
        with self._lock:
            if (track := self._tracks.get(key)) is not None:
                self._tracks.move_to_end(key)
                return track
        track = self._assemble(task_id=task_id, prompt=prompt, length_seconds=length_seconds)
        if self.cache_size:
            with self._lock:
                self._tracks[key] = track
                while len(self._tracks) > self.cache_size:
                    self._tracks.popitem(last=False)
        return track

    def clear(self) -> None:
        """Forget the cached tracks (segments stay: they depend on no task)."""
        with self._lock:
            self._tracks.clear()

    def _assemble(self, *, task_id: str, prompt: str, length_seconds: int) -> bytes:
        style = style_for_prompt(prompt)
        samples_per_frame = self._encoder.samples_per_frame
        frames_per_beat = style.frames_per_beat(
            sample_rate=SAMPLE_RATE, samples_per_frame=samples_per_frame
        )
        alphabet = self._alphabet(style, frames_per_beat=frames_per_beat)
        total_frames = round(length_seconds * SAMPLE_RATE / samples_per_frame)
        seed = hashlib.sha256(f"{task_id}\0{prompt}".encode("utf-8", "surrogatepass")).digest()
        score = compose(alphabet, rng=random.Random(seed), beats=total_frames // frames_per_beat)
        return assemble(alphabet, score, bank=self.segments, total_frames=total_frames)

    def _alphabet(self, style: Style, *, frames_per_beat: int) -> Alphabet:
        """The style's alphabet (cheap to make; the last few are kept)."""
        key = alphabet_key(style, frames_per_beat=frames_per_beat)
        with self._lock:
            if (alphabet := self._alphabets.get(key)) is not None:
                self._alphabets.move_to_end(key)
                return alphabet
        alphabet = alphabet_of(style, frames_per_beat=frames_per_beat)
        with self._lock:
            self._alphabets[key] = alphabet
            while len(self._alphabets) > _KEPT_ALPHABETS:
                self._alphabets.popitem(last=False)
        return alphabet
