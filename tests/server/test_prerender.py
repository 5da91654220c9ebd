"""Tracks are rendered while their task is IN_PROGRESS (real clock), off the request path."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest
from flask import Flask

from freepik_mock.server.audio import TrackRenderer
from freepik_mock.server.core import MockConfig, MockEngine, TaskStatus
from freepik_mock.server.web import get_state
from freepik_mock.server.web.results import ResultPreparer
from tests.conftest import API_KEY

PATH = "/v1/ai/music-generation"
AUTH = {"x-freepik-api-key": API_KEY}


class AssemblyLog:
    """Records which thread assembled each track of a renderer."""

    def __init__(self, renderer: TrackRenderer) -> None:
        self.threads: list[str] = []
        self._cond = threading.Condition()
        original = renderer._assemble

        def assemble(**arguments: object) -> bytes:
            track = original(**arguments)  # type: ignore[arg-type]
            with self._cond:
                self.threads.append(threading.current_thread().name)
                self._cond.notify_all()
            return track

        renderer._assemble = assemble  # type: ignore[method-assign]

    def wait_for(self, count: int) -> list[str]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.threads) >= count, timeout=30)
            return list(self.threads)


def create(app: Flask, prompt: str = "upbeat funk") -> str:
    answer = app.test_client().post(
        PATH, json={"prompt": prompt, "music_length_seconds": 10}, headers=AUTH
    )
    task_id: str = answer.get_json()["data"]["task_id"]
    return task_id


def test_on_the_real_clock_the_track_is_ready_before_it_is_downloaded(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(clock="real", api_keys=(API_KEY,), created_seconds=0, processing_seconds=3600)
    log = AssemblyLog(get_state(app).renderer)
    task_id = create(app)
    assert log.wait_for(1) == ["freepik-mock-renderer"]  # rendered while IN_PROGRESS
    client = app.test_client()
    client.post(f"/_mock/tasks/{task_id}/complete")
    url = client.get(f"{PATH}/{task_id}", headers=AUTH).get_json()["data"]["generated"][0]
    answer = client.get(url.removeprefix("http://localhost"))
    assert answer.status_code == 200
    assert answer.mimetype == "audio/mpeg"
    assert log.threads == ["freepik-mock-renderer"]  # the download rendered nothing


class PrepareLog:
    """Stands in for the renderer: records what it was asked to prepare."""

    def __init__(self) -> None:
        self.prepared: list[str] = []

    def prepare(self, *, task_id: str, prompt: str, length_seconds: int) -> None:
        self.prepared.append(prompt)


def test_only_tasks_that_will_complete_are_prepared_and_forced_completions_too() -> None:
    engine = MockEngine(
        config=MockConfig(
            clock="manual",
            scenarios=({"match": {"prompt_contains": "doomed"}, "outcome": "FAILED"},),
        )
    )
    try:
        log = PrepareLog()
        preparer = ResultPreparer(renderer=log)  # type: ignore[arg-type]
        doomed, fine = (
            engine.create_task(
                api_key="k",
                prompt=prompt,
                music_length_seconds=10,
                webhook_url=None,
                result_base_url="http://127.0.0.1",
            )
            for prompt in ("a doomed jingle", "a fine jingle")
        )
        for task in (doomed, fine):
            preparer.on_status_change(task, TaskStatus.CREATED)
            preparer.on_status_change(task, TaskStatus.IN_PROGRESS)
        preparer.on_status_change(doomed, TaskStatus.FAILED)
        assert log.prepared == ["a fine jingle"]
        preparer.on_status_change(doomed, TaskStatus.COMPLETED)  # forced
        assert log.prepared == ["a fine jingle", "a doomed jingle"]
    finally:
        engine.close()


def test_on_the_manual_clock_the_first_download_renders(make_app: Callable[..., Flask]) -> None:
    app = make_app(api_keys=(API_KEY,))
    log = AssemblyLog(get_state(app).renderer)
    task_id = create(app)
    app.test_client().post(f"/_mock/tasks/{task_id}/complete")
    answer = app.test_client().get(f"/results/{task_id}.mp3")
    assert answer.status_code == 200
    assert len(log.threads) == 1


def test_prepare_and_render_give_the_same_bytes_and_render_once() -> None:
    renderer = TrackRenderer()
    log = AssemblyLog(renderer)
    try:
        renderer.prepare(task_id="t-1", prompt="slow calm piano", length_seconds=12)
        prepared = renderer.render(task_id="t-1", prompt="slow calm piano", length_seconds=12)
    finally:
        renderer.close()
    assert len(log.threads) == 1  # the request waited for the background render or did it
    assert prepared == TrackRenderer().render(
        task_id="t-1", prompt="slow calm piano", length_seconds=12
    )


def test_closing_stops_the_background_renderer() -> None:
    def renderers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "freepik-mock-renderer"}

    before = renderers()  # other tests' servers may share this process
    renderer = TrackRenderer()
    renderer.prepare(task_id="t-1", prompt="upbeat funk", length_seconds=10)
    started = renderers() - before
    assert len(started) == 1
    renderer.close()
    assert not [t for t in started if t.is_alive()]
    renderer.prepare(task_id="t-2", prompt="upbeat funk", length_seconds=10)  # ignored now
    assert renderers() - before == set()
    assert renderer.render(task_id="t-2", prompt="upbeat funk", length_seconds=10)


@pytest.mark.parametrize("length", [0, -5])
def test_prepare_ignores_lengths_no_track_can_have(length: int) -> None:
    def renderers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "freepik-mock-renderer"}

    before = renderers()
    renderer = TrackRenderer()
    renderer.prepare(task_id="t", prompt="p", length_seconds=length)
    assert renderers() - before == set()  # nothing was queued, so no worker started
    renderer.close()


def test_a_failure_rendering_ahead_is_logged_not_swallowed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    renderer = TrackRenderer()
    tried = threading.Event()

    def broken(**_track: object) -> bytes:
        tried.set()
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr(renderer, "_assemble", broken)
    with caplog.at_level(logging.ERROR, logger="freepik_mock.server.audio.renderer"):
        renderer.prepare(task_id="t-broken", prompt="upbeat funk", length_seconds=10)
        assert tried.wait(10)
        renderer.close()  # joins the worker: its handling of the error is over
    (record,) = [r for r in caplog.records if "t-broken" in r.getMessage()]
    assert record.exc_info is not None
    assert "encoder exploded" in str(record.exc_info[1])
