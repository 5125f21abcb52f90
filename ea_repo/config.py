"""The workspace: a folder with ``ea.yaml`` and the ``.ea/`` data directory.

``ea.yaml`` says which metamodel and which store to use, and (later) which
sources to sync. Environment variables override it, so that a scheduler or a
container can point the same workspace at another store; secrets come only
from the environment.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import WorkspaceError
from .yamlio import LineDict, load_yaml, suggest

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

STORE_SETTINGS = ("backend", "path", "uri", "user", "database", "repository")
SECRET_KEY = re.compile(r"passw(or)?d|pwd|secret|token|credential|api_?key", re.IGNORECASE)
"""Names of settings that hold secrets, which come from the environment only."""
NEO4J_URI = re.compile(r"^(bolt|neo4j)(\+s|\+ssc)?://\S+$", re.IGNORECASE)
REPOSITORY_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
MAX_DURATION_DAYS = 100 * 365
"""The longest duration (a horizon, ``stale_after``) ea-repo counts: a hundred years."""
_DURATION = re.compile(r"^\s*(\d+)\s*([dwmy]?)\s*$", re.IGNORECASE)


def redact_uri(uri: str) -> str:
    """``uri`` without the user name and password it may hold (``bolt://u:p@host`` → ``bolt://host``),
    the only way a URI is ever printed."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return uri.rpartition("@")[2]
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"


def neo4j_uri_problem(uri: str) -> tuple[str, str] | None:
    """What is wrong with a Neo4j URI (a message that never shows its user or password, and a
    hint), or None when it is one the driver accepts."""
    shown = redact_uri(uri)
    if not NEO4J_URI.match(uri):
        return (
            f"{shown!r} is not a Neo4j URI",
            "use bolt://HOST:7687, neo4j://HOST:7687 (a cluster) or neo4j+s://HOST (Aura)",
        )
    if shown != uri:
        return (
            f"the Neo4j URI {shown!r} holds a user name or password before its host",
            "write the URI without them: the user in store.user (or EA_NEO4J_USER), "
            "the password in EA_NEO4J_PASSWORD only",
        )
    return None


def check_neo4j_target(uri: Any, uri_where: str, repository: Any, repository_where: str) -> None:
    """Raise :class:`WorkspaceError` (saying where the value came from) for a Neo4j URI or
    repository tag that is not valid; a missing URI is checked when a store is opened."""
    problem = None if uri is None else neo4j_uri_problem(str(uri))
    if problem is not None:
        raise WorkspaceError(f"{uri_where}: {problem[0]}", hint=problem[1])
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
        days = text
    else:
        m = _DURATION.match(str(text))
        if not m:
            raise WorkspaceError(
                f"{what} {text!r} is not a duration", hint="write it as 180d, 6w, 12m or 1y"
            )
        n, unit = int(m[1]), m[2].lower() or "d"
        days = {"d": n, "w": 7 * n, "m": round(n * 365 / 12), "y": 365 * n}[unit]
    # Dates end in the year 9999: a longer duration cannot be counted from any date.
    if days > MAX_DURATION_DAYS:
        raise WorkspaceError(
            f"{what} {text!r} is more than {MAX_DURATION_DAYS // 365} years",
            hint=f"give at most {MAX_DURATION_DAYS // 365}y",
        )
    return days


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

    def own_files(self) -> list[tuple[Path, str]]:
        """The files no output may replace, each with what it is: ``ea.yaml``, the SQLite
        repository with its journals (wherever ``store.path`` puts it) and the ``.ea`` folder
        (its locks and the default repository). A folder stands for everything in it."""
        store = self.sqlite_path()
        return [
            *(
                (store.with_name(store.name + suffix), "the repository")
                for suffix in ("", "-wal", "-shm", "-journal")
            ),
            (self.config_path, "the workspace's configuration"),
            (self.data_dir, "in the workspace's data folder"),
        ]


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

    secret = _secret_setting(data)
    if secret is not None:
        node, key = secret
        raise fail(
            f"a secret ({key!r}) must not be written in ea.yaml",
            key,
            node,
            hint="remove it and set it in the environment (the Neo4j password: EA_NEO4J_PASSWORD)",
        )
    known = {"metamodel", "store", "stale_after", "sources"}
    for key in data:
        if key not in known:
            raise fail(
                f"unknown setting {key!r}",
                key,
                hint=suggest(str(key), known) or f"known settings: {', '.join(sorted(known))}",
            )

    raw_store = data.get("store") or LineDict()
    if not isinstance(raw_store, LineDict):
        raise fail("`store` must be a mapping", "store")
    for key in raw_store:
        if key not in STORE_SETTINGS:
            raise fail(
                f"unknown store setting {key!r}",
                key,
                raw_store,
                hint=suggest(str(key), STORE_SETTINGS)
                or f"store settings: {', '.join(STORE_SETTINGS)}",
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


def workspace_file(path: Path, workspace: str | Path | None = None) -> str | None:
    """What ``path`` is when it is a file of a workspace (see :meth:`Workspace.own_files`), else
    None: of the workspace ``workspace`` (or ``$EA_WORKSPACE``, or the one around the current
    folder) and of any workspace around ``path`` itself. Symbolic links and ``..`` are followed,
    so that no other name of a workspace's file slips through."""
    target = path.expanduser().resolve()
    roots: list[Path] = []
    for start in (workspace, None):
        with contextlib.suppress(WorkspaceError):
            roots.append(find_workspace(start))
    roots += [folder for folder in target.parents if (folder / CONFIG_FILE).is_file()]
    for root in dict.fromkeys(roots):
        try:
            files = load_workspace(root).own_files()
        except WorkspaceError:  # a broken ea.yaml: its files are where they are by default
            files = Workspace(root).own_files()
        for own, what in files:
            own = own.resolve()
            if target == own or own in target.parents or _same_file(target, own):
                return f"{what} ({own})"
    return None


def _same_file(a: Path, b: Path) -> bool:
    """Whether two existing paths are one file (another case of letters on a case-blind disk)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _secret_setting(node: Any, top: bool = True) -> tuple[LineDict, str] | None:
    """The first key of ``ea.yaml`` (at any depth) that names a secret, with its mapping; the
    names of the sources (the keys right under ``sources``) are names, not settings."""
    if isinstance(node, list):
        for item in node:
            found = _secret_setting(item, top=False)
            if found is not None:
                return found
        return None
    if not isinstance(node, LineDict):
        return None
    for key, value in node.items():
        if SECRET_KEY.search(str(key)):
            return node, key
        if top and key == "sources" and isinstance(value, LineDict):
            children: list[Any] = list(value.values())
        else:
            children = [value]
        for child in children:
            found = _secret_setting(child, top=False)
            if found is not None:
                return found
    return None


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
