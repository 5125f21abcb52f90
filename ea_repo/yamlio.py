"""YAML loading that remembers where every value came from.

Metamodels, view specs and mapping files are written by hand, so every complaint
about them must point at ``file:line``. :func:`load_yaml` returns plain dicts
and lists whose mapping nodes are :class:`LineDict`, which knows the line of
each key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

# libyaml's parser is about five times faster than the pure-Python one (the
# built-in metamodel is read by every command); both give the same nodes and marks.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict[str, Any]):
    """A dict from YAML that knows the (1-based) line of itself and of each key."""

    line: int | None = None
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int | None:
        """The line where ``key`` is written, else the line of the mapping."""
        return getattr(self, "key_lines", {}).get(key, self.line)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader building :class:`LineDict` mappings."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            )
        key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlProblem(Exception):
    """Raised by :func:`load_yaml`; carries a located :class:`Problem`."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def parse_yaml(text: str, filename: str) -> Any:
    """Parse YAML text; syntax errors become a :class:`YamlProblem` with a line."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(
            Problem(f"invalid YAML: {what}", filename, line, "check indentation and quoting")
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(Problem(f"invalid YAML: {exc}", filename)) from exc


def load_yaml(path: Path) -> Any:
    """Read and parse a YAML file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise YamlProblem(Problem("file not found", str(path))) from exc
    except UnicodeDecodeError as exc:
        raise YamlProblem(Problem("not UTF-8 text", str(path), hint="save it as UTF-8")) from exc
    except OSError as exc:
        raise YamlProblem(Problem(f"cannot read: {exc.strerror}", str(path))) from exc
    return parse_yaml(text, str(path))
