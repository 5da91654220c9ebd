"""One task's whole life, as an integrator's test drives it on the manual clock: create, advance
5 s, get COMPLETED; over HTTP also the COMPLETED webhook reaching a local receiver.

The median of N such lives is the figure (each life timed end to end with ``perf_counter``).
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import httpx

from .receiver import Receiver
from .servers import API_KEY, HEADERS

__all__ = ["ADVANCE", "lifecycle_http", "lifecycle_in_process"]

#: Default timing is 1 s CREATED + 4 s IN_PROGRESS: five seconds reach COMPLETED.
ADVANCE = {"seconds": 5}
_CREATE = "/v1/ai/music-generation"


def _body(webhook_url: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": "bench: one life", "music_length_seconds": 10}
    if webhook_url:
        body["webhook_url"] = webhook_url
    return body


def lifecycle_http(url: str, receiver: Receiver, *, runs: int) -> float:
    """Median seconds of create → advance → get COMPLETED → webhook received, over HTTP."""
    times = []
    with httpx.Client(base_url=url, headers=HEADERS, timeout=30.0) as http:
        for _ in range(runs):
            receiver.clear()
            start = time.perf_counter()
            created = http.post(_CREATE, json=_body(receiver.url))
            created.raise_for_status()
            task_id = created.json()["data"]["task_id"]
            http.post("/_mock/clock/advance", json=ADVANCE).raise_for_status()
            status = http.get(f"{_CREATE}/{task_id}").json()["data"]["status"]
            if status != "COMPLETED":
                raise RuntimeError(f"after the advance the task is {status}, not COMPLETED")
            if not receiver.wait_for(task_id=task_id, status="COMPLETED"):
                raise RuntimeError("the COMPLETED webhook never arrived")
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def lifecycle_in_process(*, runs: int) -> float:
    """Median seconds of create → advance → get COMPLETED through Flask's test client."""
    from freepik_mock.server import MockConfig, close_app, create_app

    app = create_app(MockConfig(clock="manual", api_keys=(API_KEY,)))
    try:
        client = app.test_client()
        headers = {"x-freepik-api-key": API_KEY}
        body = json.dumps(_body(None))
        # The first create builds the spec validator: that is start-up, not a task's life.
        client.post(_CREATE, data=body, headers=headers, content_type="application/json")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            created = client.post(
                _CREATE, data=body, headers=headers, content_type="application/json"
            )
            task_id = created.get_json()["data"]["task_id"]
            client.post("/_mock/clock/advance", json=ADVANCE)
            status = client.get(f"{_CREATE}/{task_id}", headers=headers).get_json()["data"][
                "status"
            ]
            if status != "COMPLETED":
                raise RuntimeError(f"after the advance the task is {status}, not COMPLETED")
            times.append(time.perf_counter() - start)
        return statistics.median(times)
    finally:
        close_app(app)
