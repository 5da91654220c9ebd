"""Validating httpx requests and responses against the extended OpenAPI spec, with openapi-core.

openapi-core ships integrations for requests, aiohttp, Flask, Django and others, but none for
httpx. :class:`HttpxOpenAPIRequest` and :class:`HttpxOpenAPIResponse` implement its ``Request`` and
``Response`` protocols over an ``httpx.Request`` / ``httpx.Response``, and
:func:`request_problems` / :func:`response_problems` return one readable message per problem
(an empty list means the message conforms)::

    problems = request_problems(request)  # e.g. inside an httpx.MockTransport handler
    assert not problems, problems

What is checked, and how the spec is prepared (:func:`load_openapi`):

* **Security stays on.** A request must carry the API key in a header the spec names
  (``x-freepik-api-key``, or the rebranded ``x-magnific-api-key``); any other header name is a
  problem. (The mock's own ``RequestValidator`` strips security because the server checks keys
  itself; a client contract must not.)
* **Servers.** By default the spec's ``servers`` are removed, so openapi-core falls back to the
  implicit server ``/``: any scheme and host is accepted and the request's path must be one of
  the spec's paths exactly. That lets the same check serve requests to
  ``https://api.freepik.com``, to a local mock and to any base URL a test invents. Pass
  ``base_url=`` to also check where requests go: the servers become that URL plus the spec's own
  (the vendor's host and the local mock), and a request under any other host or path prefix is
  reported.
* **Unknown fields** are allowed, as in the vendor's spec, unless ``reject_unknown_fields=True``:
  every request body schema then gets ``additionalProperties: false``, which catches a misspelt
  optional field (``webhook`` for ``webhook_url``) that the API would silently ignore.
* ``format: uri`` is checked (RFC 3986, absolute), and JSON bodies are parsed strictly
  (``NaN`` and ``Infinity`` are not JSON).

The path is taken as it went on the wire (percent-encoded), so ``/v1/ai/music-generation/a%2Fb``
is one task id, not two path segments.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from http.cookies import SimpleCookie
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import (
    OperationNotFound,
    PathNotFound,
    ServerNotFound,
)
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.templating.security.exceptions import SecurityNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    MissingRequiredParameter,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import HeaderValidationError
from werkzeug.datastructures import Headers, ImmutableMultiDict

from freepik_mock.server.spec import load_extended_spec
from freepik_mock.server.spec.adapter import describe_error, openapi_config

__all__ = [
    "HttpxOpenAPIRequest",
    "HttpxOpenAPIResponse",
    "load_openapi",
    "request_problems",
    "response_problems",
]

_MAX_MESSAGE = 300


class HttpxOpenAPIRequest:
    """An ``httpx.Request`` in the shape of openapi-core's ``Request`` protocol.

    The body must be readable: a request built with ``content=``, ``json=`` or ``data=`` always
    is, and so is any request an ``httpx.MockTransport`` handler receives. An unread async stream
    raises ``ValueError`` (``await request.aread()`` first).
    """

    def __init__(self, request: httpx.Request) -> None:
        url = request.url
        self.request = request
        self.host_url = f"{url.scheme}://{url.netloc.decode('ascii')}"
        self.path = url.raw_path.partition(b"?")[0].decode("ascii")
        self.method = request.method.lower()
        self.content_type = request.headers.get("content-type", "").lower()
        self.body: bytes | None = _request_body(request) or None
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(url.params.multi_items())),
            header=Headers(request.headers.multi_items()),
            cookie=ImmutableMultiDict(_cookies(request.headers.get_list("cookie"))),
            path={},
        )


class HttpxOpenAPIResponse:
    """An ``httpx.Response`` (already read) in the shape of openapi-core's ``Response`` protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "").lower()
        self.headers = Headers(response.headers.multi_items())
        self.data: bytes | None = response.content


def _request_body(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        if isinstance(request.stream, httpx.SyncByteStream):
            return request.read()
        raise ValueError(
            "the request body is an unread async stream: await request.aread()"
        ) from None


def _cookies(values: Iterable[str]) -> list[tuple[str, str]]:
    jar: SimpleCookie = SimpleCookie()
    for value in values:
        jar.load(value)
    return [(name, morsel.value) for name, morsel in jar.items()]


def _prepared(
    spec: Mapping[str, Any], *, base_url: str | None, reject_unknown_fields: bool
) -> dict[str, Any]:
    """A copy of ``spec`` with the servers (and request bodies) set as documented above."""
    view = copy.deepcopy(dict(spec))
    own_servers = view.pop("servers", [])
    if base_url is not None:
        view["servers"] = [{"url": base_url.rstrip("/") or "/"}, *own_servers]
    schemas = view.get("components", {}).get("schemas", {})
    for path_item in view.get("paths", {}).values():
        path_item.pop("servers", None)
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            operation.pop("servers", None)
            if reject_unknown_fields:
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    _close_object(media.get("schema", {}), schemas)
    return view


def _close_object(schema: dict[str, Any], schemas: Mapping[str, Any]) -> None:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        schema = schemas[ref.rpartition("/")[2]]
    if schema.get("type") == "object" or "properties" in schema:
        schema.setdefault("additionalProperties", False)


def _build(
    spec: Mapping[str, Any], *, base_url: str | None, reject_unknown_fields: bool
) -> OpenAPI:
    return OpenAPI.from_dict(
        _prepared(spec, base_url=base_url, reject_unknown_fields=reject_unknown_fields),
        config=openapi_config(),
    )


@lru_cache(maxsize=16)
def _shipped(base_url: str | None, reject_unknown_fields: bool) -> OpenAPI:
    return _build(
        load_extended_spec(), base_url=base_url, reject_unknown_fields=reject_unknown_fields
    )


def load_openapi(
    *,
    spec: Mapping[str, Any] | None = None,
    base_url: str | None = None,
    reject_unknown_fields: bool = False,
) -> OpenAPI:
    """The openapi-core object the checks use (see the module docstring for the options).

    ``spec`` defaults to the extended spec shipped with the mock
    (``spec.load_extended_spec()``); that one is built once per option set and cached.
    """
    if spec is None:
        return _shipped(base_url, reject_unknown_fields)
    return _build(spec, base_url=base_url, reject_unknown_fields=reject_unknown_fields)


def request_problems(request: httpx.Request, *, openapi: OpenAPI | None = None) -> list[str]:
    """What in ``request`` breaks the spec, one message per problem (``[]``: it conforms).

    Each message starts with where the problem is (``server``, ``path``, ``operation``,
    ``security``, ``header parameter 'x'``, ``body.field``) and says what is wrong, e.g.
    ``body.music_length_seconds: '30' is not of type 'integer'``. Security problems stop the
    check there (openapi-core does not look further), so fix those first.
    """
    api = openapi if openapi is not None else load_openapi()
    adapted = HttpxOpenAPIRequest(request)
    return [
        _clip(message)
        for error in api.iter_request_errors(adapted)
        for message in _request_messages(error, api)
    ]


def response_problems(response: httpx.Response, *, openapi: OpenAPI | None = None) -> list[str]:
    """What in ``response`` breaks the spec for the request it answers (``[]``: it conforms).

    The status must be documented for the operation, the content type must be one of its media
    types, and the body and headers must match their schemas. The response must have been read.
    """
    api = openapi if openapi is not None else load_openapi()
    adapted_request = HttpxOpenAPIRequest(response.request)
    adapted = HttpxOpenAPIResponse(response)
    return [
        _clip(message)
        for error in api.iter_response_errors(adapted_request, adapted)
        for message in _response_messages(error)
    ]


def _request_messages(error: Exception, api: OpenAPI) -> Iterator[str]:
    cause = error.__cause__
    if isinstance(error, SecurityValidationError):
        expected = " or ".join(_credential_names(cause, api)) or "a documented credential"
        yield f"security: no accepted API key was sent (expected the {expected})"
    elif isinstance(error, MissingRequestBodyError):
        yield "body: the request body is required"
    elif isinstance(error, RequestBodyValidationError):
        yield from _content_messages(cause, where="body")
    elif isinstance(error, MissingRequiredParameter):
        yield f"{error.location} parameter '{error.name}': required but missing"
    elif isinstance(error, ParameterValidationError):
        where = f"{error.location} parameter '{error.name}'"
        yield from _content_messages(cause, where=where)
    else:
        yield from _common_messages(error)


def _response_messages(error: Exception) -> Iterator[str]:
    if isinstance(error, HeaderValidationError):
        yield from _content_messages(error.__cause__, where=f"header '{error.name}'")
    elif isinstance(error, ResponseNotFound):
        documented = ", ".join(error.availableresponses)
        yield f"status: {error.http_status} is not documented (documented: {documented})"
    elif error.__cause__ is not None:
        yield from _content_messages(error.__cause__, where="body")
    else:
        yield from _common_messages(error)


def _common_messages(error: Exception) -> Iterator[str]:
    if isinstance(error, ServerNotFound):
        yield f"server: {error.url} is not under any server of the spec"
    elif isinstance(error, OperationNotFound):
        yield f"operation: the spec has no {error.method.upper()} operation at {error.url}"
    elif isinstance(error, PathNotFound):
        yield f"path: no path of the spec matches {error.url}"
    else:
        yield f"{type(error).__name__}: {describe_error(error)}"


def _content_messages(cause: BaseException | None, *, where: str) -> Iterator[str]:
    """Messages for a body, parameter or header that was found but did not validate."""
    schema_errors = getattr(cause, "schema_errors", None)
    if isinstance(cause, MediaTypeNotFound):
        documented = " or ".join(cause.availableMimetypes)
        sent = f"content type {cause.mimetype} is" if cause.mimetype else "no content type was"
        yield f"{where}: {sent} sent, but the spec documents {documented}"
    elif isinstance(cause, MediaTypeDeserializeError):
        yield f"{where}: not valid {cause.mimetype}"
    elif schema_errors:
        for schema_error in schema_errors:
            location = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}"
                for part in getattr(schema_error, "absolute_path", ())
            )
            detail = getattr(schema_error, "message", None) or describe_error(schema_error)
            yield f"{where}{location}: {detail}"
    elif cause is not None:
        yield f"{where}: {describe_error(cause)}"
    else:
        yield f"{where}: not valid"


def _credential_names(cause: BaseException | None, api: OpenAPI) -> list[str]:
    """``header x-freepik-api-key`` and the like, for the schemes a request could have used."""
    if not isinstance(cause, SecurityNotFound):
        return []
    schemes = api.spec / "components" / "securitySchemes"
    names = []
    for requirement in cause.schemes:
        for scheme_name in requirement:
            scheme = schemes / scheme_name
            where, name = (scheme / "in").read_str(), (scheme / "name").read_str()
            names.append(f"{where} {name}")
    return names


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."
