"""Result files: public (no key), ``audio/mpeg``, with HEAD and Range support.

Caching: with ``--seed`` a reset hands out the same task ids again, for other prompts and lengths,
so the ETag is a digest of everything the audio depends on (id, prompt, length, the mock's
version and the renderer's audio format version) and caches must revalidate (``no-cache``)
rather than keep the file as ``immutable``.

The track is made on the request, on both clocks: joining encoded segments that all styles share
costs a few milliseconds (see ``audio/renderer.py``), so nothing is rendered ahead in the
background.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.http import parse_range_header

from .. import __version__
from ..audio import AUDIO_FORMAT_VERSION
from ..core import NotFound, Task, TaskStatus
from .state import get_state

__all__ = ["result_etag", "results"]

results = Blueprint("results", __name__)


def result_etag(task: Task, *, audio_format: int = AUDIO_FORMAT_VERSION) -> str:
    """The file's entity tag: it changes whenever the audio could.

    ``audio_format`` is the renderer's format version: the bytes of a task can change between
    two releases of one ``__version__`` (a development build), and a client holding the old
    copy must then get the new one, not a 304.
    """
    parts = (
        __version__,
        str(audio_format),
        task.task_id,
        task.prompt,
        str(task.music_length_seconds),
    )
    text = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).hexdigest()[:32]


def _conditional_environ() -> dict[str, Any]:
    """The request's environ for Range handling, without a ``Range`` this server ignores.

    RFC 9110 lets a server ignore any Range; an unparseable one (or another unit than bytes) it
    must ignore, and a multi-range request gets the whole file here (simplest, and allowed). A
    valid single range that the file cannot satisfy still gets 416.
    """
    environ = dict(request.environ)
    header = environ.get("HTTP_RANGE")
    if header is not None:
        parsed = parse_range_header(str(header))
        if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
            del environ["HTTP_RANGE"]
    return environ


@results.route("/results/<task_id>.mp3", methods=["GET", "HEAD"])
def result_file(task_id: str) -> Response:
    """The MP3 of a COMPLETED task; 404 before that and for unknown ids."""
    state = get_state()
    task = state.engine.tasks.get(task_id)
    if task is None or task.status_at(state.engine.clock.now()) is not TaskStatus.COMPLETED:
        raise NotFound()
    audio = state.renderer.render(
        task_id=task.task_id, prompt=task.prompt, length_seconds=task.music_length_seconds
    )
    response = Response(audio, mimetype="audio/mpeg")
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers["Content-Disposition"] = f'inline; filename="{task.task_id}.mp3"'
    response.set_etag(result_etag(task))
    response.make_conditional(
        _conditional_environ(), accept_ranges=True, complete_length=len(audio)
    )
    return response
