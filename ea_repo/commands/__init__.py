"""Command groups of the ``ea`` CLI, each a Typer app joined in :mod:`ea_repo.cli`."""
