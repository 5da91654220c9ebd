"""Lead instruments a prompt can ask for: harmonic recipe, envelope, and the words naming them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TIMBRES", "Timbre", "timbre_named"]


@dataclass(frozen=True, kw_only=True)
class Timbre:
    """An additive instrument: a harmonic series shaped by an attack/decay/sustain envelope."""

    name: str
    harmonics: tuple[float, ...]
    """Relative amplitude of harmonics 1, 2, 3, ..."""
    attack_seconds: float
    decay_seconds: float
    """Time constant of the exponential fall from the peak towards ``sustain``."""
    sustain: float
    octave: int = 0
    """Octave shift of the melody, for instruments that live high or low."""
    keywords: tuple[str, ...] = ()


TIMBRES: tuple[Timbre, ...] = (
    Timbre(
        name="piano",
        harmonics=(1.0, 0.55, 0.3, 0.22, 0.12, 0.08, 0.05, 0.03),
        attack_seconds=0.004,
        decay_seconds=0.45,
        sustain=0.0,
        keywords=("piano", "classical", "keys", "ballad", "solo"),
    ),
    Timbre(
        name="electric-piano",
        harmonics=(1.0, 0.3, 0.05, 0.12, 0.02),
        attack_seconds=0.006,
        decay_seconds=0.6,
        sustain=0.1,
        keywords=("rhodes", "lofi", "lo-fi", "jazz", "jazzy", "soul", "rnb", "neo-soul"),
    ),
    Timbre(
        name="bell",
        harmonics=(1.0, 0.0, 0.0, 0.35),
        attack_seconds=0.002,
        decay_seconds=0.3,
        sustain=0.0,
        octave=1,
        keywords=("bell", "bells", "glockenspiel", "celesta", "lullaby", "christmas", "magical"),
    ),
    Timbre(
        name="marimba",
        harmonics=(1.0, 0.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.05),
        attack_seconds=0.002,
        decay_seconds=0.18,
        sustain=0.0,
        keywords=("marimba", "xylophone", "kalimba", "tropical", "island", "vibraphone"),
    ),
    Timbre(
        name="organ",
        harmonics=(1.0, 0.7, 0.0, 0.45, 0.0, 0.25, 0.0, 0.15),
        attack_seconds=0.015,
        decay_seconds=1.0,
        sustain=0.85,
        keywords=("organ", "gospel", "church", "hymn"),
    ),
    Timbre(
        name="synth",
        harmonics=tuple(1.0 / n for n in range(1, 10)),
        attack_seconds=0.01,
        decay_seconds=0.25,
        sustain=0.5,
        keywords=("synth", "synthwave", "electronic", "edm", "techno", "house", "trance", "retro"),
    ),
    Timbre(
        name="square",
        harmonics=tuple(1.0 / n if n % 2 else 0.0 for n in range(1, 10)),
        attack_seconds=0.003,
        decay_seconds=0.3,
        sustain=0.6,
        keywords=("chiptune", "8-bit", "8bit", "arcade", "game", "video", "pixel"),
    ),
    Timbre(
        name="strings",
        harmonics=tuple(1.0 / n**1.4 for n in range(1, 9)),
        attack_seconds=0.06,
        decay_seconds=0.8,
        sustain=0.75,
        keywords=("strings", "orchestral", "orchestra", "cinematic", "epic", "violin", "film"),
    ),
    Timbre(
        name="guitar",
        harmonics=(1.0, 0.8, 0.5, 0.35, 0.25, 0.15, 0.1, 0.05),
        attack_seconds=0.003,
        decay_seconds=0.3,
        sustain=0.0,
        keywords=("guitar", "acoustic", "folk", "country", "rock", "indie", "blues"),
    ),
    Timbre(
        name="flute",
        harmonics=(1.0, 0.15, 0.05),
        attack_seconds=0.04,
        decay_seconds=1.0,
        sustain=0.8,
        keywords=("flute", "ambient", "pad", "dreamy", "airy", "meditation", "zen", "ethereal"),
    ),
)


def timbre_named(name: str) -> Timbre:
    """The timbre called ``name``."""
    for timbre in TIMBRES:
        if timbre.name == name:
            return timbre
    raise KeyError(name)
