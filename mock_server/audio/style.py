"""From a prompt to a musical style: tempo, key, mode, instrument, drums and chord progression.

Words in the prompt decide what they name (``"slow"``, ``"120 bpm"``, ``"A minor"``, ``"piano"``,
``"sad"``, ``"dance"``); a hash of the whole prompt decides everything the words leave open, so
any two prompts differ somewhere and the same prompt always gives the same style.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .timbres import TIMBRES, Timbre

__all__ = ["MAX_BPM", "MIN_BPM", "MODES", "Style", "style_for_prompt"]

MIN_BPM = 40
MAX_BPM = 240

MODES: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {
        "major": (0, 2, 4, 5, 7, 9, 11),
        "minor": (0, 2, 3, 5, 7, 8, 10),
        "dorian": (0, 2, 3, 5, 7, 9, 10),
        "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    }
)
"""Semitones above the tonic of each mode's seven degrees."""

# Chord roots as 0-based scale degrees, one chord per bar.
_PROGRESSIONS: Mapping[str, tuple[tuple[int, ...], ...]] = MappingProxyType(
    {
        "major": (
            (0, 4, 5, 3),
            (0, 5, 3, 4),
            (0, 3, 4, 0),
            (0, 3, 0, 4),
            (5, 3, 0, 4),
            (1, 4, 0, 0),
        ),
        "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 6), (0, 5, 3, 4), (0, 3, 6, 2)),
        "dorian": ((0, 3, 0, 3), (0, 3, 6, 0), (0, 6, 3, 0)),
        "mixolydian": ((0, 6, 3, 0), (0, 3, 6, 3), (0, 6, 0, 3)),
    }
)

# (lowest, highest) bpm picked from when words say only "slow", "fast" or nothing.
_SLOW_BAND = (60, 80)
_MEDIUM_BAND = (90, 120)
_FAST_BAND = (132, 168)


def _vocabulary(words: str) -> frozenset[str]:
    return frozenset(words.split())


_SLOW_WORDS = _vocabulary(
    "slow slowly calm calming relax relaxing relaxed chill chillout ambient ballad lullaby "
    "meditation meditative sleep sleepy gentle peaceful soft dreamy lofi lo-fi downtempo mellow "
    "serene tranquil sad somber sombre quiet soothing"
)
_FAST_WORDS = _vocabulary(
    "fast faster quick rapid upbeat up-tempo uptempo energetic energy dance dancing edm techno "
    "trance dnb punk metal hype hyper intense action workout running party frantic driving "
    "racing chase hardcore drum-and-bass"
)
_DRUM_WORDS = _vocabulary(
    "beat beats drum drums rock pop dance edm techno house trap hip-hop hiphop funk funky "
    "groove groovy disco reggae punk metal workout party upbeat energetic rap dnb"
)
_NO_DRUM_WORDS = _vocabulary(
    "ambient calm meditation classical lullaby sleep peaceful solo serene tranquil "
    "gentle soothing hymn"
)
_MODE_WORDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "minor": _vocabulary(
            "sad dark melancholic melancholy moody somber sombre tragic minor horror mysterious "
            "tense noir emotional haunting spooky"
        ),
        "major": _vocabulary(
            "happy bright joyful cheerful uplifting major sunny hopeful playful fun triumphant "
            "lullaby christmas"
        ),
        "dorian": _vocabulary("jazz jazzy funk funky groovy soul lofi lo-fi"),
        "mixolydian": _vocabulary("rock blues bluesy country celtic"),
    }
)
_PENTATONIC_WORDS = _vocabulary("folk asian oriental world pentatonic zen japanese chinese")

_PITCH_CLASSES = MappingProxyType({"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11})
_BPM = re.compile(r"(\d{2,3})\s*-?\s*bpm\b|\bbpm\s*[:=]?\s*(\d{2,3})\b")
_KEY = re.compile(r"\b([a-g])\s*(#|♯|b|♭|sharp|flat)?\s*-?\s*(major|minor)\b")
_KEY_OF = re.compile(r"\bkey of ([a-g])\s*(#|♯|b|♭|sharp|flat)?(?![a-z])")


@dataclass(frozen=True, kw_only=True)
class Style:
    """Everything about a track that the prompt decides."""

    bpm: int
    key: int
    """Pitch class of the tonic, 0 = C."""
    mode: str
    """A key of ``MODES``."""
    pentatonic: bool
    """The melody keeps to five of the mode's seven notes."""
    timbre: Timbre
    drums: bool
    progression: tuple[int, ...]
    """Chord roots, as scale degrees, one per bar, repeated."""

    def frames_per_beat(self, *, sample_rate: int, samples_per_frame: int) -> int:
        """The beat rounded to whole MP3 frames (so tempo is exact to within a frame)."""
        return max(1, round(60 * sample_rate / (self.bpm * samples_per_frame)))


def style_for_prompt(prompt: str) -> Style:
    """The style of ``prompt``: its words where they say something, its hash for the rest."""
    text = prompt.lower()
    words = set(re.findall(r"[a-z0-9#]+(?:-[a-z0-9]+)*", text))
    joined = " ".join(re.findall(r"[a-z0-9]+", text))
    words.update(phrase.replace(" ", "-") for phrase in _PHRASES if phrase in joined)
    digest = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).digest()

    mode = _pick_mode(words, digest[2])
    key = digest[1] % 12
    if (named := _named_key(text)) is not None:
        key, named_mode = named
        mode = named_mode or mode
    drum_score = len(words & _DRUM_WORDS) - len(words & _NO_DRUM_WORDS)
    progressions = _PROGRESSIONS[mode]
    return Style(
        bpm=_pick_bpm(text, words, digest[0]),
        key=key,
        mode=mode,
        pentatonic=bool(words & _PENTATONIC_WORDS) or digest[3] % 5 == 0,
        timbre=_pick_timbre(text, digest[4]),
        drums=drum_score > 0 if drum_score else digest[5] % 2 == 0,
        progression=progressions[digest[6] % len(progressions)],
    )


_PHRASES = ("drum and bass", "hip hop", "lo fi", "up tempo")


def _pick_bpm(text: str, words: set[str], pick: int) -> int:
    if match := _BPM.search(text):
        return min(MAX_BPM, max(MIN_BPM, int(match.group(1) or match.group(2))))
    score = len(words & _FAST_WORDS) - len(words & _SLOW_WORDS)
    low, high = _FAST_BAND if score > 0 else _SLOW_BAND if score < 0 else _MEDIUM_BAND
    return low + pick % (high - low + 1)


def _pick_mode(words: set[str], pick: int) -> str:
    scores = {mode: len(words & vocabulary) for mode, vocabulary in _MODE_WORDS.items()}
    best = max(scores.values())
    if best:
        return next(mode for mode, score in scores.items() if score == best)
    return ("major", "minor", "major", "minor", "dorian", "mixolydian")[pick % 6]


def _named_key(text: str) -> tuple[int, str | None] | None:
    match = _KEY.search(text) or _KEY_OF.search(text)
    if match is None:
        return None
    pitch = _PITCH_CLASSES[match.group(1)]
    accidental = match.group(2) or ""
    if accidental in ("#", "♯", "sharp"):
        pitch += 1
    elif accidental in ("b", "♭", "flat"):
        pitch -= 1
    mode = match.group(3) if match.re is _KEY else None
    return pitch % 12, mode


def _pick_timbre(text: str, pick: int) -> Timbre:
    # The instrument named first in the prompt wins, so "piano with strings" is a piano.
    found: list[tuple[int, Timbre]] = []
    for timbre in TIMBRES:
        for keyword in timbre.keywords:
            if match := re.search(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])", text):
                found.append((match.start(), timbre))
    if found:
        return min(found, key=lambda hit: hit[0])[1]
    return TIMBRES[pick % len(TIMBRES)]
