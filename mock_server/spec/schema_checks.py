"""A schema compiled by jsonschema-rs whose errors read as openapi-core's: the same names, the
same reasons (:mod:`.wording`), in the order openapi-core (Python's jsonschema) finds them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from numbers import Number
from typing import Any

import jsonschema_rs

from ..core.errors import InvalidParam
from . import wording
from .schemas import OAS_TYPE, PYTHON_FORMAT, PYTHON_PATTERN

__all__ = ["NeedsOracle", "SchemaCheck"]


class NeedsOracle(Exception):
    """This request is one for openapi-core: what it holds cannot be checked here alike."""


class _PythonPattern:
    """The ``pattern`` keyword as Python's jsonschema (openapi-core's) applies it: ``re.search``."""

    def __init__(self, parent_schema: dict[str, Any], value: str, schema_path: list[Any]) -> None:
        del parent_schema, schema_path
        self._pattern = value
        self._regex = re.compile(value)

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not self._regex.search(instance):
            raise ValueError(f"{instance!r} does not match {self._pattern!r}")


def _int_within(bits: int) -> Callable[[Any], bool]:
    def check(instance: Any) -> bool:
        if isinstance(instance, bool) or not isinstance(instance, int):
            return True
        return ~(1 << bits) < instance < 1 << bits

    return check


def _float(instance: Any) -> bool:
    return isinstance(instance, (int, float)) or not isinstance(instance, Number)


#: openapi-schema-validator's checks of OpenAPI's own formats (what openapi-core runs).
_NUMBER_FORMATS: dict[str, Callable[[Any], bool]] = {
    "int32": _int_within(31),
    "int64": _int_within(63),
    "float": _float,
    "double": _float,
    "password": lambda instance: True,
}


class _PythonFormat:
    """An OpenAPI format (``int32``...) checked as openapi-core checks it, on any type."""

    def __init__(self, parent_schema: dict[str, Any], value: str, schema_path: list[Any]) -> None:
        del parent_schema, schema_path
        self._format = value
        self._check = _NUMBER_FORMATS[value]

    def validate(self, instance: Any) -> None:
        if not self._check(instance):
            raise ValueError(f"{instance!r} is not a {self._format!r}")


#: The converted schema's own keywords, under the names openapi-core reports them by.
_REPORTED = {PYTHON_PATTERN: "pattern", PYTHON_FORMAT: "format"}


class SchemaCheck:
    """One schema compiled by jsonschema-rs, its errors read back as :class:`InvalidParam`
    against the converted document (thread-safe)."""

    __slots__ = ("_schema", "_validator")

    def __init__(self, schema: dict[str, Any]) -> None:
        self._schema = schema
        self._validator = jsonschema_rs.Draft4Validator(
            schema,
            validate_formats=True,
            formats={"uri": wording.is_uri},
            keywords={PYTHON_PATTERN: _PythonPattern, PYTHON_FORMAT: _PythonFormat},
        )

    def problems(self, value: Any, *, prefix: tuple[str, ...]) -> list[InvalidParam]:
        """What in ``value`` breaks the schema, named from ``prefix`` (``()``: the body)."""
        try:
            if self._validator.is_valid(value):
                return []
        except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON): Rust strings have none
            raise NeedsOracle from None
        errors = sorted(self._validator.iter_errors(value), key=self._order)
        return [problem for error in errors for problem in self._describe(error, prefix)]

    def _order(self, error: jsonschema_rs.ValidationError) -> tuple[int, ...]:
        # openapi-core (Python jsonschema) reports in the order of the schema's keywords and,
        # under "items", of the array's elements.
        positions: list[int] = []
        node: Any = self._schema
        instance = list(error.instance_path)
        for step in _keyword_path(error):
            if isinstance(node, dict) and step in node:
                positions.append(list(node).index(step))
                if step == "items" and isinstance(node[step], dict) and instance:
                    element = instance.pop(0)
                    positions.append(element if isinstance(element, int) else 0)
                elif step in ("properties", "additionalProperties") and instance:
                    instance.pop(0)
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                positions.append(step)
                node = node[step]
        return tuple(positions)

    def _describe(
        self, error: jsonschema_rs.ValidationError, prefix: tuple[str, ...]
    ) -> Iterator[InvalidParam]:
        location = (*prefix, *error.instance_path)
        *parents, keyword = _keyword_path(error)
        schema: Any = self._schema
        for step in parents:
            schema = schema[step]
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
            missing = wording.dotted((*location, error.kind.property))
            yield InvalidParam(name=missing, reason=f"{wording.label(missing)} is required")
            return
        name = wording.dotted(location) or wording.BODY
        limit = schema.get(OAS_TYPE, schema[keyword]) if keyword == "type" else schema[keyword]
        reported = _REPORTED.get(str(keyword), str(keyword))
        yield InvalidParam(
            name=name,
            reason=wording.schema_reason(
                keyword=reported, limit=limit, schema=schema, name=name, message=error.message
            ),
        )


#: Draft 4's ``exclusiveMinimum: true`` fails as ``minimum`` for openapi-core (same for maximum).
_AS_BOUND = {"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"}


def _keyword_path(error: jsonschema_rs.ValidationError) -> list[str | int]:
    """The error's schema path, ending with the keyword openapi-core would report."""
    path: list[str | int] = list(error.schema_path)
    if path and path[-1] in _AS_BOUND:
        path[-1] = _AS_BOUND[str(path[-1])]
    return path
