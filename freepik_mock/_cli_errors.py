"""What both command lines (``freepik-mock`` and ``freepik-music``) share about errors.

An error is one line on stderr and exits with the code of its kind; with ``--json`` it is one JSON
object instead, and so is a usage error. Each CLI names its kinds and codes; the mechanism is here
so that the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any, ClassVar

import click

__all__ = ["JsonUsageErrors", "OneLineError"]


class OneLineError(click.ClickException):
    """A failure: ``Error: message`` on one line, or ``{"error", "kind", **fields}`` with
    ``--json``; it exits with ``exit_codes[kind]`` (a subclass sets the mapping)."""

    exit_codes: ClassVar[Mapping[str, int]] = {}

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        as_json: bool = False,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever the other side sent
        self.kind = kind
        self.as_json = as_json
        self.fields = dict(fields or {})
        # click exits with the instance's ``exit_code`` (a class variable in its stubs).
        setattr(self, "exit_code", self.exit_codes[kind])  # noqa: B010

    def show(self, file: IO[Any] | None = None) -> None:
        """``Error: message``, or ``{"error": message, "kind": kind, ...}`` with ``--json``."""
        if not self.as_json:
            click.echo(f"Error: {self.format_message()}", file=file, err=file is None)
            return
        line = json.dumps({"error": self.format_message(), "kind": self.kind, **self.fields})
        click.echo(line, file=file, err=file is None)


class JsonUsageErrors(click.Command):
    """A command (or, mixed in first, a group) whose usage errors are one JSON line when
    ``--json`` is among its arguments; without it they are click's, with the ``Usage:`` hint.

    ``usage_error`` is the error class to raise (its ``usage`` kind must exit 2).
    """

    usage_error: ClassVar[type[OneLineError]]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Note ``--json`` among the arguments first, so that a usage error can honour it."""
        options = args[: args.index("--")] if "--" in args else args
        ctx.meta[_JSON_META] = "--json" in options
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise self._usage_error(ctx, exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a usage error while running it honours ``--json`` too."""
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise self._usage_error(ctx, exc) from None

    def _usage_error(self, ctx: click.Context, exc: click.UsageError) -> click.ClickException:
        if not ctx.meta.get(_JSON_META):
            return exc
        return self.usage_error(exc.format_message(), kind="usage", as_json=True)


_JSON_META = "freepik_mock.json"
