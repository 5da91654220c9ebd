"""The extended spec, walked, and hypothesis strategies for the bodies its schemas describe.

:func:`response_cases` lists every answer the spec documents: one :class:`ResponseCase` per
operation, status and media type, with the schema (every ``$ref`` resolved by :func:`resolve`)
and every example given for it. :func:`from_schema` turns such a schema into a hypothesis
strategy of valid values, with extra properties wherever the schema allows them;
:data:`JSON_VALUES` is any small JSON value.

hypothesis-jsonschema is not installed: :func:`from_schema` covers the subset of JSON Schema the
spec uses and raises ``NotImplementedError`` for a keyword it does not handle, so a spec change
that needs more is noticed rather than silently ignored.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import strategies as st

from freepik_mock.server.spec.builder import (
    CREATE_OPERATION_ID,
    GET_OPERATION_ID,
    LIST_OPERATION_ID,
)

__all__ = [
    "JSON_VALUES",
    "OPERATIONS",
    "Operation",
    "ResponseCase",
    "from_schema",
    "property_names",
    "resolve",
    "response_cases",
]

#: The spec's three operations, by the short name the client gives each.
Operation = Literal["create", "get", "list"]
#: The short name of each operation, by its ``operationId`` in the spec.
OPERATIONS: Mapping[str, Operation] = {
    CREATE_OPERATION_ID: "create",
    GET_OPERATION_ID: "get",
    LIST_OPERATION_ID: "list",
}


# The spec, walked -----------------------------------------------------------------------------


def resolve(node: Any, *, spec: Mapping[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by its target in ``spec`` (no cycles allowed)."""
    if isinstance(node, dict):
        if isinstance(ref := node.get("$ref"), str):
            target: Any = spec
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, spec=spec)
        return {key: resolve(value, spec=spec) for key, value in node.items()}
    return [resolve(item, spec=spec) for item in node] if isinstance(node, list) else node


@dataclass(frozen=True)
class ResponseCase:
    """One documented answer: an operation, a status and a media type, with its examples."""

    operation: Operation
    status: int
    media_type: str
    schema: dict[str, Any]
    examples: tuple[tuple[str, Any], ...]

    def __str__(self) -> str:
        return f"{self.operation}-{self.status}-{self.media_type}"


def _examples(media: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for name, example in media.get("examples", {}).items():
        yield name, example["value"]
    if "example" in media:
        yield "media-example", media["example"]
    if "example" in media["schema"]:
        yield "schema-example", media["schema"]["example"]


def response_cases(spec: Mapping[str, Any]) -> list[ResponseCase]:
    """Every answer ``spec`` documents, in its order, with schemas resolved.

    The examples of a case are named: each of ``examples`` by its own name, then
    ``media-example`` and ``schema-example`` for a single ``example`` on the media type or on
    its schema.
    """
    return [
        ResponseCase(
            operation=OPERATIONS[operation["operationId"]],
            status=int(status),
            media_type=media_type,
            schema=media["schema"],
            examples=tuple(_examples(media)),
        )
        for path_item in resolve(spec["paths"], spec=spec).values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "responses" in operation
        for status, response in operation["responses"].items()
        for media_type, media in response.get("content", {}).items()
    ]


def property_names(node: Any) -> set[str]:
    """Every name that some ``properties`` anywhere under ``node`` defines."""
    names = set(node.get("properties", {})) if isinstance(node, dict) else set()
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return names.union(*map(property_names, children))


# Bodies from schemas ------------------------------------------------------------------------

_HANDLED = {"type", "properties", "required", "items", "enum", "format", "maxLength", "minimum"}
_HANDLED |= {"maximum", "allOf", "description", "example", "x-mock-addition"}
_LEAF = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
#: Any small JSON value: scalars, strings, and lists and objects of them.
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    _LEAF | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_NAMES = st.text(string.ascii_letters + "_", min_size=1, max_size=10)
_URIS = st.builds(
    "https://{}/results/{}.mp3".format,
    st.sampled_from(["cdn.contract.test", "ai-statics.freepik.com", "127.0.0.1:8080"]),
    st.text(string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=12),
)


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in parts:
        assert part.get("type", "object") == "object", f"allOf of non-objects: {part}"
        merged["properties"].update(part.get("properties", {}))
        merged["required"] += part.get("required", [])
    return merged


def from_schema(
    schema: dict[str, Any], *, reserved: Set[str] = frozenset()
) -> st.SearchStrategy[Any]:
    """Values valid for ``schema`` (resolved), with extra properties wherever they are allowed.

    Extra properties never take a name in ``reserved`` (e.g. every name the spec gives a
    meaning, which a test checks on its own).
    """
    if unknown := set(schema) - _HANDLED:
        raise NotImplementedError(f"from_schema does not handle {sorted(unknown)} yet")
    kind, fmt = schema.get("type"), schema.get("format")
    if "allOf" in schema:
        return from_schema(_merged(schema["allOf"]), reserved=reserved)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if kind == "string":
        if fmt in ("uuid", "uri"):
            return st.uuids().map(str) if fmt == "uuid" else _URIS
        return st.text(max_size=min(schema.get("maxLength", 30), 30))
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), reserved=reserved), max_size=3)
    if kind != "object" and "properties" not in schema:
        return JSON_VALUES
    fields = {
        name: from_schema(sub, reserved=reserved)
        for name, sub in schema.get("properties", {}).items()
    }
    required = set(schema.get("required", ()))
    body = st.fixed_dictionaries(
        {name: value for name, value in fields.items() if name in required},
        optional={name: value for name, value in fields.items() if name not in required},
    )
    extras = st.dictionaries(
        _NAMES.filter(lambda key: key not in reserved), JSON_VALUES, max_size=2
    )
    return st.tuples(body, extras).map(lambda pair: {**pair[1], **pair[0]})
