"""``ea demo``: a workspace fed with the sample retail landscape, and what to try next.

The sample is a set of real-shaped export files (``examples/``): a ServiceNow
CI and relationship export, the architects' capability map, and an interface
catalog. The demo copies them into a new workspace and runs ``ea sync`` over
them — the same importers and sync engine a user's scheduler runs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .config import CONFIG_FILE, DATA_DIR, check_neo4j_target
from .errors import EaError, WorkspaceError
from .repository import Repository
from .sources import sync_all
from .store.copy import is_empty

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

NEXT_STEPS = """\
Demo workspace ready: {root}
  {elements} elements and {relations} relations from {sources} sources ({runs})

Try next (from that folder, or with --workspace {root}):
  ea status                                   the sources, their last runs, what is stale
  ea find --type Server --where environment=production
  ea show "WMS Reflex"                        an application: attributes, provenance, relations
  ea impact "VCL-PAR-PROD01"                  what breaks if a cluster fails, up to capabilities
  ea impact "WMS Reflex" --explain "Operate warehouses"
  ea dependencies "Webshop" --layer technology --layer physical
  ea diagnose "CRM Dynamics" "SAP ECC" "Tagetik Consolidation"   three failing at once: the common cause
  ea obsolescence --horizon 12m               technology past or near end of support
  ea waves 'in:"DC Lyon Sud"' --max-size 40   empty the closing datacenter: waves, and each cut-over
  ea history "WMS Reflex"                     how an element changed, run by run
  ea scenario list                            two target scenarios (scenarios/*.yaml)
  ea scenario diff crm-replacement            what replacing the CRM changes, and its consequences
  ea impact "DC Lyon Sud" --scenario harmonise-invoicing --at 2027-02-01
"""


DEMO_REPOSITORY = "demo"


def _neo4j_store_line() -> str:
    """The ``store:`` line of a demo on the Neo4j server named by ``EA_NEO4J_*``."""
    uri = os.environ.get("EA_NEO4J_URI")
    if not uri:
        raise WorkspaceError(
            "the Neo4j demo needs a server",
            hint="set EA_NEO4J_URI (and EA_NEO4J_USER, EA_NEO4J_PASSWORD)",
        )
    # Checked before it is written into the demo's ea.yaml: a password in it must not land there.
    check_neo4j_target(uri, "EA_NEO4J_URI", DEMO_REPOSITORY, "the demo's repository tag")
    fields = {
        "backend": "neo4j",
        "uri": uri,
        "user": os.environ.get("EA_NEO4J_USER"),
        "database": os.environ.get("EA_NEO4J_DATABASE"),
        "repository": DEMO_REPOSITORY,
    }
    return "store: " + json.dumps({k: v for k, v in fields.items() if v}) + "\n"


DEMO_MARKER = "demo"  # in the data folder of a workspace `ea demo` built


def build_demo(
    root: str | Path, *, force: bool = False, examples: Path = EXAMPLES, backend: str = "sqlite"
) -> str:
    """Create a workspace at ``root`` fed from ``examples``; returns what to try next.

    Raises WorkspaceError if ``root`` is a workspace already (``force``
    rebuilds a previous demo) or the sample files are not there. With
    ``backend="neo4j"`` the repository lives on the server of ``EA_NEO4J_URI``
    under the tag ``demo``, emptied first when ``force`` is given.
    """
    root = Path(root)
    store_line = _neo4j_store_line() if backend == "neo4j" else None
    if not (examples / CONFIG_FILE).is_file():
        raise WorkspaceError(
            f"the sample landscape is not at {examples}",
            hint="run `ea demo` from a checkout of ea-repo (the sample lives in its examples/ folder)",
        )
    if (root / CONFIG_FILE).exists():
        if not force:
            raise WorkspaceError(
                f"{root} is already a workspace", hint="pass --force to rebuild the demo there"
            )
        if not (root / DATA_DIR / DEMO_MARKER).is_file():
            raise WorkspaceError(
                f"{root} is a workspace that `ea demo` did not build; not touching it",
                hint="choose another folder for the demo (--workspace DIR)",
            )
        shutil.rmtree(root)
    shutil.copytree(
        examples, root, ignore=shutil.ignore_patterns("*.py", "__pycache__", "README.md")
    )
    (root / DATA_DIR).mkdir(exist_ok=True)
    # Only a folder carrying this marker is rebuilt by --force: a real workspace never is.
    (root / DATA_DIR / DEMO_MARKER).write_text(
        "built by `ea demo`; `ea demo --force` may delete and rebuild this workspace\n",
        encoding="utf-8",
    )
    if store_line is not None:
        config = root / CONFIG_FILE
        lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
        config.write_text(
            "".join(store_line if line.startswith("store:") else line for line in lines),
            encoding="utf-8",
        )
    with Repository.open(root) as repo:
        assert repo.workspace is not None
        if store_line is not None and not is_empty(repo.store):
            if not force:
                raise WorkspaceError(
                    f"the repository {DEMO_REPOSITORY!r} on {repo.workspace.store.uri} holds data",
                    hint="pass --force to replace the demo there",
                )
            repo.store.purge()
        outcomes = sync_all(repo.workspace, repo.store, repo.metamodel)
        failed = [o for o in outcomes if o.error is not None]
        if failed:
            error = failed[0].error
            assert error is not None
            raise EaError(
                f"the sample source {failed[0].name!r} did not load: {error.message}",
                problems=error.problems,
                hint="this is a bug in the sample; please report it",
            )
        stats = repo.stats()
        runs = ", ".join(
            f"{o.name}: {o.result.elements.counts()['added']} elements"
            for o in outcomes
            if o.result
        )
        return NEXT_STEPS.format(
            root=repo.workspace.root,
            elements=sum(stats.counts.elements.values()),
            relations=sum(stats.counts.relations.values()),
            sources=len(outcomes),
            runs=runs,
        )
