"""The spec's paths as routes, matched the way openapi-core's path finder matches them.

A path without variables matches when the URL ends with it; one with variables (``{task-id}``,
each one segment, possibly empty) when its pattern is found at the URL's end. Concrete paths come
first, in the document's order, then templated ones with the fewest variables first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["HTTP_METHODS", "Route", "compile_routes"]

#: The keys of a Path Item Object that are operations.
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VARIABLE = re.compile(r"\{([^}]*)\}")

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Route(Generic[T]):
    """One path of the spec: its pattern, how to find it in a URL and its compiled operations."""

    pattern: str
    #: None for a path without variables (matched by the URL's ending).
    regex: re.Pattern[str] | None
    #: Regex group → variable name.
    groups: Mapping[str, str] = field(default_factory=dict)
    operations: Mapping[str, T] = field(default_factory=dict)


def _template(pattern: str) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    if "{" not in pattern:
        return None, {}
    parts: list[str] = []
    groups: dict[str, str] = {}
    last = 0
    for index, match in enumerate(_VARIABLE.finditer(pattern)):
        parts.append(re.escape(pattern[last : match.start()]))
        groups[f"g{index}"] = match.group(1)
        parts.append(f"(?P<g{index}>[^/]*)")
        last = match.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("".join(parts) + "$"), groups


def compile_routes(
    spec: Mapping[str, Any],
    *,
    compile_operation: Callable[[Mapping[str, Any], Mapping[str, Any]], T],
) -> tuple[Route[T], ...]:
    """One :class:`Route` per path of ``spec``, each operation made by ``compile_operation``
    (given the Path Item and the Operation)."""
    routes: list[Route[T]] = []
    for pattern, path_item in (spec.get("paths") or {}).items():
        if not isinstance(path_item, Mapping):
            continue
        regex, groups = _template(str(pattern))
        operations = {
            method: compile_operation(path_item, path_item[method])
            for method in HTTP_METHODS
            if isinstance(path_item.get(method), Mapping)
        }
        routes.append(
            Route(pattern=str(pattern), regex=regex, groups=groups, operations=operations)
        )
    return tuple(routes)
