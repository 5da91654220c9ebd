"""The drift catalogue: requests that cost nothing, each one HTTP request (:class:`Probe`).

:data:`PROBES` asks for the list of tasks, sends requests without a key, with an empty or an
invalid key or with the key under the rebranded header, gets an unknown task and a malformed
id, and sends creates that the API must refuse. **Every create probe lacks a required field or
is not a JSON object**, so even a server that skipped the check a probe is about would still
have to refuse it before creating anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from .. import __version__

__all__ = ["COLLECTION", "PROBES", "UNKNOWN_TASK_ID", "Auth", "Probe"]

#: The path of the music-generation collection (list and create).
COLLECTION = "/v1/ai/music-generation"
#: A well-formed task id that no server has: the "unknown task" probes ask for it.
UNKNOWN_TASK_ID = "5f0c4d1e-8a7b-4c3d-9e2f-0a1b2c3d4e5f"

#: Which key a probe sends: the key, the key under ``x-magnific-api-key``, none, an empty one
#: or an invalid one.
Auth = Literal["key", "magnific", "none", "empty", "invalid"]
_AUTH_LABELS = {"key": "key", "none": "no key", "empty": "empty key", "invalid": "invalid key"}
_AUTH_LABELS["magnific"] = "key as x-magnific-api-key"
_PROMPT = "freepik-mock contract probe: the API must refuse this request"
_JSON = "application/json"


@dataclass(frozen=True, kw_only=True)
class Probe:
    """One request of the catalogue; ``in_spec`` is False for an operation the spec lacks."""

    name: str
    method: str
    path: str
    auth: Auth = "key"
    body: bytes | None = None
    content_type: str | None = None
    body_label: str = ""
    in_spec: bool = True

    @property
    def summary(self) -> str:
        """The request in a few words (never the key itself)."""
        path = self.path.replace(UNKNOWN_TASK_ID, "{unknown uuid}")
        shown = f"{self.method} {path} [{_AUTH_LABELS[self.auth]}]"
        return f"{shown} {self.body_label}" if self.body_label else shown

    def headers(self, *, api_key: str, invalid_key: str) -> dict[str, str]:
        """The headers to send: the key (per ``auth``), the content type, and who is asking."""
        headers = {"Accept": _JSON, "User-Agent": f"freepik-mock-contract/{__version__}"}
        keys = {"key": api_key, "empty": "", "invalid": invalid_key}
        if self.auth in keys:
            headers["x-freepik-api-key"] = keys[self.auth]
        elif self.auth == "magnific":
            headers["x-magnific-api-key"] = api_key
        if self.content_type is not None:
            headers["Content-Type"] = self.content_type
        return headers


def _get(name: str, path: str, auth: Auth = "key") -> Probe:
    return Probe(name=name, method="GET", path=path, auth=auth)


def _create(name: str, label: str, payload: Any, *, auth: Auth = "key", **options: Any) -> Probe:
    """A create probe; ``payload`` is JSON-encoded unless it is already bytes."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    options.setdefault("content_type", _JSON)
    return Probe(
        name=name, method="POST", path=COLLECTION, auth=auth, body=body, body_label=label, **options
    )


_NO_LENGTH = {"prompt": _PROMPT}
_UNKNOWN = f"{COLLECTION}/{UNKNOWN_TASK_ID}"

#: The catalogue, in the order it runs. None of these can create a task (see the module doc).
PROBES: tuple[Probe, ...] = (
    _get("list", COLLECTION),
    _get("list-magnific-header", COLLECTION, "magnific"),
    _get("list-no-key", COLLECTION, "none"),
    _get("list-empty-key", COLLECTION, "empty"),
    _get("list-invalid-key", COLLECTION, "invalid"),
    _get("get-no-key", _UNKNOWN, "none"),
    _get("get-invalid-key", _UNKNOWN, "invalid"),
    _get("get-unknown-id", _UNKNOWN),
    _get("get-malformed-id", f"{COLLECTION}/not-a-task-id"),
    _create("create-no-key", "{prompt}", _NO_LENGTH, auth="none"),
    _create("create-invalid-key", "{prompt}", _NO_LENGTH, auth="invalid"),
    _create("create-missing-length", "{prompt}", _NO_LENGTH),
    _create("create-magnific-header", "{prompt}", _NO_LENGTH, auth="magnific"),
    _create("create-length-5", "{music_length_seconds: 5}", {"music_length_seconds": 5}),
    _create("create-length-241", "{music_length_seconds: 241}", {"music_length_seconds": 241}),
    _create("create-prompt-2501", "{prompt: 2501 chars}", {"prompt": "a" * 2501}),
    _create(
        "create-webhook-not-url",
        "{prompt, webhook_url: 'not a url'}",
        {**_NO_LENGTH, "webhook_url": "not a url"},
    ),
    _create("create-not-json", "body: not JSON", b'{"prompt": '),
    _create("create-json-array", "body: [{prompt}]", [_NO_LENGTH]),
    _create("create-empty-body", "body: empty", b""),
    _create("create-text-plain", "{prompt} as text/plain", _NO_LENGTH, content_type="text/plain"),
    Probe(name="put-collection", method="PUT", path=COLLECTION, auth="invalid", in_spec=False),
)
