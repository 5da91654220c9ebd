"""``freepik-mock``: run the mock and talk to a running one."""

from __future__ import annotations

import click

from .. import __version__
from .contract import contract
from .control_commands import clock, reset, tasks
from .rules_commands import faults, requests, scenarios
from .serve import serve
from .webhook import webhook

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="freepik-mock")
def main() -> None:
    """A stateful fake of the Freepik (Magnific) music-generation API."""


main.add_command(serve)
main.add_command(clock)
main.add_command(reset)
main.add_command(tasks)
main.add_command(scenarios)
main.add_command(faults)
main.add_command(requests)
main.add_command(webhook)
main.add_command(contract)
