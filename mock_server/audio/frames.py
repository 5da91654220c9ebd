"""MPEG audio Layer III frame headers: enough to cut an encoded stream into whole frames.

Whole frames are the unit the renderer splices: a frame carries its own header and side
information, so any sequence of complete frames is a stream, provided no frame's
``main_data_begin`` reaches back past the start of the sequence it now belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FrameHeader",
    "Mp3FormatError",
    "is_info_frame",
    "main_data_begin",
    "parse_header",
    "split_frames",
]

_HEADER_BYTES = 4
_CRC_BYTES = 2

# Indexed by the 2-bit version field; index 1 is reserved.
_VERSIONS = ("2.5", None, "2", "1")
_SAMPLE_RATES = {
    "1": (44100, 48000, 32000),
    "2": (22050, 24000, 16000),
    "2.5": (11025, 12000, 8000),
}
# Layer III bitrates in kbps by the 4-bit index; 0 is "free format", 15 is invalid.
_BITRATES_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_BITRATES_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)


class Mp3FormatError(ValueError):
    """The bytes are not a Layer III frame (or not a complete one)."""


@dataclass(frozen=True, kw_only=True)
class FrameHeader:
    """The fields of one Layer III frame header that decide its size and layout."""

    version: str
    """``"1"``, ``"2"`` or ``"2.5"`` (MPEG-1, MPEG-2 LSF, MPEG-2.5)."""
    bitrate_kbps: int
    sample_rate: int
    padding: bool
    channels: int
    protected: bool
    """A 16-bit CRC follows the header."""

    @property
    def samples_per_frame(self) -> int:
        return 1152 if self.version == "1" else 576

    @property
    def frame_length(self) -> int:
        """Bytes in the whole frame, header included."""
        slot_bytes = self.samples_per_frame // 8 * self.bitrate_kbps * 1000 // self.sample_rate
        return slot_bytes + int(self.padding)

    @property
    def side_info_offset(self) -> int:
        return _HEADER_BYTES + (_CRC_BYTES if self.protected else 0)

    @property
    def side_info_length(self) -> int:
        if self.version == "1":
            return 17 if self.channels == 1 else 32
        return 9 if self.channels == 1 else 17


def parse_header(data: bytes, offset: int = 0) -> FrameHeader:
    """The header of the Layer III frame starting at ``offset``."""
    if len(data) - offset < _HEADER_BYTES:
        raise Mp3FormatError(f"truncated frame header at byte {offset}")
    word = int.from_bytes(data[offset : offset + _HEADER_BYTES], "big")
    if word >> 21 != 0x7FF:
        raise Mp3FormatError(f"no frame sync at byte {offset}")
    version = _VERSIONS[(word >> 19) & 0b11]
    layer_bits = (word >> 17) & 0b11
    bitrate_index = (word >> 12) & 0b1111
    rate_index = (word >> 10) & 0b11
    if version is None:
        raise Mp3FormatError(f"reserved MPEG version at byte {offset}")
    if layer_bits != 0b01:
        raise Mp3FormatError(f"not Layer III at byte {offset}")
    if bitrate_index in (0, 15) or rate_index == 3:
        raise Mp3FormatError(f"free-format or invalid bitrate/sample rate at byte {offset}")
    bitrates = _BITRATES_V1 if version == "1" else _BITRATES_V2
    return FrameHeader(
        version=version,
        bitrate_kbps=bitrates[bitrate_index],
        sample_rate=_SAMPLE_RATES[version][rate_index],
        padding=bool((word >> 9) & 1),
        channels=1 if (word >> 6) & 0b11 == 0b11 else 2,
        protected=not (word >> 16) & 1,
    )


def split_frames(data: bytes) -> list[bytes]:
    """Cut a stream of back-to-back Layer III frames (no ID3 tags) into whole frames."""
    frames: list[bytes] = []
    offset = 0
    while offset < len(data):
        length = parse_header(data, offset).frame_length
        if offset + length > len(data):
            raise Mp3FormatError(f"truncated frame at byte {offset}")
        frames.append(data[offset : offset + length])
        offset += length
    return frames


def main_data_begin(frame: bytes) -> int:
    """How many bytes before this frame its main data starts (the bit-reservoir back-pointer)."""
    header = parse_header(frame)
    start = header.side_info_offset
    if header.version == "1":
        return int.from_bytes(frame[start : start + 2], "big") >> 7
    return frame[start]


def is_info_frame(frame: bytes) -> bool:
    """A Xing/Info/LAME tag frame: metadata in a frame's clothes, not audio."""
    header = parse_header(frame)
    tag_offset = header.side_info_offset + header.side_info_length
    return frame[tag_offset : tag_offset + 4] in (b"Xing", b"Info")
