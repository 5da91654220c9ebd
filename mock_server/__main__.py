"""``python -m mock_server`` is ``freepik-mock``."""

from .cli import main

main(prog_name="freepik-mock")
