"""The workspace: a folder with ``ea.yaml`` and the ``.ea/`` data directory.

``ea.yaml`` says which metamodel and which store to use, and (later) which
sources to sync. Environment variables override it, so that a scheduler or a
container can point the same workspace at another store; secrets come only
from the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import WorkspaceError
from .yamlio import LineDict, load_yaml

CONFIG_FILE = "ea.yaml"
DATA_DIR = ".ea"
BACKENDS = ("sqlite", "neo4j")

DEFAULT_CONFIG = """\
# ea-repo workspace configuration. See the README, section "Configuration".
#
# metamodel: `builtin`, or the path (relative to this file) of your own metamodel YAML.
metamodel: builtin

store:
  backend: sqlite             # sqlite (one file, no server) or neo4j
  path: .ea/repository.db     # sqlite: where the repository lives
  # neo4j: set uri/user/database here or EA_NEO4J_URI, EA_NEO4J_USER, EA_NEO4J_DATABASE;
  # the password is read from EA_NEO4J_PASSWORD only, never from this file.
  # repository: default       # neo4j: tag of this repository's nodes (several can share a database)

# Elements no source has confirmed for longer than this are flagged as stale.
stale_after: 180d

# Sources that `ea sync` runs.
sources: {}
"""

NEO4J_URI = re.compile(r"^(bolt|neo4j)(\+s|\+ssc)?://\S+$", re.IGNORECASE)
REPOSITORY_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_DURATION = re.compile(r"^\s*(\d+)\s*([dwmy]?)\s*$", re.IGNORECASE)


def check_neo4j_target(uri: Any, uri_where: str, repository: Any, repository_where: str) -> None:
    """Raise :class:`WorkspaceError` (saying where the value came from) for a Neo4j URI or
    repository tag that is not valid; a missing URI is checked when a store is opened."""
    if uri is not None and not NEO4J_URI.match(str(uri)):
        raise WorkspaceError(
            f"{uri_where}: {uri!r} is not a Neo4j URI",
            hint="use bolt://HOST:7687, neo4j://HOST:7687 (a cluster) or neo4j+s://HOST (Aura)",
        )
    if not REPOSITORY_TAG.match(str(repository)):
        raise WorkspaceError(
            f"{repository_where}: repository tag {repository!r} is not valid",
            hint="letters, digits, '-' and '_', starting with a letter",
        )


def parse_duration_days(text: str | int, what: str = "duration") -> int:
    """Days in a duration such as ``180d``, ``6w``, ``12m`` or ``1y`` (a bare number is days).

    >>> parse_duration_days("12m")
    365
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    m = _DURATION.match(str(text))
    if not m:
        raise WorkspaceError(
            f"{what} {text!r} is not a duration", hint="write it as 180d, 6w, 12m or 1y"
        )
    n, unit = int(m[1]), m[2].lower() or "d"
    return {"d": n, "w": 7 * n, "m": round(n * 365 / 12), "y": 365 * n}[unit]


@dataclass(frozen=True)
class StoreConfig:
    """Which backend holds the repository, and where. Never holds a password."""

    backend: str = "sqlite"
    path: Path = Path(DATA_DIR) / "repository.db"
    uri: str | None = None
    user: str | None = None
    database: str | None = None
    repository: str = "default"  # neo4j: the tag of this repository's nodes in the database


@dataclass(frozen=True)
class Workspace:
    """A loaded workspace configuration."""

    root: Path
    metamodel: str = "builtin"
    store: StoreConfig = StoreConfig()
    stale_after_days: int = 180
    sources: Mapping[str, Any] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        """The ``ea.yaml`` file."""
        return self.root / CONFIG_FILE

    @property
    def data_dir(self) -> Path:
        """The ``.ea`` folder holding the SQLite file, locks and logs."""
        return self.root / DATA_DIR

    def metamodel_path(self) -> str | Path:
        """``builtin`` or the absolute path of the workspace's metamodel."""
        if self.metamodel == "builtin":
            return "builtin"
        return (self.root / self.metamodel).resolve()

    def sqlite_path(self) -> Path:
        """Where the SQLite repository lives."""
        return self.store.path if self.store.path.is_absolute() else self.root / self.store.path


def find_workspace(start: str | Path | None = None) -> Path:
    """The workspace folder: ``start`` (or ``$EA_WORKSPACE``), else the nearest one above the cwd."""
    explicit = start if start is not None else os.environ.get("EA_WORKSPACE")
    if explicit:
        root = Path(explicit).expanduser()
        if not (root / CONFIG_FILE).is_file():
            raise WorkspaceError(
                f"{root} is not an ea-repo workspace (no {CONFIG_FILE})",
                hint=f"create one with `ea init {root}`",
            )
        return root.resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise WorkspaceError(
        f"no {CONFIG_FILE} in {here} or any folder above it",
        hint="run `ea init` here, or pass --workspace DIR (or set EA_WORKSPACE)",
    )


def load_workspace(
    start: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Workspace:
    """Find and read the workspace configuration, applying environment overrides.

    Raises :class:`WorkspaceError` naming ``ea.yaml`` and the line of any mistake.
    """
    env = os.environ if env is None else env
    root = find_workspace(start)
    path = root / CONFIG_FILE
    data = load_yaml(path, WorkspaceError)
    if data is None:
        data = LineDict()
    if not isinstance(data, LineDict):
        raise WorkspaceError(f"{path}:1: the configuration must be a mapping", hint="see `ea init`")

    def fail(
        message: str, key: str, node: LineDict = data, hint: str | None = None
    ) -> WorkspaceError:
        return WorkspaceError(f"{path}:{node.line_of(key)}: {message}", hint=hint)

    known = {"metamodel", "store", "stale_after", "sources"}
    for key in data:
        if key not in known:
            raise fail(
                f"unknown setting {key!r}", key, hint=f"known settings: {', '.join(sorted(known))}"
            )

    raw_store = data.get("store") or LineDict()
    if not isinstance(raw_store, LineDict):
        raise fail("`store` must be a mapping", "store")
    if "password" in raw_store:
        raise fail(
            "a password must not be written in ea.yaml",
            "password",
            raw_store,
            hint="remove it and set EA_NEO4J_PASSWORD in the environment",
        )

    def setting(variable: str, key: str, default: Any = None) -> tuple[Any, str]:
        """A store setting and where it came from: the environment variable or ea.yaml."""
        if env.get(variable):
            return env[variable], variable
        line = raw_store.line_of(key) or data.line_of("store")
        return raw_store.get(key, default), f"{path}:{line}" if line else str(path)

    backend, where = setting("EA_STORE_BACKEND", "backend", "sqlite")
    if backend not in BACKENDS:
        raise WorkspaceError(
            f"{where}: unknown store backend {backend!r}", hint="use sqlite or neo4j"
        )
    uri, uri_where = setting("EA_NEO4J_URI", "uri")
    repository, repository_where = setting("EA_NEO4J_REPOSITORY", "repository", "default")
    if env.get("EA_NEO4J_REPOSITORY") == "":  # set, but empty: not silently `default`
        repository, repository_where = "", "EA_NEO4J_REPOSITORY"
    check_neo4j_target(uri, uri_where, "" if repository is None else repository, repository_where)
    raw_path = raw_store.get("path")
    if raw_path is not None and not isinstance(raw_path, str):
        raise fail(
            f"store.path {raw_path!r} is not a file path",
            "path",
            raw_store,
            hint='e.g. `path: .ea/repository.db` (quote it if it looks like a number: "5")',
        )
    store = StoreConfig(
        backend=backend,
        path=Path(env.get("EA_SQLITE_PATH") or raw_path or StoreConfig.path),
        uri=None if uri is None else str(uri),
        user=env.get("EA_NEO4J_USER") or raw_store.get("user"),
        database=env.get("EA_NEO4J_DATABASE") or raw_store.get("database"),
        repository=str(repository),
    )
    try:
        stale = parse_duration_days(data.get("stale_after", 180), "stale_after")
    except WorkspaceError as exc:
        raise fail(exc.message, "stale_after", hint=exc.hint) from exc
    if stale < 1:
        raise fail(
            f"stale_after {data['stale_after']!r} must be at least one day",
            "stale_after",
            hint="e.g. `stale_after: 180d`",
        )
    sources = data.get("sources") or {}
    if not isinstance(sources, dict):
        raise fail("`sources` must be a mapping of source names", "sources")
    metamodel = str(data.get("metamodel") or "builtin")
    return Workspace(
        root=root, metamodel=metamodel, store=store, stale_after_days=stale, sources=sources
    )


def init_workspace(root: str | Path, metamodel: str | None = None) -> Path:
    """Create ``ea.yaml`` and ``.ea/`` in ``root``; refuses to overwrite an existing workspace."""
    root = Path(root).expanduser()
    config = root / CONFIG_FILE
    if config.exists():
        raise WorkspaceError(f"{config} already exists", hint="this folder is already a workspace")
    root.mkdir(parents=True, exist_ok=True)
    (root / DATA_DIR).mkdir(exist_ok=True)
    text = DEFAULT_CONFIG
    if metamodel:
        text = text.replace("metamodel: builtin", f"metamodel: {metamodel}", 1)
    config.write_text(text, encoding="utf-8")
    return root.resolve()
