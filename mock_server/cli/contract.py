"""``freepik-mock contract``: check any server, the real API included, for drift. No credits spent.

``freepik-mock contract --base-url https://api.freepik.com --api-key KEY`` sends a fixed set of
requests that cannot create a task (a list, requests without a key or with an invalid one, a get
of an unknown task, creates with invalid bodies), checks each answer against the mock's extended
spec and against the mock's own answer, and prints a table of where they differ.

The options name the *target* API, not the mock, so their environment variables are the ones the
client CLI (``freepik-music``) reads, ``FREEPIK_API_BASE_URL`` and ``FREEPIK_API_KEY``, rather than
``FREEPIK_MOCK_*`` (which configure the mock itself): set once, they serve both commands.
"""

from __future__ import annotations

import click

__all__ = ["contract"]


@click.command(short_help="Check any server, the real API included, for drift (no credits).")
@click.option(
    "--base-url",
    envvar="FREEPIK_API_BASE_URL",
    show_envvar=True,
    required=True,
    help="The server to check, e.g. https://api.freepik.com or a running mock's URL.",
)
@click.option(
    "--api-key",
    envvar="FREEPIK_API_KEY",
    show_envvar=True,
    required=True,
    help="A key the server accepts; it is only used for calls that cost nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@click.pass_context
def contract(
    ctx: click.Context, *, base_url: str, api_key: str, as_json: bool, timeout: float
) -> None:
    """Compare a server's answers with the spec and the mock, spending no credits.

    Only calls that cannot create a task are sent: list, get of an unknown task, and requests
    with a missing, empty or invalid key or with an invalid body (every create lacks a required
    field, so the API must refuse it). Redirects are not followed.

    Exit code: 0 no differences, 1 differences found, 2 the server could not be reached,
    3 the server refused the API key (its differences are then not drift).
    """
    # Imported here: the server package must not import the contract kit when it is imported.
    from freepik_mock.server.drift import render_json, render_table, run_drift

    try:
        report = run_drift(base_url=base_url, api_key=api_key, timeout=timeout)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(render_json(report) if as_json else render_table(report))
    ctx.exit(report.exit_code)
