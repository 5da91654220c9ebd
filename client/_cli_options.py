"""The click plumbing the commands share: the connection options, on the group and on each API
command (handed to the command as one ``Connection``), and turning whatever a command raises
into one line and the exit code of its kind (see ``_cli_errors``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import click
from click.core import ParameterSource

from ._base import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, ENV_API_KEY, ENV_BASE_URL
from ._cli_errors import cli_error

__all__ = [
    "DEFAULT_REQUEST_TIMEOUT",
    "GROUP_OPTIONS",
    "MAX_CONNECT_TIMEOUT",
    "Connection",
    "api_options",
    "from_group",
    "group_options",
    "handle_errors",
    "json_option",
    "quiet_option",
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
        quiet_option,
        json_option,
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


@dataclass(frozen=True, kw_only=True)
class Connection:
    """What an API command was told about the API and its output, from ``api_options``."""

    base_url: str
    api_key: str | None
    request_timeout: float
    max_retries: int
    quiet: bool
    as_json: bool


def api_options(command: F) -> F:
    """``--base-url``, ``--api-key``, ``--timeout``, ``--max-retries``, ``--quiet``, ``--json``.

    The command gets them as one argument, ``connection`` (a :class:`Connection`).
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = {name: kwargs.pop(name) for name in GROUP_OPTIONS}
        return command(*args, connection=Connection(**options), **kwargs)

    return _connection_options(from_group(cast(F, wrapper)), group=False)


def group_options(command: F) -> F:
    """The same options on the group, for ``freepik-music --base-url URL list``."""
    return _connection_options(command, group=True)


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print machine-readable JSON (errors and retry notices too: JSON lines on stderr).",
)
quiet_option = click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No retry notices or progress lines on stderr (errors are still shown).",
)

#: The group's options, by parameter name, as typed (for messages).
GROUP_OPTIONS = {
    "base_url": "--base-url",
    "api_key": "--api-key",
    "request_timeout": "--timeout",
    "max_retries": "--max-retries",
    "quiet": "--quiet",
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
    """Turn whatever the command raises into one line on stderr and the exit code of its kind.

    Click's own exceptions (usage errors, ``--help``, Ctrl-C) go on to click; everything else,
    a bug included, is one ``Error:`` line (a JSON object with ``--json``), never a traceback.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            connection = kwargs.get("connection")
            as_json = (
                connection.as_json if isinstance(connection, Connection) else kwargs["as_json"]
            )
            raise cli_error(exc, as_json=bool(as_json)) from None

    return wrapper  # type: ignore[return-value]
