"""The click plumbing the commands share: the connection options, on the group and on each API
command, and turning the client's errors into one line and an exit status."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from ._base import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, ENV_API_KEY, ENV_BASE_URL
from ._cli_support import describe_error
from .errors import MusicAPIError

__all__ = [
    "DEFAULT_REQUEST_TIMEOUT",
    "GROUP_OPTIONS",
    "MAX_CONNECT_TIMEOUT",
    "api_options",
    "from_group",
    "group_options",
    "handle_errors",
    "json_option",
]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_REQUEST_TIMEOUT = 30.0
#: Connecting never waits longer than this, whatever ``--timeout`` says.
MAX_CONNECT_TIMEOUT = 10.0


def _connection_options(command: F, *, group: bool) -> F:
    """Adds the connection options and ``--json``: a command's, or the group's (``group=True``).

    The group's have no defaults and read no environment: a command takes a group value only
    when it was typed (see ``from_group``), so the environment and defaults stay the command's.
    """

    def settings(default: Any, envvar: str | None = None) -> dict[str, Any]:
        if group:
            return {}
        return {"default": default, "envvar": envvar, "show_default": default is not None}

    decorators = [
        click.option(
            "--base-url",
            **settings(DEFAULT_BASE_URL, ENV_BASE_URL),
            help=f"API base URL (env {ENV_BASE_URL}), e.g. a mock at http://127.0.0.1:8080.",
        ),
        click.option(
            "--api-key", **settings(None, ENV_API_KEY), help=f"API key (env {ENV_API_KEY})."
        ),
        click.option(
            "--timeout",
            "request_timeout",
            type=click.FloatRange(min=0, min_open=True),
            **settings(DEFAULT_REQUEST_TIMEOUT),
            metavar="SECONDS",
            help="Give up on one HTTP request after this long without progress "
            f"(connecting: at most {MAX_CONNECT_TIMEOUT:g} s).",
        ),
        click.option(
            "--max-retries",
            type=click.IntRange(min=0),
            **settings(DEFAULT_MAX_RETRIES),
            help="Retries of a request after a 429, a 503, a connection error and, for reads, "
            "a 500 or a timeout (0: none).",
        ),
        json_option,
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def api_options(command: F) -> F:
    """``--base-url``, ``--api-key``, ``--timeout``, ``--max-retries`` and ``--json``."""
    return _connection_options(from_group(command), group=False)


def group_options(command: F) -> F:
    """The same options on the group, for ``freepik-music --base-url URL list``."""
    return _connection_options(command, group=True)


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")

#: The group's options, by parameter name, as typed (for messages).
GROUP_OPTIONS = {
    "base_url": "--base-url",
    "api_key": "--api-key",
    "request_timeout": "--timeout",
    "max_retries": "--max-retries",
    "as_json": "--json",
}


def from_group(command: F) -> F:
    """Let the command take the options typed before its name, unless typed after it too.

    An option typed after the name wins; one typed before it wins over the environment and the
    defaults. An option the command does not have is a usage error rather than ignored.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        context = click.get_current_context()
        parent = context.parent
        for name, flag in GROUP_OPTIONS.items():
            if (
                parent is None
                or parent.get_parameter_source(name) is not ParameterSource.COMMANDLINE
            ):
                continue
            if name not in kwargs:
                raise click.UsageError(
                    f"{flag} does not apply to '{context.info_name}'", ctx=context
                )
            if context.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
                kwargs[name] = parent.params[name]
        return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def handle_errors(command: F) -> F:
    """Turn the client's errors into one clear line on stderr and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except MusicAPIError as exc:
            # One line, even when the API's message has line breaks in it.
            click.echo("Error: " + " ".join(describe_error(exc).split()), err=True)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            click.echo(f"Error: cannot use{where}: {exc.strerror or exc}", err=True)
        raise SystemExit(1)

    return wrapper  # type: ignore[return-value]
