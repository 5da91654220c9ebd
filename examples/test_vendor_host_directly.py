"""Example: testing code that calls https://api.freepik.com directly.

Code that cannot be given another base URL still runs against the mock: the ``freepik_respx``
fixture routes ``api.freepik.com`` and ``api.magnific.com`` to an in-process mock
(``freepik_mock_app``), and refuses every other host, so nothing leaves the machine.
"""

from __future__ import annotations

import httpx

from freepik_mock.contract import MockControl

API = "https://api.freepik.com/v1/ai/music-generation"


# -- your code -------------------------------------------------------------------------------
def start_track(api_key: str, prompt: str) -> str:
    """Ask for a 30 s track; returns the task id."""
    response = httpx.post(
        API,
        headers={"x-freepik-api-key": api_key},
        json={"prompt": prompt, "music_length_seconds": 30},
    )
    response.raise_for_status()
    task_id: str = response.json()["data"]["task_id"]
    return task_id


def track_url(api_key: str, task_id: str) -> str | None:
    """The MP3's URL once the track is ready, else None."""
    task = httpx.get(f"{API}/{task_id}", headers={"x-freepik-api-key": api_key}).json()["data"]
    return task["generated"][0] if task["status"] == "COMPLETED" else None


# -- your tests ------------------------------------------------------------------------------
def test_the_track_url_appears_when_the_task_completes(freepik_respx, freepik_mock_app):
    with MockControl(app=freepik_mock_app) as control:
        # The task stays IN_PROGRESS until the test completes it, however slow the machine.
        control.add_scenario(processing_seconds=3600)
        task_id = start_track("my-test-key", "Epic orchestral trailer")
        assert track_url("my-test-key", task_id) is None
        control.complete(task_id)
    url = track_url("my-test-key", task_id)
    assert url is not None
    assert url.startswith("https://api.freepik.com/")
    assert httpx.get(url).headers["content-type"] == "audio/mpeg"


def test_a_bad_request_is_a_400(freepik_respx):
    response = httpx.post(API, headers={"x-freepik-api-key": "k"}, json={"prompt": "no length"})
    assert response.status_code == 400
    assert response.json()["invalid_params"][0]["name"] == "music_length_seconds"
