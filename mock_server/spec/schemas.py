"""OpenAPI 3.0 Schema Objects turned into JSON Schema (draft 4) that jsonschema-rs compiles.

The conversion is mechanical and driven by the document alone: local ``$ref`` are inlined,
``nullable`` becomes a ``null`` in ``type``, annotations are dropped. What it cannot promise to
check exactly as openapi-core does (the oracle: ``readOnly`` in a request, ``discriminator``,
formats other than ``uri``, recursive references...) raises :class:`Unsupported`, and the
operation using it is left to openapi-core rather than checked differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "FORMATS",
    "NUMBER_FORMATS",
    "OAS_TYPE",
    "PYTHON_FORMAT",
    "PYTHON_PATTERN",
    "Unsupported",
    "resolve",
    "to_json_schema",
]

#: Where a converted schema keeps its OpenAPI ``type`` when ``nullable`` widened it, so that a
#: reason still says "must be an integer" (draft 4 ignores unknown keywords).
OAS_TYPE = "x-oas-type"

#: Where a converted schema keeps ``pattern``: matched with Python's ``re.search``, as openapi-core
#: matches it (a Rust regex reads some patterns differently: ``$`` before a final newline).
PYTHON_PATTERN = "x-python-pattern"

#: Keywords that mean the same in OpenAPI 3.0 and JSON Schema draft 4 (for a request).
_SAME = frozenset(
    {
        "type", "required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minLength", "maxLength", "enum", "minItems", "maxItems", "uniqueItems",
        "minProperties", "maxProperties", "multipleOf",
    }
)  # fmt: skip
_SUBSCHEMA = frozenset({"items", "not"})
_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
#: Keywords that do not take part in validation.
_ANNOTATIONS = frozenset(
    {"description", "title", "example", "default", "deprecated", "externalDocs", "xml", "writeOnly"}
)
#: String formats checked by functions shared with the openapi-core side (see :mod:`.wording`).
FORMATS = frozenset({"uri"})
#: OpenAPI's own formats, checked as openapi-schema-validator checks them (draft 4 has none; they
#: are kept under :data:`PYTHON_FORMAT`, a keyword of their own).
NUMBER_FORMATS = frozenset({"int32", "int64", "float", "double", "password"})
PYTHON_FORMAT = "x-python-format"


class Unsupported(Exception):
    """A part of the spec the compiled validators do not check; openapi-core does it instead."""


def resolve(document: Mapping[str, Any], node: Any, *, seen: tuple[str, ...] = ()) -> Any:
    """``node``, or what its local ``$ref`` (JSON pointer, ``#/...``) points to in ``document``."""
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            raise Unsupported(f"reference {ref!r}")
        seen = (*seen, ref)
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, Mapping) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                raise Unsupported(f"reference {ref!r} points nowhere")
        node = target
    return node


def to_json_schema(
    document: Mapping[str, Any], schema: Any, *, seen: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``schema`` (an OpenAPI 3.0 Schema Object of ``document``) as a draft-4 JSON Schema.

    The keywords keep their order: errors are reported in the order openapi-core finds them.
    """
    if isinstance(schema, Mapping) and "$ref" in schema:
        ref = schema["$ref"]
        return to_json_schema(document, resolve(document, schema, seen=seen), seen=(*seen, ref))
    if not isinstance(schema, Mapping):
        raise Unsupported(f"schema {schema!r}")
    converted: dict[str, Any] = {}
    nullable = schema.get("nullable") is True
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword.startswith("x-") or keyword == "nullable":
            continue
        if keyword == "type" and nullable:
            if "enum" in schema:
                raise Unsupported("nullable with enum")
            converted[keyword] = [value, "null"]
            converted[OAS_TYPE] = value
        elif keyword == "format" and value in NUMBER_FORMATS:
            converted[PYTHON_FORMAT] = value
        elif keyword == "format":
            if value not in FORMATS:
                raise Unsupported(f"format {value!r}")
            converted[keyword] = value
        elif keyword == "pattern":
            converted[PYTHON_PATTERN] = value
        elif keyword in _SAME:
            converted[keyword] = value
        elif keyword in _SUBSCHEMA:
            converted[keyword] = to_json_schema(document, value, seen=seen)
        elif keyword in _SUBSCHEMA_LISTS and isinstance(value, list):
            converted[keyword] = [to_json_schema(document, item, seen=seen) for item in value]
        elif keyword == "properties" and isinstance(value, Mapping):
            converted[keyword] = {
                name: to_json_schema(document, sub, seen=seen) for name, sub in value.items()
            }
        elif keyword == "additionalProperties":
            converted[keyword] = (
                value if isinstance(value, bool) else to_json_schema(document, value, seen=seen)
            )
        else:
            # readOnly, discriminator, anything newer or unknown: openapi-core's business.
            raise Unsupported(f"keyword {keyword!r}")
    return converted
