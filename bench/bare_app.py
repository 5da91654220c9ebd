"""The bare Flask peer: two trivial JSON routes shaped like the vendor's, no validation, no state,
behind the WSGI server ``freepik-mock serve`` uses, so the gap to it is the mock's own work.

``python -m bench.bare_app --port N --server waitress|granian`` serves it on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import uuid

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

__all__ = ["create_bare_app", "main"]


def create_bare_app() -> Flask:
    """A Flask app answering ``POST /v1/ai/music-generation`` and ``GET .../{task_id}``."""
    app = Flask("bare")

    @app.post("/v1/ai/music-generation")
    def create() -> ResponseReturnValue:
        request.get_json(silent=True)  # read the body, as any real endpoint would
        return jsonify(
            {"data": {"task_id": str(uuid.uuid4()), "status": "CREATED", "generated": []}}
        )

    @app.get("/v1/ai/music-generation/<task_id>")
    def get(task_id: str) -> ResponseReturnValue:
        return jsonify({"data": {"task_id": task_id, "status": "CREATED", "generated": []}})

    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the bare app until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m bench.bare_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server", choices=("waitress", "granian"), default="waitress")
    parser.add_argument("--threads", type=int, default=8)
    options = parser.parse_args(argv)
    if options.server == "granian":
        from granian import Granian  # type: ignore[import-not-found, unused-ignore]
        from granian.constants import Interfaces  # type: ignore[import-not-found, unused-ignore]

        # granian's own supervisor with one worker process: the bare app has no state to keep
        # in one process, unlike the mock (which drives granian's worker in its own process).
        Granian(
            "bench.bare_app:create_bare_app",
            factory=True,
            address="127.0.0.1",
            port=options.port,
            interface=Interfaces.WSGI,
            workers=1,
        ).serve()
    else:
        import waitress

        # The mock's waitress settings that matter under load: 8 threads, many connections.
        waitress.serve(
            create_bare_app(), host="127.0.0.1", port=options.port, threads=options.threads,
            ident=None, connection_limit=4096, _quiet=True,
        )  # fmt: skip


if __name__ == "__main__":
    main()
