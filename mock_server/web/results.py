"""Result files: public (no key), ``audio/mpeg``, with HEAD and Range support."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..core import NotFound, TaskStatus
from .state import get_state

__all__ = ["results"]

results = Blueprint("results", __name__)


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
    response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    response.headers["Content-Disposition"] = f'inline; filename="{task.task_id}.mp3"'
    response.set_etag(f"{task.task_id}-{task.music_length_seconds}")
    response.make_conditional(request, accept_ranges=True, complete_length=len(audio))
    return response
