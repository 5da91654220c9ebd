"""Example: testing code that creates a track and polls until it is ready.

``generate_track`` stands for your integration; the tests point it at the ``freepik_mock``
fixture (a live mock on 127.0.0.1, reset before each test) instead of the real API.
"""

from __future__ import annotations

import time

import httpx
import pytest


# -- your code -------------------------------------------------------------------------------
class GenerationFailed(Exception):
    """The API gave up on the track."""


def generate_track(base_url: str, api_key: str, prompt: str, seconds: int) -> bytes:
    """Create a track, poll until it is done, download the MP3 (retrying 503s a few times)."""
    with httpx.Client(base_url=base_url, headers={"x-freepik-api-key": api_key}) as http:

        def call(method: str, url: str, **kwargs) -> dict:
            for attempt in range(4):
                response = http.request(method, url, **kwargs)
                if response.status_code != 503:
                    break
                time.sleep(0.05 * 2**attempt)
            response.raise_for_status()
            return response.json()["data"]

        body = {"prompt": prompt, "music_length_seconds": seconds}
        task = call("POST", "/v1/ai/music-generation", json=body)
        while task["status"] not in ("COMPLETED", "FAILED"):
            time.sleep(0.05)
            task = call("GET", f"/v1/ai/music-generation/{task['task_id']}")
        if task["status"] == "FAILED":
            raise GenerationFailed(str(task["task_id"]))
        return httpx.get(task["generated"][0]).content  # result URLs are public: no key


# -- your tests ------------------------------------------------------------------------------
def test_a_track_is_generated_and_downloaded(freepik_mock):
    mp3 = generate_track(freepik_mock.url, freepik_mock.api_key, "Calm lo-fi piano", 10)
    assert mp3[:3] == b"ID3" or mp3[:2] == b"\xff\xf3"  # an MP3 file


def test_a_failed_generation_is_reported(freepik_mock):
    freepik_mock.add_scenario(match={"prompt_contains": "doomed"}, outcome="FAILED")
    with pytest.raises(GenerationFailed):
        generate_track(freepik_mock.url, freepik_mock.api_key, "a doomed jingle", 10)


def test_a_short_503_storm_is_ridden_out(freepik_mock):
    freepik_mock.add_fault(match={"method": "POST"}, status=503, times=2)
    generate_track(freepik_mock.url, freepik_mock.api_key, "Upbeat synthwave", 10)
    creates = freepik_mock.requests(method="POST", path="/v1/ai/music-generation")
    assert [entry["status"] for entry in creates] == [503, 503, 200]
