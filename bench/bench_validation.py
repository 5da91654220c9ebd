"""Request validation figures: the validators compiled from the spec against openapi-core.

Per request (in-process, µs): the validator alone on a valid create, a create with three
problems and a GET of a task; then a whole create through Flask's test client, with each
validator in place. Build cost: preparing each, in a fresh interpreter that has already imported
the web app (so only the validation's own imports and work are counted). Start-up: from launching
``serve`` to the first validated create (the compiled validators are prepared in the background
once the server listens).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from typing import Any

from bench.bench_server import _startup_seconds
from freepik_mock.server import MockConfig, close_app, create_app
from freepik_mock.server.spec import load_extended_spec
from freepik_mock.server.spec.adapter import SpecChecker
from freepik_mock.server.spec.compiled import CompiledChecker
from freepik_mock.server.spec.validation import validation_view
from freepik_mock.server.web.state import get_state

__all__ = ["main"]

_COLLECTION = "/v1/ai/music-generation"
_JSON = "application/json"
_GOOD = json.dumps({"prompt": "A Blues guitar solo", "music_length_seconds": 60}).encode()
_BAD = json.dumps({"prompt": 5, "music_length_seconds": 300, "webhook_url": "nope"}).encode()
_RUNS = 5
_BUILD_RUNS = 5
_BUILD = {
    "compiled": "RequestValidator().prepare()",
    "openapi-core": "RequestValidator().validate_response(method='GET', path='/', status=200, "
    "headers={}, body=b'', content_type=None)",
}


def _micros(call: Callable[[], Any], *, number: int) -> float:
    """The best of a few runs, in µs per call (the machine is shared: the minimum is the cost)."""
    return min(timeit.repeat(call, number=number, repeat=_RUNS)) / number * 1e6


def _requests() -> dict[str, dict[str, Any]]:
    common: dict[str, Any] = {"query": "", "headers": {"Content-Type": _JSON}}
    return {
        "valid create": {
            "method": "POST", "path": _COLLECTION, "body": _GOOD, "content_type": _JSON, **common,
        },
        "create, 3 problems": {
            "method": "POST", "path": _COLLECTION, "body": _BAD, "content_type": _JSON, **common,
        },
        "get a task": {
            "method": "GET", "path": f"{_COLLECTION}/046b6c7f-0b8a-43b9-b35d-6489e6daee91",
            "body": b"", "content_type": None, **common,
        },
    }  # fmt: skip


def _validator_figures() -> None:
    view = validation_view(load_extended_spec())
    oracle = SpecChecker(view, check_spec=False)
    compiled = CompiledChecker(view, fallback=lambda: oracle)
    for name, request in _requests().items():
        before = _micros(lambda r=request: oracle.request_problems(**r), number=300)
        after = _micros(lambda r=request: compiled.request_problems(**r), number=3000)
        print(f"validation: {name}: openapi-core {before:.0f} µs, compiled {after:.1f} µs "
              f"({before / after:.0f}x)")  # fmt: skip


def _create_figures() -> None:
    app = create_app(MockConfig(clock="manual"))
    try:
        client, state = app.test_client(), get_state(app)
        state.validator.prepare()
        headers = {"x-freepik-api-key": "bench-key", "Content-Type": _JSON}

        def create() -> None:
            assert client.post(_COLLECTION, data=_GOOD, headers=headers).status_code == 200

        after = _micros(create, number=300)
        compiled = state.validator._compiled
        state.validator._compiled = state.validator._openapi_core()  # type: ignore[assignment]
        try:
            before = _micros(create, number=300)
        finally:
            state.validator._compiled = compiled
        print(f"validation: a create through the Flask test client: with openapi-core "
              f"{before:.0f} µs, compiled {after:.0f} µs")  # fmt: skip
    finally:
        close_app(app)


def _build_figures() -> None:
    for name, statement in _BUILD.items():
        code = (
            "import time, freepik_mock.server.web\n"
            "from freepik_mock.server.spec import RequestValidator\n"
            f"t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        )
        runs = [
            float(
                subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
            )
            for _ in range(_BUILD_RUNS)
        ]
        median, fastest = statistics.median(runs) * 1000, min(runs) * 1000
        print(f"validation: build, {name} (fresh interpreter, imports included): "
              f"{median:.0f} ms median, {fastest:.0f} ms fastest")  # fmt: skip


def main() -> None:
    """Print the validation figures."""
    _validator_figures()
    _create_figures()
    _build_figures()
    runs = [_startup_seconds() for _ in range(_RUNS)]
    median, fastest = (f(run[1] for run in runs) * 1000 for f in (statistics.median, min))
    print(f"validation: start-up to first validated create (serve), median of {_RUNS}: "
          f"{median:.0f} ms, fastest {fastest:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
