"""Request validation compiled from the spec: one jsonschema-rs validator per schema, built once.

:class:`CompiledChecker` reads the spec document at build time: its paths (matched the way
openapi-core matches them), each operation's parameters (path, query, header; cast by their
schema's type as openapi-core casts them) and its request body (media types, ``required``,
schema). Nothing is known about any field beyond what the document says: change the spec and the
checks follow.

Its answers are openapi-core's (:mod:`.adapter`, the oracle a differential test holds it to),
worded by the same functions (:mod:`.wording`). Where it cannot promise that (a keyword or
parameter style it does not compile, a number JSON cannot carry such as ``1e400``), it asks the
``fallback`` it was given, openapi-core, for that request only; the shipped spec never needs it.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urljoin, urlparse

from ..core.errors import InvalidParam
from . import wording
from .paths import Route, compile_routes
from .schema_checks import NeedsOracle, SchemaCheck
from .schemas import Unsupported, resolve, to_json_schema

__all__ = ["CompiledChecker", "RequestChecker"]

#: Where a request is said to come from (as on openapi-core's side); only the path part matters.
_HOST_URL = "http://mock.invalid"
_PLAIN_PATH = re.compile(r"/(?!/)[^.?#;\\\t\r\n]*\Z")
#: The media types read as JSON (the ones :func:`~.adapter.openapi_config` gives a deserializer).
_JSON_TYPES = frozenset({"application/json", "application/problem+json"})
_BOOLEANS = {
    **dict.fromkeys(("y", "yes", "t", "true", "on", "1"), True),
    **dict.fromkeys(("n", "no", "f", "false", "off", "0"), False),
}
#: The style each location's parameters take when the spec names none.
_DEFAULT_STYLES = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


class RequestChecker(Protocol):
    """What answers for a request: the compiled validators or openapi-core's side."""

    def request_problems(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        content_type: str | None,
    ) -> list[InvalidParam]: ...


def _boolean(value: str) -> bool:
    return _BOOLEANS[value.lower()]


def _number(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NeedsOracle  # JSON has no infinity: openapi-core compares it as Python does
    return number


#: How a parameter's text becomes a value, by its schema's type (openapi-core's casters).
_CASTS: dict[Any, Callable[[str], Any]] = {
    None: str,
    "string": str,
    "integer": int,
    "number": _number,
    "boolean": _boolean,
}


def _parse_json(body: bytes) -> Any:
    return json.loads(body, parse_constant=_reject_constant, parse_float=_number)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True, kw_only=True)
class _Parameter:
    name: str
    location: str
    required: bool
    cast: Callable[[str], Any]
    schema: SchemaCheck
    default: tuple[Any, ...]  # (value,) when the schema has a default
    allow_empty: bool

    @property
    def key(self) -> str:
        """The name looked up in its location (header names do not mind case)."""
        return self.name.lower() if self.location == "header" else self.name

    def problems(self, value: str | None) -> list[InvalidParam]:
        if value is None:
            if self.default:
                return self.schema.problems(self.default[0], prefix=(self.name,))
            if self.required:
                return [
                    InvalidParam(name=self.name, reason=f"{wording.label(self.name)} is required")
                ]
            return []
        try:
            cast = self.cast(value)
        except (ValueError, TypeError, AttributeError, KeyError):
            return [self._not_valid()]
        if self.location == "query" and cast == "" and not self.allow_empty:
            return [self._not_valid()]
        return self.schema.problems(cast, prefix=(self.name,))

    def _not_valid(self) -> InvalidParam:
        return InvalidParam(name=self.name, reason=f"{wording.label(self.name)} is not valid")


@dataclass(frozen=True, kw_only=True)
class _Body:
    required: bool
    #: Media type (as the spec spells it) → its compiled schema, None without one; only JSON ones.
    media: Mapping[str, SchemaCheck | None]
    keys: tuple[str, ...]

    def problems(self, body: bytes, mimetype: str) -> list[InvalidParam]:
        if not body:
            if self.required:
                return [InvalidParam(name=wording.BODY, reason=wording.missing_body_reason())]
            return []
        key = self._find(mimetype)
        if key is None:
            reason = wording.content_type_reason(expected=self.keys, got=mimetype)
            return [InvalidParam(name=wording.BODY, reason=reason)]
        if key not in self.media:
            raise NeedsOracle  # a media type without a compiled reader
        try:
            value = _parse_json(body)
        except (ValueError, TypeError, AttributeError):
            return [InvalidParam(name=wording.BODY, reason=wording.NOT_JSON)]
        schema = self.media[key]
        return [] if schema is None else schema.problems(value, prefix=())

    def _find(self, mimetype: str) -> str | None:
        # openapi-core's MediaTypeFinder: exact, then the spec's ranges (application/*).
        bare = mimetype.split(";")[0].lower().rstrip()
        for candidate in (mimetype, bare):
            if candidate in self.keys:
                return candidate
        if bare:
            for key in self.keys:
                if fnmatch.fnmatch(bare, key):
                    return key
        return None


@dataclass(frozen=True, kw_only=True)
class _Operation:
    parameters: tuple[_Parameter, ...]
    body: _Body | None
    #: Why this operation is left to the fallback ("" when it is compiled).
    delegated: str = ""

    def problems(
        self,
        *,
        variables: Mapping[str, str],
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        content_type: str | None,
    ) -> list[InvalidParam]:
        problems: list[InvalidParam] = []
        if self.parameters:
            locations = _locations(variables=variables, query=query, headers=headers)
            for parameter in self.parameters:
                problems.extend(
                    parameter.problems(locations[parameter.location].get(parameter.key))
                )
        if self.body is not None:
            problems.extend(self.body.problems(body, wording.mimetype(content_type)))
        return problems


def _locations(
    *, variables: Mapping[str, str], query: str, headers: Mapping[str, str]
) -> dict[str, Mapping[str, str]]:
    first_query: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        first_query.setdefault(key, value)
    first_header: dict[str, str] = {}
    for key, value in headers.items():
        first_header.setdefault(key.lower(), value)
    return {"path": variables, "query": first_query, "header": first_header, "cookie": {}}


class CompiledChecker:
    """The spec's request checks, compiled once (see the module's docstring); thread-safe.

    ``spec`` is the validation view (no servers, no security); ``fallback`` gives the checker
    that answers what is not compiled, called (and so built) only when first needed.
    """

    def __init__(self, spec: Mapping[str, Any], *, fallback: Callable[[], RequestChecker]) -> None:
        self._fallback = fallback
        self._routes: tuple[Route[_Operation], ...] = compile_routes(
            spec,
            compile_operation=lambda path_item, operation: _operation(spec, path_item, operation),
        )

    @property
    def delegated(self) -> dict[str, str]:
        """``METHOD path`` → why, for each operation left to the fallback."""
        return {
            f"{method.upper()} {route.pattern}": operation.delegated
            for route in self._routes
            for method, operation in route.operations.items()
            if operation.delegated
        }

    def request_problems(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        content_type: str | None,
    ) -> list[InvalidParam]:
        """See :meth:`freepik_mock.server.spec.RequestValidator.validate` (never raises)."""
        try:
            found = _find_operation(self._routes, method=method.lower(), path=path)
            if found is None:
                return []  # not an operation of the spec: routing is the server's business
            operation, variables = found
            if operation.delegated:
                raise NeedsOracle
            return wording.unique(
                operation.problems(
                    variables=variables,
                    query=query,
                    headers=headers,
                    body=body,
                    content_type=content_type,
                )
            )
        except NeedsOracle:
            return self._fallback().request_problems(
                method=method,
                path=path,
                query=query,
                headers=headers,
                body=body,
                content_type=content_type,
            )
        except RecursionError:
            return [InvalidParam(name=wording.BODY, reason=wording.NESTED_TOO_DEEPLY)]
        except Exception as error:
            reason = wording.clip(
                f"Request body could not be read: {wording.describe_error(error)}"
            )
            return [InvalidParam(name=wording.BODY, reason=reason)]


def _find_operation(
    routes: Iterable[Route[_Operation]], *, method: str, path: str
) -> tuple[_Operation, Mapping[str, str]] | None:
    """The operation openapi-core would pick for ``method`` and ``path``, and its variables."""
    # urljoin's result, without its cost for the paths it leaves as they are (no dot segments,
    # no "//" authority, nothing it strips or splits off).
    plain = _PLAIN_PATH.match(path) is not None
    full_url = _HOST_URL + path if plain else urljoin(_HOST_URL, path)
    simple: list[tuple[Route[_Operation], str, dict[str, str]]] = []
    templated: list[tuple[Route[_Operation], str, dict[str, str]]] = []
    for route in routes:
        if full_url.endswith(route.pattern):
            simple.append((route, route.pattern, {}))
        elif route.regex is not None and (match := route.regex.search(full_url)) is not None:
            variables = {name: match.group(group) for group, name in route.groups.items()}
            templated.append((route, route.pattern.format(**variables), variables))
    if len(templated) > 1:
        templated.sort(key=lambda candidate: len(candidate[2]))
    for route, resolved, variables in (*simple, *templated):
        operation = route.operations.get(method)
        if operation is None:
            continue
        # The only server is "/" (servers are not validated): what precedes the path found, the
        # resolved template being the URL's end, must be the root.
        if plain and len(resolved) <= len(path):
            root = path[: len(path) - len(resolved)]
        else:
            root = urlparse(full_url.rsplit(resolved, 1)[0]).path
        if root in ("", "/"):
            return operation, variables
    return None


def _operation(
    spec: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any]
) -> _Operation:
    try:
        return _Operation(
            parameters=tuple(_parameters(spec, path_item, operation)),
            body=_body(spec, operation.get("requestBody")),
        )
    except Unsupported as why:
        return _Operation(parameters=(), body=None, delegated=str(why) or "unsupported")


def _parameters(
    spec: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any]
) -> Iterator[_Parameter]:
    seen: set[tuple[str, str]] = set()
    # The operation's first, then the path's (an operation's own overrides the path's).
    for raw in (*operation.get("parameters", ()), *path_item.get("parameters", ())):
        parameter = resolve(spec, raw)
        name, location = parameter["name"], parameter["in"]
        if (name, location) in seen:
            continue
        seen.add((name, location))
        yield _parameter(spec, parameter)


def _parameter(spec: Mapping[str, Any], parameter: Mapping[str, Any]) -> _Parameter:
    name, location = parameter["name"], parameter["in"]
    if "content" in parameter or "schema" not in parameter:
        raise Unsupported(f"parameter {name!r} without a plain schema")
    if parameter.get("style", _DEFAULT_STYLES.get(location)) != _DEFAULT_STYLES.get(location):
        raise Unsupported(f"parameter {name!r} style")
    raw_schema = resolve(spec, parameter["schema"])
    kind = raw_schema.get("type")
    if kind not in _CASTS or any(k in raw_schema for k in ("allOf", "anyOf", "oneOf")):
        raise Unsupported(f"parameter {name!r} of type {kind!r}")
    return _Parameter(
        name=name,
        location=location,
        required=parameter.get("required") is True,
        cast=_CASTS[kind],
        schema=SchemaCheck(to_json_schema(spec, raw_schema)),
        default=(raw_schema["default"],) if "default" in raw_schema else (),
        allow_empty=parameter.get("allowEmptyValue") is True,
    )


def _body(spec: Mapping[str, Any], raw: Any) -> _Body | None:
    if raw is None:
        return None
    request_body = resolve(spec, raw)
    content = request_body.get("content", {})
    media: dict[str, SchemaCheck | None] = {}
    for key, media_type in content.items():
        if key not in _JSON_TYPES:
            continue  # matched by a request, it goes to the fallback
        schema = media_type.get("schema") if isinstance(media_type, Mapping) else None
        media[key] = None if schema is None else SchemaCheck(to_json_schema(spec, schema))
    return _Body(required=request_body.get("required") is True, media=media, keys=tuple(content))
