"""A style's material: every segment of its alphabet, encoded once as a run of MP3 frames.

Made once per style (on the first download of a track in that style) and then only read, so a
track of any length is a join of encoded segments: no synthesis or encoding per task.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Hashable

from .composer import Alphabet, alphabet_of
from .encoder import ENCODER_DELAY_SAMPLES, SegmentEncoder
from .score import Segment
from .style import Style
from .synth import SegmentSynth

__all__ = ["StyleMaterial", "material_key"]

# Silence kept at the end of every segment: the encoder delay, plus a margin for the decoder's
# overlap-add so that no sound leaks into the next segment's first frame.
_TAIL_SAMPLES = ENCODER_DELAY_SAMPLES + 300


def material_key(style: Style, *, frames_per_beat: int) -> Hashable:
    """What the material of ``style`` depends on: styles with one key share their material.

    The tempo counts only as whole frames per beat. The progression counts in full, order
    included: the material's alphabet carries the chord of each bar, which the composer reads.
    """
    return frames_per_beat, dataclasses.replace(style, bpm=0)


class StyleMaterial:
    """The encoded alphabet of one style at one tempo (immutable once made)."""

    def __init__(self, *, style: Style, encoder: SegmentEncoder, frames_per_beat: int) -> None:
        self.alphabet: Alphabet = alphabet_of(style)
        self.frames_per_beat = frames_per_beat
        self.frame_length = encoder.frame_length
        beat_samples = frames_per_beat * encoder.samples_per_frame
        # A synth of its own, dropped with its caches once the alphabet is encoded.
        synth = SegmentSynth(
            timbre=style.timbre,
            beat_samples=beat_samples,
            sample_rate=encoder.sample_rate,
            tail_samples=_TAIL_SAMPLES,
        )
        encoded: dict[Segment, bytes] = {}
        for segment in self.alphabet.segments:
            # Without drums, the two 1-beat kinds are one segment, encoded once.
            if segment is not None and segment not in encoded:
                pcm = synth.render(segment)
                encoded[segment] = encoder.encode(pcm, frames=segment.beats * frames_per_beat)
        # An index no score uses maps to no bytes: a composer bug shows as a short track.
        self.table: tuple[bytes, ...] = tuple(
            b"" if s is None else encoded[s] for s in self.alphabet.segments
        )
        self.silence = encoder.encode(array("h", bytes(2 * beat_samples)), frames=frames_per_beat)
        self.nbytes = sum(map(len, encoded.values())) + len(self.silence)
        """Bytes of encoded audio held."""

    def assemble(self, score: list[int], *, total_frames: int) -> bytes:
        """The track of ``score``, padded with silence to exactly ``total_frames`` frames."""
        beats = total_frames // self.frames_per_beat
        padding = total_frames - beats * self.frames_per_beat
        parts = list(map(self.table.__getitem__, score))
        parts.append(self.silence[: padding * self.frame_length])
        track = b"".join(parts)
        if len(track) != total_frames * self.frame_length:
            raise RuntimeError("assembled track has the wrong number of frames")
        return track
