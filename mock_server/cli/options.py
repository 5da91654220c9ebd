"""Option types shared by the commands: every flag is also a ``FREEPIK_MOCK_*`` variable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

__all__ = ["CommaSeparated", "load_scenarios_file"]


class CommaSeparated(click.types.StringParamType):
    """A repeatable string flag whose environment variable holds a comma-separated list."""

    name = "text"
    envvar_list_splitter = ","

    def split_envvar_value(self, rv: str) -> list[str]:
        return [item.strip() for item in rv.split(",") if item.strip()]


def load_scenarios_file(path: str) -> tuple[dict[str, Any], ...]:
    """Scenario rules from a JSON or YAML file: a list of rules, or ``{"scenarios": [...]}``."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.BadParameter(f"{path} is not valid JSON/YAML: {exc}") from None
    if isinstance(data, dict) and "scenarios" in data:
        data = data["scenarios"]
    if not isinstance(data, list) or not all(isinstance(rule, dict) for rule in data):
        raise click.BadParameter(f"{path} must hold a list of scenario rules (JSON objects)")
    return tuple(data)
