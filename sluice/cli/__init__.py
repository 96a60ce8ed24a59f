"""The ``sluice`` command line: thin typer front ends over the engine API."""
