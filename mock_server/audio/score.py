"""One segment of a score: the sound from one note onset to the next, independent of the style."""

from __future__ import annotations

from dataclasses import dataclass

from .timbres import Timbre

__all__ = ["DRUM_KINDS", "Segment"]

DRUM_KINDS = ("kick", "snare")


@dataclass(frozen=True, kw_only=True)
class Segment:
    """A melody note, or a chord where the melody rests, over ``frames`` MP3 frames.

    This is the unit the renderer encodes and keeps, so it names only what the audio depends
    on: no key, mode, progression or tempo. Styles that share an instrument share its notes,
    whatever their key or tempo (a beat longer than ``frames`` is padded with silent frames),
    and every style shares the chords. Pitches are MIDI note numbers. Everything has died away
    before the segment ends, so segments can follow one another in any order.
    """

    frames: int
    """Sounding length in MP3 frames, one of a few length classes (silent tail included)."""
    timbre: Timbre | None
    """The melody's instrument; None for a chord."""
    melody: int | None
    chord: tuple[int, ...] = ()
    """The pad's notes (a chord segment only)."""
    bass: int | None = None
    drum: str | None = None
    """The drum hit at the start (one of ``DRUM_KINDS``) or None."""
