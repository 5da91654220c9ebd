"""The encoded segments every style draws on, made on first use; and joining them into a track.

A segment (``score.py``) names only what its audio depends on: an instrument's note at a pitch,
or a chord, with a drum hit, over one of a few lengths. So its encoding serves every style that
uses it, whatever the key, mode, progression or exact tempo, and the whole set of segments is
finite: a few thousand notes and a few hundred chords. A new style mostly finds its segments
made already (by styles sharing its instrument and tempo band), and a track is a join.
"""

from __future__ import annotations

import dataclasses
import threading
from array import array
from collections import OrderedDict
from collections.abc import Hashable, Iterable

from .composer import Alphabet
from .encoder import ENCODER_DELAY_SAMPLES, SegmentEncoder
from .score import Segment
from .style import Style
from .synth import SegmentSynth

__all__ = ["SegmentBank", "alphabet_key", "assemble"]

# Silence kept at the end of every segment: the encoder delay, plus a margin for the decoder's
# overlap-add so that no sound leaks into the next segment's first frame.
_TAIL_SAMPLES = ENCODER_DELAY_SAMPLES + 300


def alphabet_key(style: Style, *, frames_per_beat: int) -> Hashable:
    """What a style's alphabet depends on: the tempo only as whole frames per beat.

    The progression counts in full, order included: the alphabet carries the chord of each bar,
    which the composer reads.
    """
    return frames_per_beat, dataclasses.replace(style, bpm=0)


class SegmentBank:
    """Encoded segments, made when a track first needs them, kept within ``byte_budget``.

    Making a segment holds a lock of its own (one synth, and no segment encoded twice), while
    reading what is made takes only a short lock, so a track whose segments are all made never
    waits for another track's making. A dropped segment is made again, to the same bytes.
    """

    def __init__(self, *, encoder: SegmentEncoder, byte_budget: int) -> None:
        self.byte_budget = byte_budget
        self._encoder = encoder
        self._synth = SegmentSynth(
            sample_rate=encoder.sample_rate,
            samples_per_frame=encoder.samples_per_frame,
            tail_samples=_TAIL_SAMPLES,
        )
        self._encoded: OrderedDict[Segment, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._making = threading.Lock()
        self.made = 0
        """How many segments were encoded (made again after a drop included)."""
        # One silent frame of a fresh encoding refers to no earlier bytes, so it repeats freely.
        self.silent_frame = encoder.encode(
            array("h", bytes(2 * 4 * encoder.samples_per_frame)), frames=1
        )

    @property
    def held(self) -> tuple[int, int]:
        """(how many segments are kept, their encoded bytes)."""
        with self._lock:
            return len(self._encoded), self._bytes

    def encoded(self, segments: Iterable[Segment]) -> dict[Segment, bytes]:
        """The encoding of each of ``segments``, making those not kept."""
        wanted = set(segments)
        found = self._lookup(wanted)
        missing = wanted - found.keys()
        # Sorted, so that one note's variants are made in a row (the synth keeps the voice), and
        # the making lock is taken per segment, so a track lacking one segment waits for one
        # segment of another track's making, not for all of it.
        for segment in sorted(missing, key=_order):
            with self._making:
                if made := self._lookup({segment}):  # made by another track meanwhile
                    found.update(made)
                    continue
                pcm = self._synth.render(segment)
                found[segment] = self._encoder.encode(pcm, frames=segment.frames)
                self._keep(segment, found[segment])
        return found

    def _lookup(self, segments: set[Segment]) -> dict[Segment, bytes]:
        with self._lock:
            found = {s: self._encoded[s] for s in segments if s in self._encoded}
            for segment in found:
                self._encoded.move_to_end(segment)
            return found

    def _keep(self, segment: Segment, encoded: bytes) -> None:
        with self._lock:
            self.made += 1
            self._encoded[segment] = encoded
            self._bytes += len(encoded)
            while self._bytes > self.byte_budget and len(self._encoded) > 1:
                _, dropped = self._encoded.popitem(last=False)
                self._bytes -= len(dropped)


def _order(segment: Segment) -> tuple[object, ...]:
    timbre = "" if segment.timbre is None else segment.timbre.name
    return (timbre, segment.melody or 0, segment.chord, segment.frames, segment.drum or "")


def assemble(
    alphabet: Alphabet, score: list[int], *, bank: SegmentBank, total_frames: int
) -> bytes:
    """The track of ``score``, padded with silence to exactly ``total_frames`` frames."""
    used = set(score)
    segments = alphabet.segments
    encoded = bank.encoded(s for i in used if (s := segments[i]) is not None)
    silent = bank.silent_frame
    # An index no score uses maps to no bytes: a composer bug shows as a short track.
    table: dict[int, bytes] = {}
    for index in used:
        segment = segments[index]
        if segment is not None:
            table[index] = encoded[segment] + silent * (alphabet.frames[index] - segment.frames)
        else:
            table[index] = b""
    parts = list(map(table.__getitem__, score))
    padding = total_frames - sum(map(alphabet.frames.__getitem__, score))
    parts.append(silent * max(0, padding))
    track = b"".join(parts)
    if len(track) != total_frames * len(silent):
        raise RuntimeError("assembled track has the wrong number of frames")
    return track
