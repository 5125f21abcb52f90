"""YAML loading that remembers where every value came from.

Metamodels, view specs and mapping files are written by hand, so every complaint
about them must point at ``file:line``. :func:`load_yaml` returns plain dicts
and lists whose mapping nodes are :class:`LineDict`, which knows the line of
each key. :class:`Collector`, :func:`suggest` and :func:`node_line` are what every
parser of such a file uses to report all its mistakes at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import EaError, Problem

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


def node_line(node: Any, key: str | None = None) -> int | None:
    """The line of ``key`` in ``node`` (or of ``node`` itself) when it came from YAML, else None."""
    if isinstance(node, LineDict):
        return node.line_of(key) if key is not None else node.line
    return None


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class Collector:
    """Accumulates the problems of one file so that one load reports all of them at once."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def add(self, message: str, line: int | None, hint: str | None = None) -> None:
        """Record one problem at ``line`` of the file."""
        self.problems.append(Problem(message, self.filename, line, hint))

    def unknown_keys(self, mapping: LineDict, allowed: Iterable[str], what: str | None) -> None:
        """Record every key of ``mapping`` not in ``allowed``, with a 'did you mean' hint.

        ``what`` names the mapping in the message (``unknown key 'x' in the view``);
        None leaves it out, for the top level of a file.
        """
        allowed = set(allowed)
        for key in mapping:
            if key not in allowed:
                self.add(
                    f"unknown key {key!r}" + (f" in {what}" if what else ""),
                    mapping.line_of(key),
                    suggest(key, allowed) or f"allowed keys: {', '.join(sorted(allowed))}",
                )


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


def _fail(problem: Problem, error: type[EaError]) -> EaError:
    return error(str(problem), problems=[problem])


def parse_yaml(text: str, filename: str, error: type[EaError]) -> Any:
    """Parse YAML text; a syntax error is raised as ``error`` (an :class:`EaError` class:
    the caller's kind of mistake) holding one located problem."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        raise _fail(
            Problem(f"invalid YAML: {what}", filename, line, "check indentation and quoting"), error
        ) from exc
    except yaml.YAMLError as exc:
        raise _fail(Problem(f"invalid YAML: {exc}", filename), error) from exc


def load_yaml(path: Path, error: type[EaError]) -> Any:
    """Read and parse a YAML file (UTF-8); mistakes are raised as in :func:`parse_yaml`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise _fail(Problem("file not found", str(path)), error) from exc
    except UnicodeDecodeError as exc:
        raise _fail(Problem("not UTF-8 text", str(path), hint="save it as UTF-8"), error) from exc
    except OSError as exc:
        raise _fail(Problem(f"cannot read: {exc.strerror}", str(path)), error) from exc
    return parse_yaml(text, str(path), error)
