"""One segment of a score: what sounds from one note onset to the next."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DRUM_KINDS", "Segment"]

DRUM_KINDS = ("kick", "snare")


@dataclass(frozen=True, kw_only=True)
class Segment:
    """A melody note (or rest) over a chord, lasting whole beats; the unit a material encodes.

    Pitches are MIDI note numbers. Everything sounds from the segment's start and has died away
    before its end, so segments can follow one another in any order.
    """

    beats: int
    melody: int | None
    chord: tuple[int, ...]
    bass: int | None
    drums: tuple[str | None, ...]
    """The drum hit starting each beat of the segment (one of ``DRUM_KINDS``) or None."""
