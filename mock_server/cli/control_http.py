"""Talking to a running mock over HTTP: the shared options, the connection and the error mapping.

Every command that drives a running mock (``clock``, ``tasks``, ``scenarios``, ``webhook`` ...)
takes ``--mock-url`` (``FREEPIK_MOCK_URL``), ``--admin-token`` (``FREEPIK_MOCK_ADMIN_TOKEN``) and
``--json``, and calls the control API through :class:`MockConnection`. Whatever goes wrong is one
:class:`ControlError`: one line on stderr (a JSON object with ``--json``) and an exit code per
kind of failure (see :data:`EXIT_CODES`), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..._cli_errors import JsonUsageErrors, OneLineError
from .options import HttpUrl, NonEmpty

if TYPE_CHECKING:
    import httpx

__all__ = [
    "EXIT_CODES",
    "ControlCommand",
    "ControlError",
    "ControlGroup",
    "DefaultGroup",
    "MockConnection",
    "connection_options",
    "echo_answer",
    "expect_list",
    "expect_object",
    "path_segment",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The exit code of each kind of failure (0 is success, 2 a usage error reported by click).
EXIT_CODES: Mapping[str, int] = {
    "error": 1,  # the mock failed (5xx), something else answers at --mock-url, not delivered
    "usage": 2,  # a bad flag or argument (click's usage errors)
    "refused": 3,  # the mock refused the request: its validation (400) or the task's state (409)
    "unauthorized": 4,  # the admin token is missing or wrong (401/403)
    "not_found": 5,  # no such task, rule or message (404)
    "unreachable": 6,  # nothing answers at --mock-url (connection refused, timeout, DNS)
}

_MAX_SHOWN = 200
_NOT_JSON = object()


class ControlError(OneLineError):
    """A failure of a control command: one line on stderr, and the exit code of its ``kind``."""

    exit_codes = EXIT_CODES


def _kind_of(status: int) -> str:
    if status in (401, 403):
        return "unauthorized"
    if status == 404:
        return "not_found"
    if 400 <= status < 500:
        return "refused"
    return "error"


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


class MockConnection:
    """An HTTP client for one running mock; :meth:`call` answers the JSON or raises ControlError.

    Use it as a context manager: ``with MockConnection(...) as mock: mock.call("GET", "/clock")``
    (paths are relative to ``/_mock``).
    """

    def __init__(
        self,
        *,
        mock_url: str,
        admin_token: str | None,
        as_json: bool = False,
        timeout: float | None = 10.0,
    ) -> None:
        import httpx

        self.as_json = as_json
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        try:
            self.client = httpx.Client(
                base_url=mock_url.rstrip("/"), headers=headers, timeout=timeout
            )
        except (httpx.InvalidURL, ValueError) as exc:
            raise click.BadParameter(str(exc), param_hint="'--mock-url'") from None

    def __enter__(self) -> MockConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.client.close()

    def error(self, message: str, *, kind: str = "error") -> ControlError:
        """A ControlError shown the way this command's output is (``--json`` or not)."""
        return ControlError(message, kind=kind, as_json=self.as_json)

    def not_the_mock(self, what: str) -> ControlError:
        """The answer to ``what`` has not the shape of freepik-mock's."""
        return self.error(
            f"{self.client.base_url} answered {what} with something that is not freepik-mock's; "
            "is --mock-url the mock's base URL?"
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """``method /_mock{path}``: the JSON answer (``None`` for 204 No Content)."""
        import httpx

        try:
            response = self.client.request(method, f"/_mock{path}", **kwargs)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self.error(
                f"cannot reach the mock at {self.client.base_url}: {exc or type(exc).__name__}",
                kind="unreachable",
            ) from None
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = _NOT_JSON
        if response.status_code >= 400:
            kind = "error" if body is _NOT_JSON else _kind_of(response.status_code)
            raise self.error(self._refusal(response, body), kind=kind)
        if body is _NOT_JSON:
            raise self.not_the_mock(f"{method} /_mock{path}")
        return body

    @staticmethod
    def _refusal(response: httpx.Response, body: Any) -> str:
        """One line saying what the mock answered, with its whole message when it sent one."""
        import httpx

        phrase = httpx.codes.get_reason_phrase(response.status_code)
        head = f"the mock answered HTTP {response.status_code} {phrase}".rstrip()
        if body is _NOT_JSON:
            text = _clip(" ".join(response.text.split()))
            return f"{head}{f': {text}' if text else ''} (not JSON: is --mock-url the mock's URL?)"
        message = body.get("message") if isinstance(body, Mapping) else None
        hint = ""
        if response.status_code in (401, 403):
            hint = " (pass --admin-token, or set FREEPIK_MOCK_ADMIN_TOKEN)"
        if isinstance(message, str) and message.strip():
            return f"{head}: {message}{hint}"
        return f"{head}{hint}"


def path_segment(value: str) -> str:
    """An id as one URL path segment (``/`` and the like percent-encoded)."""
    from urllib.parse import quote

    return quote(value, safe="")


def expect_object(mock: MockConnection, answer: Any, what: str, *fields: str) -> dict[str, Any]:
    """``answer`` as a JSON object holding ``fields``, else the not-the-mock error."""
    if not isinstance(answer, dict) or not all(name in answer for name in fields):
        raise mock.not_the_mock(what)
    return answer


def expect_list(mock: MockConnection, answer: Any, what: str, *fields: str) -> list[dict[str, Any]]:
    """The ``data`` list of a list answer, each item an object holding ``fields``."""
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list):
        raise mock.not_the_mock(what)
    return [expect_object(mock, item, what, *fields) for item in data]


def echo_answer(answer: Any, *, as_json: bool, human: Callable[[], str | None]) -> None:
    """Print the control API's JSON (``--json``; nothing for 204) or the human text."""
    if as_json:
        if answer is not None:
            click.echo(json.dumps(answer, indent=2))
        return
    text = human()
    if text:
        click.echo(text)


_mock_url = click.option(
    "--mock-url",
    envvar="FREEPIK_MOCK_URL",
    show_envvar=True,
    type=HttpUrl(),
    default="http://127.0.0.1:8080",
    show_default=True,
    help="Base URL of the running mock.",
)
_admin_token = click.option(
    "--admin-token",
    envvar="FREEPIK_MOCK_ADMIN_TOKEN",
    show_envvar=True,
    type=NonEmpty(),
    default=None,
    help="Bearer token, if the mock was started with --admin-token.",
)
_json = click.option(
    "--json", "as_json", is_flag=True, help="Print the control API's JSON (errors too)."
)


class ControlCommand(JsonUsageErrors):
    """A command whose usage errors are JSON too when ``--json`` is among its arguments."""

    usage_error = ControlError


class ControlGroup(click.Group):
    """A group whose commands are :class:`ControlCommand`\\ s."""

    command_class = ControlCommand


def connection_options(function: F) -> F:
    """Add ``--mock-url``, ``--admin-token`` and ``--json`` to a command."""
    return _mock_url(_admin_token(_json(function)))


class DefaultGroup(ControlGroup):
    """A group that runs ``default`` when no subcommand is named (``clock`` is ``clock show``).

    With ``id_command``, a first argument that is no subcommand's name is an id for that command
    (``tasks ID`` is ``tasks show ID``).
    """

    def __init__(
        self, *args: Any, default: str = "list", id_command: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.default = default
        self.id_command = id_command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Put the default (or id) command in front when no subcommand is named."""
        first = args[0] if args else None
        if first is None or (first not in self.commands and first not in ctx.help_option_names):
            named = first is not None and not first.startswith("-")
            command = self.id_command if named and self.id_command else self.default
            args = [command, *args]
        return super().parse_args(ctx, args)
