"""``python -m freepik_mock.server`` is ``freepik-mock`` (so is ``python -m freepik_mock``)."""

from .cli import main

main(prog_name="freepik-mock")
