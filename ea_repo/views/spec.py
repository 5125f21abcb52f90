"""View specs: which elements a diagram shows, how it groups, lays out and styles them.

A view spec is a YAML file (the built-ins in ``ea_repo/views/builtin/``, a
workspace's own in its ``views/`` folder)::

    name: application-landscape
    title: Application landscape
    description: Every application by functional domain, with the data flows between them.
    select: "type:Application"        # the selector language of `ea find` / analyses
    relations: [flow]                 # relationship types drawn between shown elements ("*": all)
    group:                            # clusters; the first rule that gives a group wins
      - attribute: domain             # the value of an attribute
      - container: [serves, realizes] # the element reached by following these relations
        - other: Cross-cutting          # what no rule placed
                                      # (or: layer, type)
    layout: {engine: dot, direction: LR}
    style: {color_by: layer, edge_labels: [protocol, data_objects]}
    labels: [criticality]             # attributes shown under the name
    limit: 150                        # above this many elements, groups are collapsed

A view may instead draw the result of an analysis (``analysis: impact``,
``obsolescence``, ``decommission``...); its ``select`` is then the start, which
``ea view render NAME --select X`` gives. Every mistake is reported as
``file:line: problem — hint``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..analysis.registry import ANALYSES as REGISTRY
from ..errors import EaError, NotFoundError, Problem, SelectorError
from ..metamodel import IDENTIFIER, LAYERS, Metamodel
from ..selection import Selector, check_selector, parse_selector
from ..yamlio import Collector, LineDict, load_yaml, suggest


class ViewSpecError(EaError):
    """A view spec file is unreadable or inconsistent."""


ANALYSES = tuple(REGISTRY)
ENGINES = ("dot", "sfdp", "neato", "fdp", "circo", "twopi")
DIRECTIONS = ("LR", "TB", "RL", "BT")
COLOR_BY = ("layer", "risk", "criticality", "state")
GROUP_KINDS = ("layer", "type", "attribute", "container")
DEFAULT_LIMIT = 150
MAX_LIMIT = 400
"""Above this many nodes even `sfdp` plus the SVG writer leave the 5 s budget; never more."""

_KEYS = {
    "name",
    "title",
    "description",
    "select",
    "analysis",
    "options",
    "relations",
    "group",
    "layout",
    "style",
    "labels",
    "limit",
    "edge_limit",
}
_LAYOUT_KEYS = {"engine", "direction"}
_STYLE_KEYS = {"color_by", "edge_labels"}


@dataclass(frozen=True)
class GroupRule:
    """One way to put an element in a cluster.

    ``kind`` is ``layer``, ``type``, ``attribute`` (``attribute`` names it),
    ``container``: the element reached from this one by following ``path``,
    one relationship type per step (``~type`` follows it backwards; when
    several are reached, the one reached most often, then the first by name),
    or ``other``: one cluster, labelled ``attribute``, for what no rule placed.
    """

    kind: str
    attribute: str | None = None
    path: tuple[str, ...] = ()

    def to_text(self) -> str:
        """The rule as the YAML writes it."""
        if self.kind == "attribute":
            return f"attribute: {self.attribute}"
        if self.kind == "other":
            return f"other: {self.attribute}"
        if self.kind == "container":
            return f"container: [{', '.join(self.path)}]"
        return self.kind


@dataclass(frozen=True)
class ViewSpec:
    """A parsed view spec; ``origin`` is the file it came from, ``lines`` where each key is."""

    name: str
    title: str
    description: str = ""
    select: Selector | None = None
    analysis: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    relations: tuple[str, ...] | None = None  # None: every relationship type
    group: tuple[GroupRule, ...] = ()
    engine: str = "dot"
    direction: str = "LR"
    color_by: str = "layer"
    edge_labels: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT
    edge_limit: int | None = None  # default: three edges per node of the limit
    origin: str = "<view>"
    builtin: bool = False
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, key: str) -> int | None:
        """The line of ``key`` in the file, when known."""
        return self.lines.get(key)


def _names(raw: Any, key: str, where: LineDict, problems: Collector) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
        problems.add(f"{key} must be a list of names", where.line_of(key), f"e.g. `{key}: [a, b]`")
        return ()
    return tuple(raw)


def _group_rule(raw: Any, line: int | None, problems: Collector) -> GroupRule | None:
    if isinstance(raw, str) and raw in ("layer", "type"):
        return GroupRule(raw)
    if isinstance(raw, LineDict) and len(raw) == 1:
        kind, value = next(iter(raw.items()))
        line = raw.line_of(kind)
        if kind == "other" and isinstance(value, str) and value.strip():
            return GroupRule("other", attribute=value.strip())
        if kind == "attribute" and isinstance(value, str) and IDENTIFIER.match(value):
            return GroupRule("attribute", attribute=value)
        if kind == "container":
            steps = [value] if isinstance(value, str) else value
            if (
                isinstance(steps, list)
                and steps
                and all(isinstance(s, str) and IDENTIFIER.match(s.lstrip("~")) for s in steps)
            ):
                return GroupRule("container", path=tuple(steps))
            problems.add(
                "a container rule is a list of relationship types to follow",
                line,
                "e.g. `container: [runs_on, hosted_on, located_in]`; `~type` follows it backwards",
            )
            return None
    problems.add(
        f"unknown group rule {raw!r}",
        line,
        "use `layer`, `type`, `{attribute: NAME}`, `{container: [relation, ...]}` or `{other: LABEL}`",
    )
    return None


_OPTIONS = {name: {"horizon", *a.view_options} for name, a in REGISTRY.items()}
"""The options each analysis reads; ``horizon`` (for ``color_by: risk``) fits every view."""


def _options(raw: LineDict, analysis: str | None, problems: Collector) -> dict[str, Any]:
    from ..config import parse_duration_days

    allowed = _OPTIONS.get(analysis or "", {"horizon"})
    what = f"options of the {analysis} analysis" if analysis else "options"
    problems.unknown_keys(raw, allowed, what)
    options: dict[str, Any] = {}
    for key, value in raw.items():
        line = raw.line_of(key)
        if key not in allowed:
            continue
        if key == "horizon":
            try:
                days = parse_duration_days(value, "horizon")
            except EaError as exc:
                problems.add(f"options.{exc.message}", line, exc.hint)
                continue
            if days < 0:
                problems.add(f"options.horizon {value!r} is negative", line, "e.g. `horizon: 12m`")
                continue
        elif key == "layers":
            layers = [value] if isinstance(value, str) else value
            if not isinstance(layers, list) or not layers:
                problems.add(
                    "options.layers must be a list of layers", line, "e.g. `layers: [application]`"
                )
                continue
            wrong = [layer for layer in layers if layer not in LAYERS]
            for layer in wrong:
                problems.add(
                    f"options.layers names unknown layer {layer!r}",
                    line,
                    suggest(str(layer), LAYERS) or f"layers: {', '.join(LAYERS)}",
                )
            if wrong:
                continue
            value = list(layers)
        elif key == "group_by":
            if not isinstance(value, str) or not value.isidentifier():
                problems.add(
                    f"options.group_by must name an attribute, not {value!r}",
                    line,
                    "e.g. `group_by: domain`",
                )
                continue
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.add(f"options.{key} must be a whole number from 1, not {value!r}", line)
            continue
        options[key] = value
    return options


def parse_view(data: Any, filename: str, *, builtin: bool = False) -> ViewSpec:
    """Build a :class:`ViewSpec` from parsed YAML; raises ViewSpecError listing every problem."""
    problems = Collector(filename)
    if not isinstance(data, LineDict):
        raise ViewSpecError(
            f"{filename}: a view spec is a mapping",
            problems=[
                Problem("a view spec is a mapping", filename, 1, "start with `name: my-view`")
            ],
        )
    problems.unknown_keys(data, _KEYS, None)
    values: dict[str, Any] = {}
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add(
            "the view has no name", data.line_of("name") or data.line, "add `name: my-view`"
        )
        name = Path(filename).stem
    values["name"] = name.strip()
    for key in ("title", "description"):
        if key in data:
            if not isinstance(data[key], str):
                problems.add(f"{key} must be text", data.line_of(key))
            else:
                values[key] = data[key].strip()
    values.setdefault("title", values["name"])
    if "select" in data:
        raw = data["select"]
        if not isinstance(raw, str) or not raw.strip():
            problems.add(
                "select must be a selector",
                data.line_of("select"),
                'e.g. `select: "type:Application"`',
            )
        else:
            try:
                values["select"] = parse_selector(raw)
            except SelectorError as exc:
                problems.add(f"select: {exc.message}", data.line_of("select"), exc.hint)
    if "analysis" in data:
        if data["analysis"] not in ANALYSES:
            problems.add(
                f"unknown analysis {data['analysis']!r}",
                data.line_of("analysis"),
                f"analyses: {', '.join(ANALYSES)}",
            )
        else:
            values["analysis"] = data["analysis"]
    if "options" in data:
        if not isinstance(data["options"], LineDict):
            problems.add("options must be a mapping", data.line_of("options"))
        else:
            values["options"] = _options(data["options"], values.get("analysis"), problems)
    if "relations" in data:
        raw = data["relations"]
        if raw == "*" or (isinstance(raw, list) and "*" in raw):  # "*" or ["*"]: every type
            values["relations"] = None
        else:
            names = _names(raw, "relations", data, problems)
            for n in names:
                if not IDENTIFIER.match(n):
                    problems.add(
                        f"{n!r} is not a relationship type name", data.line_of("relations")
                    )
            values["relations"] = names
    if "group" in data:
        raw = data["group"]
        rules = raw if isinstance(raw, list) else [raw]
        parsed = [_group_rule(r, data.line_of("group"), problems) for r in rules]
        values["group"] = tuple(r for r in parsed if r is not None)
    for section, allowed in (("layout", _LAYOUT_KEYS), ("style", _STYLE_KEYS)):
        raw = data.get(section)
        if raw is None:
            continue
        if not isinstance(raw, LineDict):
            problems.add(f"{section} must be a mapping", data.line_of(section))
            continue
        problems.unknown_keys(raw, allowed, section)
        for key, choices in (
            ("engine", ENGINES),
            ("direction", DIRECTIONS),
            ("color_by", COLOR_BY),
        ):
            if key in raw and key in allowed:
                if raw[key] not in choices:
                    problems.add(
                        f"{section}.{key} {raw[key]!r} is not one of {', '.join(choices)}",
                        raw.line_of(key),
                        suggest(str(raw[key]), choices),
                    )
                else:
                    values[key] = raw[key]
        if "edge_labels" in raw:
            values["edge_labels"] = _names(raw["edge_labels"], "edge_labels", raw, problems)
    if "labels" in data:
        values["labels"] = _names(data["labels"], "labels", data, problems)
    if "limit" in data:
        raw = data["limit"]
        if isinstance(raw, bool) or not isinstance(raw, int) or not 2 <= raw <= MAX_LIMIT:
            problems.add(
                f"limit must be a whole number from 2 to {MAX_LIMIT}, not {raw!r}",
                data.line_of("limit"),
                "larger views are collapsed into counted groups so that rendering stays under 5 s",
            )
        else:
            values["limit"] = raw
    if "edge_limit" in data:
        raw = data["edge_limit"]
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 3 * MAX_LIMIT:
            problems.add(
                f"edge_limit must be a whole number from 1 to {3 * MAX_LIMIT}, not {raw!r}",
                data.line_of("edge_limit"),
                "above it, groups are collapsed so that their links are counted",
            )
        else:
            values["edge_limit"] = raw
    if problems.problems:
        raise ViewSpecError(
            f"{filename}: {len(problems.problems)} problem(s) in the view spec",
            problems=problems.problems,
        )
    lines = {k: line for k in data if (line := data.line_of(k)) is not None}
    return ViewSpec(**values, origin=filename, builtin=builtin, lines=lines)


def load_view(path: Path, *, builtin: bool = False) -> ViewSpec:
    """Read one view spec file; raises ViewSpecError with ``file:line`` problems."""
    return parse_view(load_yaml(path, ViewSpecError), str(path), builtin=builtin)


def check_view(spec: ViewSpec, metamodel: Metamodel) -> ViewSpec:
    """Check a spec's names against ``metamodel``: types, layers and attributes of the selector,
    relationship types of ``relations`` and of container rules. Raises ViewSpecError."""
    problems = Collector(spec.origin)
    if spec.select is not None:
        try:
            check_selector(spec.select, metamodel)
        except SelectorError as exc:
            problems.add(f"select: {exc.message}", spec.line_of("select"), exc.hint)
    known = metamodel.relation_types
    for name in spec.relations or ():
        if name not in known:
            problems.add(
                f"unknown relationship type {name!r}",
                spec.line_of("relations"),
                suggest(name, known) or "see `ea metamodel show`",
            )
    for rule in spec.group:
        for step in rule.path:
            if step.lstrip("~") not in known:
                problems.add(
                    f"unknown relationship type {step.lstrip('~')!r} in a container rule",
                    spec.line_of("group"),
                    suggest(step.lstrip("~"), known) or "see `ea metamodel show`",
                )
    if problems.problems:
        raise ViewSpecError(
            f"{spec.origin}: the view does not fit the metamodel", problems=problems.problems
        )
    return spec


VIEWS_DIR = "views"


def builtin_views() -> dict[str, ViewSpec]:
    """The views shipped with ea-repo, by name."""
    folder = resources.files("ea_repo.views").joinpath("builtin")
    found: dict[str, ViewSpec] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            with resources.as_file(entry) as path:
                spec = load_view(Path(path), builtin=True)
            found[spec.name] = spec
    return found


def workspace_views(root: Path | None) -> dict[str, ViewSpec]:
    """The views in a workspace's ``views/`` folder, by name."""
    if root is None or not (root / VIEWS_DIR).is_dir():
        return {}
    found: dict[str, ViewSpec] = {}
    for path in sorted((root / VIEWS_DIR).glob("*.y*ml")):
        spec = load_view(path)
        if spec.name in found:
            raise ViewSpecError(
                f"two views are named {spec.name!r}: {found[spec.name].origin} and {path}",
                hint="rename one of them",
            )
        found[spec.name] = spec
    return found


def all_views(root: Path | None) -> dict[str, ViewSpec]:
    """Built-in views, then the workspace's (a workspace view replaces a built-in of its name)."""
    return {**builtin_views(), **workspace_views(root)}


def find_view(name_or_file: str, root: Path | None) -> ViewSpec:
    """A view by name (workspace first, then built-in) or a spec file path."""
    path = Path(name_or_file)
    if name_or_file.endswith((".yaml", ".yml")) or path.is_file():
        if not path.is_file():
            raise NotFoundError(f"no view spec file {name_or_file}")
        return load_view(path)
    views = all_views(root)
    if name_or_file in views:
        return views[name_or_file]
    close = difflib.get_close_matches(name_or_file, list(views), n=1, cutoff=0.5)
    raise NotFoundError(
        f"no view named {name_or_file!r}",
        hint=(f"did you mean {close[0]!r}? " if close else "") + "`ea view list` lists them",
    )
