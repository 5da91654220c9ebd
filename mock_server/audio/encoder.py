"""Encode short PCM segments into self-contained runs of MP3 frames with LAME (``lameenc``)."""

from __future__ import annotations

import sys
from array import array

import lameenc

from .frames import is_info_frame, main_data_begin, parse_header, split_frames

__all__ = ["ENCODER_DELAY_SAMPLES", "SegmentEncoder"]

ENCODER_DELAY_SAMPLES = 576 + 529
"""LAME's fixed start-up delay: decoded audio lags the input by this many samples, so the last
samples of a segment's input land in frames past the segment's own length and are cut off."""


class SegmentEncoder:
    """Mono constant-bitrate encoder whose output for one segment starts a fresh bit reservoir.

    Each call encodes independently, so the first frame's ``main_data_begin`` is 0 and a
    whole-frame prefix of the output can follow any other whole-frame stream.
    """

    def __init__(
        self, *, sample_rate: int = 24000, bitrate_kbps: int = 48, quality: int = 5
    ) -> None:
        self.sample_rate = sample_rate
        self.bitrate_kbps = bitrate_kbps
        self.quality = quality
        probe = self._encode(array("h", bytes(2 * 4608)))
        header = parse_header(probe[0])
        if header.sample_rate != sample_rate or header.bitrate_kbps != bitrate_kbps:
            raise ValueError(
                f"LAME resampled to {header.sample_rate} Hz/{header.bitrate_kbps} kbps"
            )
        self.samples_per_frame = header.samples_per_frame
        self.frame_length = header.frame_length

    def encode(self, pcm: array[int], *, frames: int) -> bytes:
        """The first ``frames`` frames of ``pcm`` (16-bit mono samples) encoded on their own.

        ``pcm`` should hold ``frames * samples_per_frame`` samples and fall silent at least
        ``ENCODER_DELAY_SAMPLES`` before its end, or its tail is lost.
        """
        encoded = self._encode(pcm)
        if len(encoded) < frames:
            raise ValueError(f"{len(pcm)} samples gave {len(encoded)} frames, {frames} wanted")
        if main_data_begin(encoded[0]) != 0:
            raise RuntimeError("LAME's first frame refers to a bit reservoir before the stream")
        return b"".join(encoded[:frames])

    def _encode(self, pcm: array[int]) -> list[bytes]:
        encoder = lameenc.Encoder()
        encoder.set_channels(1)
        encoder.set_in_sample_rate(self.sample_rate)
        encoder.set_out_sample_rate(self.sample_rate)
        encoder.set_bit_rate(self.bitrate_kbps)
        encoder.set_quality(self.quality)
        encoder.silence()
        if sys.byteorder == "big":  # LAME takes little-endian samples
            pcm = array("h", pcm)
            pcm.byteswap()
        data = bytes(encoder.encode(pcm.tobytes())) + bytes(encoder.flush())
        return [frame for frame in split_frames(data) if not is_info_frame(frame)]
