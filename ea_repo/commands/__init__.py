"""Command groups of the ``ea`` CLI that live in their own module, joined in ``cli.py``."""
