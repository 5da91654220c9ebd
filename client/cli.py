"""``freepik-music``: generate tracks, check tasks and verify webhook deliveries from a shell.

Every API command takes ``--base-url``, ``--api-key`` (or ``FREEPIK_API_BASE_URL``,
``FREEPIK_API_KEY``), ``--timeout``, ``--max-retries``, ``--quiet`` and ``--json``, after its name
or before it (``freepik-music --base-url URL list``); given in both places, the value after the
name wins. Each retry is a line on stderr (unless ``--quiet``). Errors are one line on stderr (a
JSON object with ``--json``) with an exit code per kind (see ``_cli_errors.EXIT_CODES``).
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import httpx

from ._base import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    ENV_API_KEY,
    VERSION,
)
from ._cli_errors import EXIT_CODES_HELP, JsonAwareGroup, retry_notice
from ._cli_options import (
    MAX_CONNECT_TIMEOUT,
    Connection,
    api_options,
    from_group,
    group_options,
    handle_errors,
    json_option,
)
from ._cli_support import MANUAL_CLOCK_NOTE, mock_clock_is_manual, read_delivery
from ._retry import RetryEvent
from ._sync import MusicClient
from .models import Task
from .webhooks import DEFAULT_TOLERANCE, verify_webhook

__all__ = ["main"]

#: Builds the client for a command; tests put another one in ``obj`` (``main(obj=factory)``).
#: It is called with ``api_key``, ``base_url``, ``timeout``, ``max_retries`` and ``on_retry``.
ClientFactory = Callable[..., MusicClient]


def _client(connection: Connection) -> MusicClient:
    if not connection.api_key:
        raise click.UsageError(f"no API key: pass --api-key or set {ENV_API_KEY}")
    context = click.get_current_context()
    factory: ClientFactory = context.obj if callable(context.obj) else MusicClient
    seconds = connection.request_timeout
    timeout = httpx.Timeout(seconds, connect=min(seconds, MAX_CONNECT_TIMEOUT))
    on_retry = None
    if not connection.quiet:
        on_retry = functools.partial(_print_retry, as_json=connection.as_json)
    return factory(
        api_key=connection.api_key,
        base_url=connection.base_url,
        timeout=timeout,
        max_retries=connection.max_retries,
        on_retry=on_retry,
    )


def _print_retry(event: RetryEvent, *, as_json: bool) -> None:
    click.echo(retry_notice(event, as_json=as_json), err=True)


def _check_writable(output: Path | None) -> None:
    """Fail before the task is created, and credits spent, if the track could not be saved."""
    if output is not None and str(output) == "-":
        return
    directory = output.parent if output is not None else Path.cwd()
    try:
        # The download is written next to its target and renamed, so the directory must
        # accept a new file; an anonymous temporary file proves it and leaves nothing behind.
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write a file in {str(directory)!r}: {exc.strerror or exc} (nothing was sent)",
            param_hint="'--output' / '-o'",
        ) from None


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))


def _describe_task(task: Task) -> str:
    lines = [f"{task.task_id}  {task.status.value}"]
    lines += [f"  {url}" for url in task.generated]
    return "\n".join(lines)


class _Progress:
    """Prints each status change of a task to stderr, with the seconds since it started.

    ``on_stall`` runs once if the first poll finds the task as it was created (``generate``
    calls this with the created task first), which on a mock may mean a manual clock. With
    ``quiet`` nothing is printed (``on_stall`` still runs).
    """

    def __init__(
        self, *, on_stall: Callable[[], object] | None = None, quiet: bool = False
    ) -> None:
        self._quiet = quiet
        self._started = time.monotonic()
        self._last: str | None = None
        self._updates = 0
        self._on_stall = on_stall

    def __call__(self, task: Task) -> None:
        self._updates += 1
        changed = task.status.value != self._last
        if changed:
            self._last = task.status.value
            elapsed = time.monotonic() - self._started
            if not self._quiet:
                click.echo(f"[{elapsed:5.0f} s] task {task.task_id}: {task.status.value}", err=True)
        if self._updates == 2 and not changed and not task.is_terminal and self._on_stall:
            self._on_stall()


def _note_manual_clock(music: MusicClient) -> None:
    """Say so when the mock's clock is manual: else ``generate`` would wait until it times out."""
    if mock_clock_is_manual(music._http, music.base_url):
        click.echo(MANUAL_CLOCK_NOTE, err=True)


@click.group(
    cls=JsonAwareGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(VERSION, prog_name="freepik-music")
@group_options
def main(**_options: Any) -> None:
    """Generate music with the Freepik music-generation API, or with its mock.

    The connection options and --json go before the command or after it (after it wins):

    \b
        freepik-music --base-url http://127.0.0.1:8080 list
    """


@main.command()
@click.argument("prompt")
@click.option(
    "--length",
    "-l",
    "length",
    type=click.IntRange(10, 240),
    default=30,
    show_default=True,
    help="Track length in seconds (10-240).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Where to write the MP3 ('-' for stdout). Default: TASK_ID.mp3.",
)
@click.option("--webhook-url", help="URL the API notifies on every status change.")
@click.option(
    "--wait-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Stop waiting for the track after this long (the task goes on: see 'status').",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_POLL_INTERVAL,
    show_default=True,
    metavar="SECONDS",
    help="Wait before the first status check; later checks are spaced out up to "
    f"{DEFAULT_MAX_POLL_INTERVAL:g} s.",
)
@api_options
@handle_errors
def generate(
    prompt: str,
    length: int,
    output: Path | None,
    webhook_url: str | None,
    wait_timeout: float,
    poll_interval: float,
    connection: Connection,
) -> None:
    """Generate a track from PROMPT, wait for it and download it.

    Progress goes to stderr; the path written goes to stdout. The output's directory is
    checked before the task is created.
    """
    _check_writable(output)
    as_json = connection.as_json
    with _client(connection) as music:
        task = music.generate(
            prompt,
            length,
            webhook_url=webhook_url,
            timeout=wait_timeout,
            poll_interval=poll_interval,
            on_update=_Progress(
                on_stall=functools.partial(_note_manual_clock, music), quiet=connection.quiet
            ),
        )
        if output is not None and str(output) == "-":
            written = music.download(task, sys.stdout.buffer)
            if as_json:
                click.echo(json.dumps({**task.to_dict(), "path": "-", "bytes": written}), err=True)
            return
        path = music.download(task, output or Path(f"{task.task_id}.mp3"))
    if as_json:
        _echo_json({**task.to_dict(), "path": str(path), "bytes": path.stat().st_size})
    else:
        click.echo(str(path))


@main.command()
@click.argument("task_id")
@api_options
@handle_errors
def status(task_id: str, connection: Connection) -> None:
    """Show the status and result URLs of task TASK_ID."""
    as_json = connection.as_json
    with _client(connection) as music:
        task = music.get(task_id)
    if as_json:
        _echo_json(task.to_dict())
    else:
        click.echo(_describe_task(task))


@main.command(name="list")
@api_options
@handle_errors
def list_tasks(connection: Connection) -> None:
    """List every task of the API key."""
    as_json = connection.as_json
    with _client(connection) as music:
        tasks = music.list()
    if as_json:
        _echo_json([task.to_dict() for task in tasks])
    elif not tasks:
        click.echo("No tasks.", err=True)
    else:
        for task in tasks:
            click.echo(_describe_task(task))


@main.command(name="verify-webhook")
@click.argument("delivery", type=click.File("rb"))
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    required=True,
    envvar="FREEPIK_WEBHOOK_SECRET",
    help="Webhook secret (repeatable; env FREEPIK_WEBHOOK_SECRET, space-separated).",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=float(DEFAULT_TOLERANCE),
    show_default=True,
    help="Seconds the delivery's timestamp may be away from now.",
)
@click.option(
    "--ignore-timestamp",
    is_flag=True,
    help="Skip the timestamp check (for deliveries saved a while ago).",
)
@json_option
@from_group
@handle_errors
def verify_webhook_command(
    delivery: Any, secrets: tuple[str, ...], tolerance: float, ignore_timestamp: bool, as_json: bool
) -> None:
    """Verify a saved webhook DELIVERY ('-' for stdin).

    The file is either the raw HTTP request (headers, a blank line, the body) or JSON
    {"headers": {...}, "body": "<raw body>"}.
    """
    body, headers = read_delivery(delivery.read())
    event = verify_webhook(
        body, headers, secrets, tolerance=None if ignore_timestamp else tolerance
    )
    if as_json:
        _echo_json(
            {
                "webhook_id": event.webhook_id,
                "timestamp": event.timestamp,
                "task": event.task.to_dict(),
            }
        )
    else:
        click.echo(
            f"Verified: webhook {event.webhook_id}, task {event.task.task_id} "
            f"is {event.task.status.value}"
        )
