"""Option types shared by the commands: every flag is also a ``FREEPIK_MOCK_*`` variable."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

__all__ = [
    "CommaSeparated",
    "FiniteFloatRange",
    "HttpUrl",
    "NonEmpty",
    "http_url_problem",
    "load_scenarios_file",
    "read_text_file",
]


class NonEmpty(click.types.StringParamType):
    """A string that must not be empty or blank (``--api-key ""`` is a mistake, not a key)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = super().convert(value, param, ctx)
        if not text.strip():
            self.fail("must not be empty", param, ctx)
        return text


class CommaSeparated(NonEmpty):
    """A repeatable string flag whose environment variable holds a comma-separated list."""

    envvar_list_splitter = ","

    def split_envvar_value(self, rv: str) -> list[str]:
        return [item.strip() for item in rv.split(",") if item.strip()]


class FiniteFloatRange(click.FloatRange):
    """A ``FloatRange`` that also refuses ``nan`` and ``inf``, which no range check catches."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def http_url_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) base URL (``None`` when it is one)."""
    if any(char.isspace() for char in url):
        return "it contains white space"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError as exc:
        return str(exc)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "it must start with http:// or https:// and name a host"
    if not parts.hostname:
        return "it names no host"
    if parts.query or parts.fragment:
        return "a base URL has no query (?) or fragment (#)"
    return None


class HttpUrl(click.types.StringParamType):
    """An absolute http(s) URL such as ``http://127.0.0.1:8080`` (a path is allowed)."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = super().convert(value, param, ctx)
        problem = http_url_problem(text)
        if problem is not None:
            self.fail(f"{text!r} is not an absolute http(s) URL: {problem}", param, ctx)
        return text


def read_text_file(path: str) -> str:
    """The UTF-8 text of a file named by a flag (a usage error when it cannot be read)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.BadParameter(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise click.BadParameter(f"{path} cannot be read: {exc.strerror or exc}") from None


def load_scenarios_file(path: str) -> tuple[dict[str, Any], ...]:
    """Scenario rules from a JSON or YAML file: a list of rules, or ``{"scenarios": [...]}``."""
    import yaml

    text = read_text_file(path)
    try:
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.BadParameter(f"{path} is not valid JSON/YAML: {exc}") from None
    if isinstance(data, dict) and ("scenarios" in data or "faults" in data):
        unknown = [str(key) for key in data if key != "scenarios"]
        if unknown:
            hint = (
                " (faults are loaded with --config FILE)"
                if "faults" in unknown
                else " (the only key allowed is 'scenarios')"
            )
            raise click.BadParameter(f"{path}: unknown key '{unknown[0]}'{hint}")
        data = data.get("scenarios")
    if not isinstance(data, list) or not all(isinstance(rule, dict) for rule in data):
        raise click.BadParameter(f"{path} must hold a list of scenario rules (JSON objects)")
    return tuple(data)
