"""``python -m freepik_mock`` is ``freepik-mock``."""

from freepik_mock.server.cli import main

main(prog_name="freepik-mock")
