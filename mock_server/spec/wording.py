"""How a validation problem is said, and how a request's bytes are read, shared by both validators.

The compiled validators (:mod:`.compiled`) and openapi-core's side (:mod:`.adapter`) word their
problems with the same functions, so the two cannot drift apart in what a client reads:
"Parameter 'page' must be greater than 0", in the vendor's style. Nothing here imports
openapi-core or jsonschema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.http import parse_options_header

from ..core.errors import InvalidParam

__all__ = [
    "BODY",
    "NESTED_TOO_DEEPLY",
    "NOT_JSON",
    "clip",
    "content_type_reason",
    "describe_error",
    "dotted",
    "is_uri",
    "label",
    "mimetype",
    "missing_body_reason",
    "schema_reason",
    "strict_json",
    "unique",
]

#: The name a problem with the body as a whole is reported under.
BODY = "body"
NOT_JSON = "Request body is not valid JSON"
NESTED_TOO_DEEPLY = "Request body is nested too deeply"
_MAX_REASON = 300
_ARTICLES = {"integer": "an integer", "object": "a JSON object", "array": "an array"}
_FORMAT_NAMES = {"uri": "URI", "uuid": "UUID", "date-time": "date-time (RFC 3339)"}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(value: bytes, **_parameters: str) -> Any:
    """``value`` parsed as JSON (RFC 8259): NaN and Infinity are refused.

    Python's json accepts them, which are not JSON; the vendor's servers would not parse them.
    """
    return json.loads(value, parse_constant=_reject_constant)


def is_uri(value: Any) -> bool:
    """The ``uri`` format: RFC 3986, absolute URI (anything not a string passes)."""
    # Imported on the first ``uri`` value: the module compiles a large regex (~7 ms), which a
    # mock's start-up and a create without a webhook URL never need.
    from rfc3986_validator import validate_rfc3986  # type: ignore[import-untyped]

    return not isinstance(value, str) or bool(validate_rfc3986(value, rule="URI"))


def mimetype(content_type: str | None) -> str:
    """The bare, lower-case media type; openapi-core's own parser breaks on odd parameters."""
    if not content_type:
        return ""
    bare, _options = parse_options_header(content_type)
    return bare.lower()


def clip(text: str) -> str:
    """``text`` cut to a length a client can show."""
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


def dotted(path: Iterable[Any]) -> str:
    """A location in the body as the vendor names it: ``data.generated.0``."""
    return ".".join(str(part) for part in path)


def label(name: str) -> str:
    """How a reason starts: ``Request body`` or ``Parameter 'name'``."""
    return "Request body" if name == BODY else f"Parameter '{name}'"


def schema_reason(
    *, keyword: str, limit: Any, schema: Mapping[str, Any], name: str, message: str
) -> str:
    """A sentence for one failed schema keyword about ``name`` (``message``: the library's own,
    used only for keywords without a sentence of their own)."""
    named = label(name)
    if keyword == "type":
        kinds = limit if isinstance(limit, list) else [limit]
        return f"{named} must be " + " or ".join(_ARTICLES.get(k, f"a {k}") for k in kinds)
    if keyword == "minimum":
        bound = "greater than" if schema.get("exclusiveMinimum") is True else "at least"
        return f"{named} must be {bound} {limit}"
    if keyword == "maximum":
        bound = "less than" if schema.get("exclusiveMaximum") is True else "at most"
        return f"{named} must be {bound} {limit}"
    if keyword == "maxLength":
        return f"{named} must be at most {limit} characters long"
    if keyword == "minLength":
        return f"{named} must be at least {limit} characters long"
    if keyword == "format":
        return f"{named} must be a valid {_FORMAT_NAMES.get(str(limit), str(limit))}"
    if keyword == "enum" and isinstance(limit, list):
        return f"{named} must be one of: " + ", ".join(str(v) for v in limit)
    if keyword == "pattern":
        return f"{named} must match the pattern {limit}"
    return clip(f"{named} is not valid: {message}")


def missing_body_reason() -> str:
    """The reason given when a required body is empty."""
    return "Request body is required (a JSON object)"


def content_type_reason(*, expected: Iterable[str], got: str) -> str:
    """The reason given when the body's media type is not one the operation takes."""
    sent = f", not {got}" if got else " (no Content-Type header was sent)"
    return f"Content-Type must be {' or '.join(expected)}{sent}"


def describe_error(error: BaseException) -> str:
    """``str(error)``, which for some errors itself fails (on undecodable bytes, say)."""
    try:
        text = str(error)
    except Exception:
        text = ""
    return text or type(error).__name__


def unique(problems: Iterable[InvalidParam]) -> list[InvalidParam]:
    """``problems`` in order, each once."""
    return list(dict.fromkeys(problems))
