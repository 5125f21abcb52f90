"""Command groups of the ``ea`` CLI, one Typer app per module."""
