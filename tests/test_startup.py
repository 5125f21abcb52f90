"""Starting ``ea`` imports what every command needs, not the view builder and its analyses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


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


HEAVY = (
    "networkx",
    "jinja2",
    "graphviz",
    "neo4j",
    "openpyxl",
    "defusedxml",
    "filelock",
    "ea_repo.importers",
    "ea_repo.sync",
    "ea_repo.sources",
    "ea_repo.views.build",
    "ea_repo.views.spec",
    "ea_repo.analysis.waves",
)
"""What no small question needs: the graph library, the templates, the diagrams, the other
store, the readers of exports, the sync engine and its lock, the view builder."""

LOADED = (
    "import json, sys\n"
    "from ea_repo.cli import main\n"
    "code = main(sys.argv[1:]) if len(sys.argv) > 1 else 0\n"
    "heavy = {heavy!r} + (('rich',) if {plain!r} else ())\n"
    "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy))\n"
    "print('LOADED', json.dumps([code, loaded]), file=sys.stderr)\n"
)


def _loaded(*args: str, plain: bool = True) -> tuple[int, list[str]]:
    """The exit code of ``ea ARGS`` run in a fresh interpreter, and the heavy modules it
    loaded (rich too when ``plain``: its output is not a table)."""
    code = LOADED.format(heavy=HEAVY, plain=plain)
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED "))
    exit_code, loaded = json.loads(line.removeprefix("LOADED "))
    return exit_code, loaded


def test_a_small_question_loads_only_what_it_answers_with(tmp_path: Path) -> None:
    from ea_repo import Repository

    with Repository.init(tmp_path / "ws") as repo:
        repo.add("Application", id="crm", name="CRM")
        repo.add("Server", id="srv-01", name="srv-01")
        repo.link("crm", "runs_on", "srv-01")
    ws = str(tmp_path / "ws")
    assert _loaded() == (0, [])  # `import ea_repo.cli`, as `ea --help` starts
    assert _loaded("show", "crm", "-f", "json", "-w", ws) == (0, [])
    assert _loaded("impact", "srv-01", "-f", "json", "-w", ws) == (0, [])
    # A table needs rich, and nothing heavier.
    assert _loaded("show", "crm", "-w", ws, plain=False) == (0, [])
