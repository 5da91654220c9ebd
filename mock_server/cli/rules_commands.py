"""``freepik-mock scenarios``, ``faults`` and ``requests``: the rules and journal of a running mock.

``scenarios list|add|delete|clear`` and ``faults list|add|delete|clear`` edit the rules (``add``
takes the rule as a JSON argument, ``-`` for stdin, or ``--file FILE``; the mock validates it and
its message is shown whole). ``requests`` prints the request journal, oldest first, one line per
request; ``requests --follow`` keeps polling it and prints new requests until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Mapping
from typing import Any

import click

from .control_http import (
    ControlCommand,
    DefaultGroup,
    MockConnection,
    connection_options,
    echo_answer,
    expect_list,
    expect_object,
    path_segment,
)
from .options import FiniteFloatRange, read_text_file
from .signals import stopped_by_signals

__all__ = ["faults", "requests", "scenarios"]

_RULE_FIELDS = ("id", "match")
_ENTRY_FIELDS = ("method", "path", "status", "fault")


def _rule_line(rule: Mapping[str, Any]) -> str:
    rest = {name: value for name, value in rule.items() if name != "id" and value is not None}
    return f"{rule['id']}: {json.dumps(rest, ensure_ascii=False, separators=(', ', ': '))}"


def _read_rule(rule_json: str | None, file: str | None) -> Any:
    if (rule_json is None) == (file is None):
        raise click.UsageError("give the rule as RULE_JSON (or - for stdin) or with --file FILE")
    if file is not None:
        text, source = read_text_file(file), file
    elif rule_json == "-":
        text, source = sys.stdin.read(), "stdin"
    else:
        text, source = str(rule_json), "RULE_JSON"
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"{source} is not valid JSON: {exc}") from None


def _rules_group(name: str, *, noun: str, about: str) -> click.Group:
    """The ``list|add|delete|clear`` group of one rule book of the control API."""
    base = f"/{name}"

    @click.group(name=name, cls=DefaultGroup, default="list", help=about)
    def group() -> None:
        pass

    @group.command(name="list", help=f"The {noun} rules in the order they are tried.")
    @connection_options
    def list_rules(*, mock_url: str, admin_token: str | None, as_json: bool) -> None:
        with MockConnection(mock_url=mock_url, admin_token=admin_token, as_json=as_json) as mock:
            answer = mock.call("GET", base)
            data = expect_list(mock, answer, f"GET /_mock{base}", *_RULE_FIELDS)
        echo_answer(
            answer,
            as_json=as_json,
            human=lambda: "\n".join(map(_rule_line, data)) or f"no {noun} rules",
        )

    @group.command(
        name="add",
        help=f"Add a {noun} rule, given as RULE_JSON, - (stdin) or --file FILE.",
    )
    @click.argument("rule_json", required=False)
    @click.option("--file", "file", default=None, help="Read the rule (JSON) from FILE.")
    @connection_options
    def add_rule(
        *,
        rule_json: str | None,
        file: str | None,
        mock_url: str,
        admin_token: str | None,
        as_json: bool,
    ) -> None:
        rule = _read_rule(rule_json, file)
        with MockConnection(mock_url=mock_url, admin_token=admin_token, as_json=as_json) as mock:
            answer = mock.call("POST", base, json=rule)
            added = expect_object(mock, answer, f"POST /_mock{base}", *_RULE_FIELDS)
        echo_answer(added, as_json=as_json, human=lambda: f"added {_rule_line(added)}")

    @group.command(name="delete", help=f"Remove the {noun} rule ID.")
    @click.argument("rule_id", metavar="ID")
    @connection_options
    def delete_rule(*, rule_id: str, mock_url: str, admin_token: str | None, as_json: bool) -> None:
        with MockConnection(mock_url=mock_url, admin_token=admin_token, as_json=as_json) as mock:
            mock.call("DELETE", f"{base}/{path_segment(rule_id)}")
        echo_answer(None, as_json=as_json, human=lambda: f"deleted {noun} rule {rule_id}")

    @group.command(name="clear", help=f"Remove every {noun} rule.")
    @connection_options
    def clear_rules(*, mock_url: str, admin_token: str | None, as_json: bool) -> None:
        with MockConnection(mock_url=mock_url, admin_token=admin_token, as_json=as_json) as mock:
            mock.call("DELETE", base)
        echo_answer(None, as_json=as_json, human=lambda: f"removed every {noun} rule")

    return group


scenarios = _rules_group(
    "scenarios",
    noun="scenario",
    about="List, add and remove the scenario rules: how the next tasks end and how long they take.",
)
faults = _rules_group(
    "faults",
    noun="fault",
    about="List, add and remove the fault rules: answers, delays and drops of the next requests.",
)


# -- the journal -----------------------------------------------------------------------------------
def _entry_line(entry: Mapping[str, Any]) -> str:
    status = entry["status"] if entry["status"] is not None else "dropped"
    return f"{entry['method']} {entry['path']} {status} {entry['fault'] or '-'}"


def _new_entries(seen: list[dict[str, Any]], now: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries of ``now`` after the longest run that ends ``seen`` and starts ``now``.

    The journal drops its oldest entries when full and empties on reset, so new entries are what
    follows the overlap with what was printed; with no overlap, all of ``now`` is new.
    """
    for overlap in range(min(len(seen), len(now)), 0, -1):
        if seen[-overlap:] == now[:overlap]:
            return now[overlap:]
    return now


@click.command(cls=ControlCommand)
@click.option(
    "--follow", "-f", is_flag=True, help="Keep polling and print new requests until Ctrl-C."
)
@click.option(
    "--interval",
    type=FiniteFloatRange(min=0.05),
    default=0.5,
    show_default=True,
    help="Seconds between polls with --follow.",
)
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=None, help="Only the newest N (1 to 1000)."
)
@connection_options
def requests(
    *,
    follow: bool,
    interval: float,
    limit: int | None,
    mock_url: str,
    admin_token: str | None,
    as_json: bool,
) -> None:
    """The request journal, oldest first: one line per request (method path status fault);
    --limit N: the newest N.

    With --json, the control API's answer; with --json --follow, one entry per line (JSON Lines).
    """
    params = {"limit": limit} if limit is not None else {}
    with MockConnection(mock_url=mock_url, admin_token=admin_token, as_json=as_json) as mock:
        answer = mock.call("GET", "/requests", params=params)
        seen = expect_list(mock, answer, "GET /_mock/requests", *_ENTRY_FIELDS)
        if not follow:
            echo_answer(
                answer,
                as_json=as_json,
                human=lambda: "\n".join(map(_entry_line, seen)) or "no requests yet",
            )
            return
        # Ctrl-C (or SIGTERM) ends --follow: not an error.
        with stopped_by_signals(), contextlib.suppress(KeyboardInterrupt):
            _follow(mock, seen, answer.get("cursor"), as_json=as_json, interval=interval)


def _follow(
    mock: MockConnection,
    seen: list[dict[str, Any]],
    cursor: Any,
    *,
    as_json: bool,
    interval: float,
) -> None:
    new = seen
    while True:
        for entry in new:
            click.echo(json.dumps(entry) if as_json else _entry_line(entry))
        time.sleep(interval)
        if isinstance(cursor, int) and not isinstance(cursor, bool):
            # Only what was journaled since the last poll (after a reset: everything there is).
            answer = mock.call("GET", "/requests", params={"since": cursor})
            new = expect_list(mock, answer, "GET /_mock/requests", *_ENTRY_FIELDS)
            cursor = answer.get("cursor")
            continue
        # A mock without cursors: the whole journal, and what follows the part printed.
        answer = mock.call("GET", "/requests")
        now = expect_list(mock, answer, "GET /_mock/requests", *_ENTRY_FIELDS)
        new, seen = _new_entries(seen, now), now
