"""``python -m ea_repo`` runs the ``ea`` command."""

from .cli import run

run()
