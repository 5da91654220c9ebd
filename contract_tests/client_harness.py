"""Running the reference clients against a scripted API that holds every request to the spec.

:class:`CheckedApi` is a respx router for the three operations that checks each request it
receives with openapi-core (``openapi_httpx``: security on, unknown body fields
rejected, base URL checked) and answers with what the test scripted. :func:`run` makes one
client call, with ``MusicClient`` or ``AsyncMusicClient`` over it, and gives back what the call
returned or the ``MusicAPIError`` it raised. :class:`BrokenMusicClient` and
:class:`BrokenAsyncMusicClient` send every request with one deliberate :data:`Defect`, to prove
that the check catches a buggy client.

No network: each client gets an ``httpx.MockTransport`` over the router.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

import httpx
import respx
from openapi_core import OpenAPI

from freepik_mock.client import (
    API_KEY_HEADER,
    AsyncMusicClient,
    MusicAPIError,
    MusicClient,
    RetryPolicy,
)
from freepik_mock.client._base import BaseMusicClient
from freepik_mock.contract.openapi_httpx import load_openapi, request_problems
from freepik_mock.contract.spec_strategies import Operation

__all__ = [
    "API_KEY",
    "BASE_URL",
    "COLLECTION",
    "KINDS",
    "BrokenAsyncMusicClient",
    "BrokenMusicClient",
    "Call",
    "CheckedApi",
    "Defect",
    "Kind",
    "answer",
    "run",
]

#: Which of the two clients :func:`run` uses.
Kind = Literal["sync", "async"]
#: A client method call: name, positional arguments, keyword arguments.
Call = tuple[str, tuple[Any, ...], dict[str, Any]]
#: What :class:`BrokenMusicClient` gets wrong: the key header's name, the length field's name,
#: the length's type, or the webhook field's name.
Defect = Literal["header", "field", "type", "webhook-field"]

KINDS: tuple[Kind, ...] = ("sync", "async")
#: The key :func:`run` gives the clients.
API_KEY = "contract-key-0001"
#: Where :class:`CheckedApi` answers by default, and the only base URL its check accepts.
BASE_URL = "https://api.contract.test"
#: The collection path of the three operations.
COLLECTION = "/v1/ai/music-generation"


class CheckedApi:
    """A respx router for the three operations; every request it receives is held to the spec.

    ``requests`` holds what it received, ``problems`` what broke the spec (one message each,
    prefixed with the request's method and path). ``openapi`` defaults to the extended spec with
    ``base_url`` as its server and unknown request body fields rejected.
    """

    def __init__(self, *, base_url: str = BASE_URL, openapi: OpenAPI | None = None) -> None:
        self.base_url = base_url
        self.openapi = (
            openapi
            if openapi is not None
            else load_openapi(base_url=base_url, reject_unknown_fields=True)
        )
        self.router = respx.MockRouter(base_url=base_url, assert_all_called=False)
        self.routes: dict[Operation, respx.Route] = {
            "create": self.router.post(COLLECTION),
            "list": self.router.get(COLLECTION),
            "get": self.router.get(path__regex=rf"^{COLLECTION}/.+$"),
        }
        self.requests: list[httpx.Request] = []
        self.problems: list[str] = []

    def answer(self, operation: Operation, *responses: httpx.Response) -> CheckedApi:
        """Script the answers to ``operation``, in order."""
        self.routes[operation].mock(side_effect=list(responses))
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Record and check ``request``, then answer it as scripted (an ``httpx`` handler)."""
        self.requests.append(request)
        where = f"{request.method} {request.url.raw_path.decode()}"
        self.problems += [f"{where}: {p}" for p in request_problems(request, openapi=self.openapi)]
        return self.router.handler(request)


def answer(
    status: int, body: Any, *, media_type: str = "application/json", **headers: str
) -> httpx.Response:
    """A response whose body is ``body`` as JSON, under ``media_type``."""
    content = json.dumps(body).encode()
    return httpx.Response(status, content=content, headers={"content-type": media_type, **headers})


def run(
    kind: Kind,
    api: CheckedApi,
    call: Call,
    *,
    max_retries: int = 0,
    sleeps: list[float] | None = None,
    classes: tuple[type[MusicClient], type[AsyncMusicClient]] = (MusicClient, AsyncMusicClient),
    **options: Any,
) -> Any:
    """What ``call`` returns, or the ``MusicAPIError`` it raises, with the ``kind`` of client.

    Any other exception propagates: the client let something unhandled through. Sleeping is a
    no-op that records each wait in ``sleeps``; ``options`` go to the client's constructor.
    """
    waits = sleeps if sleeps is not None else []
    method, args, kwargs = call
    options.update(api_key=API_KEY, base_url=api.base_url, max_retries=max_retries)
    options.update(
        retry_policy=RetryPolicy(initial_delay=0.5, jitter=0.0),
        transport=httpx.MockTransport(api.handler),
    )

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def main() -> Any:
        async with classes[1](sleep=sleep, **options) as music:
            return await getattr(music, method)(*args, **kwargs)

    try:
        if kind == "async":
            return asyncio.run(main())
        with classes[0](sleep=waits.append, **options) as music:
            return getattr(music, method)(*args, **kwargs)
    except MusicAPIError as error:
        return error


class _Defective(BaseMusicClient):
    """Builds every API request with one deliberate ``defect``, as a buggy client would."""

    def __init__(self, *, defect: Defect, **options: Any) -> None:
        self.defect = defect
        super().__init__(**options)

    def _api_request(self, method: str, path: str, *, json: Any = None) -> httpx.Request:
        body = dict(json) if isinstance(json, dict) else None
        if body is not None and self.defect == "field":
            body["length_seconds"] = body.pop("music_length_seconds")
        if body is not None and self.defect == "type":
            body["music_length_seconds"] = str(body["music_length_seconds"])
        if body is not None and self.defect == "webhook-field" and "webhook_url" in body:
            body["webhook"] = body.pop("webhook_url")
        request = super()._api_request(method, path, json=body)
        if self.defect == "header":
            request.headers["x-api-key"] = request.headers.pop(API_KEY_HEADER)
        return request


class BrokenMusicClient(_Defective, MusicClient):
    """``MusicClient`` with a defect (the keyword-only ``defect`` option)."""


class BrokenAsyncMusicClient(_Defective, AsyncMusicClient):
    """``AsyncMusicClient`` with a defect (the keyword-only ``defect`` option)."""
