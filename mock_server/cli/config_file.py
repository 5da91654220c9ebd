"""``freepik-mock serve --config FILE``: every serve setting, and the rules, from one file.

The file is YAML, TOML or JSON (by its extension; anything else is read as YAML, which JSON also
is) and holds one mapping. Its keys are the serve flags without the dashes (``port``,
``api_key`` or ``api-key``, ``clock``, ``webhook_secret``...) plus two lists of rules:
``scenarios`` (as ``POST /_mock/scenarios`` takes them, or the path of a scenarios file) and
``faults`` (as ``POST /_mock/faults`` takes them). A key that is none of these is refused with a
message naming it, so a typo (``fautls:``) cannot start a mock that silently lacks its rules.

The file's settings become the flags' defaults (click's ``default_map``): a flag on the command
line, or its ``FREEPIK_MOCK_*`` variable, overrides the file.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .options import read_text_file

__all__ = ["RULES_META_KEY", "ConfigFile", "load_config_file", "use_config_file"]

#: Where the ``--config`` callback leaves the file's rules for the command (``ctx.meta``).
RULES_META_KEY = "freepik_mock.config_file"

_RULE_LISTS = ("scenarios", "faults")


@dataclass(frozen=True, kw_only=True)
class ConfigFile:
    """What a config file gave besides flag defaults: its path and its rule lists."""

    path: str
    scenarios: tuple[dict[str, Any], ...] = ()
    faults: tuple[dict[str, Any], ...] = ()


def _parse(path: str) -> Any:
    import yaml

    text = read_text_file(path)
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        kind = {".toml": "TOML", ".json": "JSON"}.get(suffix, "YAML")
        raise click.BadParameter(f"{path} is not valid {kind}: {exc}") from None


def _rule_list(value: Any, *, name: str, path: str) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not all(isinstance(rule, dict) for rule in value):
        raise click.BadParameter(f"{path}: '{name}' must be a list of rules (objects)")
    return tuple(value)


def load_config_file(
    path: str, *, settings: Mapping[str, click.Parameter], ctx: click.Context
) -> tuple[dict[str, Any], ConfigFile]:
    """The flag defaults and the rules in ``path``; every key and value checked.

    ``settings`` maps each flag's name (``api_key``) to its click parameter; a value is checked
    with that parameter's own type, so the file and the flag accept the same things.
    """
    data = _parse(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise click.BadParameter(f"{path} must hold a mapping of settings (key: value)")
    defaults: dict[str, Any] = {}
    rules: dict[str, tuple[dict[str, Any], ...]] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key in _RULE_LISTS and not (key == "scenarios" and isinstance(value, str)):
            rules[key] = _rule_list(value, name=key, path=path)
            continue
        param = settings.get(key)
        if param is None:
            known = sorted({*settings, *_RULE_LISTS})
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise click.BadParameter(f"{path}: unknown setting '{raw_key}'{hint}")
        if key == "scenarios":
            # A scenarios file named in the config file is found next to it.
            value = str(Path(path).parent / value)
        if param.multiple and not isinstance(value, list):
            value = [value]
        try:
            param.type_cast_value(ctx, value)
        except click.BadParameter as exc:
            raise click.BadParameter(f"{path}: '{raw_key}': {exc.message}") from None
        defaults[param.name or key] = value
    return defaults, ConfigFile(path=path, **rules)


def use_config_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The ``--config`` callback (eager): the file's settings become the other flags' defaults."""
    if value is None:
        return None
    settings = {
        other.name: other
        for other in ctx.command.params
        if other.name and other.expose_value and isinstance(other, click.Option)
    }
    defaults, config_file = load_config_file(value, settings=settings, ctx=ctx)
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    ctx.meta[RULES_META_KEY] = config_file
    return value
