"""``freepik-mock serve``: the mock behind a production HTTP server (granian, in this process).

Every flag is checked here, before anything starts, so that a bad value is a one-line usage error
(exit 2) rather than a traceback. Flask, granian and the app are imported only once the options
are known to be good, which also keeps ``--help`` instant.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..core import ControlInputError, MockConfig
from ..core.faults import parse_fault
from ..core.scenarios import parse_rule
from ..granian_server import DEFAULT_THREADS
from ..live import check_exposure, is_loopback_host
from .config_file import RULES_META_KEY, ConfigFile, use_config_file
from .options import CommaSeparated, FiniteFloatRange, HttpUrl, NonEmpty, load_scenarios_file
from .signals import stopped_by_signals

__all__ = [
    "MAX_SPEED",
    "MAX_STATUS_SECONDS",
    "MAX_WEBHOOK_SECONDS",
    "banner",
    "build_config",
    "is_loopback_host",
    "serve",
]

#: A real clock beyond this rate makes every lifecycle instantaneous; ``--clock manual`` is the
#: tool for that, and far larger rates overflow the wall time the clock reports.
MAX_SPEED = 10_000.0
#: A day in one status is already far beyond the vendor's 30-90 s.
MAX_STATUS_SECONDS = 86_400.0
#: The longest webhook attempt and first retry delay (later retries are capped at this anyway).
MAX_WEBHOOK_SECONDS = 300.0

_COMMA = CommaSeparated()


class _RetrySchedule(click.ParamType):  # type: ignore[type-arg]
    """``0,5,300,...`` (seconds; a list in a config file), checked as the outbox reads it."""

    name = "SECONDS,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ..webhooks import parse_retry_schedule

        try:
            return parse_retry_schedule(
                value if isinstance(value, str | list | tuple) else str(value)
            )
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


_F = TypeVar("_F", bound=Callable[..., Any])


def _checked_webhook_options(options: dict[str, Any]) -> None:
    """The secrets and allow-list entries as the outbox will read them, checked now."""
    from ..webhooks import AllowList, signing_key

    for secret in options["webhook_secret"]:
        try:
            signing_key(secret)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--webhook-secret'") from None
    try:
        AllowList.parse(options["webhook_allow"])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--webhook-allow'") from None


def _checked_rules(
    options: dict[str, Any], config_file: ConfigFile | None
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """The scenario and fault rules to start with, each checked as the control API would."""
    if options["scenarios"]:
        scenarios, source, hint = (
            load_scenarios_file(options["scenarios"]),
            options["scenarios"],
            "'--scenarios'",
        )
    else:
        scenarios = config_file.scenarios if config_file else ()
        source, hint = (config_file.path if config_file else ""), "'--config'"
    for number, rule in enumerate(scenarios, start=1):
        try:
            parse_rule(rule, rule_id=f"scn_{number}")
        except ControlInputError as exc:
            raise click.BadParameter(
                f"scenario rule {number} in {source}: {exc.message}", param_hint=hint
            ) from None
    faults = config_file.faults if config_file else ()
    for number, rule in enumerate(faults, start=1):
        try:
            parse_fault(rule, rule_id=f"flt_{number}")
        except ControlInputError as exc:
            raise click.BadParameter(
                f"fault rule {number} in {source}: {exc.message}", param_hint="'--config'"
            ) from None
    return scenarios, faults


#: The two ways to set the webhook retry policy: a schedule, or the older exponential backoff.
_SCHEDULE = ("webhook_retry_schedule",)
_BACKOFF = ("webhook_retries", "webhook_backoff")
#: How much a value's origin weighs, as click ranks them: the command line, then the environment,
#: then the config file (``default_map``). Unknown origins (no context) all weigh the same.
_WEIGHT = {
    click.core.ParameterSource.COMMANDLINE: 3,
    click.core.ParameterSource.ENVIRONMENT: 2,
    click.core.ParameterSource.DEFAULT_MAP: 1,
}


def _origin(name: str, *, ctx: click.Context | None, config_file: ConfigFile | None) -> str:
    """Where the value of ``name`` came from, as the user wrote it."""
    source = ctx.get_parameter_source(name) if ctx else None
    flag = "--" + name.replace("_", "-")
    if source is click.core.ParameterSource.ENVIRONMENT:
        return f"FREEPIK_MOCK_{name.upper()}"
    if source is click.core.ParameterSource.DEFAULT_MAP:
        return f"'{name}' in {config_file.path if config_file else 'the config file'}"
    return flag


def _one_retry_policy(
    options: dict[str, Any], *, ctx: click.Context | None, config_file: ConfigFile | None
) -> dict[str, Any]:
    """``options`` with one webhook retry policy: the one set at the higher level wins.

    A schedule on the command line (or in the environment) replaces the backoff of the config
    file, and the other way round, as any flag overrides the file; both kinds set at the same
    level are a usage error naming where each came from.
    """
    levels = {
        name: _WEIGHT.get(ctx.get_parameter_source(name), 3) if ctx else 3  # type: ignore[arg-type]
        for name in (*_SCHEDULE, *_BACKOFF)
        if options[name] is not None
    }
    schedule = max((levels[name] for name in _SCHEDULE if name in levels), default=0)
    backoff = max((levels[name] for name in _BACKOFF if name in levels), default=0)
    if not schedule or not backoff:
        return options
    if schedule == backoff:
        clashing = [
            _origin(name, ctx=ctx, config_file=config_file)
            for name, level in levels.items()
            if level == schedule
        ]
        raise click.UsageError(
            f"{clashing[0]} cannot be combined with {' or '.join(clashing[1:])} (the older "
            "exponential backoff): choose one"
        )
    dropped = _BACKOFF if schedule > backoff else _SCHEDULE
    return {**options, **dict.fromkeys(dropped)}


def build_config(
    options: dict[str, Any],
    *,
    config_file: ConfigFile | None = None,
    ctx: click.Context | None = None,
) -> MockConfig:
    """The MockConfig for the parsed ``serve`` options (a clear usage error when they clash).

    ``config_file`` holds the rules of ``--config FILE``; its settings are already in ``options``.
    ``ctx`` (the command's context) tells where each value came from, so that a flag overrides
    the file's webhook retry policy rather than clashing with it.
    """
    scenarios, faults = _checked_rules(options, config_file)
    try:
        is_loopback_host(options["host"])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--host'") from None
    try:
        check_exposure(
            host=options["host"], admin_token=options["admin_token"], how="--admin-token"
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    _checked_webhook_options(options)
    options = _one_retry_policy(options, ctx=ctx, config_file=config_file)
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
            webhook_retry_schedule=options["webhook_retry_schedule"],
            webhook_max_retries=options["webhook_retries"],
            webhook_initial_backoff=options["webhook_backoff"],
            chaos_duplicate=options["chaos_duplicate"],
            chaos_out_of_order=options["chaos_out_of_order"],
            scenarios=scenarios,
            faults=faults,
            admin_token=options["admin_token"],
            journal_size=options["journal_size"],
            max_tasks=options["max_tasks"],
            request_log="off" if options["quiet"] else options["log_format"],
        )
    except (ValueError, ControlInputError) as exc:
        raise click.UsageError(str(exc)) from None


def _opt(*decls: str, **kwargs: Any) -> Callable[[_F], _F]:
    """A serve flag that also reads ``FREEPIK_MOCK_<FLAG>`` (and says so in ``--help``)."""
    name = decls[0].split("/")[0].lstrip("-").replace("-", "_").upper()
    kwargs.setdefault("show_default", True)
    return click.option(*decls, envvar=f"FREEPIK_MOCK_{name}", show_envvar=True, **kwargs)


def _seconds(maximum: float) -> FiniteFloatRange:
    return FiniteFloatRange(min=0, max=maximum)


@click.command(context_settings={"max_content_width": 100})
@_opt(
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    is_eager=True,
    expose_value=False,
    callback=use_config_file,
    help="Settings file (YAML, TOML or JSON): any flag below, scenarios, faults.",
)
@_opt("--host", default="127.0.0.1", help="Address to listen on.")
@_opt("--port", default=8080, type=click.IntRange(0, 65535), help="Port (0 picks a free one).")
@_opt("--api-key", multiple=True, type=_COMMA, help="An accepted key (repeatable). None: any.")
@_opt("--clock", type=click.Choice(["real", "manual"]), default="real", help="Mock time source.")
@_opt(
    "--speed",
    type=FiniteFloatRange(min=0, min_open=True, max=MAX_SPEED),
    default=1.0,
    help="Real clock rate.",
)
@_opt("--created-seconds", type=_seconds(MAX_STATUS_SECONDS), default=1.0, help="Time in CREATED.")
@_opt(
    "--processing-seconds",
    type=_seconds(MAX_STATUS_SECONDS),
    default=4.0,
    help="Time in IN_PROGRESS.",
)
@_opt("--realistic", is_flag=True, help="Use the vendor's 30-90 s, growing with the length.")
@_opt("--seed", type=int, default=None, help="Reproducible task ids and audio.")
@_opt(
    "--public-url",
    type=HttpUrl(),
    default=None,
    help="Absolute http(s) base of result URLs (behind Docker or a proxy).",
)
@_opt("--webhook-secret", multiple=True, type=_COMMA, help="Signing secret (repeat to rotate).")
@_opt("--webhook-allow", multiple=True, type=_COMMA, help="Allowed HOST|CIDR|loopback targets.")
@_opt(
    "--webhook-on-created/--no-webhook-on-created", default=True, help="Send the CREATED message."
)
@_opt(
    "--webhook-timeout",
    type=FiniteFloatRange(min=0, min_open=True, max=MAX_WEBHOOK_SECONDS),
    default=10.0,
    help="Per attempt, s.",
)
@_opt(
    "--webhook-retry-schedule",
    type=_RetrySchedule(),
    default=None,
    help="Attempt times, s, each after the one before. [default: 0,5,300,1800,7200,18000,36000,"
    "36000]",
)
@_opt(
    "--webhook-retries",
    type=click.IntRange(min=0),
    default=None,
    help="Exponential backoff instead: retries per message. [default: 5]",
)
@_opt(
    "--webhook-backoff",
    type=_seconds(MAX_WEBHOOK_SECONDS),
    default=None,
    help="Exponential backoff instead: first retry delay. [default: 1.0]",
)
@_opt("--chaos-duplicate", is_flag=True, help="Chaos: send every webhook message twice.")
@_opt("--chaos-out-of-order", is_flag=True, help="Chaos: deliver a task's messages out of order.")
@_opt("--scenarios", type=click.Path(exists=True, dir_okay=False), help="Rules file (JSON/YAML).")
@_opt("--admin-token", type=NonEmpty(), help="Bearer token for /_mock (required off loopback).")
@_opt("--journal-size", type=click.IntRange(min=1), default=1000, help="Requests remembered.")
@_opt(
    "--max-tasks",
    type=click.IntRange(min=1),
    default=100_000,
    help="Tasks kept; beyond, the oldest finished go (all running: a create is a 429).",
)
@_opt("--quiet", is_flag=True, help="Print no line per request.")
@_opt(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="The per-request lines: for people or for log collectors.",
)
@_opt(
    "--threads",
    type=click.IntRange(1, 256),
    default=DEFAULT_THREADS,
    help="Most requests running at once (threads start when needed).",
)
def serve(**options: Any) -> None:
    """Serve the mock API on HOST:PORT until Ctrl-C or SIGTERM.

    Every flag can also be set with its environment variable, FREEPIK_MOCK_<FLAG>; a repeatable
    flag takes a comma-separated list there.
    """
    ctx = click.get_current_context()
    config = build_config(options, config_file=ctx.meta.get(RULES_META_KEY), ctx=ctx)
    from ..granian_server import GranianServer

    try:
        server = GranianServer(
            config=config, host=options["host"], port=options["port"], threads=options["threads"]
        )
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {options['host']} port {options['port']}: {exc.strerror or exc}"
        ) from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with stopped_by_signals():
        try:
            server.start()
            _print_banner(config, url=server.url)
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    click.echo("freepik-mock stopped")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _retry_policy(config: MockConfig) -> str:
    schedule = config.effective_retry_schedule
    if schedule is not None:
        seconds = ", ".join(f"{delay:g}" for delay in schedule)
        return f"schedule {seconds} s (each after the one before)"
    retries, initial, maximum = config.exponential_backoff or (0, 0.0, 0.0)
    times = "1 retry" if retries == 1 else f"{retries} retries"
    return f"exponential backoff, {times} from {initial:g} s, doubling up to {maximum:g} s"


def banner(config: MockConfig, *, url: str) -> str:
    """What ``serve`` prints once it listens on ``url``: how to reach it and how it behaves."""
    keys = ", ".join(config.api_keys) if config.api_keys else "any non-empty key"
    speed = f" (x{config.speed})" if config.clock == "real" else ""
    log = {"off": "off (--quiet)", "text": "one line per request", "json": "JSON lines"}
    return "\n".join(
        [
            f"freepik-mock listening on {url}",
            f"  API keys:        {keys}",
            f"  webhook secret:  {' '.join(config.effective_webhook_secrets)}",
            f"  webhook retries: {_retry_policy(config)}",
            f"  clock:           {config.clock}{speed}",
            f"  rules:           {_count(len(config.scenarios), 'scenario')}, "
            f"{_count(len(config.faults), 'fault')}",
            "  store:           memory (nothing kept after exit)",
            f"  tasks kept:      at most {config.max_tasks:,} (--max-tasks)",
            f"  dashboard:       {url}/_mock/ui/",
            f"  control API:     {url}/_mock/health",
            f"  request log:     {log[config.request_log]}",
        ]
    )


def _print_banner(config: MockConfig, *, url: str) -> None:
    click.echo(banner(config, url=url))
    sys.stdout.flush()
