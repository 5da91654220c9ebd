"""Additive synthesis of one segment into 16-bit PCM: melody, pad chord, bass and drums.

Pure Python, so the work is arranged for speed: an oscillator is a loop of a few whole periods
repeated by sequence multiplication, and loops and envelopes are memoized (boundedly). A segment
is a melody note with its drum hit, or a chord (pad and bass) with its drum hit: never both, so
that a note's audio is the same in every key, mode and progression (see ``score.py``).
"""

from __future__ import annotations

import math
import operator
import random
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from itertools import accumulate, repeat
from typing import Generic, TypeVar

from .score import Segment
from .timbres import Timbre

__all__ = ["SegmentSynth"]

_TABLE_SIZE = 4096
_FULL_SCALE = 32767
_MELODY_GAIN = 0.42
_PAD_GAIN = 0.08  # per chord note
_BASS_GAIN = 0.26
_KICK_GAIN = 0.36
_SNARE_GAIN = 0.2
_RELEASE_SECONDS = 0.03
_MAX_LOOP_PERIODS = 64
# Enough for every voice of a few styles at once (loops are up to a few thousand samples).
_KEPT_LOOPS = 256
_KEPT_ENVELOPES = 64
_KEPT_VOICES = 4
_PAD = Timbre(name="pad", harmonics=(1.0, 0.3), attack_seconds=0.02, decay_seconds=0.9, sustain=0.6)
_BASS = Timbre(
    name="bass", harmonics=(1.0, 0.5, 0.25), attack_seconds=0.005, decay_seconds=0.35, sustain=0.2
)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _frequency(midi: int) -> float:
    return 440.0 * math.pow(2.0, (midi - 69) / 12)


class SegmentSynth:
    """Renders segments of any instrument at one sample rate and frame size.

    ``tail_samples`` at the end of every segment are left silent (the encoder's delay pushes
    whatever sounds there past the segment's last frame). One synth serves a renderer for its
    whole life, so what it keeps is bounded: a wave table per harmonic recipe, the two drum
    hits, and the most recently used oscillator loops and envelopes.
    """

    def __init__(self, *, sample_rate: int, samples_per_frame: int, tail_samples: int) -> None:
        self.sample_rate = sample_rate
        self.samples_per_frame = samples_per_frame
        self.tail_samples = tail_samples
        self._tables: dict[tuple[float, ...], list[float]] = {}
        self._loops: _Memo[tuple[tuple[float, ...], float, float], array[float]] = _Memo(
            _KEPT_LOOPS
        )
        self._envelopes: _Memo[tuple[Timbre, int], array[float]] = _Memo(_KEPT_ENVELOPES)
        # The segments a track lacks are made sorted by sound, so one note's drum variants come
        # in a row: a handful of voices kept covers them.
        self._voices: _Memo[tuple[Timbre, tuple[int, ...], int, float], array[int]] = _Memo(
            _KEPT_VOICES
        )
        self._drums: dict[str, list[float]] = {}
        self._faded_drums: _Memo[tuple[str, int], array[int]] = _Memo(_KEPT_ENVELOPES)

    def render(self, segment: Segment) -> array[int]:
        """The segment's samples: ``segment.frames * samples_per_frame`` of them."""
        length = segment.frames * self.samples_per_frame
        if length <= self.tail_samples:
            raise ValueError("a segment must be longer than the silent tail")
        if segment.timbre is not None and segment.melody is not None:
            mixed = self._voice(segment.timbre, (segment.melody,), length, _MELODY_GAIN)
        else:
            mixed = array("i", bytes(4 * length))
            if segment.chord:
                mixed = self._voice(_PAD, segment.chord, length, _PAD_GAIN)
            if segment.bass is not None:
                bass = self._voice(_BASS, (segment.bass,), length, _BASS_GAIN)
                mixed = array("i", map(operator.add, mixed, bass))
        if segment.drum is not None:
            hit = self._faded_drum(segment.drum, length - self.tail_samples)
            head = array("i", map(operator.add, mixed[: len(hit)], hit))
            mixed = head + mixed[len(hit) :]
        return _clipped(mixed)

    def _voice(
        self, timbre: Timbre, notes: tuple[int, ...], length: int, gain: float
    ) -> array[int]:
        """``notes`` played together on ``timbre``, each peaking at ``gain`` of full scale.

        Kept (boundedly): the caller must not change it.
        """
        key = (timbre, notes, length, gain)
        if (voice := self._voices.get(key)) is not None:
            return voice
        envelope = self._envelope(timbre, length)
        body = len(envelope)
        waves = [self._oscillator(timbre, _frequency(midi), body, gain) for midi in notes]
        wave: Iterable[float] = waves[0]
        for other in waves[1:]:
            wave = map(operator.add, wave, other)
        # Whole samples (in a wider type than 16 bits: voices are summed before clipping).
        voice = array("i", map(int, map(operator.mul, wave, envelope)))
        voice.frombytes(bytes(4 * self.tail_samples))
        self._voices.put(key, voice)
        return voice

    def _oscillator(
        self, timbre: Timbre, frequency: float, length: int, gain: float
    ) -> array[float]:
        """A steady tone ``length`` samples long: a loop of whole periods, repeated."""
        # Drop harmonics at or above Nyquist: they would fold back as off-key tones.
        audible = max(1, min(len(timbre.harmonics), int(self.sample_rate / 2 / frequency)))
        harmonics = timbre.harmonics[:audible]
        key = (harmonics, frequency, gain)
        loop = self._loops.get(key)
        if loop is None:
            period = self.sample_rate / frequency
            # The number of periods spanning the closest to a whole number of samples, so the
            # loop repeats seamlessly and in tune (well under a cent off).
            periods = min(
                range(1, _MAX_LOOP_PERIODS + 1),
                key=lambda k: abs(k * period - round(k * period)) / k,
            )
            loop_length = round(periods * period)
            table = self._table(harmonics)
            step = periods * _TABLE_SIZE / loop_length
            scale = gain * _FULL_SCALE
            mask = _TABLE_SIZE - 1
            loop = array("d", [table[int(i * step) & mask] * scale for i in range(loop_length)])
            self._loops.put(key, loop)
        return (loop * (length // len(loop) + 1))[:length]

    def _table(self, harmonics: tuple[float, ...]) -> list[float]:
        """One period of the waveform in ``_TABLE_SIZE`` samples, peaking at 1."""
        if harmonics not in self._tables:
            wave = [
                sum(
                    amplitude * math.sin(2 * math.pi * number * i / _TABLE_SIZE)
                    for number, amplitude in enumerate(harmonics, start=1)
                )
                for i in range(_TABLE_SIZE)
            ]
            peak = max(abs(s) for s in wave) or 1.0
            self._tables[harmonics] = [s / peak for s in wave]
        return self._tables[harmonics]

    def _envelope(self, timbre: Timbre, length: int) -> array[float]:
        """The note's loudness over the segment's body (everything before the silent tail)."""
        key = (timbre, length)
        envelope_array = self._envelopes.get(key)
        if envelope_array is None:
            body = length - self.tail_samples
            rate = self.sample_rate
            attack = max(1.0, timbre.attack_seconds * rate)
            decay = timbre.decay_seconds * rate
            release = _RELEASE_SECONDS * rate
            sustain = timbre.sustain
            falling = accumulate(repeat(math.exp(-1 / decay), body - 1), operator.mul, initial=1.0)
            envelope = [sustain + (1 - sustain) * level for level in falling]
            for i in range(min(body, math.ceil(attack))):
                envelope[i] *= i / attack
            for i in range(max(0, body - math.ceil(release)), body):
                envelope[i] *= min(1.0, (body - i) / release)
            envelope_array = array("d", envelope)
            self._envelopes.put(key, envelope_array)
        return envelope_array

    def _faded_drum(self, drum: str, body: int) -> array[int]:
        """A drum hit cut to ``body`` samples, faded out if it would ring into the silent tail."""
        key = (drum, body)
        if (faded := self._faded_drums.get(key)) is None:
            hit = self._drum(drum)[:body]
            release = _RELEASE_SECONDS * self.sample_rate
            fade = (min(1.0, (body - i) / release) for i in range(len(hit)))
            faded = array("i", map(int, map(operator.mul, hit, fade)))
            self._faded_drums.put(key, faded)
        return faded

    def _drum(self, drum: str) -> list[float]:
        if drum not in self._drums:
            rate = self.sample_rate
            count = int(0.3 * rate)
            hit: list[float] = []
            if drum == "kick":  # a sine sweeping down from 155 Hz to 45 Hz
                phase = 0.0
                for i in range(count):
                    t = i / rate
                    phase += 2 * math.pi * (45 + 110 * math.exp(-t / 0.03)) / rate
                    hit.append(math.exp(-t / 0.12) * math.sin(phase) * _KICK_GAIN * _FULL_SCALE)
            else:  # noise over a 185 Hz body; seeded, so the same hit every time
                noise = random.Random(drum).uniform
                hit = [
                    math.exp(-i / rate / 0.07)
                    * (0.6 * noise(-1, 1) + 0.4 * math.sin(2 * math.pi * 185 * i / rate))
                    * _SNARE_GAIN
                    * _FULL_SCALE
                    for i in range(count)
                ]
            self._drums[drum] = hit
        return self._drums[drum]


class _Memo(Generic[_K, _V]):
    """A dict that keeps only the ``size`` most recently stored or read entries."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K) -> _V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: _K, value: _V) -> None:
        self._entries[key] = value
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


def _clipped(values: array[int]) -> array[int]:
    """16-bit samples; a segment whose voices' peaks coincide is scaled down to fit, not clipped.

    Scaling the whole segment keeps the waveform clean (clipping would add harsh harmonics), and
    it runs on ``map`` over C functions, several times faster than clipping sample by sample.
    """
    try:
        return array("h", values)
    except OverflowError:
        pass
    peak = max(max(values), -min(values))
    gain = _FULL_SCALE / peak
    return array("h", map(int, map(operator.mul, values, repeat(gain, len(values)))))
