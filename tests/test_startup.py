"""Starting ``ea`` imports what every command needs, not the view builder and its analyses."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_does_not_import_the_view_builder_or_networkx() -> None:
    code = (
        "import sys, ea_repo.cli; "
        "print(sorted(m for m in ('networkx', 'ea_repo.views.build', 'ea_repo.analysis.waves', "
        "'jinja2') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_views_package_still_offers_its_names() -> None:
    import ea_repo.views as views
    from ea_repo.views.build import build_view

    assert views.build_view is build_view
    assert views.DiagramFormat("svg").value == "svg"
