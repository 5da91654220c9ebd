"""MP3 result rendering: real, playable tracks whose length, tempo and tune follow the task."""

from .renderer import TrackRenderer

__all__ = ["TrackRenderer"]
