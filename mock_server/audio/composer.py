"""Compose a score for a style: a melody in two-bar motifs over a looping chord progression.

The melody repeats and varies short motifs, lands on chord tones at bar lines and closes on the
tonic, which is what makes it sound composed rather than random. All choices come from the
``random.Random`` passed in, so a seed fixes the score.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .score import Segment
from .style import MODES, Style

__all__ = ["BEATS_PER_BAR", "compose"]

BEATS_PER_BAR = 4
_REST = 0
# Two-bar rhythms: note lengths in beats, _REST for a beat with no melody. Each bar sums to 4,
# so notes never cross a bar line (or a chord change).
_RHYTHMS = (
    (1, 1, 1, 1, 1, 1, 1, 1),
    (1, 1, 1, 1, 1, 1, 2),
    (2, 1, 1, 1, 1, 1, 1),
    (1, 1, 2, 1, 1, 2),
    (1, 1, 1, 1, 1, 1, 1, _REST),
    (1, _REST, 1, 1, 1, 1, 2),
)
_STEPS = (-3, -2, -2, -1, -1, -1, 0, 1, 1, 1, 2, 2, 3)
_DRUM_PATTERN = ("kick", "snare", "kick", "snare")
_PENTATONIC_DEGREES = {True: (0, 1, 2, 4, 5), False: (0, 2, 3, 4, 6)}  # by "is the third major"


@dataclass(frozen=True, kw_only=True)
class _Motif:
    notes: tuple[tuple[int, int | None], ...]
    """(length in beats, melodic step from the previous note, or None for a rest)"""


class _Harmony:
    """Pitches of one style: the melody's ladder of notes and the chords on each degree."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.scale = MODES[style.mode]
        degrees = _PENTATONIC_DEGREES[self.scale[2] == 4] if style.pentatonic else range(7)
        tonic = 60 + style.key + 12 * style.timbre.octave
        melody_classes = {(style.key + self.scale[d]) % 12 for d in degrees}
        self.ladder = [p for p in range(tonic - 5, tonic + 18) if p % 12 in melody_classes]
        self.tonic_index = self.ladder.index(tonic)

    def chord_classes(self, degree: int) -> tuple[int, ...]:
        return tuple(
            (self.style.key + self.scale[(degree + third) % 7]) % 12 for third in (0, 2, 4)
        )

    def pad(self, degree: int) -> tuple[int, ...]:
        """The triad voiced between E3 and D#4."""
        return tuple(sorted(52 + (pc - 52) % 12 for pc in self.chord_classes(degree)))

    def bass(self, degree: int) -> int:
        """The chord's root between C2 and B2."""
        return 36 + self.chord_classes(degree)[0]

    def nearest_chord_tone(self, index: int, degree: int, *, root_only: bool = False) -> int:
        wanted = self.chord_classes(degree)[:1] if root_only else self.chord_classes(degree)
        candidates = [i for i, p in enumerate(self.ladder) if p % 12 in wanted]
        if not candidates:  # a pentatonic ladder may lack the chord's notes
            return index
        return min(candidates, key=lambda i: (abs(i - index), i))


def compose(style: Style, *, rng: random.Random, beats: int) -> list[Segment]:
    """A score exactly ``beats`` beats long."""
    harmony = _Harmony(style)
    segments: list[Segment] = []
    position = harmony.tonic_index
    motif = _new_motif(rng)
    beat = 0
    # A bar of accompaniment alone opens any track long enough to have room for it.
    intro = BEATS_PER_BAR if beats >= 6 * BEATS_PER_BAR else 0
    unit = 0
    while beat < beats:
        # A new motif every eight bars (and now and then sooner), a varied one in between.
        if (unit and unit % 4 == 0) or rng.random() < 0.2:
            motif = _new_motif(rng)
        elif rng.random() < 0.5:
            motif = _vary(motif, rng)
        for length, step in motif.notes:
            if beat >= beats:
                break
            length = min(length, beats - beat)
            degree = style.progression[beat // BEATS_PER_BAR % len(style.progression)]
            melody: int | None = None
            if beat >= intro and step is not None:
                position = _move(harmony, position, step, rng)
                if beat % BEATS_PER_BAR == 0:
                    position = harmony.nearest_chord_tone(position, degree)
                melody = harmony.ladder[position]
            segments.append(_segment(style, harmony, beat, length, melody, degree))
            beat += length
        unit += 1
    return _with_ending(style, harmony, segments, position)


def _new_motif(rng: random.Random) -> _Motif:
    rhythm = rng.choice(_RHYTHMS)
    return _Motif(
        notes=tuple((max(length, 1), rng.choice(_STEPS) if length else None) for length in rhythm)
    )


def _vary(motif: _Motif, rng: random.Random) -> _Motif:
    notes = list(motif.notes)
    at = rng.randrange(len(notes))
    length, step = notes[at]
    if step is not None:
        notes[at] = (length, rng.choice(_STEPS))
    return _Motif(notes=tuple(notes))


def _move(harmony: _Harmony, position: int, step: int, rng: random.Random) -> int:
    # Lean back towards the middle of the range so the tune does not drift to an edge.
    height = position - harmony.tonic_index
    drifting = (height > 5 and step > 0) or (height < -1 and step < 0)
    if drifting and rng.random() < 0.6:
        step = -step
    moved = position + step
    if not 0 <= moved < len(harmony.ladder):
        moved = position - step
    return max(0, min(len(harmony.ladder) - 1, moved))


def _segment(
    style: Style, harmony: _Harmony, beat: int, length: int, melody: int | None, degree: int
) -> Segment:
    return Segment(
        beats=length,
        melody=melody,
        chord=harmony.pad(degree),
        bass=harmony.bass(degree),
        drums=tuple(
            _DRUM_PATTERN[(beat + i) % BEATS_PER_BAR] if style.drums else None
            for i in range(length)
        ),
    )


def _with_ending(
    style: Style, harmony: _Harmony, segments: list[Segment], position: int
) -> list[Segment]:
    """End on the tonic chord with the melody on the tonic, the way a tune resolves."""
    if not segments:
        return segments
    last = segments[-1]
    home = harmony.nearest_chord_tone(position, 0, root_only=True)
    segments[-1] = Segment(
        beats=last.beats,
        melody=harmony.ladder[home],
        chord=harmony.pad(0),
        bass=harmony.bass(0),
        drums=last.drums,
    )
    return segments
