"""The encoded segments of one instrument at one tempo, made on first use and kept."""

from __future__ import annotations

from array import array

from .encoder import ENCODER_DELAY_SAMPLES, SegmentEncoder
from .score import Segment
from .synth import SegmentSynth
from .timbres import Timbre

__all__ = ["Palette"]

# Silence kept at the end of every segment: the encoder delay, plus a margin for the decoder's
# overlap-add so that no sound leaks into the next segment's first frame.
_TAIL_SAMPLES = ENCODER_DELAY_SAMPLES + 300


class Palette:
    """Segments encoded as runs of MP3 frames, ready to be concatenated in any order."""

    def __init__(self, *, encoder: SegmentEncoder, timbre: Timbre, frames_per_beat: int) -> None:
        self.encoder = encoder
        self.frames_per_beat = frames_per_beat
        self._synth = SegmentSynth(
            timbre=timbre,
            beat_samples=frames_per_beat * encoder.samples_per_frame,
            sample_rate=encoder.sample_rate,
            tail_samples=_TAIL_SAMPLES,
        )
        self._segments: dict[Segment, bytes] = {}
        self._silence = b""

    def __len__(self) -> int:
        """How many segments are encoded so far."""
        return len(self._segments)

    def encoded(self, segment: Segment) -> bytes:
        """``segment`` as ``segment.beats * frames_per_beat`` whole frames."""
        if segment not in self._segments:
            pcm = self._synth.render(segment)
            self._segments[segment] = self.encoder.encode(
                pcm, frames=segment.beats * self.frames_per_beat
            )
        return self._segments[segment]

    def silence(self, frames: int) -> bytes:
        """``frames`` frames of digital silence (fewer than a beat's worth)."""
        if frames > self.frames_per_beat:
            raise ValueError(f"{frames} frames of silence asked, at most {self.frames_per_beat}")
        if not self._silence:
            samples = array("h", bytes(2 * self.frames_per_beat * self.encoder.samples_per_frame))
            self._silence = self.encoder.encode(samples, frames=self.frames_per_beat)
        return self._silence[: frames * self.encoder.frame_length]
