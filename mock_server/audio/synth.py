"""Additive synthesis of one segment into 16-bit PCM: melody, pad chord, bass and drums.

Pure Python, so the work is arranged for speed: an oscillator is a loop of a few whole periods
repeated by list multiplication, envelopes and voices are cached, and the voices that many
segments share (a melody note, an accompaniment) are kept as 16-bit arrays to be summed.
"""

from __future__ import annotations

import math
import operator
import random
from array import array
from collections.abc import Iterable
from itertools import accumulate, repeat

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
_PAD = Timbre(name="pad", harmonics=(1.0, 0.3), attack_seconds=0.02, decay_seconds=0.9, sustain=0.6)
_BASS = Timbre(
    name="bass", harmonics=(1.0, 0.5, 0.25), attack_seconds=0.005, decay_seconds=0.35, sustain=0.2
)


def _frequency(midi: int) -> float:
    return 440.0 * math.pow(2.0, (midi - 69) / 12)


class SegmentSynth:
    """Renders segments of one instrument at one tempo.

    ``tail_samples`` at the end of every segment are left silent (the encoder's delay pushes
    whatever sounds there past the segment's last frame).
    """

    def __init__(
        self, *, timbre: Timbre, beat_samples: int, sample_rate: int, tail_samples: int
    ) -> None:
        if beat_samples <= tail_samples:
            raise ValueError("a beat must be longer than the silent tail")
        self.timbre = timbre
        self.beat_samples = beat_samples
        self.sample_rate = sample_rate
        self.tail_samples = tail_samples
        self._tables: dict[tuple[float, ...], list[float]] = {}
        self._loops: dict[tuple[tuple[float, ...], float, float], list[float]] = {}
        self._envelopes: dict[tuple[Timbre, int], array[float]] = {}
        self._melody: dict[tuple[int, int], array[int]] = {}
        self._accompaniment: dict[tuple[object, ...], array[int]] = {}
        self._drums: dict[str, list[float]] = {}

    def render(self, segment: Segment) -> array[int]:
        """The segment's samples: ``segment.beats * beat_samples`` of them."""
        accompaniment = self._accompaniment_of(segment)
        if segment.melody is None:
            return accompaniment
        melody = self._melody_of(segment.melody, segment.beats)
        return _clipped(list(map(operator.add, melody, accompaniment)))

    def _melody_of(self, midi: int, beats: int) -> array[int]:
        key = (midi, beats)
        if key not in self._melody:
            voice = self._voice(self.timbre, (midi,), beats, _MELODY_GAIN)
            self._melody[key] = _clipped(list(map(int, voice)))
        return self._melody[key]

    def _accompaniment_of(self, segment: Segment) -> array[int]:
        key = (segment.chord, segment.bass, segment.drums, segment.beats)
        if key not in self._accompaniment:
            beats = segment.beats
            mixed = [0.0] * (beats * self.beat_samples)
            if segment.chord:
                mixed = self._voice(_PAD, segment.chord, beats, _PAD_GAIN)
            if segment.bass is not None:
                bass = self._voice(_BASS, (segment.bass,), beats, _BASS_GAIN)
                mixed = list(map(operator.add, mixed, bass))
            for beat, drum in enumerate(segment.drums):
                if drum is not None:
                    self._add_drum(mixed, drum, beat * self.beat_samples)
            self._accompaniment[key] = _clipped(list(map(int, mixed)))
        return self._accompaniment[key]

    def _voice(
        self, timbre: Timbre, notes: tuple[int, ...], beats: int, gain: float
    ) -> list[float]:
        """``notes`` played together on ``timbre``, each peaking at ``gain`` of full scale."""
        envelope = self._envelope(timbre, beats)
        body = len(envelope)
        waves = [self._oscillator(timbre, _frequency(midi), body, gain) for midi in notes]
        wave: Iterable[float] = waves[0]
        for other in waves[1:]:
            wave = map(operator.add, wave, other)
        return list(map(operator.mul, wave, envelope)) + [0.0] * self.tail_samples

    def _oscillator(
        self, timbre: Timbre, frequency: float, length: int, gain: float
    ) -> list[float]:
        """A steady tone ``length`` samples long: a loop of whole periods, repeated."""
        # Drop harmonics at or above Nyquist: they would fold back as off-key tones.
        audible = max(1, min(len(timbre.harmonics), int(self.sample_rate / 2 / frequency)))
        harmonics = timbre.harmonics[:audible]
        key = (harmonics, frequency, gain)
        if key not in self._loops:
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
            self._loops[key] = [table[int(i * step) & mask] * scale for i in range(loop_length)]
        loop = self._loops[key]
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

    def _envelope(self, timbre: Timbre, beats: int) -> array[float]:
        """The note's loudness over the segment's body (everything before the silent tail)."""
        key = (timbre, beats)
        if key not in self._envelopes:
            body = beats * self.beat_samples - self.tail_samples
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
            self._envelopes[key] = array("d", envelope)
        return self._envelopes[key]

    def _add_drum(self, mixed: list[float], drum: str, start: int) -> None:
        """Mix a drum hit in at ``start``, faded out if it would ring into the silent tail."""
        hit = self._drum(drum)
        body = len(mixed) - self.tail_samples
        release = _RELEASE_SECONDS * self.sample_rate
        for i, sample in enumerate(hit[: max(0, body - start)]):
            mixed[start + i] += sample * min(1.0, (body - start - i) / release)

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


def _clipped(values: list[int]) -> array[int]:
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
