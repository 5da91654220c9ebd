"""``TrackRenderer``: a task's result MP3, assembled from pre-encoded segments and cached."""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from collections import OrderedDict

from .composer import compose
from .encoder import SegmentEncoder
from .palette import Palette
from .style import style_for_prompt
from .timbres import timbre_named

log = logging.getLogger(__name__)

__all__ = ["TrackRenderer"]

_SAMPLE_RATE = 24000
_BITRATE_KBPS = 48
_PALETTES_KEPT = 6

#: A track is fixed by its task id, prompt and length.
TrackKey = tuple[str, str, int]


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
        self._tracks: OrderedDict[TrackKey, bytes] = OrderedDict()
        self._palettes: OrderedDict[tuple[str, int], Palette] = OrderedDict()
        self._tracks_lock = threading.Lock()
        # Held while composing: palettes fill lazily and are not safe to fill concurrently.
        self._palettes_lock = threading.Lock()
        # Tracks being rendered now (by ``prepare``'s worker or a request), and those waiting
        # for the worker, newest last; both guarded by ``_tracks_lock``.
        self._in_flight: dict[TrackKey, threading.Event] = {}
        self._waiting: OrderedDict[TrackKey, None] = OrderedDict()
        self._wake = threading.Condition(self._tracks_lock)
        self._worker: threading.Thread | None = None
        self._closed = False

    def render(self, *, task_id: str, prompt: str, length_seconds: int) -> bytes:
        """The MP3 for a task: the same bytes every time for the same three arguments.

        A track that ``prepare`` is rendering right now is waited for, not rendered twice.
        """
        if length_seconds <= 0:
            raise ValueError("length_seconds must be positive")
        key = (task_id, prompt, length_seconds)
        while True:
            with self._tracks_lock:
                if (track := self._tracks.get(key)) is not None:
                    self._tracks.move_to_end(key)
                    return track
                self._waiting.pop(key, None)
                busy = self._in_flight.get(key)
                if busy is None:
                    done = self._in_flight[key] = threading.Event()
                    break
            busy.wait()
        try:
            return self._render_and_keep(key)
        finally:
            with self._tracks_lock:
                del self._in_flight[key]
            done.set()

    def prepare(self, *, task_id: str, prompt: str, length_seconds: int) -> None:
        """Render this track soon, on a background thread, so that serving it costs nothing.

        Never blocks. Tracks are rendered in the order asked; only the newest ``cache_size``
        wait, older ones are dropped (they would not stay cached) and rendered when served.
        """
        if length_seconds <= 0 or self.cache_size == 0:  # nothing rendered ahead would be kept
            return
        key = (task_id, prompt, length_seconds)
        with self._tracks_lock:
            if self._closed or key in self._tracks or key in self._in_flight:
                return
            self._waiting[key] = None
            self._waiting.move_to_end(key)
            while len(self._waiting) > self.cache_size:
                self._waiting.popitem(last=False)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._prepare_loop, name="freepik-mock-renderer", daemon=True
                )
                self._worker.start()
            self._wake.notify()

    def close(self) -> None:
        """Stop the background renderer (idempotent); ``render`` keeps working."""
        with self._tracks_lock:
            self._closed = True
            self._waiting.clear()
            worker, self._worker = self._worker, None
            self._wake.notify()
        if worker is not None:
            worker.join()

    def _prepare_loop(self) -> None:
        while True:
            with self._tracks_lock:
                self._wake.wait_for(lambda: self._closed or bool(self._waiting))
                if self._closed:
                    return
                key, _ = self._waiting.popitem(last=False)  # the task that ends soonest
                if key in self._tracks or key in self._in_flight:
                    continue
                done = self._in_flight[key] = threading.Event()
            try:
                self._render_and_keep(key)
            except Exception:
                # Logged, not raised: nobody waits for a track rendered ahead; a request for
                # it renders it again and answers the error in the vendor's format.
                log.exception("rendering the track of task %s ahead failed", key[0])
            finally:
                with self._tracks_lock:
                    del self._in_flight[key]
                done.set()

    def _render_and_keep(self, key: TrackKey) -> bytes:
        task_id, prompt, length_seconds = key
        track = self._assemble(task_id=task_id, prompt=prompt, length_seconds=length_seconds)
        with self._tracks_lock:
            self._tracks[key] = track
            while len(self._tracks) > self.cache_size:
                self._tracks.popitem(last=False)
        return track

    def clear(self) -> None:
        """Forget the cached and waiting tracks (encoded segments stay: they depend on no task)."""
        with self._tracks_lock:
            self._tracks.clear()
            self._waiting.clear()

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
