"""``freepik-mock serve``: the mock behind a production WSGI server (waitress)."""

from __future__ import annotations

import ipaddress
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

import click

from ..core import ControlInputError, MockConfig
from ..core.scenarios import parse_rule
from .options import CommaSeparated, load_scenarios_file

__all__ = ["build_config", "is_loopback_host", "serve"]

_COMMA = CommaSeparated()
_F = TypeVar("_F", bound=Callable[..., Any])


def is_loopback_host(host: str) -> bool:
    """Whether binding to ``host`` keeps the server reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def build_config(options: dict[str, Any]) -> MockConfig:
    """The MockConfig for the parsed ``serve`` options (a clear usage error when they clash)."""
    scenarios = load_scenarios_file(options["scenarios"]) if options["scenarios"] else ()
    for number, rule in enumerate(scenarios, start=1):
        try:
            parse_rule(rule, rule_id=f"scn_{number}")
        except ControlInputError as exc:
            raise click.BadParameter(
                f"rule {number} in {options['scenarios']}: {exc.message}",
                param_hint="'--scenarios'",
            ) from None
    if not is_loopback_host(options["host"]) and not options["admin_token"]:
        raise click.UsageError(
            f"--host {options['host']} is reachable from other machines: "
            "set --admin-token to protect the control API (/_mock)"
        )
    try:
        return MockConfig(
            api_keys=tuple(options["api_key"]),
            clock=options["clock"],
            speed=options["speed"],
            created_seconds=options["created_seconds"],
            processing_seconds=options["processing_seconds"],
            realistic=options["realistic"],
            seed=options["seed"],
            public_url=options["public_url"],
            webhook_secrets=tuple(options["webhook_secret"]),
            webhook_allow=tuple(options["webhook_allow"]) or ("loopback",),
            webhook_on_created=options["webhook_on_created"],
            webhook_timeout=options["webhook_timeout"],
            webhook_max_retries=options["webhook_retries"],
            webhook_initial_backoff=options["webhook_backoff"],
            chaos_duplicate=options["chaos_duplicate"],
            chaos_out_of_order=options["chaos_out_of_order"],
            scenarios=scenarios,
            admin_token=options["admin_token"],
            journal_size=options["journal_size"],
        )
    except (ValueError, ControlInputError) as exc:
        raise click.UsageError(str(exc)) from None


def _opt(*decls: str, **kwargs: Any) -> Callable[[_F], _F]:
    """A serve flag that also reads ``FREEPIK_MOCK_<FLAG>``."""
    name = decls[0].split("/")[0].lstrip("-").replace("-", "_").upper()
    kwargs.setdefault("show_default", True)
    return click.option(*decls, envvar=f"FREEPIK_MOCK_{name}", **kwargs)


@click.command()
@_opt("--host", default="127.0.0.1", help="Address to listen on.")
@_opt("--port", default=8080, type=click.IntRange(0, 65535), help="Port (0 picks a free one).")
@_opt("--api-key", multiple=True, type=_COMMA, help="An accepted key (repeatable). None: any.")
@_opt("--clock", type=click.Choice(["real", "manual"]), default="real", help="Mock time source.")
@_opt("--speed", type=click.FloatRange(min=0, min_open=True), default=1.0, help="Real clock rate.")
@_opt("--created-seconds", type=click.FloatRange(min=0), default=1.0, help="Time in CREATED.")
@_opt("--processing-seconds", type=click.FloatRange(min=0), default=4.0, help="In IN_PROGRESS.")
@_opt("--realistic", is_flag=True, help="Use the vendor's 30-90 s, growing with the length.")
@_opt("--seed", type=int, default=None, help="Reproducible task ids and audio.")
@_opt("--public-url", default=None, help="Base of result URLs (behind Docker or a proxy).")
@_opt("--webhook-secret", multiple=True, type=_COMMA, help="Signing secret (repeat to rotate).")
@_opt("--webhook-allow", multiple=True, type=_COMMA, help="Allowed HOST|CIDR|loopback targets.")
@_opt(
    "--webhook-on-created/--no-webhook-on-created", default=True, help="Send the CREATED message."
)
@_opt("--webhook-timeout", type=click.FloatRange(min=0), default=10.0, help="Per attempt, s.")
@_opt("--webhook-retries", type=click.IntRange(min=0), default=5, help="Retries per message.")
@_opt("--webhook-backoff", type=click.FloatRange(min=0), default=1.0, help="First retry delay.")
@_opt("--chaos-duplicate", is_flag=True, help="Chaos: send every webhook message twice.")
@_opt("--chaos-out-of-order", is_flag=True, help="Chaos: deliver a task's messages out of order.")
@_opt("--scenarios", type=click.Path(exists=True, dir_okay=False), help="Rules file (JSON/YAML).")
@_opt("--admin-token", default=None, help="Bearer token for /_mock (required off loopback).")
@_opt("--journal-size", type=click.IntRange(min=1), default=1000, help="Requests remembered.")
@_opt("--threads", type=click.IntRange(min=1), default=8, help="WSGI worker threads.")
def serve(**options: Any) -> None:
    """Serve the mock API on HOST:PORT until Ctrl-C or SIGTERM."""
    config = build_config(options)
    # Imported here so that `freepik-mock --help` stays instant.
    from waitress.server import create_server

    from ..web import close_app, create_app

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    app = create_app(config)
    try:
        server = create_server(
            app, host=options["host"], port=options["port"], threads=options["threads"], ident=None
        )
        try:
            _print_banner(config, host=options["host"], port=server.effective_port)
            server.run()
        finally:
            server.close()
    except KeyboardInterrupt:
        pass
    finally:
        close_app(app)
        click.echo("freepik-mock stopped")


def _print_banner(config: MockConfig, *, host: str, port: int) -> None:
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}"
    keys = ", ".join(config.api_keys) if config.api_keys else "any non-empty key"
    speed = f" (x{config.speed})" if config.clock == "real" else ""
    click.echo(f"freepik-mock listening on {url}")
    click.echo(f"  API keys:        {keys}")
    click.echo(f"  webhook secret:  {' '.join(config.effective_webhook_secrets)}")
    click.echo(f"  clock:           {config.clock}{speed}")
    click.echo(f"  control API:     {url}/_mock/health")
    sys.stdout.flush()
