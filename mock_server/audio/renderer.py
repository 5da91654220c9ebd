"""``TrackRenderer``: a task's result MP3, joined from its style's pre-encoded material."""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict
from collections.abc import Hashable

from .composer import compose
from .encoder import SegmentEncoder
from .material import StyleMaterial, material_key
from .style import Style, style_for_prompt

__all__ = ["BITRATE_KBPS", "SAMPLE_RATE", "TrackRenderer"]

SAMPLE_RATE = 24000
BITRATE_KBPS = 48
_DEFAULT_MATERIAL_BYTES = 32_000_000

#: A track is fixed by its task id, prompt and length.
TrackKey = tuple[str, str, int]


class TrackRenderer:
    """Renders and caches result tracks. One per app (state on the object, no module globals).

    A track is a real MP3 (MPEG-2 Layer III, 24 kHz mono, 48 kbps CBR) lasting
    ``length_seconds`` to within one frame (24 ms). Its tempo, key, mode, chords, drums and
    instrument follow the prompt (its words, then its hash); its melody follows a hash of the
    task id and prompt.

    The first track of a style makes that style's material (every segment its scores can use,
    encoded once: a fraction of a second to a few seconds of CPU, by tempo). Every other track
    of the style is composed and joined from it, which costs a few milliseconds for 240 s.
    Materials are kept newest-used first within ``material_bytes`` (the newest always stays);
    the last ``cache_size`` tracks are kept whole, for the Range requests of a player.
    """

    def __init__(
        self, *, cache_size: int = 8, material_bytes: int = _DEFAULT_MATERIAL_BYTES
    ) -> None:
        if cache_size < 0:
            raise ValueError("cache_size must be >= 0")
        if material_bytes < 0:
            raise ValueError("material_bytes must be >= 0")
        self.cache_size = cache_size
        self.material_bytes = material_bytes
        self._encoder = SegmentEncoder(sample_rate=SAMPLE_RATE, bitrate_kbps=BITRATE_KBPS)
        self._tracks: OrderedDict[TrackKey, bytes] = OrderedDict()
        self._materials: OrderedDict[Hashable, StyleMaterial] = OrderedDict()
        self._lock = threading.Lock()
        # Materials being made now, so that concurrent first downloads of a style make it once.
        self._making: dict[Hashable, threading.Event] = {}

    @property
    def materials_held(self) -> tuple[int, int]:
        """(how many styles' materials are kept, their encoded bytes)."""
        with self._lock:
            return len(self._materials), sum(m.nbytes for m in self._materials.values())

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
        """Forget the cached tracks (materials stay: they depend on no task)."""
        with self._lock:
            self._tracks.clear()

    def _assemble(self, *, task_id: str, prompt: str, length_seconds: int) -> bytes:
        style = style_for_prompt(prompt)
        samples_per_frame = self._encoder.samples_per_frame
        frames_per_beat = style.frames_per_beat(
            sample_rate=SAMPLE_RATE, samples_per_frame=samples_per_frame
        )
        material = self._material(style, frames_per_beat=frames_per_beat)
        total_frames = round(length_seconds * SAMPLE_RATE / samples_per_frame)
        seed = hashlib.sha256(f"{task_id}\0{prompt}".encode("utf-8", "surrogatepass")).digest()
        score = compose(
            material.alphabet, rng=random.Random(seed), beats=total_frames // frames_per_beat
        )
        return material.assemble(score, total_frames=total_frames)

    def _material(self, style: Style, *, frames_per_beat: int) -> StyleMaterial:
        key = material_key(style, frames_per_beat=frames_per_beat)
        while True:
            with self._lock:
                if (material := self._materials.get(key)) is not None:
                    self._materials.move_to_end(key)
                    return material
                making = self._making.get(key)
                if making is None:
                    done = self._making[key] = threading.Event()
                    break
            making.wait()  # then loop: made (or failed, and this thread tries itself)
        try:
            material = StyleMaterial(
                style=style, encoder=self._encoder, frames_per_beat=frames_per_beat
            )
            with self._lock:
                self._materials[key] = material
                self._evict_materials()
            return material
        finally:
            with self._lock:
                del self._making[key]
            done.set()

    def _evict_materials(self) -> None:
        """Drop the least recently used materials over budget, keeping the newest (lock held)."""
        held = sum(m.nbytes for m in self._materials.values())
        while held > self.material_bytes and len(self._materials) > 1:
            _, dropped = self._materials.popitem(last=False)
            held -= dropped.nbytes
