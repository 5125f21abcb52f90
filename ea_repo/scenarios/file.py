"""Scenarios as files: one YAML file per scenario in the workspace's ``scenarios/``.

A scenario is the architects' work, not a source's: a file is what they review
in a merge request, version with the rest of their models, and copy between
workspaces (an SQLite and a Neo4j workspace read the same file). No sync ever
opens this folder.

A file holds the scenario's name, what it is for, the scenario it starts from
(``based_on``, optional) and its edits, in the order they apply::

    name: crm-replacement
    description: Salesforce replaces the legacy CRM in June 2027
    based_on: null
    edits:
      - {op: add, id: app-sfdc, type: Application, name: Salesforce, attrs: {criticality: high}}
      - {op: replace, id: app-crm, by: app-sfdc, effective: 2027-06-01}
      - {op: set, id: app-oms, attrs: {criticality: critical}, was: {criticality: high}}
      - {op: link, src: app-sfdc, type: flows_to, dst: app-oms}
      - {op: unlink, relation: "app-crm|flows_to|app-bi"}
      - {op: retire, id: srv-crm01}

``effective`` (optional; ``--on`` on the command line) is the day an edit takes
effect: seen before that day the landscape does not have it. (Not ``on:``, which
YAML 1.1 reads as the boolean true.) ``was`` records the facts an edit was written
against (the element's status, the attributes it changes), so that a later sync
that moved them is reported (:mod:`ea_repo.scenarios.overlay`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import DATA_DIR
from ..errors import ConflictError, NotFoundError, ValidationError
from ..yamlio import Collector, LineDict, load_yaml, node_line, suggest

FOLDER = "scenarios"
EDIT_WAIT = 10.0  # seconds an edit waits for another one to finish
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

OPS = ("add", "retire", "set", "link", "unlink", "replace")
_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # op: (required keys, optional keys) besides op, effective and was
    "add": (("id", "type"), ("name", "attrs")),
    "retire": (("id",), ()),
    "set": (("id", "attrs"), ("name",)),
    "link": (("src", "type", "dst"), ("relation", "attrs")),
    "unlink": (("relation",), ("src", "type", "dst")),
    "replace": (("id", "by"), ()),
}
_TOP = {"name", "description", "based_on", "edits"}


@dataclass(frozen=True)
class Edit:
    """One change of a scenario; which fields count depends on ``op`` (see the module)."""

    op: str
    id: str | None = None
    type: str | None = None
    name: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    src: str | None = None
    dst: str | None = None
    relation: str | None = None
    by: str | None = None
    on: str | None = None
    was: Mapping[str, Any] | None = None

    def text(self) -> str:
        """The edit in a line, as `ea scenario show` lists it."""
        attrs = ", ".join(f"{k}={v}" for k, v in self.attrs.items())
        attrs = f" ({attrs})" if attrs else ""
        if self.op == "add":
            return f"add {self.type} {self.id}" + (f" {self.name!r}" if self.name else "") + attrs
        if self.op in ("retire", "set"):
            return f"{self.op} {self.id}{attrs}"
        if self.op == "replace":
            return f"replace {self.id} by {self.by}"
        if self.src and self.type and self.dst:
            return f"{self.op} {self.src} {self.type} {self.dst}{attrs}"
        return f"{self.op} {self.relation}"

    def to_data(self) -> dict[str, Any]:
        """The edit as written in the file: its op first, only the fields it uses."""
        data: dict[str, Any] = {"op": self.op}
        for key in ("id", "type", "name", "src", "dst", "relation", "by"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.on is not None:
            data["effective"] = self.on
        if self.attrs:
            data["attrs"] = dict(self.attrs)
        if self.was is not None:
            data["was"] = dict(self.was)
        return data


@dataclass(frozen=True)
class Scenario:
    """A named change set over the repository, read from (and written to) its file."""

    name: str
    description: str = ""
    based_on: str | None = None
    edits: tuple[Edit, ...] = ()
    path: Path | None = None

    def to_data(self) -> dict[str, Any]:
        """The file's content."""
        return {
            "name": self.name,
            "description": self.description,
            "based_on": self.based_on,
            "edits": [e.to_data() for e in self.edits],
        }

    def with_edit(self, edit: Edit) -> Scenario:
        """This scenario with ``edit`` appended."""
        return Scenario(self.name, self.description, self.based_on, (*self.edits, edit), self.path)

    def last_day(self) -> str | None:
        """The latest ``on`` of its edits (its own, not its base's), or None."""
        days = [e.on for e in self.edits if e.on]
        return max(days) if days else None


def check_name(name: str) -> str:
    """``name`` if it can name a scenario (and its file), else a ValidationError."""
    if not NAME.match(name or ""):
        raise ValidationError(
            f"{name!r} cannot name a scenario",
            hint="use letters, digits, '-', '_' and '.', starting with a letter or a digit "
            "(at most 64 characters)",
        )
    return name


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _day(value: Any) -> str | None:
    """An ``on`` value as ISO text (YAML reads an unquoted date as a date)."""
    import datetime as dt

    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def _edit(raw: Any, col: Collector, line: int | None) -> Edit | None:
    """One edit of a file, or None with its problems collected."""
    if not isinstance(raw, LineDict):
        col.add("each edit must be a mapping with an `op`", line, f"ops: {', '.join(OPS)}")
        return None
    op = raw.get("op")
    if op not in OPS:
        hint = suggest(str(op), OPS) or f"ops: {', '.join(OPS)}"
        col.add(f"unknown edit op {op!r}", raw.line_of("op"), hint)
        return None
    required, optional = _KEYS[op]
    known = {"op", "effective", "was", *required, *optional}
    for key in raw:
        if isinstance(key, bool):  # YAML 1.1 reads an unquoted `on:` (or yes/no/off) as one
            col.add(
                f"a key read as the boolean {key}: `on:`, `yes:`, `off:` are booleans in YAML",
                raw.line_of(key),
                "the day an edit takes effect is `effective: YYYY-MM-DD`",
            )
        elif key not in known:
            col.add(
                f"a {op} edit has no key {key!r}",
                raw.line_of(key),
                suggest(str(key), known) or f"its keys: {', '.join(sorted(known))}",
            )
    for key in required:
        if _text(raw.get(key)) is None and not (key == "attrs" and isinstance(raw.get(key), dict)):
            col.add(f"a {op} edit needs {key!r}", raw.line_of(key))
    attrs = raw.get("attrs") or {}
    if not isinstance(attrs, dict):
        col.add("attrs must be a mapping (name: value)", raw.line_of("attrs"))
        attrs = {}
    was = raw.get("was")
    if was is not None and not isinstance(was, dict):
        col.add("was must be a mapping", raw.line_of("was"))
        was = None
    on = None
    if raw.get("effective") is not None:
        on = _day(raw.get("effective"))
        if on is None:
            col.add(
                f"effective: expected a date as YYYY-MM-DD, got {raw.get('effective')!r}",
                raw.line_of("effective"),
            )
    return Edit(
        op,
        id=_text(raw.get("id")),
        type=_text(raw.get("type")),
        name=_text(raw.get("name")),
        attrs={str(k): v for k, v in attrs.items()},
        src=_text(raw.get("src")),
        dst=_text(raw.get("dst")),
        relation=_text(raw.get("relation")),
        by=_text(raw.get("by")),
        on=on,
        was={str(k): v for k, v in was.items()} if was is not None else None,
    )


def read(path: Path) -> Scenario:
    """The scenario in ``path``; every mistake is named with its line, all at once."""
    data = load_yaml(path, ValidationError)
    col = Collector(str(path))
    if not isinstance(data, LineDict):
        col.add("a scenario file must be a YAML mapping", 1, "start with `name:` and `edits:`")
        raise _failure(col)
    for key in data:
        if key not in _TOP:
            col.add(
                f"unknown key {key!r}",
                data.line_of(key),
                suggest(str(key), _TOP) or f"keys: {', '.join(sorted(_TOP))}",
            )
    name = _text(data.get("name"))
    if name is None or not NAME.match(name):
        col.add(f"name: {data.get('name')!r} cannot name a scenario", data.line_of("name"))
    elif name != path.stem:
        col.add(
            f"name {name!r} is not the file's ({path.stem!r})",
            data.line_of("name"),
            "a scenario is found by its file name: rename one of them",
        )
    raw_edits = data.get("edits") or []
    if not isinstance(raw_edits, list):
        col.add("edits must be a list", data.line_of("edits"))
        raw_edits = []
    edits = []
    for raw in raw_edits:
        edit = _edit(raw, col, node_line(raw) or data.line_of("edits"))
        if edit is not None:
            edits.append(edit)
    if col.problems:
        raise _failure(col)
    return Scenario(
        path.stem,
        str(data.get("description") or ""),
        _text(data.get("based_on")),
        tuple(edits),
        path,
    )


def _failure(col: Collector) -> ValidationError:
    first = col.problems[0]
    more = len(col.problems) - 1
    return ValidationError(
        str(first) + (f" (and {more} more problem(s))" if more else ""),
        hint=first.hint,
        problems=col.problems,
    )


class Book:
    """The scenarios of a workspace: the ``scenarios/`` folder beside its ``ea.yaml``."""

    def __init__(self, root: Path) -> None:
        self.folder = root / FOLDER
        self.lock_path = root / DATA_DIR / "scenarios.lock"

    def path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.yaml"

    def names(self) -> list[str]:
        """The scenarios there are, by name."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.yaml") if NAME.match(p.stem))

    def get(self, name: str) -> Scenario:
        """The scenario called ``name``, or a NotFoundError naming those there are."""
        path = self.path(name)
        if not path.is_file():
            names = self.names()
            raise NotFoundError(
                f"no scenario {name!r} in {self.folder}",
                hint=suggest(name, names)
                or (
                    f"scenarios: {', '.join(names)}"
                    if names
                    else "`ea scenario new NAME` makes one"
                ),
            )
        return read(path)

    def chain(self, name: str) -> list[Scenario]:
        """The scenario ``name`` and those it starts from, the first base first."""
        found: list[Scenario] = []
        seen: list[str] = []
        current: str | None = name
        while current is not None:
            if current in seen:
                raise ValidationError(
                    f"scenario {name!r} starts from itself: {' -> '.join([*seen, current])}",
                    hint="change `based_on` in one of these files",
                )
            seen.append(current)
            scenario = self.get(current)
            found.append(scenario)
            current = scenario.based_on
        return found[::-1]

    @contextmanager
    def locked(self, wait: float | None = None) -> Iterator[None]:
        """Hold the workspace's scenario lock while a scenario is read and written again, so
        that two edits made at the same time both land (the second reads the first's file)."""
        from filelock import FileLock, Timeout  # only editing scenarios takes the lock

        wait = EDIT_WAIT if wait is None else wait
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.lock_path))
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise ConflictError(
                f"another edit of the scenarios of {self.folder.parent} has held "
                f"{self.lock_path} for {wait:.0f} s",
                hint="wait for it to finish, then run again",
            ) from None
        try:
            yield
        finally:
            lock.release()

    def create(self, name: str, description: str = "", based_on: str | None = None) -> Scenario:
        """A new, empty scenario, written; a ConflictError if the name is taken."""
        path = self.path(name)
        with self.locked():
            if path.exists():
                raise ConflictError(
                    f"scenario {name!r} exists ({path})",
                    hint="choose another name, or `ea scenario delete` it first",
                )
            if based_on is not None:
                self.chain(based_on)  # it exists, and its chain reads
            scenario = Scenario(name, description, based_on, (), path)
            self.write(scenario)
        return scenario

    def write(self, scenario: Scenario) -> Path:
        """Write ``scenario`` to its file (whole, or not at all)."""
        path = self.path(scenario.name)
        self.folder.mkdir(parents=True, exist_ok=True)
        text = (
            f"# ea-repo scenario: a change set over the repository, applied by `--scenario "
            f"{scenario.name}`.\n# Edit it by hand or with `ea scenario ...`; no sync reads "
            "or writes it.\n"
            + yaml.safe_dump(scenario.to_data(), sort_keys=False, allow_unicode=True, width=100)
        )
        import tempfile  # only writing a scenario needs it

        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{scenario.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    def delete(self, name: str) -> Path:
        """Delete the scenario's file; refused while another scenario starts from it."""
        with self.locked():
            path = self.get(name).path
            assert path is not None
            children = [n for n in self.names() if n != name and self._based_on(n) == name]
            if children:
                raise ConflictError(
                    f"scenario {name!r} is the start of {', '.join(children)}",
                    hint="delete those first, or change their `based_on`",
                )
            path.unlink()
        return path

    def _based_on(self, name: str) -> str | None:
        try:
            return self.get(name).based_on
        except (ValidationError, NotFoundError):
            return None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
