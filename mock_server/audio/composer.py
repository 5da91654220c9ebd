"""Compose a score for a style: a melody in two-bar motifs over a looping chord progression.

The melody repeats and varies short motifs, lands on chord tones at bar lines and closes on the
tonic, which is what makes it sound composed rather than random. All choices come from the
``random.Random`` passed in, so a seed fixes the score.

A score is a list of indices into the style's *alphabet*: every segment (a melody note, or the
chord where the melody rests, one or two beats long) that any score of the style can use. The
segments themselves depend on no key, progression or exact tempo (see ``score.py``), so the
renderer encodes each once for all styles; composing is the per-task work, which is why it runs
on small integers and precomputed tables.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .score import Segment
from .style import MODES, Style

__all__ = [
    "BEATS_PER_BAR",
    "LENGTH_CLASSES",
    "Alphabet",
    "alphabet_of",
    "compose",
    "sounding_frames",
]

BEATS_PER_BAR = 4
_REST = 0
# Two-bar rhythms: note lengths in beats, _REST for a beat with no melody. Each bar sums to 4,
# so notes never cross a bar line (or a chord change), and every 2-beat note starts on an even
# beat: the alphabet then needs one 2-beat drum pattern only.
_RHYTHMS = (
    (1, 1, 1, 1, 1, 1, 1, 1),
    (1, 1, 1, 1, 1, 1, 2),
    (2, 1, 1, 1, 1, 1, 1),
    (1, 1, 2, 1, 1, 2),
    (1, 1, 1, 1, 1, 1, 1, _REST),
    (1, _REST, 1, 1, 1, 1, 2),
    # A rest on a bar line lets the chord (pad and bass) sound on the downbeat: segments are a
    # note or a chord, never both, so rests are where the harmony is heard.
    (_REST, 1, 1, 1, _REST, 1, 2),
    (_REST, 1, 2, 1, 1, 1, 1),
)
_STEPS = (-3, -2, -2, -1, -1, -1, 0, 1, 1, 1, 2, 2, 3)
_PENTATONIC_DEGREES = {True: (0, 1, 2, 4, 5), False: (0, 2, 3, 4, 6)}  # by "is the third major"
# The rhythmic kinds of a segment: one beat on a kick (even beat), one beat on a snare (odd
# beat), two beats from a kick. Without drums the first two sound the same.
_KINDS = 3
# The drum starting a segment of each kind. A 2-beat note has no snare on its second beat:
# the hit would sit at a tempo-dependent place and make the note's segment tempo-dependent.
_DRUM_OF_KIND = ("kick", "snare", "kick")
LENGTH_CLASSES = (10, 14, 20, 28, 40, 56)
"""The sounding lengths of segments, in frames: 240 ms to 1.3 s, steps of about 1.4."""

#: A motif: (length in beats, melodic step from the previous note, or None for a rest).
_Motif = tuple[tuple[int, int | None], ...]


@dataclass(frozen=True, kw_only=True)
class Alphabet:
    """The segments a style's scores are made of, and the tables composing needs.

    Index of a segment: ``(chord_slot * (len(ladder) + 1) + melody_slot) * 3 + kind``, where
    melody slot 0 is a rest and slot ``i + 1`` is ``ladder[i]``.
    """

    segments: tuple[Segment | None, ...]
    """By index; None where no score can use the index (a 2-beat note off the chord)."""
    frames: tuple[int, ...]
    """By index: the frames the segment lasts in a score (its beats), silent ones included."""
    ladder: tuple[int, ...]
    """The melody's notes (MIDI), low to high."""
    tonic_index: int
    bar_slots: tuple[int, ...]
    """The chord slot of each bar of the progression."""
    home_slot: int
    """The chord slot of the tonic chord (degree 0), which every track ends on."""
    nearest: tuple[tuple[int, ...], ...]
    """Per chord slot: for each ladder index, the nearest chord tone's index."""
    home: tuple[int, ...]
    """For each ladder index, the nearest tonic's index."""


def sounding_frames(frames: int) -> int:
    """How many of a note's ``frames`` sound: the longest length class that fits.

    The rest of the note is silent frames. Few lengths mean few distinct segments: a note of an
    instrument at a pitch is one segment for every tempo in a band, in every style.
    """
    fitting = [length for length in LENGTH_CLASSES if length <= frames]
    return fitting[-1] if fitting else frames


def alphabet_of(style: Style, *, frames_per_beat: int) -> Alphabet:
    """Every segment any score of ``style`` can use, at ``frames_per_beat``."""
    scale = MODES[style.mode]
    degrees = _PENTATONIC_DEGREES[scale[2] == 4] if style.pentatonic else range(7)
    tonic = 60 + style.key + 12 * style.timbre.octave
    melody_classes = {(style.key + scale[d]) % 12 for d in degrees}
    # From a fourth below the tonic to an octave above: a singable range, and a small alphabet.
    ladder = tuple(p for p in range(tonic - 5, tonic + 13) if p % 12 in melody_classes)
    chords = sorted({0, *style.progression})

    def chord_classes(degree: int) -> tuple[int, ...]:
        return tuple((style.key + scale[(degree + third) % 7]) % 12 for third in (0, 2, 4))

    def nearest(wanted: tuple[int, ...]) -> tuple[int, ...]:
        candidates = [i for i, p in enumerate(ladder) if p % 12 in wanted]
        if not candidates:  # a pentatonic ladder may lack the chord's notes
            return tuple(range(len(ladder)))
        return tuple(min((abs(c - i), c) for c in candidates)[1] for i in range(len(ladder)))

    segments: list[Segment | None] = []
    one_beat = sounding_frames(frames_per_beat)
    two_beats = sounding_frames(2 * frames_per_beat)
    for degree in chords:
        classes = chord_classes(degree)
        pad = tuple(sorted(52 + (pc - 52) % 12 for pc in classes))  # between E3 and D#4
        bass = 36 + classes[0]  # the root between C2 and B2
        # A note held two beats is always on a chord tone: the other 2-beat segments never
        # occur.
        held = {ladder[i] for i in nearest(classes)}
        for melody in (None, *ladder):
            for kind, drum in enumerate(_DRUM_OF_KIND):
                if kind == 2 and melody is not None and melody not in held:
                    segments.append(None)
                    continue
                segments.append(
                    Segment(
                        frames=two_beats if kind == 2 else one_beat,
                        timbre=None if melody is None else style.timbre,
                        melody=melody,
                        chord=pad if melody is None else (),
                        bass=bass if melody is None else None,
                        drum=drum if style.drums else None,
                    )
                )
    slot = {degree: index for index, degree in enumerate(chords)}
    return Alphabet(
        segments=tuple(segments),
        frames=tuple(
            (2 if index % _KINDS == 2 else 1) * frames_per_beat for index in range(len(segments))
        ),
        ladder=ladder,
        tonic_index=ladder.index(tonic),
        bar_slots=tuple(slot[degree] for degree in style.progression),
        home_slot=slot[0],
        nearest=tuple(nearest(chord_classes(degree)) for degree in chords),
        home=nearest(chord_classes(0)[:1]),
    )


def compose(alphabet: Alphabet, *, rng: random.Random, beats: int) -> list[int]:
    """A score exactly ``beats`` beats long, as indices into ``alphabet.segments``."""
    ladder_size = len(alphabet.ladder)
    width = ladder_size + 1
    top = ladder_size - 1
    bar_slots, bars = alphabet.bar_slots, len(alphabet.bar_slots)
    nearest, tonic = alphabet.nearest, alphabet.tonic_index
    chance = rng.random
    score: list[int] = []
    append = score.append
    position = tonic
    motif = _new_motif(rng)
    beat = 0
    # A bar of accompaniment alone opens any track long enough to have room for it.
    intro = BEATS_PER_BAR if beats >= 6 * BEATS_PER_BAR else 0
    unit = 0
    while beat < beats:
        # A new motif every eight bars (and now and then sooner), a varied one in between.
        if (unit and unit % 4 == 0) or chance() < 0.2:
            motif = _new_motif(rng)
        elif chance() < 0.5:
            motif = _vary(motif, rng)
        for length, step in motif:
            if beat >= beats:
                break
            length = min(length, beats - beat)
            chord = bar_slots[(beat // BEATS_PER_BAR) % bars]
            melody = 0
            if beat >= intro and step is not None:
                # Lean back towards the middle of the range so the tune does not drift away.
                height = position - tonic
                if ((height > 5 and step > 0) or (height < -1 and step < 0)) and chance() < 0.6:
                    step = -step
                moved = position + step
                if not 0 <= moved <= top:
                    moved = position - step
                position = max(0, min(top, moved))
                if beat % BEATS_PER_BAR == 0 or length == 2:  # bar lines and long notes
                    position = nearest[chord][position]
                melody = position + 1
            kind = 2 if length == 2 else beat & 1
            append((chord * width + melody) * _KINDS + kind)
            beat += length
        unit += 1
    if score:  # end on the tonic chord with the melody on the tonic, the way a tune resolves
        kind = score[-1] % _KINDS
        home = alphabet.home[position] + 1
        score[-1] = (alphabet.home_slot * width + home) * _KINDS + kind
    return score


def _new_motif(rng: random.Random) -> _Motif:
    rhythm = rng.choice(_RHYTHMS)
    return tuple((max(length, 1), rng.choice(_STEPS) if length else None) for length in rhythm)


def _vary(motif: _Motif, rng: random.Random) -> _Motif:
    notes = list(motif)
    at = rng.randrange(len(notes))
    length, step = notes[at]
    if step is not None:
        notes[at] = (length, rng.choice(_STEPS))
    return tuple(notes)
