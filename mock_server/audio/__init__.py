"""MP3 result rendering: real, playable tracks whose length, tempo and tune follow the task."""

from .renderer import AUDIO_FORMAT_VERSION, TrackRenderer

__all__ = ["AUDIO_FORMAT_VERSION", "TrackRenderer"]
