"""openapi-core's side of validation: the request and response shapes it reads, and its errors
worded for people in the vendor's style ("Parameter 'page' must be greater than 0", by the
functions of :mod:`.wording`, which the compiled validators share).

It is the oracle: the mock's requests are checked by :mod:`.compiled`, which a differential test
holds to this module's answers; responses are checked here.

Importing this module imports openapi-core and jsonschema, which takes a few hundred milliseconds;
:class:`~freepik_mock.server.spec.RequestValidator` therefore imports it only when first used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from jsonschema.exceptions import ValidationError as SchemaError  # type: ignore[import-untyped]
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    MissingRequiredParameter,
    ParameterValidationError,
    RequestBodyValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from ..core.errors import InvalidParam
from . import wording

__all__ = ["SpecChecker", "describe_error", "openapi_config"]

#: Where a request or response is said to come from; only the path part matters (servers are "/").
_HOST_URL = "http://mock.invalid"
_BODY = wording.BODY
_clip, _field, _label, _mimetype = wording.clip, wording.dotted, wording.label, wording.mimetype
#: Re-exported: the contract suite words openapi-core's errors with it too.
describe_error = wording.describe_error


def _is_uri(value: Any) -> bool:
    # openapi-core's format checker has no `uri` check of its own: RFC 3986, absolute URI.
    return wording.is_uri(value)


def openapi_config(**options: Any) -> Config:
    """openapi-core's configuration for this spec: ``uri`` checked, JSON parsed strictly.

    Shared by the mock's validation and the client contract suite, so both read the spec alike.
    """
    return Config(
        extra_format_validators={"uri": _is_uri},
        extra_media_type_deserializers={
            "application/json": wording.strict_json,
            "application/problem+json": wording.strict_json,
        },
        **options,
    )


@dataclass(kw_only=True)
class _Request:
    """One HTTP request in the shape openapi-core's ``Request`` protocol reads."""

    method: str
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str = _HOST_URL


@dataclass(frozen=True, kw_only=True)
class _Response:
    """One HTTP response in the shape openapi-core's ``Response`` protocol reads."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None = field(default=None)


def _request(
    *, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes, mimetype: str
) -> _Request:
    parameters = RequestParameters(
        query=ImmutableMultiDict(parse_qsl(query, keep_blank_values=True)),
        header=Headers(list(headers.items())),
        cookie=ImmutableMultiDict(),
        path={},
    )
    return _Request(
        method=method.lower(), path=path, parameters=parameters, body=body, content_type=mimetype
    )


def _schema_reason(error: SchemaError, name: str) -> str:
    """A sentence for one jsonschema error about ``name``, keyed on the failing keyword."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    return wording.schema_reason(
        keyword=str(error.validator),
        limit=error.validator_value,
        schema=schema,
        name=name,
        message=error.message,
    )


def _schema_problems(errors: Iterable[Any], *, prefix: tuple[str, ...]) -> Iterator[InvalidParam]:
    for error in errors:
        if not isinstance(error, SchemaError):
            yield InvalidParam(name=_field(prefix) or _BODY, reason=_clip(describe_error(error)))
            continue
        location = (*prefix, *error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            for missing in error.validator_value:
                if missing not in error.instance:
                    yield InvalidParam(
                        name=_field((*location, missing)),
                        reason=f"{_label(_field((*location, missing)))} is required",
                    )
            continue
        name = _field(location) or _BODY
        yield InvalidParam(name=name, reason=_schema_reason(error, name))


def _body_problems(error: RequestBodyValidationError, mimetype: str) -> Iterator[InvalidParam]:
    cause = error.__cause__
    if isinstance(error, MissingRequestBodyError):
        yield InvalidParam(name=_BODY, reason=wording.missing_body_reason())
    elif isinstance(cause, MediaTypeNotFound):
        reason = wording.content_type_reason(expected=cause.availableMimetypes, got=mimetype)
        yield InvalidParam(name=_BODY, reason=reason)
    elif isinstance(cause, MediaTypeDeserializeError):
        yield InvalidParam(name=_BODY, reason=wording.NOT_JSON)
    elif isinstance(cause, InvalidSchemaValue):
        yield from _schema_problems(cause.schema_errors, prefix=())
    else:
        yield InvalidParam(name=_BODY, reason="Request body is not valid")


def _problems(errors: Iterable[Exception], mimetype: str) -> Iterator[InvalidParam]:
    for error in errors:
        if isinstance(error, PathError):
            # Not an operation of the spec (e.g. /_mock/*): routing is the server's business.
            return
        if isinstance(error, RequestBodyValidationError):
            yield from _body_problems(error, mimetype)
        elif isinstance(error, MissingRequiredParameter):
            yield InvalidParam(name=error.name, reason=f"{_label(error.name)} is required")
        elif isinstance(error, ParameterValidationError):
            cause = error.__cause__
            if isinstance(cause, InvalidSchemaValue):
                yield from _schema_problems(cause.schema_errors, prefix=(error.name,))
            else:
                yield InvalidParam(name=error.name, reason=f"{_label(error.name)} is not valid")
        else:
            yield InvalidParam(name=_BODY, reason=_clip(describe_error(error)))


class SpecChecker:
    """openapi-core's ``OpenAPI`` for one prepared spec, answering in :class:`InvalidParam` terms.

    ``check_spec=False`` skips checking that ``spec`` is valid OpenAPI (for the shipped spec,
    which a test checks; the check costs more than the rest of the preparation).
    """

    def __init__(self, spec: Mapping[str, Any], *, check_spec: bool = True) -> None:
        extra: dict[str, Any] = {} if check_spec else {"spec_validator_cls": None}
        self._openapi = OpenAPI.from_dict(
            dict(spec),
            config=openapi_config(**extra),
        )

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
        mimetype = ""
        try:
            mimetype = _mimetype(content_type)
            request = _request(
                method=method, path=path, query=query, headers=headers, body=body, mimetype=mimetype
            )
            return wording.unique(_problems(self._openapi.iter_request_errors(request), mimetype))
        except RecursionError:
            return [InvalidParam(name=_BODY, reason=wording.NESTED_TOO_DEEPLY)]
        except Exception as error:
            return [
                InvalidParam(
                    name=_BODY,
                    reason=_clip(f"Request body could not be read: {describe_error(error)}"),
                )
            ]

    def response_problems(
        self,
        *,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        content_type: str | None,
        query: str = "",
    ) -> list[str]:
        """See :meth:`RequestValidator.validate_response` (never raises)."""
        try:
            request = _request(
                method=method, path=path, query=query, headers={}, body=b"", mimetype=""
            )
            response = _Response(
                status_code=status,
                content_type=_mimetype(content_type),
                headers=Headers(list(headers.items())),
                data=body,
            )
            return [
                message
                for error in self._openapi.iter_response_errors(request, response)
                for message in _response_messages(error)
            ]
        except Exception as error:
            return [f"response could not be validated: {describe_error(error)}"]


def _response_messages(error: Exception) -> Iterator[str]:
    cause = error.__cause__
    if isinstance(cause, InvalidSchemaValue):
        for schema_error in cause.schema_errors:
            where = _field(getattr(schema_error, "absolute_path", ())) or "(root)"
            message = getattr(schema_error, "message", describe_error(schema_error))
            yield _clip(f"{type(error).__name__} at {where}: {message}")
    elif isinstance(cause, MediaTypeDeserializeError):
        yield f"{type(error).__name__}: the body is not valid {cause.mimetype}"
    elif cause is not None:
        yield _clip(f"{type(error).__name__}: {describe_error(cause)}")
    else:
        yield _clip(f"{type(error).__name__}: {describe_error(error)}")
